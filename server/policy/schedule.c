/* schedule.c: turns wall-clock contact windows into UTC open intervals with ICU zone rules, cached for fast queries. */
#include "server/policy/schedule.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define MIN_MS 60000LL
#define DAY_MS 86400000LL
#define FIRST_MS (-2208988800000LL)    /* 1900-01-01T00:00Z: earliest instant we answer for */
#define LAST_MS 7258118400000LL        /* 2200-01-01T00:00Z: first instant we no longer answer for */
#define CACHE_BACK_MS (2 * DAY_MS)     /* cache reaches this far before the query that refilled it */
#define CACHE_AHEAD_MS (33 * DAY_MS)   /* ... and this far after it */
#define SCAN_CHUNK_MS (28 * DAY_MS)    /* step of the slow forward scans past the cache */
#define LIST_MAX_MS (3 * 366 * DAY_MS) /* longest range schedule_list_open accepts */
#define MAX_SEGMENTS 128               /* offset changes in one fill (<= 3 years); real zones have ~2 a year */
#define UNKNOWN INT64_MIN              /* memo not computed yet */
#define ZONE_MAX 64                    /* longest IANA zone name we accept */

struct ivec {
	struct schedule_interval *v; /* intervals, sorted and merged after fill() */
	size_t n;                    /* used */
	size_t cap;                  /* allocated */
};

struct segment {
	int64_t start_ms;  /* the UTC offset below holds from here until the next segment's start */
	int64_t offset_ms; /* raw + DST offset: local = utc + offset */
};

struct window {
	int64_t day;   /* local day number (days since 1970-01-01) or weekday 1..7 for weekly windows */
	int start_min; /* opening minute of that local day */
	int end_min;   /* closing minute; <= start_min means the next day */
};

struct schedule {
	UCalendar *cal;        /* ICU calendar in the schedule's zone; only used for offsets and transitions */
	struct window *weekly; /* weekly windows sorted by weekday (.day = 1..7) */
	size_t n_weekly;
	size_t wd_first[9];   /* weekly[wd_first[wd] .. wd_first[wd + 1]) fall on weekday wd (1..7) */
	struct window *dated; /* dated windows sorted by local day */
	size_t n_dated;
	int64_t *blackouts; /* blacked-out local days, sorted */
	size_t n_blackouts;
	struct segment *segs; /* scratch: UTC offset segments of the current fill */
	size_t n_segs;
	struct ivec tmp;      /* scratch for the slow scans */
	int64_t c_from, c_to; /* the cache covers [c_from, c_to); empty when equal */
	struct ivec cache;    /* open intervals within the cache range, clipped to it */
	int64_t tail_end;     /* memo: true end of a cached interval that runs to c_to (-1: past horizon) */
	int64_t next_after;   /* memo: first opening at or after c_to (-1: none within horizon) */
};

static const char *const error_codes[] = {
#define SCHEDULE_ERR_CODE(name, code, msg) code,
    SCHEDULE_ERRORS(SCHEDULE_ERR_CODE)
#undef SCHEDULE_ERR_CODE
};
static const char *const error_messages[] = {
#define SCHEDULE_ERR_MSG(name, code, msg) msg,
    SCHEDULE_ERRORS(SCHEDULE_ERR_MSG)
#undef SCHEDULE_ERR_MSG
};

const char *schedule_error_code(enum schedule_error e)
{
	return (unsigned)e < SCHEDULE_ERR__COUNT ? error_codes[e] : "unknown";
}

const char *schedule_error_message(enum schedule_error e)
{
	return (unsigned)e < SCHEDULE_ERR__COUNT ? error_messages[e] : "schedule: unknown error";
}

/* ---- calendar arithmetic (proleptic Gregorian; no zone rules here) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a civil date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                                   /* 0..399 */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365, March-based */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
	return era * 146097 + doe - 719468;
}

/* ISO weekday (1 = Monday) of a day number; 1970-01-01 was a Thursday. */
static int weekday_of(int64_t day)
{
	return (int)(day + 3 - floor_div(day + 3, 7) * 7) + 1;
}

/* YYYYMMDD -> day number, or false if not a real date in 1900..2199. */
static bool date_to_day(int32_t ymd, int64_t *day)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
	if (ymd < 0 || y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return false;
	*day = days_from_civil(y, m, d);
	return true;
}

