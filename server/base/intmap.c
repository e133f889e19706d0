/* intmap.c: linear-probing hash map with tombstones; grows at 70% load. */
#include "server/base/intmap.h"

#include "base/siphash.h"

#include <stdlib.h>
#include <string.h>

#define EMPTY 0
#define DELETED UINT64_MAX

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void intmap_init(struct intmap *m)
{
	memset(m, 0, sizeof(*m));
}

void intmap_free(struct intmap *m)
{
	free(m->keys);
	free(m->vals);
	intmap_init(m);
}

void *intmap_get(const struct intmap *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key)
			return m->vals[i];
		if (m->keys[i] == EMPTY)
			return NULL;
	}
}

static int grow(struct intmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	if (m->count * 2 < m->cap)
		ncap = m->cap; /* mostly tombstones: rehash at the same size */
	struct intmap n = {calloc(ncap, sizeof(uint64_t)), calloc(ncap, sizeof(void *)), ncap, 0, 0};
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i] != EMPTY && m->keys[i] != DELETED)
			intmap_put(&n, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

int intmap_put(struct intmap *m, uint64_t key, void *val)
{
	if ((m->used + 1) * 10 > m->cap * 7 && grow(m) < 0)
		return -1;
	size_t tomb = SIZE_MAX;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
		if (m->keys[i] == DELETED && tomb == SIZE_MAX)
			tomb = i;
		if (m->keys[i] == EMPTY) {
			if (tomb != SIZE_MAX)
				i = tomb;
			else
				m->used++;
			m->keys[i] = key;
			m->vals[i] = val;
			m->count++;
			return 0;
		}
	}
}

void *intmap_del(struct intmap *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			void *v = m->vals[i];
			m->keys[i] = DELETED;
			m->vals[i] = NULL;
			m->count--;
			return v;
		}
		if (m->keys[i] == EMPTY)
			return NULL;
	}
}

int intmap_next(const struct intmap *m, size_t *pos, uint64_t *key, void **val)
{
	for (; *pos < m->cap; (*pos)++) {
		if (m->keys[*pos] != EMPTY && m->keys[*pos] != DELETED) {
			if (key)
				*key = m->keys[*pos];
			if (val)
				*val = m->vals[*pos];
			(*pos)++;
			return 1;
		}
	}
	return 0;
}

uint64_t intmap_hash_bytes(const void *p, size_t n)
{
	uint64_t h = siphash24(siphash_process_key(), p, n);
	if (h == EMPTY || h == DELETED)
		h = 1;
	return h;
}
