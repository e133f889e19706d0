/* auth.h: secrets — Argon2id password hashes and 256-bit session tokens stored only as SHA-256 hashes. */
#ifndef SAMVAER_AUTH_H
#define SAMVAER_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_TOKEN_HEX 64      /* characters of a token as given to the client */
#define AUTH_HASH_MAX 160      /* bytes of an encoded Argon2id hash */
#define AUTH_PASSWORD_MIN 8    /* characters, enforced when setting a password */
#define AUTH_PASSWORD_MAX 1024 /* bytes */

/* Hash a password with Argon2id (t=2, m=19 MiB, p=1, random salt) into an encoded string. 0 or -1. */
int auth_password_hash(const char *password, char out[AUTH_HASH_MAX]);
/* 1 if password matches the encoded hash, 0 if not, -1 if the hash is malformed. Slow on purpose. */
int auth_password_verify(const char *encoded, const char *password, size_t len);
/* A hash that matches nothing, verified for unknown usernames so timing does not reveal them. */
const char *auth_dummy_hash(void);
/* New random token: hex for the client, SHA-256 for the store. 0 or -1 if randomness failed. */
int auth_token_new(char hex[AUTH_TOKEN_HEX + 1], uint8_t hash[32]);
/* Hash a client token; -1 unless it is exactly 64 hex characters. */
int auth_token_hash(const char *hex, size_t len, uint8_t hash[32]);
/* Initials for an avatar: first letter of up to two words, upper-cased when ASCII. */
void auth_initials(const char *name, char out[16]);

#endif
