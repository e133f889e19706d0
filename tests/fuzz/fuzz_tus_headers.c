/* fuzz_tus_headers.c: libFuzzer target for the tus 1.0 header parsers and Range (server/uploads/tus_headers.c).
 * The first byte picks the parser, the rest is the header value. Rules: never crash; anything accepted writes back:
 * a number prints to the same digits, decoded base64 encodes to the same text, accepted metadata re-encoded from what
 * was kept parses to the same members, and an accepted range lies inside the representation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "server/uploads/tus_headers.c" /* the parser itself: no library needed */

static void check_number(const char *s)
{
	uint64_t v;
	char back[32];
	if (tus_parse_u64(s, &v) != TUS_HDR_OK)
		return;
	snprintf(back, sizeof(back), "%llu", (unsigned long long)v);
	/* leading zeros are digits too: compare the values, and the text when it has none */
	if (v > TUS_OFFSET_MAX || (s[0] != '0' && strcmp(back, s) != 0))
		abort();
}

static void check_base64(const char *s, size_t len)
{
	unsigned char out[4096], enc[6000];
	int n = tus_base64_decode(s, len, out, sizeof(out));
	if (n < 0)
		return;
	int m = EVP_EncodeBlock(enc, out, n);
	if ((size_t)m != len || memcmp(enc, s, len) != 0)
		abort();
}

/* Append "key base64(value)," for a value that is set. */
static size_t put_pair(char *buf, size_t at, const char *key, const char *value, size_t n)
{
	if (n == 0)
		return at;
	at += (size_t)sprintf(buf + at, "%s%s ", at ? "," : "", key);
	return at + (size_t)EVP_EncodeBlock((unsigned char *)buf + at, (const unsigned char *)value, (int)n);
}

static void check_metadata(const char *s, size_t len)
{
	struct tus_metadata m, back;
	if (tus_parse_metadata(s, len, &m) != TUS_HDR_OK)
		return;
	char buf[1024], num[24];
	size_t at = put_pair(buf, 0, "kind", m.kind, strlen(m.kind));
	at = put_pair(buf, at, "filename", m.filename, strlen(m.filename));
	if (m.agreement_id)
		at = put_pair(buf, at, "agreement_id", num, (size_t)sprintf(num, "%lld", (long long)m.agreement_id));
	if (m.account_id)
		at = put_pair(buf, at, "account_id", num, (size_t)sprintf(num, "%lld", (long long)m.account_id));
	if (at == 0)
		return; /* only unknown keys */
	if (tus_parse_metadata(buf, at, &back) != TUS_HDR_OK || memcmp(&m, &back, sizeof(m)) != 0)
		abort();
}

static void check_range(const char *s, uint64_t size)
{
	uint64_t a, b;
	int rc = http_range_parse(s, size, &a, &b);
	if (rc == 1 && (a > b || b >= size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[TUS_METADATA_MAX + 2];
	if (size < 1 || size - 1 > TUS_METADATA_MAX)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0; /* headers reach the parsers NUL-terminated (lws copies them) */
	size_t len = strlen(s);
	switch (data[0] % 5) {
	case 0: check_number(s); break;
	case 1: check_base64(s, len); break;
	case 2: check_metadata(s, len); break;
	case 3: check_range(s, data[0] < 128 ? 10000 : (uint64_t)data[0]); break;
	default:
		tus_id_valid(s, len);
		tus_version_ok(s);
		break;
	}
	return 0;
}