static bool minutes_valid(int start_min, int end_min)
{
	return start_min >= 0 && start_min <= 1439 && end_min >= 0 && end_min <= 1440;
}

/* ---- interval vectors ---- */

static bool ivec_push(struct ivec *iv, int64_t a, int64_t b)
{
	if (iv->n == iv->cap) {
		size_t cap = iv->cap ? iv->cap * 2 : 64;
		struct schedule_interval *v = realloc(iv->v, cap * sizeof(*v));
		if (!v)
			return false;
		iv->v = v;
		iv->cap = cap;
	}
	iv->v[iv->n].start_ms = a;
	iv->v[iv->n].end_ms = b;
	iv->n++;
	return true;
}

static int interval_cmp(const void *pa, const void *pb)
{
	const struct schedule_interval *a = pa, *b = pb;
	return (a->start_ms > b->start_ms) - (a->start_ms < b->start_ms);
}

/* Sorts and joins overlapping or touching intervals. */
static void ivec_merge(struct ivec *iv)
{
	if (iv->n < 2)
		return;
	qsort(iv->v, iv->n, sizeof(iv->v[0]), interval_cmp);
	size_t w = 0;
	for (size_t r = 1; r < iv->n; r++) {
		if (iv->v[r].start_ms <= iv->v[w].end_ms) {
			if (iv->v[r].end_ms > iv->v[w].end_ms)
				iv->v[w].end_ms = iv->v[r].end_ms;
		} else {
			iv->v[++w] = iv->v[r];
		}
	}
	iv->n = w + 1;
}

/* ---- zone rules (ICU) ---- */

static enum schedule_error offset_at(schedule *s, int64_t t, int64_t *off)
{
	UErrorCode st = U_ZERO_ERROR;
	ucal_setMillis(s->cal, (UDate)t, &st);
	int32_t raw = ucal_get(s->cal, UCAL_ZONE_OFFSET, &st);
	int32_t dst = ucal_get(s->cal, UCAL_DST_OFFSET, &st);
	if (U_FAILURE(st))
		return SCHEDULE_ERR_ICU;
	*off = (int64_t)raw + dst;
	return SCHEDULE_ERR_OK;
}

/* Fills s->segs with the zone's UTC offsets over [from, to); the first segment reaches back forever,
 * the last forward forever. */
static enum schedule_error zone_segments(schedule *s, int64_t from, int64_t to)
{
	int64_t t = from, off;
	enum schedule_error e = offset_at(s, from, &off);
	if (e)
		return e;
	s->segs[0] = (struct segment){INT64_MIN, off};
	s->n_segs = 1;
	for (;;) {
		UErrorCode st = U_ZERO_ERROR;
		UDate next;
		ucal_setMillis(s->cal, (UDate)t, &st);
		UBool found = ucal_getTimeZoneTransitionDate(s->cal, UCAL_TZ_TRANSITION_NEXT, &next, &st);
		if (U_FAILURE(st))
			return SCHEDULE_ERR_ICU;
		if (!found || next >= (UDate)to || (int64_t)next <= t)
			break;
		if (s->n_segs == MAX_SEGMENTS)
			return SCHEDULE_ERR_ICU;
		t = (int64_t)next;
		if ((e = offset_at(s, t, &off)))
			return e;
		s->segs[s->n_segs++] = (struct segment){t, off};
	}
	return SCHEDULE_ERR_OK;
}

/* Appends the UTC instants, within [from, to), whose local wall-clock time lies in the window. For
 * each offset segment, local time is utc + offset, so the window's preimage there is one interval:
 * skipped local times have none, repeated ones get one per segment. */
static bool emit_window(schedule *s, struct ivec *out, int64_t day, const struct window *w, int64_t from, int64_t to)
{
	int64_t ls = day * DAY_MS + w->start_min * MIN_MS;
	int64_t le = day * DAY_MS + (w->end_min <= w->start_min ? DAY_MS : 0) + w->end_min * MIN_MS;
	for (size_t i = 0; i < s->n_segs; i++) {
		int64_t seg_end = i + 1 < s->n_segs ? s->segs[i + 1].start_ms : INT64_MAX;
		int64_t a = ls - s->segs[i].offset_ms, b = le - s->segs[i].offset_ms;
		if (a < s->segs[i].start_ms)
			a = s->segs[i].start_ms;
		if (b > seg_end)
			b = seg_end;
		if (a < from)
			a = from;
		if (b > to)
			b = to;
		if (a < b && !ivec_push(out, a, b))
			return false;
	}
	return true;
}

