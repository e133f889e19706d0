/* readable_code.h: one-time codes a person can read out on the phone or type on a tablet — an alphabet without
 * look-alikes, in groups of four, typed in any case — split into a public lookup part and a secret part that is
 * stored only as a SHA-256 hash (pairing codes and invitation codes). */
#ifndef SAMVAER_READABLE_CODE_H
#define SAMVAER_READABLE_CODE_H

#include <stddef.h>
#include <stdint.h>

#define RCODE_ALPHABET "23456789ABCDEFGHJKMNPQRSTUVWXYZ" /* 31 symbols: no 0/O, 1/I/L */
#define RCODE_LOOKUP_LEN 4                               /* public part: finds the row (31^4 = 923,521) */
#define RCODE_SECRET_LEN 8                               /* secret part: 31^8, about 2^39.6 */
#define RCODE_TEXT_LEN 14                                /* "K7QM-3XTP-9HRW" */
#define RCODE_HASH_LEN 32

struct rcode {
	char text[RCODE_TEXT_LEN + 1];       /* as shown: groups of four joined by '-' */
	char lookup[RCODE_LOOKUP_LEN + 1];   /* the first group */
	char secret[RCODE_SECRET_LEN + 1];   /* the other two, never stored */
	uint8_t secret_hash[RCODE_HASH_LEN]; /* SHA-256 of lookup || secret: what the store keeps */
};

/* A new random code (getrandom). 0, or -1 if randomness failed. */
int rcode_new(struct rcode *out);
/* What a person typed or a link carried: upper-cased, the separators people put between groups (dashes, dots,
 * spaces, tabs) dropped, then exactly 12 symbols of the alphabet. Fills text, lookup, secret and secret_hash; 0, or
 * -1 if it cannot be a code (or typed is NULL). */
int rcode_parse(const char *typed, struct rcode *out);
/* 1 if two hashes are equal, in constant time. */
int rcode_hash_equal(const uint8_t a[RCODE_HASH_LEN], const uint8_t b[RCODE_HASH_LEN]);
/* Random symbols of the alphabet (temporary passwords); 0 or -1. out gets n symbols and a terminator. */
int rcode_random_symbols(char *out, size_t n);

#endif
