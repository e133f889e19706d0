/* invite_code.c: invitation codes — random generation by rejection sampling, tolerant parsing, the stored hash. */
#include "server/invites/invite_code.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <sys/random.h>

#define ALPHABET_LEN (sizeof(INVITE_ALPHABET) - 1)

static int fill_random(uint8_t *out, size_t n)
{
	while (n) {
		ssize_t got = getrandom(out, n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		out += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Uniform characters: bytes at or above the largest multiple of the alphabet's size are drawn again. */
static int random_chars(char *out, size_t n)
{
	const unsigned limit = 256 - 256 % ALPHABET_LEN;
	uint8_t buf[32];
	size_t have = 0, pos = sizeof(buf);
	while (have < n) {
		if (pos == sizeof(buf)) {
			if (fill_random(buf, sizeof(buf)))
				return -1;
			pos = 0;
		}
		uint8_t b = buf[pos++];
		if (b < limit)
			out[have++] = INVITE_ALPHABET[b % ALPHABET_LEN];
	}
	out[n] = 0;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int invite_code_new(struct invite_code *c)
{
	return random_chars(c->lookup, INVITE_LOOKUP_LEN) || random_chars(c->secret, INVITE_SECRET_LEN) ? -1 : 0;
}

int invite_code_parse(const char *typed, struct invite_code *c)
{
	char all[INVITE_CODE_LEN];
	size_t n = 0;
	if (!typed)
		return -1;
	for (const char *p = typed; *p; p++) {
		if (*p == '-' || *p == ' ' || *p == '.' || *p == '\t')
			continue;
		char ch = (char)toupper((unsigned char)*p);
		if (n == INVITE_CODE_LEN || !strchr(INVITE_ALPHABET, ch) || ch == 0)
			return -1;
		all[n++] = ch;
	}
	if (n != INVITE_CODE_LEN)
		return -1;
	memcpy(c->lookup, all, INVITE_LOOKUP_LEN);
	c->lookup[INVITE_LOOKUP_LEN] = 0;
	memcpy(c->secret, all + INVITE_LOOKUP_LEN, INVITE_SECRET_LEN);
	c->secret[INVITE_SECRET_LEN] = 0;
	return 0;
}

void invite_code_display(const struct invite_code *c, char out[INVITE_DISPLAY_LEN + 1])
{
	memcpy(out, c->lookup, 4);
	out[4] = '-';
	memcpy(out + 5, c->secret, 4);
	out[9] = '-';
	memcpy(out + 10, c->secret + 4, 4);
	out[14] = 0;
}

void invite_code_hash(const struct invite_code *c, uint8_t out[INVITE_HASH_LEN])
{
	static const char label[] = "samvaer-invite\n";
	unsigned char buf[sizeof(label) - 1 + INVITE_CODE_LEN];
	memcpy(buf, label, sizeof(label) - 1);
	memcpy(buf + sizeof(label) - 1, c->lookup, INVITE_LOOKUP_LEN);
	memcpy(buf + sizeof(label) - 1 + INVITE_LOOKUP_LEN, c->secret, INVITE_SECRET_LEN);
	SHA256(buf, sizeof(buf), out);
	explicit_bzero(buf, sizeof(buf));
}

int invite_hash_equal(const uint8_t a[INVITE_HASH_LEN], const uint8_t b[INVITE_HASH_LEN])
{
	return CRYPTO_memcmp(a, b, INVITE_HASH_LEN) == 0;
}
