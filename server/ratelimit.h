/* ratelimit.h: fixed-window counters keyed by a 64-bit hash (login attempts per username and per address). */
#ifndef SAMVAER_RATELIMIT_H
#define SAMVAER_RATELIMIT_H

#include <stdint.h>

#include "server/intmap.h"

struct ratelimit {
	struct intmap windows; /* key hash → struct rl_window* */
	uint32_t limit;        /* events allowed per window */
	int64_t window_ms;     /* window length */
};

void ratelimit_init(struct ratelimit *rl, uint32_t limit, int64_t window_ms);
void ratelimit_free(struct ratelimit *rl);
/* 0 if another event is allowed now, else the milliseconds until it will be. Does not count. */
int64_t ratelimit_check(struct ratelimit *rl, uint64_t key, int64_t now_ms);
/* Count one event. */
void ratelimit_hit(struct ratelimit *rl, uint64_t key, int64_t now_ms);
/* Forget a key (e.g. after a successful login). */
void ratelimit_reset(struct ratelimit *rl, uint64_t key);
/* Drop windows that have ended. */
void ratelimit_sweep(struct ratelimit *rl, int64_t now_ms);

#endif
