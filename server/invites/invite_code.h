/* invite_code.h: one-time invitation codes a person can read out on the phone — 12 characters from an alphabet
 * without look-alikes (no 0/O, 1/I/L), shown in three groups (K7QM-4XPD-9HTW). The first group is the public
 * lookup (it finds the row), the last two the secret (31^8, about 40 bits), stored only as a SHA-256 hash; a
 * wrong secret counts against that one code, so a guesser gets a handful of tries per code, not 2^40. */
#ifndef SAMVAER_INVITE_CODE_H
#define SAMVAER_INVITE_CODE_H

#include <stddef.h>
#include <stdint.h>

#define INVITE_ALPHABET "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#define INVITE_LOOKUP_LEN 4 /* characters of the public part */
#define INVITE_SECRET_LEN 8 /* characters of the secret part */
#define INVITE_CODE_LEN (INVITE_LOOKUP_LEN + INVITE_SECRET_LEN)
#define INVITE_DISPLAY_LEN 14 /* "XXXX-XXXX-XXXX" */
#define INVITE_HASH_LEN 32

struct invite_code {
	char lookup[INVITE_LOOKUP_LEN + 1]; /* public part, upper case */
	char secret[INVITE_SECRET_LEN + 1]; /* secret part, upper case */
};

/* A fresh random code. 0, or -1 if the system has no randomness to give. */
int invite_code_new(struct invite_code *c);
/* Read what a person typed: case-insensitive, dashes, spaces and dots ignored. 0, or -1 unless exactly 12
 * characters of the alphabet remain. */
int invite_code_parse(const char *typed, struct invite_code *c);
/* "K7QM-4XPD-9HTW" (out holds INVITE_DISPLAY_LEN + 1 bytes). */
void invite_code_display(const struct invite_code *c, char out[INVITE_DISPLAY_LEN + 1]);
/* The stored form of the secret: SHA-256 over a label, the lookup and the secret (so equal secrets of two codes
 * never hash alike). */
void invite_code_hash(const struct invite_code *c, uint8_t out[INVITE_HASH_LEN]);
/* Constant-time comparison of two hashes: 1 if equal. */
int invite_hash_equal(const uint8_t a[INVITE_HASH_LEN], const uint8_t b[INVITE_HASH_LEN]);

#endif
