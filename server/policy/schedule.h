/* schedule.h: contact-agreement time windows (weekly, dated, blackouts) in the child's IANA zone, answered in UTC. */
#ifndef SAMVAER_SERVER_SCHEDULE_H
#define SAMVAER_SERVER_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The rules (DESIGN.md, "The agreement is the product"):
 * - A window is wall-clock time in the schedule's IANA zone: a local day plus a start and an end minute.
 *   A window whose end is at or before its start runs past midnight and belongs to the day it starts
 *   (Fri 22:00-01:00 is Friday's window, open until Saturday 01:00; 00:00-00:00 is a whole day).
 * - Weekly windows repeat every week; dated windows add contact on one local date; a blackout date
 *   removes every window (weekly or dated) that *starts* on that date. Blackouts win.
 * - An instant is open when its local wall-clock time lies inside a window. So a local time skipped when
 *   clocks spring forward matches nothing, an hour repeated when clocks fall back matches both times,
 *   and a daylight-saving change never shifts a window. Zone rules come from ICU only.
 * - Touching or overlapping windows merge into one open interval: it closes when the last one ends.
 *
 * Instants are int64 milliseconds since the Unix epoch (UTC). Every query takes `now` as a parameter.
 * A schedule caches its open intervals in UTC for a few weeks around the last query, so queries cost a
 * binary search; the cache is refilled (with ICU) when a query falls outside it. Queries therefore
 * mutate the cache: one schedule must not be used by two threads at once (give each thread its own,
 * or lock around it). Only building and refills allocate; a hot query allocates nothing.
 */

/* X(enum suffix, stable code, message) */
#define SCHEDULE_ERRORS(X)                                                                    \
	X(OK, "ok", "schedule: ok")                                                           \
	X(ZONE, "unknown_zone", "schedule: unknown time zone")                                \
	X(WEEKDAY, "bad_weekday", "schedule: weekday out of range (1=Monday .. 7=Sunday)")    \
	X(MINUTE, "bad_minute", "schedule: minute out of range (start 0..1439, end 0..1440)") \
	X(DATE, "bad_date", "schedule: not a valid date (YYYYMMDD, years 1900..2199)")        \
	X(TOO_MANY, "too_many", "schedule: too many windows or blackout dates")               \
	X(RANGE, "bad_time", "schedule: instant out of range (years 1900..2199)")             \
	X(NOMEM, "no_memory", "schedule: out of memory")                                      \
	X(ICU, "icu", "schedule: time-zone library failure")

enum schedule_error {
#define SCHEDULE_ERR_ENUM(name, code, msg) SCHEDULE_ERR_##name,
	SCHEDULE_ERRORS(SCHEDULE_ERR_ENUM)
#undef SCHEDULE_ERR_ENUM
	    SCHEDULE_ERR__COUNT
};

#define SCHEDULE_MAX_WEEKLY 168                /* weekly windows per schedule */
#define SCHEDULE_MAX_DATED 1024                /* dated (special-day) windows per schedule */
#define SCHEDULE_MAX_BLACKOUTS 1024            /* blackout dates per schedule */
#define SCHEDULE_HORIZON_MS (400LL * 86400000) /* how far next_open / closes_at look ahead */

struct schedule_weekly {
	int weekday;   /* 1 = Monday .. 7 = Sunday (ISO 8601) */
	int start_min; /* minute of the local day the window opens, 0..1439 */
	int end_min;   /* minute it closes, 0..1440; <= start_min means the next day */
};

struct schedule_dated {
	int32_t date;  /* local date as YYYYMMDD, e.g. 20261224 */
	int start_min; /* as in schedule_weekly */
	int end_min;   /* as in schedule_weekly */
};

struct schedule_spec {
	const char *zone;                     /* IANA zone name of the child, e.g. "Europe/Bucharest" */
	const struct schedule_weekly *weekly; /* weekly windows */
	size_t n_weekly;
	const struct schedule_dated *dated; /* special-day windows */
	size_t n_dated;
	const int32_t *blackouts; /* blackout dates, YYYYMMDD */
	size_t n_blackouts;
};

struct schedule_interval {
	int64_t start_ms; /* first open instant */
	int64_t end_ms;   /* first closed instant after it */
};

typedef struct schedule schedule; /* opaque; owned by the caller */

/* Validates spec and builds a schedule (copies everything; the arrays must hold n items). On error
 * returns the code, leaves *out NULL and, if bad_index is given, sets it to the index of the offending
 * item within its own list (weekly, dated or blackouts; -1 for zone and count errors). */
enum schedule_error schedule_new(schedule **out, const struct schedule_spec *spec, int *bad_index);
void schedule_free(schedule *s);

/* 1 if open at now_ms, 0 if closed, -SCHEDULE_ERR_x on failure (treat as closed: deny by default).
 * When open and closes_at_ms is given, it receives the instant the open interval ends, or -1 when it
 * stays open beyond SCHEDULE_HORIZON_MS. */
int schedule_is_open(schedule *s, int64_t now_ms, int64_t *closes_at_ms);

/* The next opening edge strictly after now_ms (closed -> open), or -1 if none within the horizon or
 * on failure. When open now, that is the opening after the current interval closes. */
int64_t schedule_next_open(schedule *s, int64_t now_ms);

/* Open intervals within [from_ms, to_ms), clipped to it, in order. Writes at most cap and returns how
 * many there are (call again with a larger buffer if more than cap), or -SCHEDULE_ERR_x. Computed
 * fresh (ICU), does not touch the cache: meant for reports, not the per-decision path. */
long schedule_list_open(schedule *s, int64_t from_ms, int64_t to_ms, struct schedule_interval *out, size_t cap);

/* Stable code ("unknown_zone") and message of an error. */
const char *schedule_error_code(enum schedule_error e);
const char *schedule_error_message(enum schedule_error e);

#endif
