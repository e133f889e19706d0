/* readable_code.c: one-time codes of the look-alike-free alphabet, their parsing and their hashes. */
#include "server/base/readable_code.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define NSYM 31 /* strlen(RCODE_ALPHABET) */

int rcode_random_symbols(char *out, size_t n)
{
	size_t got = 0;
	while (got < n) {
		uint8_t buf[32];
		if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
			return -1;
		for (size_t i = 0; i < sizeof(buf) && got < n; i++)
			if (buf[i] < 248) /* 8 x 31: rejection sampling keeps every symbol equally likely */
				out[got++] = RCODE_ALPHABET[buf[i] % NSYM];
	}
	out[n] = 0;
	return 0;
}

static void fill(struct rcode *c, const char *symbols)
{
	memcpy(c->lookup, symbols, RCODE_LOOKUP_LEN);
	c->lookup[RCODE_LOOKUP_LEN] = 0;
	memcpy(c->secret, symbols + RCODE_LOOKUP_LEN, RCODE_SECRET_LEN);
	c->secret[RCODE_SECRET_LEN] = 0;
	snprintf(c->text, sizeof(c->text), "%.4s-%.4s-%.4s", symbols, symbols + 4, symbols + 8);
	SHA256((const unsigned char *)symbols, RCODE_LOOKUP_LEN + RCODE_SECRET_LEN, c->secret_hash);
}

int rcode_new(struct rcode *out)
{
	char symbols[RCODE_LOOKUP_LEN + RCODE_SECRET_LEN + 1];
	if (rcode_random_symbols(symbols, RCODE_LOOKUP_LEN + RCODE_SECRET_LEN) != 0)
		return -1;
	fill(out, symbols);
	explicit_bzero(symbols, sizeof(symbols));
	return 0;
}

int rcode_parse(const char *typed, struct rcode *out)
{
	char symbols[RCODE_LOOKUP_LEN + RCODE_SECRET_LEN + 1];
	size_t n = 0;
	if (!typed)
		return -1;
	for (const char *p = typed; *p; p++) {
		char ch = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
		if (ch == ' ' || ch == '-' || ch == '.' || ch == '\t')
			continue;
		if (n == RCODE_LOOKUP_LEN + RCODE_SECRET_LEN || !strchr(RCODE_ALPHABET, ch) || ch == 0)
			return -1;
		symbols[n++] = ch;
	}
	if (n != RCODE_LOOKUP_LEN + RCODE_SECRET_LEN)
		return -1;
	symbols[n] = 0;
	fill(out, symbols);
	return 0;
}

int rcode_hash_equal(const uint8_t a[RCODE_HASH_LEN], const uint8_t b[RCODE_HASH_LEN])
{
	return CRYPTO_memcmp(a, b, RCODE_HASH_LEN) == 0;
}
