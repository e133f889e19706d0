/* policy.c (bench-policy): policy_decide decisions per second on one core over 10,000 cached agreements. */
#include "server/policy/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0 1795420800000LL /* 2026-11-23T00:00Z, a Monday */
#define DAY 86400000LL
#define TARGET 1000000.0

static const char *const zones[] = {"Europe/Bucharest", "Europe/Copenhagen", "Europe/Rome"};

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* Weekday evenings, weekend mornings and a Friday overnight window, varied per agreement; a few special
 * days and blackouts in December. */
static void add_windows(struct terms *t, uint64_t *s)
{
	int evening = 16 * 60 + (int)(rnd(s) % 8) * 30;
	for (int d = 1; d <= 5; d++)
		t->weekly[t->n_weekly++] = (struct schedule_weekly){d, evening, evening + 90};
	t->weekly[t->n_weekly++] = (struct schedule_weekly){5, 22 * 60, 60};
	t->weekly[t->n_weekly++] = (struct schedule_weekly){6, 600, 720};
	t->weekly[t->n_weekly++] = (struct schedule_weekly){7, 600, 720};
	for (int k = 0; k < 1 + (int)(rnd(s) % 3); k++)
		t->dated[t->n_dated++] = (struct schedule_dated){20261220 + k * 4, 600, 900};
	for (int k = 0; k < 1 + (int)(rnd(s) % 3); k++)
		t->blackouts[t->n_blackouts++] = 20261225 + k;
}

static void make(struct agreement *a, int64_t i, int windows, uint64_t *s)
{
	memset(a, 0, sizeof(*a));
	a->id = i + 1;
	a->child_id = 2 * i + 1;
	a->contact_id = 2 * i + 2;
	a->status = rnd(s) % 20 ? AG_ACTIVE : AG_SUSPENDED;
	snprintf(a->zone, sizeof(a->zone), "%s", zones[i % 3]);
	terms_defaults(&a->terms);
	a->terms.channels[CH_PHOTO] = MODE_MODERATED;
	a->terms.channels[CH_VOICE_CALL] = MODE_ALLOWED;
	a->terms.channels[CH_VIDEO_CALL] = rnd(s) % 2 ? MODE_ALLOWED : MODE_OFF;
	a->terms.calls_per_day = 2;
	a->terms.calls_per_week = 5;
	a->terms.min_gap_minutes = 60;
	a->terms.calls = rnd(s) % 4 ? SUPERVISION_NONE : SUPERVISION_SUPERVISED;
	a->terms.messages = rnd(s) % 4 ? REVIEW_NONE : REVIEW_BEFORE;
	if (rnd(s) % 10 == 0) { /* a few paused ones */
		a->paused_until = T0 + 2 * DAY;
		a->paused_by_child = (int)(rnd(s) % 2);
	}
	memcpy(a->channels, a->terms.channels, sizeof(a->channels));
	if (windows)
		add_windows(&a->terms, s);
	char err[160];
	if (terms_has_windows(&a->terms) && !(a->sched = terms_schedule(&a->terms, a->zone, err, sizeof(err)))) {
		fprintf(stderr, "bench-policy: %s\n", err);
		exit(1);
	}
}

/* n random decisions: agreement, actor (child, contact or a stranger), channel, now within a week. */
static double run(const char *label, struct agreement *ag, long n_ag, long n)
{
	uint64_t s = 42;
	long verdicts[4] = {0};
	struct policy_usage u = {1, 3, T0 - 3600000, T0 + DAY, T0 + 7 * DAY};
	double start = seconds();
	for (long i = 0; i < n; i++) {
		const struct agreement *a = &ag[rnd(&s) % (uint64_t)n_ag];
		uint64_t r = rnd(&s);
		int64_t actor = r % 10 == 0 ? 7 : r % 2 ? a->child_id : a->contact_id;
		enum channel ch = (enum channel)((r >> 8) % CH__COUNT);
		int64_t now = T0 + (int64_t)(rnd(&s) % (uint64_t)(7 * DAY));
		struct policy_decision d = policy_decide(a, actor, ch, now, &u);
		verdicts[d.verdict & 3]++;
	}
	double el = seconds() - start, rate = n / el;
	printf("%-34s %10.0f decisions/s  %s  (%ld in %.3f s; allow %ld deny %ld hold %ld supervisor %ld)\n", label,
	       rate, rate >= TARGET ? "PASS" : "FAIL", n, el, verdicts[0], verdicts[1], verdicts[2], verdicts[3]);
	return rate;
}

int main(int argc, char **argv)
{
	long n_ag = 10000, n = argc > 1 ? atol(argv[1]) : 4000000;
	struct agreement *with = calloc((size_t)n_ag, sizeof(*with)), *without = calloc((size_t)n_ag, sizeof(*without));
	uint64_t s = 7;
	if (!with || !without || n <= 0)
		return 1;
	double t = seconds();
	for (long i = 0; i < n_ag; i++)
		make(&with[i], i, 1, &s);
	double built = seconds() - t;
	for (long i = 0; i < n_ag; i++)
		make(&without[i], i, 0, &s);
	t = seconds();
	for (long i = 0; i < n_ag; i++) /* first query fills each schedule's cache (ICU) */
		policy_decide(&with[i], with[i].child_id, CH_TEXT, T0, NULL);
	double filled = seconds() - t;
	printf("bench-policy: %ld agreements, 8 weekly windows + 1-3 dated + 1-3 blackouts each, zones BUC/CPH/ROM\n",
	       n_ag);
	printf("cold: terms_schedule %.1f us each, first decision (cache fill) %.1f us each\n", built * 1e6 / n_ag,
	       filled * 1e6 / n_ag);
	double a = run("with windows (10k cached)", with, n_ag, n);
	double b = run("no windows (10k)", without, n_ag, n);
	for (long i = 0; i < n_ag; i++)
		schedule_free(with[i].sched);
	free(with);
	free(without);
	return a >= TARGET && b >= TARGET ? 0 : 1;
}
