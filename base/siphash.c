/* siphash.c: SipHash-2-4 and the per-process secret key (see siphash.h). */
#include "base/siphash.h"

#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t load64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	    (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static void sipround(struct siphash *st)
{
	st->v0 += st->v1;
	st->v1 = ROTL(st->v1, 13);
	st->v1 ^= st->v0;
	st->v0 = ROTL(st->v0, 32);
	st->v2 += st->v3;
	st->v3 = ROTL(st->v3, 16);
	st->v3 ^= st->v2;
	st->v0 += st->v3;
	st->v3 = ROTL(st->v3, 21);
	st->v3 ^= st->v0;
	st->v2 += st->v1;
	st->v1 = ROTL(st->v1, 17);
	st->v1 ^= st->v2;
	st->v2 = ROTL(st->v2, 32);
}

/* Two compression rounds per 8-byte word (the "2" of 2-4). */
static void compress(struct siphash *st, uint64_t m)
{
	st->v3 ^= m;
	sipround(st);
	sipround(st);
	st->v0 ^= m;
}

void siphash_init(struct siphash *st, const uint8_t key[SIPHASH_KEY_LEN])
{
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	st->v0 = k0 ^ 0x736f6d6570736575ull; /* "somepseudorandomlygeneratedbytes" */
	st->v1 = k1 ^ 0x646f72616e646f6dull;
	st->v2 = k0 ^ 0x6c7967656e657261ull;
	st->v3 = k1 ^ 0x7465646279746573ull;
	st->tail = 0;
	st->len = 0;
}

void siphash_update(struct siphash *st, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len && st->len % 8) { /* finish a partial word first */
		st->tail |= (uint64_t)*p++ << (8 * (st->len % 8));
		st->len++;
		len--;
		if (st->len % 8 == 0) {
			compress(st, st->tail);
			st->tail = 0;
		}
	}
	for (; len >= 8; p += 8, len -= 8, st->len += 8)
		compress(st, load64(p));
	for (; len; len--, st->len++)
		st->tail |= (uint64_t)*p++ << (8 * (st->len % 8));
}

void siphash_update_u64(struct siphash *st, uint64_t v)
{
	compress(st, v);
	st->len += 8;
}

uint64_t siphash_final(struct siphash *st)
{
	compress(st, st->tail | (uint64_t)(st->len & 0xff) << 56); /* last word: the tail and the length mod 256 */
	st->v2 ^= 0xff;
	for (int i = 0; i < 4; i++) /* four finalization rounds (the "4") */
		sipround(st);
	return st->v0 ^ st->v1 ^ st->v2 ^ st->v3;
}

uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len)
{
	struct siphash st;
	siphash_init(&st, key);
	siphash_update(&st, data, len);
	return siphash_final(&st);
}

static uint8_t process_key[SIPHASH_KEY_LEN];
static pthread_once_t process_key_once = PTHREAD_ONCE_INIT;

static void draw_process_key(void)
{
	size_t got = 0;
	while (got < sizeof(process_key)) {
		ssize_t n = getrandom(process_key + got, sizeof(process_key) - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (n < 0 && errno != EINTR)
			break;
	}
	if (got < sizeof(process_key) && RAND_bytes(process_key, sizeof(process_key)) != 1) {
		fprintf(stderr,
			"samvaer: no random bytes for the hash key\n"); /* a predictable key would be an opening */
		abort();
	}
}

const uint8_t *siphash_process_key(void)
{
	pthread_once(&process_key_once, draw_process_key);
	return process_key;
}
