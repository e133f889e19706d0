/* siphash.h: SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed 64-bit hash for tables indexed by what clients send.
 *
 * An unkeyed hash (FNV, as these tables used before) lets anyone compute, offline, many keys that land in one slot
 * and make every insert and lookup walk a long probe chain ("hash flooding"). With SipHash under a secret key
 * nobody outside the process can predict where a key lands. The process key is 128 bits from getrandom(2), drawn
 * once on first use; hashes are therefore stable within a process and different in every run (nothing stores
 * them). */
#ifndef SAMVAER_BASE_SIPHASH_H
#define SAMVAER_BASE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* Incremental form: init, any number of update calls, final. */
struct siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t tail; /* bytes not yet in a whole 8-byte word, little-endian */
	size_t len;    /* bytes fed so far */
};

void siphash_init(struct siphash *st, const uint8_t key[SIPHASH_KEY_LEN]);
void siphash_update(struct siphash *st, const void *data, size_t len);
/* The 8 little-endian bytes of v, as siphash_update would take them; only while the bytes fed are a multiple of 8. */
void siphash_update_u64(struct siphash *st, uint64_t v);
uint64_t siphash_final(struct siphash *st);

/* One call: SipHash-2-4 of data under key. */
uint64_t siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *data, size_t len);

/* The process key (drawn from the kernel's CSPRNG on first use; thread-safe). */
const uint8_t *siphash_process_key(void);

#endif
