/* pace.h: per-key rate limits with a burst (GCRA: one "theoretical arrival time" per key), e.g. messages per account.
 * A key may spend `burst` events at once, then one every 1/rate seconds; a refusal says how long until the next. */
#ifndef SAMVAER_PACE_H
#define SAMVAER_PACE_H

#include <stdint.h>

#include "server/base/intmap.h"

struct pace {
	struct intmap keys;   /* key → struct pace_key* */
	int64_t interval_us;  /* 1,000,000 / rate: the spacing of events once the burst is spent */
	int64_t tolerance_us; /* (burst - 1) x interval: how far ahead of its spacing a key may run */
};

/* rate: events per second (> 0); burst: events allowed at once (>= 1). */
void pace_init(struct pace *p, double rate, uint32_t burst);
void pace_free(struct pace *p);
/* Take one event for key at now_us: 0 if allowed (and counted), else the microseconds until one will be (not counted). */
int64_t pace_take(struct pace *p, uint64_t key, int64_t now_us);
/* Forget keys that have earned back their whole burst (nothing to remember). */
void pace_sweep(struct pace *p, int64_t now_us);
/* Keys remembered (for tests). */
size_t pace_count(const struct pace *p);

#endif
