/* intmap.h: an open-addressing hash map from non-zero 64-bit keys to pointers. */
#ifndef SAMVAER_INTMAP_H
#define SAMVAER_INTMAP_H

#include <stddef.h>
#include <stdint.h>

struct intmap {
	uint64_t *keys; /* 0 = empty, UINT64_MAX = deleted */
	void **vals;    /* value of each occupied slot */
	size_t cap;     /* slots, a power of two */
	size_t used;    /* live + deleted slots */
	size_t count;   /* live entries */
};

void intmap_init(struct intmap *m);
void intmap_free(struct intmap *m);
void *intmap_get(const struct intmap *m, uint64_t key);
/* Insert or replace; returns 0, or -1 when out of memory. key must not be 0 or UINT64_MAX. */
int intmap_put(struct intmap *m, uint64_t key, void *val);
/* Remove and return the old value (NULL if absent). */
void *intmap_del(struct intmap *m, uint64_t key);
/* Iterate: for (size_t i = 0; intmap_next(m, &i, &k, &v);) */
int intmap_next(const struct intmap *m, size_t *pos, uint64_t *key, void **val);
/* A keyed hash of a byte string (SipHash-2-4 under the process key, siphash.h), never 0 or UINT64_MAX (usable as a
 * key). Client-chosen strings (usernames, addresses) go through it, so nobody can aim them at one slot. */
uint64_t intmap_hash_bytes(const void *p, size_t n);

#endif
