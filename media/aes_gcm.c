/* aes_gcm.c: AES-128-GCM: OpenSSL CRYPTO_gcm128 over an AES-NI block and CTR32 written here, or OpenSSL EVP. */
#include "media/aes_gcm.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>

#define AES_ROUNDS 10 /* AES-128 */
#define AESNI __attribute__((target("aes,sse4.1")))

struct aes128_key {
	__m128i rk[AES_ROUNDS + 1]; /* encryption round keys (FIPS 197 §5.2) */
};

struct aes_gcm {
	/* allocated by this */
	GCM128_CONTEXT *gcm; /* native: OpenSSL's GCM over our AES */
	EVP_CIPHER_CTX *evp; /* fallback */
	/* others */
	struct aes128_key key; /* native: round keys; gcm points here */
	bool encrypt;
};

/* ---- AES-128 on AES-NI ---- */

AESNI static __m128i expand_step(__m128i k, __m128i assist)
{
	assist = _mm_shuffle_epi32(assist, 0xff); /* RotWord(SubWord(w3)) ^ Rcon, in every lane */
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4));
	k = _mm_xor_si128(k, _mm_slli_si128(k, 4)); /* w0, w0^w1, w0^w1^w2, w0^w1^w2^w3 */
	return _mm_xor_si128(k, assist);
}

AESNI static void aes128_expand(struct aes128_key *a, const uint8_t key[16])
{
	__m128i k = _mm_loadu_si128((const __m128i *)key);
	a->rk[0] = k;
#define ROUND_KEY(i, rcon) k = expand_step(k, _mm_aeskeygenassist_si128(k, rcon)), a->rk[i] = k
	ROUND_KEY(1, 0x01);
	ROUND_KEY(2, 0x02);
	ROUND_KEY(3, 0x04);
	ROUND_KEY(4, 0x08);
	ROUND_KEY(5, 0x10);
	ROUND_KEY(6, 0x20);
	ROUND_KEY(7, 0x40);
	ROUND_KEY(8, 0x80);
	ROUND_KEY(9, 0x1b);
	ROUND_KEY(10, 0x36);
#undef ROUND_KEY
}

/* block128_f: one block (GCM's E(K, Y0) and its hash key). */
AESNI static void aes128_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
	const struct aes128_key *a = key;
	__m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)in), a->rk[0]);
	for (int r = 1; r < AES_ROUNDS; r++)
		x = _mm_aesenc_si128(x, a->rk[r]);
	_mm_storeu_si128((__m128i *)out, _mm_aesenclast_si128(x, a->rk[AES_ROUNDS]));
}

/* ctr128_f: out = in XOR E(K, ivec with its last 32 bits counting up, big-endian) for `blocks` blocks. Eight
 * blocks at a time keep the AES units busy (each aesenc waits on the one before it in its block). */
AESNI static void aes128_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
			       const unsigned char ivec[16])
{
	const struct aes128_key *a = key;
	const __m128i base = _mm_loadu_si128((const __m128i *)ivec);
	uint32_t ctr;
	memcpy(&ctr, ivec + 12, 4);
	ctr = __builtin_bswap32(ctr);
	for (; blocks >= 8; blocks -= 8, ctr += 8, in += 128, out += 128) {
		__m128i x[8];
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++)
			x[i] = _mm_xor_si128(_mm_insert_epi32(base, (int)__builtin_bswap32(ctr + (uint32_t)i), 3),
					     a->rk[0]);
#pragma GCC unroll 9
		for (int r = 1; r < AES_ROUNDS; r++) {
			const __m128i k = a->rk[r];
#pragma GCC unroll 8
			for (int i = 0; i < 8; i++)
				x[i] = _mm_aesenc_si128(x[i], k);
		}
#pragma GCC unroll 8
		for (int i = 0; i < 8; i++) {
			__m128i ks = _mm_aesenclast_si128(x[i], a->rk[AES_ROUNDS]);
			_mm_storeu_si128((__m128i *)(out + 16 * i),
					 _mm_xor_si128(ks, _mm_loadu_si128((const __m128i *)(in + 16 * i))));
		}
	}
	for (; blocks; blocks--, ctr++, in += 16, out += 16) {
		__m128i x = _mm_xor_si128(_mm_insert_epi32(base, (int)__builtin_bswap32(ctr), 3), a->rk[0]);
		for (int r = 1; r < AES_ROUNDS; r++)
			x = _mm_aesenc_si128(x, a->rk[r]);
		x = _mm_aesenclast_si128(x, a->rk[AES_ROUNDS]);
		_mm_storeu_si128((__m128i *)out, _mm_xor_si128(x, _mm_loadu_si128((const __m128i *)in)));
	}
}

