/* pace.c: GCRA, the leaky bucket as a single timestamp per key: an event is allowed while the key's theoretical
 * arrival time is at most `tolerance` ahead of now, and each allowed event moves it one interval later. */
#include "server/base/pace.h"

#include <stdlib.h>

struct pace_key {
	int64_t tat_us; /* when the key's spacing would allow its next event if it had no burst left */
};

void pace_init(struct pace *p, double rate, uint32_t burst)
{
	intmap_init(&p->keys);
	p->interval_us = rate > 0 ? (int64_t)(1e6 / rate) : 0;
	if (p->interval_us < 1)
		p->interval_us = 1;
	p->tolerance_us = (int64_t)(burst ? burst - 1 : 0) * p->interval_us;
}

void pace_free(struct pace *p)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&p->keys, &pos, NULL, &v))
		free(v);
	intmap_free(&p->keys);
}

int64_t pace_take(struct pace *p, uint64_t key, int64_t now_us)
{
	struct pace_key *k = intmap_get(&p->keys, key);
	int64_t tat = k && k->tat_us > now_us ? k->tat_us : now_us;
	if (tat - now_us > p->tolerance_us)
		return tat - now_us - p->tolerance_us;
	if (!k) {
		k = malloc(sizeof(*k));
		if (!k || intmap_put(&p->keys, key, k) < 0) {
			free(k);
			return 0; /* out of memory: let the event through rather than refuse everyone */
		}
	}
	k->tat_us = tat + p->interval_us;
	return 0;
}

void pace_sweep(struct pace *p, int64_t now_us)
{
	size_t pos = 0;
	uint64_t key;
	void *v;
	while (intmap_next(&p->keys, &pos, &key, &v))
		if (((struct pace_key *)v)->tat_us <= now_us)
			free(intmap_del(&p->keys, key));
}

size_t pace_count(const struct pace *p)
{
	return p->keys.count;
}
