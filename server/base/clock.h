/* clock.h: wall-clock and monotonic time in the units the server uses. */
#ifndef SAMVAER_CLOCK_H
#define SAMVAER_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds since the Unix epoch (UTC). */
static inline int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic nanoseconds, for measuring durations. */
static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