/* ---- contexts ---- */

static bool cpu_has_aesni(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
}

static pthread_once_t self_test_once = PTHREAD_ONCE_INIT;
static atomic_bool native_refused; /* the self-test found AES-NI GCM and EVP disagreeing: AUTO means EVP */

static struct aes_gcm *make(const uint8_t key[16], bool encrypt, bool native)
{
	struct aes_gcm *g = aligned_alloc(64, sizeof(struct aes_gcm) + 63 - (sizeof(struct aes_gcm) + 63) % 64);
	if (!g)
		return NULL;
	memset(g, 0, sizeof *g);
	g->encrypt = encrypt;
	if (native) {
		aes128_expand(&g->key, key);
		if (!(g->gcm = CRYPTO_gcm128_new(&g->key, aes128_block)))
			goto err;
		return g;
	}
	g->evp = EVP_CIPHER_CTX_new();
	if (g->evp && EVP_CipherInit_ex(g->evp, EVP_aes_128_gcm(), NULL, key, NULL, encrypt ? 1 : 0) &&
	    EVP_CIPHER_CTX_ctrl(g->evp, EVP_CTRL_GCM_SET_IVLEN, 12, NULL))
		return g;
err:
	aes_gcm_free(g);
	return NULL;
}

struct aes_gcm *aes_gcm_new(const uint8_t key[16], bool encrypt, enum aes_gcm_impl impl)
{
	return make(key, encrypt, impl == AES_GCM_AUTO && cpu_has_aesni() && aes_gcm_self_test());
}

void aes_gcm_free(struct aes_gcm *g)
{
	if (!g)
		return;
	if (g->gcm)
		CRYPTO_gcm128_release(g->gcm); /* clears the hash key as it frees */
	EVP_CIPHER_CTX_free(g->evp);
	OPENSSL_cleanse(g, sizeof *g);
	free(g);
}

bool aes_gcm_is_native(const struct aes_gcm *g)
{
	return g && g->gcm;
}

/* ---- seal / open ---- */

static int evp_run(struct aes_gcm *g, const uint8_t iv[12], const uint8_t *aad1, size_t n1, const uint8_t *aad2,
		   size_t n2, uint8_t *text, size_t len, uint8_t tag[16])
{
	int n;
	uint8_t fin[16];
	if (n1 > INT32_MAX || n2 > INT32_MAX || len > INT32_MAX ||
	    !EVP_CipherInit_ex(g->evp, NULL, NULL, NULL, iv, -1) ||
	    !EVP_CipherUpdate(g->evp, NULL, &n, aad1, (int)n1) ||
	    (aad2 && !EVP_CipherUpdate(g->evp, NULL, &n, aad2, (int)n2)) ||
	    (len && !EVP_CipherUpdate(g->evp, text, &n, text, (int)len)))
		return -1;
	if (g->encrypt)
		return EVP_CipherFinal_ex(g->evp, fin, &n) && EVP_CIPHER_CTX_ctrl(g->evp, EVP_CTRL_GCM_GET_TAG, 16, tag)
		    ? 0
		    : -1;
	if (!EVP_CIPHER_CTX_ctrl(g->evp, EVP_CTRL_GCM_SET_TAG, 16, tag))
		return -1;
	return EVP_CipherFinal_ex(g->evp, fin, &n) > 0 ? 0 : 1;
}

int aes_gcm_seal(struct aes_gcm *g, const uint8_t iv[12], const uint8_t *aad1, size_t n1, const uint8_t *aad2,
		 size_t n2, uint8_t *text, size_t len, uint8_t tag[16])
{
	if (!g->encrypt)
		return -1;
	if (g->evp)
		return evp_run(g, iv, aad1, n1, aad2, n2, text, len, tag);
	CRYPTO_gcm128_setiv(g->gcm, iv, 12);
	if (CRYPTO_gcm128_aad(g->gcm, aad1, n1) || (aad2 && CRYPTO_gcm128_aad(g->gcm, aad2, n2)) ||
	    CRYPTO_gcm128_encrypt_ctr32(g->gcm, text, text, len, aes128_ctr32))
		return -1;
	CRYPTO_gcm128_tag(g->gcm, tag, 16);
	return 0;
}

void aes_gcm_prefetch(const struct aes_gcm *g, int depth)
{
	if (depth == 0) {
		for (size_t off = 0; off < sizeof *g; off += 64)
			__builtin_prefetch((const char *)g + off);
	} else if (depth == 1 && g->gcm) {
		for (int off = 0; off < 512; off += 64) /* GCM128_CONTEXT is opaque; about 450 bytes in OpenSSL 3 */
			__builtin_prefetch((const char *)g->gcm + off);
	}
}

