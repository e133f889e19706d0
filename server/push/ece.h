/* ece.h: Web Push message encryption (RFC 8291) in the aes128gcm content coding (RFC 8188), one record. */
#ifndef SAMVAER_PUSH_ECE_H
#define SAMVAER_PUSH_ECE_H

#include <stddef.h>
#include <stdint.h>

#define ECE_POINT_LEN 65  /* uncompressed P-256 point: 0x04 || X || Y */
#define ECE_SCALAR_LEN 32 /* P-256 private key */
#define ECE_AUTH_LEN 16   /* the subscription's auth secret */
#define ECE_SALT_LEN 16
#define ECE_RECORD_SIZE 4096
#define ECE_HEADER_LEN (ECE_SALT_LEN + 4 + 1 + ECE_POINT_LEN) /* salt, rs, idlen, keyid = 86 */
#define ECE_TAG_LEN 16
#define ECE_OVERHEAD (ECE_HEADER_LEN + 1 + ECE_TAG_LEN) /* header, the 0x02 delimiter, the GCM tag */
#define ECE_PLAINTEXT_MAX (ECE_RECORD_SIZE - 1 - ECE_TAG_LEN)

/* 1 if p is an uncompressed point on P-256 (what a p256dh key must be), else 0. */
int ece_point_valid(const uint8_t p[ECE_POINT_LEN]);

/* Encrypt len bytes (at most ECE_PLAINTEXT_MAX) for the user agent's key ua_public and auth secret into out
 * (cap >= len + ECE_OVERHEAD): header (salt, rs = 4096, the sender's ephemeral public key) then one record.
 * as_private and salt are NULL in use (a fresh key pair and a random salt); tests pass RFC 8291's fixed ones.
 * Returns the body length, or -1. */
int ece_encrypt(const uint8_t ua_public[ECE_POINT_LEN], const uint8_t auth[ECE_AUTH_LEN], const uint8_t *plain,
		size_t len, const uint8_t *as_private, const uint8_t *salt, uint8_t *out, size_t cap);

/* The user agent's side (tests, and anyone checking a body): decrypt a one-record aes128gcm body with the
 * subscription's private key. Returns the plaintext length (padding removed), or -1 when it does not open. */
int ece_decrypt(const uint8_t ua_private[ECE_SCALAR_LEN], const uint8_t auth[ECE_AUTH_LEN], const uint8_t *body,
		size_t len, uint8_t *out, size_t cap);

#endif
