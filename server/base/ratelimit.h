/* ratelimit.h: fixed-window counters keyed by a 64-bit hash (login attempts per username and address, per username
 * and per address). A limit either refuses every event over it until the window ends, or (with a backoff) spaces
 * the events over it: base, 2 x base, 4 x base ... apart, at most cap, so it slows but never locks out. */
#ifndef SAMVAER_RATELIMIT_H
#define SAMVAER_RATELIMIT_H

#include <stdint.h>

#include "server/base/intmap.h"

struct ratelimit {
	struct intmap windows; /* key hash → struct rl_window* */
	uint32_t limit;        /* events allowed per window */
	int64_t window_ms;     /* window length */
	int64_t base_ms;       /* 0: a hard limit; else the first gap of the backoff past the limit */
	int64_t cap_ms;        /* the longest gap of the backoff */
};

void ratelimit_init(struct ratelimit *rl, uint32_t limit, int64_t window_ms);
/* Past `limit` events in the window, the next must wait base_ms after the last, doubling per event up to cap_ms. */
void ratelimit_init_backoff(struct ratelimit *rl, uint32_t limit, int64_t window_ms, int64_t base_ms, int64_t cap_ms);
void ratelimit_free(struct ratelimit *rl);
/* 0 if another event is allowed now, else the milliseconds until it will be. Does not count. */
int64_t ratelimit_check(struct ratelimit *rl, uint64_t key, int64_t now_ms);
/* Count one event. */
void ratelimit_hit(struct ratelimit *rl, uint64_t key, int64_t now_ms);
/* The counted event ended now (an attempt's answer): the backoff's next gap starts from here. */
void ratelimit_touch(struct ratelimit *rl, uint64_t key, int64_t now_ms);
/* Take back one counted event (an attempt counted up front that turned out to succeed). */
void ratelimit_undo(struct ratelimit *rl, uint64_t key);
/* Forget a key (e.g. after a successful login). */
void ratelimit_reset(struct ratelimit *rl, uint64_t key);
/* Drop windows that have ended. */
void ratelimit_sweep(struct ratelimit *rl, int64_t now_ms);

#endif
