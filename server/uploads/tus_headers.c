/* tus_headers.c: strict parsers for the tus 1.0 request headers, upload ids and the Range header (tus_headers.h). */
#include "server/uploads/tus_headers.h"

#include <stdlib.h>
#include <string.h>

#include "server/base/base64.h"

int tus_parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s)
		return TUS_HDR_MISSING;
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return TUS_HDR_INVALID;
		if (v > (TUS_OFFSET_MAX - (uint64_t)(*p - '0')) / 10)
			return TUS_HDR_INVALID;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return TUS_HDR_OK;
}

int tus_version_ok(const char *s)
{
	return s && strcmp(s, TUS_VERSION) == 0;
}

int tus_base64_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
	size_t pad = 0;
	while (pad < len && s[len - 1 - pad] == '=')
		pad++;
	if (len % 4 || pad > 2)
		return -1;                                  /* padded to whole quads, with at most two '=' */
	return b64_decode(B64_STD, s, len - pad, out, cap); /* which refuses non-zero bits under the padding */
}

static int parse_id_value(const unsigned char *v, int n, int64_t *out)
{
	if (n <= 0 || n > 18)
		return TUS_HDR_INVALID;
	int64_t x = 0;
	for (int i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return TUS_HDR_INVALID;
		x = x * 10 + (v[i] - '0');
	}
	if (x <= 0)
		return TUS_HDR_INVALID;
	*out = x;
	return TUS_HDR_OK;
}

/* One "key[ value]" pair: store what we know, mark it seen. */
static int take_pair(const char *key, size_t klen, const unsigned char *v, int n, struct tus_metadata *out,
		     unsigned *seen)
{
	static const char *const keys[] = {"kind", "agreement_id", "account_id", "filename"};
	int k = -1;
	for (int i = 0; i < 4; i++)
		if (klen == strlen(keys[i]) && !memcmp(key, keys[i], klen))
			k = i;
	if (k < 0)
		return TUS_HDR_OK;
	if (*seen & (1u << k))
		return TUS_HDR_INVALID;
	*seen |= 1u << k;
	switch (k) {
	case 0:
		if (n <= 0 || (size_t)n >= sizeof(out->kind) || memchr(v, 0, (size_t)n))
			return TUS_HDR_INVALID;
		memcpy(out->kind, v, (size_t)n);
		out->kind[n] = 0;
		return TUS_HDR_OK;
	case 1: return parse_id_value(v, n, &out->agreement_id);
	case 2: return parse_id_value(v, n, &out->account_id);
	default: {
		int m = n < TUS_FILENAME_MAX ? n : TUS_FILENAME_MAX;
		for (int i = 0; i < m; i++)
			out->filename[i] = v[i] >= 0x20 && v[i] < 0x7f ? (char)v[i] : '_';
		out->filename[m] = 0;
		return TUS_HDR_OK;
	}
	}
}

int tus_parse_metadata(const char *s, size_t len, struct tus_metadata *out)
{
	memset(out, 0, sizeof(*out));
	if (!s || len == 0)
		return TUS_HDR_MISSING;
	if (len > TUS_METADATA_MAX)
		return TUS_HDR_INVALID;
	unsigned seen = 0;
	unsigned char val[TUS_METADATA_MAX];
	size_t i = 0;
	while (i <= len) {
		size_t end = i;
		while (end < len && s[end] != ',')
			end++;
		const char *pair = s + i;
		size_t plen = end - i;
		while (plen && pair[0] == ' ') /* tus clients join pairs with ", " or "," */
			pair++, plen--;
		const char *sp = memchr(pair, ' ', plen);
		size_t klen = sp ? (size_t)(sp - pair) : plen;
		if (klen == 0)
			return TUS_HDR_INVALID;
		for (size_t k = 0; k < klen; k++)
			if ((unsigned char)pair[k] <= 0x20 || (unsigned char)pair[k] >= 0x7f)
				return TUS_HDR_INVALID;
		int n = 0;
		if (sp) {
			n = tus_base64_decode(sp + 1, plen - klen - 1, val, sizeof(val));
			if (n < 0)
				return TUS_HDR_INVALID;
		}
		if (take_pair(pair, klen, val, n, out, &seen) != TUS_HDR_OK)
			return TUS_HDR_INVALID;
		i = end + 1;
	}
	return TUS_HDR_OK;
}

int tus_id_valid(const char *s, size_t len)
{
	if (!s || len != TUS_ID_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_'))
			return 0;
	}
	return 1;
}

/* Digits up to `stop` (exclusive); -1 when empty, not digits, or too large. */
static int digits(const char *p, const char *stop, uint64_t *out)
{
	if (p == stop || stop - p > 19)
		return -1;
	uint64_t v = 0;
	for (; p < stop; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

int http_range_parse(const char *s, uint64_t size, uint64_t *first, uint64_t *last)
{
	if (!s || strncmp(s, "bytes=", 6) != 0)
		return 0;
	const char *spec = s + 6, *end = spec + strlen(spec), *dash = strchr(spec, '-');
	if (!dash || strchr(spec, ','))
		return 0; /* malformed or several ranges: the whole body */
	uint64_t a, b;
	if (dash == spec) { /* suffix: the last n bytes */
		if (digits(dash + 1, end, &b) != 0)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (digits(spec, dash, &a) != 0)
		return 0;
	if (dash + 1 == end)
		b = UINT64_MAX;
	else if (digits(dash + 1, end, &b) != 0 || b < a)
		return 0;
	if (a >= size)
		return -1;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 1;
}