static bool day_blacked_out(const schedule *s, int64_t day)
{
	size_t lo = 0, hi = s->n_blackouts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->blackouts[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n_blackouts && s->blackouts[lo] == day;
}

/* Computes the merged open intervals within [from, to) into out. A window belongs to a local day that
 * spans at most 48 local hours from its midnight, and offsets stay within +-26 h, so local days
 * floor(from)-4 .. floor(to)+2 cover every window that can touch the range. */
static enum schedule_error fill(schedule *s, struct ivec *out, int64_t from, int64_t to)
{
	out->n = 0;
	enum schedule_error e = zone_segments(s, from - 6 * DAY_MS, to + 4 * DAY_MS);
	if (e)
		return e;
	int64_t d0 = floor_div(from, DAY_MS) - 4, d1 = floor_div(to, DAY_MS) + 2;
	for (int64_t day = d0; day <= d1; day++) {
		if (day_blacked_out(s, day))
			continue;
		int wd = weekday_of(day);
		for (size_t i = s->wd_first[wd]; i < s->wd_first[wd + 1]; i++)
			if (!emit_window(s, out, day, &s->weekly[i], from, to))
				return SCHEDULE_ERR_NOMEM;
	}
	for (size_t i = 0; i < s->n_dated; i++) {
		const struct window *w = &s->dated[i];
		if (w->day < d0 || w->day > d1 || day_blacked_out(s, w->day))
			continue;
		if (!emit_window(s, out, w->day, w, from, to))
			return SCHEDULE_ERR_NOMEM;
	}
	ivec_merge(out);
	return SCHEDULE_ERR_OK;
}

/* ---- slow scans past the cache ---- */

/* Given the schedule is open just before p0, the instant it closes (-1: not within the horizon). */
static enum schedule_error scan_end(schedule *s, int64_t p0, int64_t *end)
{
	for (int64_t p = p0; p - p0 < SCHEDULE_HORIZON_MS; p += SCAN_CHUNK_MS) {
		enum schedule_error e = fill(s, &s->tmp, p, p + SCAN_CHUNK_MS);
		if (e)
			return e;
		if (s->tmp.n == 0 || s->tmp.v[0].start_ms > p) {
			*end = p;
			return SCHEDULE_ERR_OK;
		}
		if (s->tmp.v[0].end_ms < p + SCAN_CHUNK_MS) {
			*end = s->tmp.v[0].end_ms;
			return SCHEDULE_ERR_OK;
		}
	}
	*end = -1;
	return SCHEDULE_ERR_OK;
}

/* First opening edge strictly after p0 (-1: not within the horizon). Chunks overlap by 1 ms so an
 * interval clipped at a chunk start is never mistaken for an opening. */
static enum schedule_error scan_next(schedule *s, int64_t p0, int64_t *next)
{
	for (int64_t p = p0; p - p0 < SCHEDULE_HORIZON_MS; p += SCAN_CHUNK_MS - 1) {
		enum schedule_error e = fill(s, &s->tmp, p, p + SCAN_CHUNK_MS);
		if (e)
			return e;
		for (size_t i = 0; i < s->tmp.n; i++) {
			if (s->tmp.v[i].start_ms > p) {
				*next = s->tmp.v[i].start_ms;
				return SCHEDULE_ERR_OK;
			}
		}
	}
	*next = -1;
	return SCHEDULE_ERR_OK;
}

/* ---- the cache ---- */

static enum schedule_error cache_refill(schedule *s, int64_t now)
{
	s->c_from = s->c_to = 0;
	enum schedule_error e = fill(s, &s->cache, now - CACHE_BACK_MS, now + CACHE_AHEAD_MS);
	if (e)
		return e;
	s->c_from = now - CACHE_BACK_MS;
	s->c_to = now + CACHE_AHEAD_MS;
	s->tail_end = UNKNOWN;
	s->next_after = UNKNOWN;
	return SCHEDULE_ERR_OK;
}

/* Makes the cache cover now; returns the number of cached intervals starting at or before now. */
static enum schedule_error cache_seek(schedule *s, int64_t now, size_t *idx)
{
	if (now < FIRST_MS || now >= LAST_MS)
		return SCHEDULE_ERR_RANGE;
	if (now < s->c_from || now >= s->c_to) {
		enum schedule_error e = cache_refill(s, now);
		if (e)
			return e;
	}
	const struct schedule_interval *v = s->cache.v;
	size_t lo = 0, hi = s->cache.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].start_ms <= now)
			lo = mid + 1;
		else
			hi = mid;
	}
	*idx = lo;
	return SCHEDULE_ERR_OK;
}

