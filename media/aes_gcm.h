/* aes_gcm.h: AES-128-GCM for the packet path: OpenSSL's GCM (modes.h, its own GHASH) over an AES-NI counter mode, or OpenSSL EVP where the CPU has no AES-NI. */
#ifndef SAMVAER_MEDIA_AES_GCM_H
#define SAMVAER_MEDIA_AES_GCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Why: OpenSSL 3's EVP interface costs ~0.25 us of fixed overhead per packet (provider dispatch and parameter
 * lookups by name) against ~0.15 us of actual AES-GCM on a 100-byte packet. Here the GCM itself (GHASH,
 * tag, its constant-time compare) is OpenSSL's public CRYPTO_gcm128 API; only the AES block and CTR32
 * functions it calls are ours, on the AES-NI instructions. Output is identical to EVP (tests/unit/media/
 * test_aes_gcm.c checks every length from 0 to 1,500 bytes both ways).
 * One context holds one key for one direction and belongs to one thread. Nothing allocates after aes_gcm_new.
 */

enum aes_gcm_impl {
	AES_GCM_AUTO, /* AES-NI when the CPU has it and the self-test passed, else EVP */
	AES_GCM_EVP,  /* always EVP (tests, comparisons) */
};

struct aes_gcm;

/* Start-up self-test, run once per process (by the first AES_GCM_AUTO context, or by a caller at start-up): AES-NI
 * GCM and EVP seal a few packets each, compare, and open each other's. If they disagree it says so on stderr and
 * AES_GCM_AUTO means EVP for the rest of the process. True when the native path may be used (or there is none). */
bool aes_gcm_self_test(void);
/* Shared internal, for tests: run the comparison now; fault 1 corrupts the AES-NI output, as a broken build would.
 * A failure switches the process to EVP, as above. */
bool aes_gcm__self_test_run(int fault);

/* A context for a 16-byte key and 12-byte IVs; NULL on failure. */
struct aes_gcm *aes_gcm_new(const uint8_t key[16], bool encrypt, enum aes_gcm_impl impl);
void aes_gcm_free(struct aes_gcm *g);
/* Ask the CPU to fetch g's per-packet state: depth 0 this struct and its round keys, 1 the GCM context it points
 * to (call 1 only after 0 has had time to arrive). No effect on results. */
void aes_gcm_prefetch(const struct aes_gcm *g, int depth);
/* True when g runs on AES-NI (false: EVP). */
bool aes_gcm_is_native(const struct aes_gcm *g);

/* Encrypt text in place and write the 16-byte tag; aad1 then aad2 (NULL: none) are authenticated. 0 or -1. */
int aes_gcm_seal(struct aes_gcm *g, const uint8_t iv[12], const uint8_t *aad1, size_t n1, const uint8_t *aad2,
		 size_t n2, uint8_t *text, size_t len, uint8_t tag[16]);
/* Decrypt text in place; 0 when the tag matches, 1 when it does not (text is then garbage), -1 on failure. */
int aes_gcm_open(struct aes_gcm *g, const uint8_t iv[12], const uint8_t *aad1, size_t n1, const uint8_t *aad2,
		 size_t n2, uint8_t *text, size_t len, const uint8_t tag[16]);

#endif
