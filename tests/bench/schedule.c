/* schedule.c (bench-schedule): measures contact-window decisions per second on one core, hot and with refills. */
#include "server/policy/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define T0 1795420800000LL /* 2026-11-23T00:00Z */
#define DAY 86400000LL

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A busy agreement: 14 weekly windows (two overnight), 3 special days, 3 blackouts. */
static schedule *make(void)
{
	static const struct schedule_weekly weekly[] = {
	    {1, 1080, 1140}, {2, 1080, 1140}, {3, 1080, 1140}, {4, 1080, 1140}, {5, 1320, 60},
	    {6, 600, 720},   {6, 1320, 60},   {7, 600, 720},   {7, 1080, 1200}, {1, 420, 450},
	    {2, 420, 450},   {3, 420, 450},   {4, 420, 450},   {5, 420, 450},
	};
	static const struct schedule_dated dated[] = {{20261224, 600, 900}, {20261231, 1380, 60}, {20270101, 600, 720}};
	static const int32_t blackouts[] = {20261225, 20270326, 20270402};
	struct schedule_spec spec = {"Europe/Bucharest", weekly, 14, dated, 3, blackouts, 3};
	schedule *s;
	if (schedule_new(&s, &spec, NULL)) {
		fprintf(stderr, "bench-schedule: schedule_new failed\n");
		exit(1);
	}
	return s;
}

/* Runs n decisions at times from next_time(); prints and returns decisions/s. */
static double run(const char *label, schedule *s, long n, int mode)
{
	uint64_t rng = 1;
	int64_t t = T0, closes, sink = 0;
	double start = seconds();
	for (long i = 0; i < n; i++) {
		if (mode == 0) {
			t += 3100; /* time passes: a year in 10M decisions, a refill every ~33 days */
		} else {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			t = T0 + (int64_t)((rng >> 20) % (28 * DAY)); /* anywhere in 4 weeks */
		}
		int open = schedule_is_open(s, t, &closes);
		sink += open > 0 ? closes : schedule_next_open(s, t);
	}
	double el = seconds() - start;
	printf("%-52s %10.0f decisions/s  (%ld in %.3f s, sink %lld)\n", label, n / el, n, el, (long long)(sink & 1));
	return n / el;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	schedule *s = make();
	run("is_open+closes_at|next_open, time passing (1 yr)", s, n, 0);
	run("is_open+closes_at|next_open, random within 4 weeks", s, n, 1);
	schedule_free(s);

	/* many agreements: decisions spread round-robin over 5000 schedules while time passes */
	enum { MANY = 5000 };
	static schedule *all[MANY];
	for (int i = 0; i < MANY; i++)
		all[i] = make();
	int64_t t = T0, closes, sink = 0;
	double t_many = seconds();
	for (long i = 0; i < n; i++) {
		t += 3100;
		int open = schedule_is_open(all[i % MANY], t, &closes);
		sink += open > 0 ? closes : 0;
	}
	t_many = seconds() - t_many;
	printf("%-52s %10.0f decisions/s  (%ld in %.3f s, sink %lld)\n",
	       "is_open+closes_at, 5000 schedules, time passing", n / t_many, n, t_many, (long long)(sink & 1));
	for (int i = 0; i < MANY; i++)
		schedule_free(all[i]);

	/* cold: build a schedule and answer its first query (ICU fill) */
	long cold = 2000;
	double start = seconds();
	for (long i = 0; i < cold; i++) {
		schedule *c = make();
		int64_t until;
		schedule_is_open(c, T0 + i * 3600000LL, &until);
		schedule_free(c);
	}
	double el = seconds() - start;
	printf("%-52s %10.1f us each\n", "cold: schedule_new + first query (cache fill)", el / cold * 1e6);
	return 0;
}