int aes_gcm_open(struct aes_gcm *g, const uint8_t iv[12], const uint8_t *aad1, size_t n1, const uint8_t *aad2,
		 size_t n2, uint8_t *text, size_t len, const uint8_t tag[16])
{
	if (g->encrypt)
		return -1;
	if (g->evp) {
		uint8_t t[16];
		memcpy(t, tag, sizeof t); /* the EVP ctrl takes a non-const pointer */
		return evp_run(g, iv, aad1, n1, aad2, n2, text, len, t);
	}
	CRYPTO_gcm128_setiv(g->gcm, iv, 12);
	if (CRYPTO_gcm128_aad(g->gcm, aad1, n1) || (aad2 && CRYPTO_gcm128_aad(g->gcm, aad2, n2)) ||
	    CRYPTO_gcm128_decrypt_ctr32(g->gcm, text, text, len, aes128_ctr32))
		return -1;
	return CRYPTO_gcm128_finish(g->gcm, tag, 16) == 0 ? 0 : 1; /* CRYPTO_memcmp inside: constant time */
}

/* ---- start-up self-test ---- */

/* Seal with AES-NI and with EVP (same key, IV, AAD in one or two parts) and compare text and tag; each side opens
 * the other's output; the AES-NI side refuses a flipped tag bit. fault (tests only): flip one bit of the AES-NI
 * output, as a broken build would. Returns the number of cases that failed (0: they agree). */
static int self_test_cases(int fault)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 64, 100, 255, 1200};
	uint8_t key[16], iv[12], aad[24], ref[1200], a[1200], b[1200], ta[16], tb[16];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(0x5a ^ (i * 29));
	struct aes_gcm *ne = make(key, true, true), *nd = make(key, false, true);
	struct aes_gcm *ee = make(key, true, false), *ed = make(key, false, false);
	int bad = 0;
	for (size_t c = 0; c < sizeof lens / sizeof lens[0]; c++) {
		size_t len = lens[c], n1 = c % 2 ? 12 : 20, n2 = c % 2 ? 4 : 0;
		for (size_t i = 0; i < sizeof iv; i++)
			iv[i] = (uint8_t)(c * 37 + i * 11);
		for (size_t i = 0; i < sizeof aad; i++)
			aad[i] = (uint8_t)(c + i * 7);
		for (size_t i = 0; i < len; i++)
			ref[i] = (uint8_t)(i * 31 + c);
		memcpy(a, ref, len), memcpy(b, ref, len);
		const uint8_t *aad2 = n2 ? aad + n1 : NULL;
		if (!ne || !nd || !ee || !ed || aes_gcm_seal(ne, iv, aad, n1, aad2, n2, a, len, ta) ||
		    aes_gcm_seal(ee, iv, aad, n1, aad2, n2, b, len, tb)) {
			bad++;
			continue;
		}
		if (fault)
			(len ? a : ta)[len / 2] ^= 0x04;
		uint8_t flipped[16];
		memcpy(flipped, tb, sizeof flipped);
		flipped[c % 16] ^= 0x80;
		bool same = !memcmp(a, b, len) && !memcmp(ta, tb, 16);
		bool evp_opens = aes_gcm_open(ed, iv, aad, n1, aad2, n2, a, len, ta) == 0 && !memcmp(a, ref, len);
		memcpy(a, b, len);
		bool native_refuses = aes_gcm_open(nd, iv, aad, n1, aad2, n2, a, len, flipped) == 1;
		bool native_opens = aes_gcm_open(nd, iv, aad, n1, aad2, n2, b, len, tb) == 0 && !memcmp(b, ref, len);
		bad += !(same && evp_opens && native_refuses && native_opens);
	}
	aes_gcm_free(ne), aes_gcm_free(nd), aes_gcm_free(ee), aes_gcm_free(ed);
	OPENSSL_cleanse(key, sizeof key);
	return bad;
}

bool aes_gcm__self_test_run(int fault)
{
	if (!cpu_has_aesni())
		return true; /* EVP only: nothing to compare */
	int bad = self_test_cases(fault);
	if (bad) {
		atomic_store(&native_refused, true);
		fprintf(stderr,
			"aes_gcm: self-test: AES-NI GCM and OpenSSL EVP disagree on %d of 9 packets; this process "
			"uses EVP for AES-GCM\n",
			bad);
	}
	return bad == 0;
}

static void self_test_once_run(void)
{
	aes_gcm__self_test_run(0);
}

bool aes_gcm_self_test(void)
{
	pthread_once(&self_test_once, self_test_once_run);
	return !atomic_load(&native_refused);
}
