/* test_pace.c: the per-key rate limit (server/base/pace.c): a burst, then one event per interval, refusals that
 * say how long to wait and do not count, keys independent of each other, and the sweep forgetting rested keys. */
#include <stdint.h>

#include "server/base/pace.h"
#include "tests/unit/check.h"

#define S 1000000 /* one second in microseconds */

static void burst_then_spacing(void)
{
	struct pace p;
	pace_init(&p, 10, 5); /* 10 per second, 5 at once */
	int64_t t = 1000 * (int64_t)S;
	for (int i = 0; i < 5; i++)
		CHECK(pace_take(&p, 7, t) == 0, "the burst of 5 at one instant is allowed");
	int64_t wait = pace_take(&p, 7, t);
	CHECK(wait == S / 10, "the 6th waits exactly one interval (100 ms)");
	CHECK(pace_take(&p, 7, t) == wait, "a refusal is not counted: asking again gives the same wait");
	CHECK(pace_take(&p, 7, t + S / 10 - 1) == 1, "1 us before the interval ends it still waits 1 us");
	CHECK(pace_take(&p, 7, t + S / 10) == 0, "after one interval one more is allowed");
	CHECK(pace_take(&p, 7, t + S / 10) > 0, "but only one");
	/* a steady stream at exactly the rate is never refused */
	int refused = 0;
	for (int i = 2; i < 100; i++)
		refused += pace_take(&p, 7, t + i * (S / 10)) != 0;
	CHECK(refused == 0, "a stream at the rate is never refused");
	pace_free(&p);
}

static void keys_are_independent(void)
{
	struct pace p;
	pace_init(&p, 1, 2);
	int64_t t = 5 * (int64_t)S;
	CHECK(pace_take(&p, 1, t) == 0 && pace_take(&p, 1, t) == 0, "key 1 spends its burst");
	CHECK(pace_take(&p, 1, t) == S, "key 1 then waits a second");
	CHECK(pace_take(&p, 2, t) == 0, "key 2 is not slowed by key 1");
	CHECK(pace_count(&p) == 2, "two keys remembered");
	pace_sweep(&p, t + S / 2);
	CHECK(pace_count(&p) == 2, "neither has rested yet half a second later");
	pace_sweep(&p, t + 2 * S);
	CHECK(pace_count(&p) == 0, "both forgotten once their whole burst is back");
	CHECK(pace_take(&p, 1, t + 2 * S) == 0 && pace_take(&p, 1, t + 2 * S) == 0, "a forgotten key has its burst");
	pace_free(&p);
}

static void rested_key_regains_only_its_burst(void)
{
	struct pace p;
	pace_init(&p, 100, 3);
	int64_t t = (int64_t)S;
	int allowed = 0;
	for (int i = 0; i < 10; i++)
		allowed += pace_take(&p, 9, t + 3600 * (int64_t)S) == 0;
	CHECK(allowed == 3, "an hour's rest buys the burst (3), not an hour of events");
	pace_free(&p);
}

int main(void)
{
	burst_then_spacing();
	keys_are_independent();
	rested_key_regains_only_its_burst();
	return check_done("pace");
}
