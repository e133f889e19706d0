/* auth.c: password hashing with libargon2 and session tokens from getrandom(2), hashed with OpenSSL SHA-256. */
#include "server/session/auth.h"

#include <argon2.h>
#include <ctype.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "server/session/phc.h"

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

/* Argon2's memory (19 MiB) comes from a mapping of its own that asks for transparent huge pages: about ten page
 * faults instead of ~4,900. In a VM a fresh mapping of 4 KiB pages cost more in faults (about 50 ms) than the hash
 * itself (about 22 ms); malloc gives such a mapping to every one-shot samvaer-admin, and under ASan to every hash.
 * libargon2 wipes the memory before it hands it back. */
#define HUGE_PAGE (2u << 20)

static size_t mapped_len(size_t bytes)
{
	return (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

static int argon_alloc(uint8_t **mem, size_t bytes)
{
	size_t len = mapped_len(bytes), span = len + HUGE_PAGE;
	uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*mem = NULL;
	if (p == MAP_FAILED)
		return -1;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	size_t head = (size_t)(a - p), tail = span - head - len;
	if (head)
		munmap(p, head);
	if (tail)
		munmap(a + len, tail);
	(void)madvise(a, len, MADV_HUGEPAGE); /* a hint: without THP the pages are small, and all still works */
	*mem = a;
	return 0;
}

static void argon_free(uint8_t *mem, size_t bytes)
{
	munmap(mem, mapped_len(bytes));
}

static argon2_context argon_context(struct phc *h, const char *password, size_t len)
{
	return (argon2_context){.out = h->hash,
				.outlen = (uint32_t)h->hash_len,
				.pwd = (uint8_t *)password,
				.pwdlen = (uint32_t)len,
				.salt = h->salt,
				.saltlen = (uint32_t)h->salt_len,
				.t_cost = h->t,
				.m_cost = h->m_kib,
				.lanes = h->p,
				.threads = 1,
				.version = ARGON2_VERSION_13,
				.allocate_cbk = argon_alloc,
				.free_cbk = argon_free,
				.flags = ARGON2_DEFAULT_FLAGS};
}

int auth_password_hash(const char *password, char out[AUTH_HASH_MAX])
{
	struct phc h = {.m_kib = ARGON_M, .t = ARGON_T, .p = ARGON_P, .salt_len = SALT_LEN, .hash_len = HASH_LEN};
	size_t len = strlen(password);
	if (len > AUTH_PASSWORD_MAX || fill_random(h.salt, SALT_LEN))
		return -1;
	argon2_context c = argon_context(&h, password, len);
	if (argon2_ctx(&c, Argon2_id) != ARGON2_OK)
		return -1;
	return phc_encode(&h, out, AUTH_HASH_MAX) < 0 ? -1 : 0;
}

int auth_password_verify(const char *encoded, const char *password, size_t len)
{
	struct phc h;
	if (phc_decode(encoded, &h))
		return -1;
	if (len > AUTH_PASSWORD_MAX) /* no hash was ever made of one so long */
		return 0;
	uint8_t want[PHC_HASH_MAX];
	memcpy(want, h.hash, h.hash_len);
	argon2_context c = argon_context(&h, password, len);
	int rc = argon2_verify_ctx(&c, (const char *)want, Argon2_id);
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