int schedule_is_open(schedule *s, int64_t now_ms, int64_t *closes_at_ms)
{
	size_t i;
	enum schedule_error e = cache_seek(s, now_ms, &i);
	if (e)
		return -(int)e;
	if (i == 0 || now_ms >= s->cache.v[i - 1].end_ms)
		return 0;
	if (!closes_at_ms)
		return 1;
	int64_t end = s->cache.v[i - 1].end_ms;
	if (end >= s->c_to) {
		if (s->tail_end == UNKNOWN && (e = scan_end(s, s->c_to, &s->tail_end)))
			return -(int)e;
		end = s->tail_end;
	}
	*closes_at_ms = end;
	return 1;
}

int64_t schedule_next_open(schedule *s, int64_t now_ms)
{
	size_t i;
	if (cache_seek(s, now_ms, &i))
		return -1;
	if (i < s->cache.n)
		return s->cache.v[i].start_ms;
	if (s->next_after == UNKNOWN && scan_next(s, s->c_to - 1, &s->next_after))
		return -1;
	if (s->next_after < 0 || s->next_after - now_ms > SCHEDULE_HORIZON_MS)
		return -1;
	return s->next_after;
}

long schedule_list_open(schedule *s, int64_t from_ms, int64_t to_ms, struct schedule_interval *out, size_t cap)
{
	if (from_ms < FIRST_MS || to_ms > LAST_MS || from_ms > to_ms || to_ms - from_ms > LIST_MAX_MS)
		return -SCHEDULE_ERR_RANGE;
	enum schedule_error e = fill(s, &s->tmp, from_ms, to_ms);
	if (e)
		return -(long)e;
	for (size_t i = 0; i < s->tmp.n && i < cap; i++)
		out[i] = s->tmp.v[i];
	return (long)s->tmp.n;
}

/* ---- building ---- */

static int window_day_cmp(const void *pa, const void *pb)
{
	const struct window *a = pa, *b = pb;
	return (a->day > b->day) - (a->day < b->day);
}

static int day_cmp(const void *pa, const void *pb)
{
	const int64_t *a = pa, *b = pb;
	return (*a > *b) - (*a < *b);
}

