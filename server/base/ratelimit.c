/* ratelimit.c: one small heap record per active key; swept periodically. */
#include "server/base/ratelimit.h"

#include <stdlib.h>

struct rl_window {
	int64_t start;  /* ms when this window began */
	uint32_t count; /* events in it */
	int64_t last;   /* ms of the latest event, for the backoff */
};

void ratelimit_init(struct ratelimit *rl, uint32_t limit, int64_t window_ms)
{
	intmap_init(&rl->windows);
	rl->limit = limit;
	rl->window_ms = window_ms;
	rl->base_ms = rl->cap_ms = 0;
}

void ratelimit_init_backoff(struct ratelimit *rl, uint32_t limit, int64_t window_ms, int64_t base_ms, int64_t cap_ms)
{
	ratelimit_init(rl, limit, window_ms);
	rl->base_ms = base_ms;
	rl->cap_ms = cap_ms;
}

void ratelimit_free(struct ratelimit *rl)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&rl->windows, &pos, NULL, &v))
		free(v);
	intmap_free(&rl->windows);
}

int64_t ratelimit_check(struct ratelimit *rl, uint64_t key, int64_t now_ms)
{
	struct rl_window *w = intmap_get(&rl->windows, key);
	if (!w || now_ms - w->start >= rl->window_ms || w->count < rl->limit)
		return 0;
	if (!rl->base_ms)
		return w->start + rl->window_ms - now_ms;
	uint32_t over = w->count - rl->limit; /* events past the limit so far */
	int64_t gap = over < 30 ? rl->base_ms << over : rl->cap_ms;
	gap = gap < rl->cap_ms ? gap : rl->cap_ms;
	int64_t wait = w->last + gap - now_ms;
	return wait > 0 ? wait : 0;
}

void ratelimit_hit(struct ratelimit *rl, uint64_t key, int64_t now_ms)
{
	struct rl_window *w = intmap_get(&rl->windows, key);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w || intmap_put(&rl->windows, key, w) < 0) {
			free(w);
			return;
		}
		w->start = now_ms;
	}
	if (now_ms - w->start >= rl->window_ms) {
		w->start = now_ms;
		w->count = 0;
	}
	w->count++;
	w->last = now_ms;
}

void ratelimit_touch(struct ratelimit *rl, uint64_t key, int64_t now_ms)
{
	struct rl_window *w = intmap_get(&rl->windows, key);
	if (w && now_ms > w->last)
		w->last = now_ms;
}

void ratelimit_undo(struct ratelimit *rl, uint64_t key)
{
	struct rl_window *w = intmap_get(&rl->windows, key);
	if (w && w->count)
		w->count--;
}

void ratelimit_reset(struct ratelimit *rl, uint64_t key)
{
	free(intmap_del(&rl->windows, key));
}

void ratelimit_sweep(struct ratelimit *rl, int64_t now_ms)
{
	size_t pos = 0;
	uint64_t k;
	void *v;
	while (intmap_next(&rl->windows, &pos, &k, &v)) {
		struct rl_window *w = v;
		if (now_ms - w->start >= rl->window_ms)
			free(intmap_del(&rl->windows, k));
	}
}
