/* calls_usage.c: how many calls each agreement had today and this week, and when the last ended — the input of the call limits. */
#include <stdlib.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "server/session/state.h"
#include "server/store/audit.h"
#include "server/calls/calls.h"

/* Counts are kept in memory, rebuilt at start from the `call` audit entries of the last eight days
 * (calls__usage_restore), and move on at the child's local midnight / Monday. */
struct usage {
	int64_t day_ends_at, week_ends_at; /* ms, in the child's zone; 0 = not computed */
	int today, week;                   /* answered calls in the current day / ISO week */
	int64_t last_end;                  /* ms when the last answered call ended; 0 = none */
};

/* The next local midnight and the next local Monday 00:00 after now_ms in zone (UTC if unknown). */
static void boundaries(const char *zone, int64_t now_ms, int64_t *day_end, int64_t *week_end)
{
	UChar uz[64];
	UErrorCode e = U_ZERO_ERROR;
	u_uastrncpy(uz, zone && *zone ? zone : "UTC", 63);
	uz[63] = 0;
	UCalendar *c = ucal_open(uz, -1, "en_US_POSIX", UCAL_GREGORIAN, &e);
	if (U_FAILURE(e)) {
		*day_end = (now_ms / 86400000 + 1) * 86400000;
		*week_end = *day_end + 6 * 86400000LL;
		return;
	}
	ucal_setAttribute(c, UCAL_FIRST_DAY_OF_WEEK, UCAL_MONDAY);
	ucal_setMillis(c, (UDate)now_ms, &e);
	ucal_set(c, UCAL_HOUR_OF_DAY, 0);
	ucal_set(c, UCAL_MINUTE, 0);
	ucal_set(c, UCAL_SECOND, 0);
	ucal_set(c, UCAL_MILLISECOND, 0);
	ucal_add(c, UCAL_DATE, 1, &e);
	*day_end = (int64_t)ucal_getMillis(c, &e);
	ucal_setMillis(c, (UDate)now_ms, &e);
	ucal_set(c, UCAL_DAY_OF_WEEK, UCAL_MONDAY);
	ucal_set(c, UCAL_HOUR_OF_DAY, 0);
	ucal_set(c, UCAL_MINUTE, 0);
	ucal_set(c, UCAL_SECOND, 0);
	ucal_set(c, UCAL_MILLISECOND, 0);
	ucal_add(c, UCAL_DATE, 7, &e);
	*week_end = (int64_t)ucal_getMillis(c, &e);
	ucal_close(c);
}

/* The agreement's record, with the counters of a past day or week reset. NULL when out of memory. */
static struct usage *usage_of(struct calls *cs, const struct agreement *a, int64_t now)
{
	struct usage *u = intmap_get(&cs->usage, (uint64_t)a->id);
	if (!u) {
		if (!(u = calloc(1, sizeof(*u))) || intmap_put(&cs->usage, (uint64_t)a->id, u) != 0) {
			free(u);
			return NULL;
		}
	}
	if (now >= u->day_ends_at) {
		int64_t old_week = u->week_ends_at;
		boundaries(a->zone, now, &u->day_ends_at, &u->week_ends_at);
		u->today = 0;
		if (u->week_ends_at != old_week)
			u->week = 0;
	}
	return u;
}

void calls__usage_get(struct calls *cs, const struct agreement *a, int64_t now, struct policy_usage *out)
{
	struct usage *u = usage_of(cs, a, now);
	*out = (struct policy_usage){0};
	if (u)
		*out = (struct policy_usage){u->today, u->week, u->last_end, u->day_ends_at, u->week_ends_at};
}

void calls__usage_answered(struct calls *cs, const struct agreement *a, int64_t now)
{
	struct usage *u = usage_of(cs, a, now);
	if (u)
		u->today++, u->week++;
}

void calls__usage_ended(struct calls *cs, int64_t agreement_id, int64_t now)
{
	struct usage *u = intmap_get(&cs->usage, (uint64_t)agreement_id);
	if (u)
		u->last_end = now;
}

struct restore {
	struct app *app;
	int n;
};

static void restore_one(int64_t agreement_id, int64_t answered_at, int64_t ended_at, void *ctx)
{
	struct restore *r = ctx;
	struct calls *cs = r->app->calls;
	const struct agreement *a = agreements_get(&r->app->agreements, agreement_id);
	if (!a)
		return;
	calls__usage_answered(cs, a, answered_at);
	struct usage *u = intmap_get(&cs->usage, (uint64_t)agreement_id);
	if (u && ended_at > u->last_end)
		u->last_end = ended_at;
	r->n++;
}

int calls__usage_restore(struct app *app, int64_t now)
{
	struct restore r = {app, 0};
	if (audit_calls_answered(app->store, now - 8 * 86400000LL, restore_one, &r) != STORE_OK)
		return -1;
	return r.n;
}

void calls__usage_free(struct calls *cs)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&cs->usage, &pos, NULL, &v))
		free(v);
	intmap_free(&cs->usage);
}