/* Opens an ICU calendar for a system (IANA) zone name; anything else is an unknown zone. */
static enum schedule_error zone_open(const char *zone, UCalendar **cal)
{
	UChar id[ZONE_MAX + 1], canon[ZONE_MAX * 2];
	size_t len = zone ? strlen(zone) : 0;
	if (len == 0 || len > ZONE_MAX)
		return SCHEDULE_ERR_ZONE;
	for (size_t i = 0; i < len; i++) {
		char c = zone[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
		    c == '_' || c == '-' || c == '+';
		if (!ok)
			return SCHEDULE_ERR_ZONE;
	}
	u_charsToUChars(zone, id, (int32_t)len);
	id[len] = 0;
	UErrorCode st = U_ZERO_ERROR;
	UBool system = false;
	ucal_getCanonicalTimeZoneID(id, (int32_t)len, canon, ZONE_MAX * 2, &system, &st);
	if (U_FAILURE(st) || !system)
		return SCHEDULE_ERR_ZONE;
	*cal = ucal_open(id, (int32_t)len, "en_US_POSIX", UCAL_GREGORIAN, &st);
	return U_FAILURE(st) ? SCHEDULE_ERR_ICU : SCHEDULE_ERR_OK;
}

static enum schedule_error copy_weekly(schedule *s, const struct schedule_spec *spec, int *bad)
{
	s->weekly = malloc((spec->n_weekly + 1) * sizeof(*s->weekly));
	if (!s->weekly)
		return SCHEDULE_ERR_NOMEM;
	for (size_t i = 0; i < spec->n_weekly; i++) {
		const struct schedule_weekly *w = &spec->weekly[i];
		*bad = (int)i;
		if (w->weekday < 1 || w->weekday > 7)
			return SCHEDULE_ERR_WEEKDAY;
		if (!minutes_valid(w->start_min, w->end_min))
			return SCHEDULE_ERR_MINUTE;
		s->weekly[i] = (struct window){w->weekday, w->start_min, w->end_min};
	}
	s->n_weekly = spec->n_weekly;
	qsort(s->weekly, s->n_weekly, sizeof(*s->weekly), window_day_cmp);
	size_t k = 0;
	for (int wd = 1; wd <= 8; wd++) {
		while (k < s->n_weekly && s->weekly[k].day < wd)
			k++;
		s->wd_first[wd] = k;
	}
	s->wd_first[0] = 0;
	return SCHEDULE_ERR_OK;
}

static enum schedule_error copy_dates(schedule *s, const struct schedule_spec *spec, int *bad)
{
	s->dated = malloc((spec->n_dated + 1) * sizeof(*s->dated));
	s->blackouts = malloc((spec->n_blackouts + 1) * sizeof(*s->blackouts));
	if (!s->dated || !s->blackouts)
		return SCHEDULE_ERR_NOMEM;
	for (size_t i = 0; i < spec->n_dated; i++) {
		const struct schedule_dated *w = &spec->dated[i];
		*bad = (int)i;
		if (!date_to_day(w->date, &s->dated[i].day))
			return SCHEDULE_ERR_DATE;
		if (!minutes_valid(w->start_min, w->end_min))
			return SCHEDULE_ERR_MINUTE;
		s->dated[i].start_min = w->start_min;
		s->dated[i].end_min = w->end_min;
	}
	s->n_dated = spec->n_dated;
	qsort(s->dated, s->n_dated, sizeof(*s->dated), window_day_cmp);
	for (size_t i = 0; i < spec->n_blackouts; i++) {
		*bad = (int)i;
		if (!date_to_day(spec->blackouts[i], &s->blackouts[i]))
			return SCHEDULE_ERR_DATE;
	}
	s->n_blackouts = spec->n_blackouts;
	qsort(s->blackouts, s->n_blackouts, sizeof(*s->blackouts), day_cmp);
	return SCHEDULE_ERR_OK;
}

enum schedule_error schedule_new(schedule **out, const struct schedule_spec *spec, int *bad_index)
{
	int bad = -1;
	enum schedule_error e = SCHEDULE_ERR_TOO_MANY;
	schedule *s = NULL;
	*out = NULL;
	if (spec->n_weekly > SCHEDULE_MAX_WEEKLY || spec->n_dated > SCHEDULE_MAX_DATED ||
	    spec->n_blackouts > SCHEDULE_MAX_BLACKOUTS)
		goto done;
	if (!(s = calloc(1, sizeof(*s)))) {
		e = SCHEDULE_ERR_NOMEM;
		goto done;
	}
	if ((e = copy_weekly(s, spec, &bad)) || (e = copy_dates(s, spec, &bad)))
		goto err;
	bad = -1;
	if ((e = zone_open(spec->zone, &s->cal)))
		goto err;
	if (!(s->segs = malloc(MAX_SEGMENTS * sizeof(*s->segs)))) {
		e = SCHEDULE_ERR_NOMEM;
		goto err;
	}
	*out = s;
	goto done;
err:
	schedule_free(s);
done:
	if (bad_index)
		*bad_index = e ? bad : -1;
	return e;
}

void schedule_free(schedule *s)
{
	if (!s)
		return;
	if (s->cal)
		ucal_close(s->cal);
	free(s->weekly);
	free(s->dated);
	free(s->blackouts);
	free(s->segs);
	free(s->tmp.v);
	free(s->cache.v);
	free(s);
}
