/* auth.c: password hashing with libargon2 and session tokens from getrandom(2), hashed with OpenSSL SHA-256. */
#include "server/session/auth.h"

#include <argon2.h>
#include <ctype.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define ARGON_T 2
#define ARGON_M (19 * 1024)
#define ARGON_P 1
#define SALT_LEN 16
#define HASH_LEN 32

static int fill_random(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got <= 0)
			return -1;
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

int auth_password_hash(const char *password, char out[AUTH_HASH_MAX])
{
	uint8_t salt[SALT_LEN];
	if (fill_random(salt, sizeof(salt)))
		return -1;
	int rc = argon2id_hash_encoded(ARGON_T, ARGON_M, ARGON_P, password, strlen(password), salt, sizeof(salt),
				       HASH_LEN, out, AUTH_HASH_MAX);
	return rc == ARGON2_OK ? 0 : -1;
}

int auth_password_verify(const char *encoded, const char *password, size_t len)
{
	int rc = argon2id_verify(encoded, password, len);
	if (rc == ARGON2_OK)
		return 1;
	if (rc == ARGON2_VERIFY_MISMATCH)
		return 0;
	return -1;
}

const char *auth_dummy_hash(void)
{
	/* Argon2id of a random string nobody knows, same parameters as real hashes. */
	return "$argon2id$v=19$m=19456,t=2,p=1$c2FtdmFlci1kdW1teS1zYWx0$"
	       "1xH6ZKxkbpa3d1uEB2QzZqNp0NfbV8p4Yc0+/3lBTjQ";
}

int auth_token_new(char hex[AUTH_TOKEN_HEX + 1], uint8_t hash[32])
{
	uint8_t raw[32];
	if (fill_random(raw, sizeof(raw)))
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	return auth_token_hash(hex, AUTH_TOKEN_HEX, hash);
}

int auth_token_hash(const char *hex, size_t len, uint8_t hash[32])
{
	if (len != AUTH_TOKEN_HEX)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return -1;
	char lower[AUTH_TOKEN_HEX];
	for (size_t i = 0; i < len; i++)
		lower[i] = (char)tolower((unsigned char)hex[i]);
	SHA256((const unsigned char *)lower, len, hash);
	return 0;
}

void auth_initials(const char *name, char out[16])
{
	size_t n = 0;
	int at_word = 1, words = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && words < 2 && n < 12; p++) {
		if (isspace(*p) || *p == '-') {
			at_word = 1;
			continue;
		}
		if (at_word) {
			/* copy one whole UTF-8 character */
			size_t len = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
			for (size_t k = 0; k < len && p[k] && n < 15; k++)
				out[n++] = (char)(k == 0 && len == 1 ? toupper(p[k]) : p[k]);
			p += len - 1;
			words++;
			at_word = 0;
		}
	}
	out[n] = 0;
}
