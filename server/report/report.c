/* report.c: the continuity report — gathers an agreement's windows, messages, pauses and status changes from the
 * store and counts them per ISO week in the child's zone (rules in report.h); also its CSV form. */
#include "server/report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "server/store/audit.h"
#include "server/store/store_internal.h"
#include "server/policy/terms.h"

#define DAY_MS 86400000LL
#define OPEN_END INT64_MAX /* an interval that has not ended */

/* ---- calendar: ICU for the zone, plain integer arithmetic for civil dates ---- */

struct zcal {
	UCalendar *cal; /* in the child's zone */
};

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int32_t civil_from_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	int64_t y = yoe + era * 400 + (m <= 2);
	return (int32_t)(y * 10000 + m * 100 + d);
}

static int64_t ymd_days(int32_t ymd)
{
	return days_from_civil(ymd / 10000, ymd / 100 % 100, ymd % 100);
}

int32_t report_parse_date(const char *s)
{
	int y, m, d, n = 0;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[4] != '-' ||
	    s[7] != '-' || y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	int32_t ymd = y * 10000 + m * 100 + d;
	return civil_from_days(ymd_days(ymd)) == ymd ? ymd : -1; /* rejects 2026-02-30 */
}

static int zcal_open(struct zcal *z, const char *zone)
{
	UChar uz[64];
	UErrorCode st = U_ZERO_ERROR;
	if (strlen(zone) >= sizeof(uz) / sizeof(uz[0]))
		return -1;
	u_uastrcpy(uz, zone);
	z->cal = ucal_open(uz, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st))
		return -1;
	ucal_setAttribute(z->cal, UCAL_LENIENT, 1); /* a skipped midnight moves forward */
	return 0;
}

/* UTC ms of local 00:00 on ymd. */
static int64_t zcal_midnight(struct zcal *z, int32_t ymd)
{
	UErrorCode st = U_ZERO_ERROR;
	ucal_clear(z->cal);
	ucal_setDateTime(z->cal, ymd / 10000, ymd / 100 % 100 - 1, ymd % 100, 0, 0, 0, &st);
	UDate t = ucal_getMillis(z->cal, &st);
	return U_FAILURE(st) ? -1 : (int64_t)t;
}

/* Local date (YYYYMMDD) of an instant. */
static int32_t zcal_date(struct zcal *z, int64_t ms)
{
	UErrorCode st = U_ZERO_ERROR;
	ucal_setMillis(z->cal, (UDate)ms, &st);
	int y = ucal_get(z->cal, UCAL_YEAR, &st), m = ucal_get(z->cal, UCAL_MONTH, &st) + 1;
	int d = ucal_get(z->cal, UCAL_DATE, &st);
	return U_FAILURE(st) ? -1 : y * 10000 + m * 100 + d;
}

/* "2026-03-03T17:05:00+02:00" for an instant, local to the zone. */
static json_t *zcal_stamp(struct zcal *z, int64_t ms)
{
	UErrorCode st = U_ZERO_ERROR;
	ucal_setMillis(z->cal, (UDate)ms, &st);
	int f[6] = {ucal_get(z->cal, UCAL_YEAR, &st),   ucal_get(z->cal, UCAL_MONTH, &st) + 1,
		    ucal_get(z->cal, UCAL_DATE, &st),   ucal_get(z->cal, UCAL_HOUR_OF_DAY, &st),
		    ucal_get(z->cal, UCAL_MINUTE, &st), ucal_get(z->cal, UCAL_SECOND, &st)};
	int off = (ucal_get(z->cal, UCAL_ZONE_OFFSET, &st) + ucal_get(z->cal, UCAL_DST_OFFSET, &st)) / 60000;
	if (U_FAILURE(st))
		return json_null();
	char buf[40];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", f[0], f[1], f[2], f[3], f[4], f[5],
		 off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
	return json_string(buf);
}

static json_t *date_json(int32_t ymd)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
	return json_string(buf);
}

/* ---- what one agreement's report is made of ---- */

struct span {
	int64_t from, to; /* [from, to); to = OPEN_END while open */
	char by_role[16]; /* pauses: child, carer, caseworker */
	char kind[16];    /* cancellations: suspend, end */
	char reason[200];
};

struct list {
	void *v;
	size_t n, cap, size;
};

static void *list_push(struct list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *v = realloc(l->v, cap * l->size);
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	void *item = (char *)l->v + l->n++ * l->size;
	memset(item, 0, l->size);
	return item;
}

struct msg_at {
	int64_t at;     /* sent_at */
	int from_child; /* 1 if the child sent it */
};

struct source {
	struct agreement a;  /* as stored now (terms, zone, validity) */
	int64_t created_at;  /* agreements.created_at */
	struct list msgs;    /* struct msg_at, by time */
	struct list windows; /* struct schedule_interval, by time; empty if no windows */
	int has_windows;     /* the terms define windows */
	struct list pauses;  /* struct span */
	struct list cancels; /* struct span (from = at) */
	struct list calls;   /* struct call_at: answered calls, by end time */
	struct list off;     /* struct span: suspended periods and pauses */
};

static void source_free(struct source *src)
{
	free(src->msgs.v);
	free(src->windows.v);
	free(src->pauses.v);
	free(src->cancels.v);
	free(src->calls.v);
	free(src->off.v);
}

/* ---- loading from the store ---- */

struct msg_range {
	struct source *src;
	int64_t from, to;
	int failed;
};

static void on_message_meta(int64_t seq, int64_t sender, int64_t sent_at, void *arg)
{
	struct msg_range *r = arg;
	(void)seq;
	if (r->failed || sent_at < r->from || sent_at >= r->to || sender == 0) /* 0: the server's records */
		return;
	struct msg_at *m = list_push(&r->src->msgs);
	if (!m) {
		r->failed = 1;
		return;
	}
	m->at = sent_at;
	m->from_child = sender == r->src->a.child_id;
}

static int by_time(const void *a, const void *b)
{
	const struct msg_at *x = a, *y = b;
	return (x->at > y->at) - (x->at < y->at);
}

/* The messages of the period, by time (a conversation is in seq order; clocks can step back). */
static int load_messages(struct store *s, struct source *src, int64_t from, int64_t to)
{
	struct msg_range r = {src, from, to, 0};
	if (store_messages_meta(s, src->a.id, on_message_meta, &r) != STORE_OK)
		return STORE_ERR;
	if (r.failed) {
		snprintf(s->err, sizeof(s->err), "store: report messages: out of memory");
		return STORE_ERR;
	}
	if (src->msgs.n > 1)
		qsort(src->msgs.v, src->msgs.n, sizeof(struct msg_at), by_time);
	return STORE_OK;
}

struct call_at {
	int64_t start, end; /* ms: answered .. ended */
};

/* Answered calls from the audit trail: one `call` entry per contact's part, written when it ends. */
static int load_calls(struct store *s, struct source *src, int64_t from, int64_t to)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT at, json_extract(detail, '$.duration_s') FROM audit WHERE agreement_id = ? AND"
			       " kind = ? AND json_extract(detail, '$.answered') AND at >= ? AND at < ? ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "report calls");
	sqlite3_bind_int64(st, 1, src->a.id);
	sqlite3_bind_text(st, 2, AUDIT_CALL, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to + 24 * 3600000LL); /* a call that began in range may end after it */
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct call_at *c = list_push(&src->calls);
		if (!c)
			break;
		c->end = sqlite3_column_int64(st, 0);
		c->start = c->end - sqlite3_column_int64(st, 1) * 1000;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "report calls");
}

/* When a pause stopped counting: the earlier of its end and its expiry; OPEN_END if neither. */
static int64_t pause_end(int64_t expires_at, int64_t ended_at)
{
	int64_t end = OPEN_END;
	if (expires_at > 0 && expires_at < end)
		end = expires_at;
	if (ended_at > 0 && ended_at < end)
		end = ended_at;
	return end;
}

static int load_pauses(struct store *s, struct source *src, int64_t from, int64_t to)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT by_role, reason, started_at, expires_at, ended_at FROM pauses"
			       " WHERE agreement_id = ? AND started_at < ? ORDER BY started_at, id",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "report pauses");
	sqlite3_bind_int64(st, 1, src->a.id);
	sqlite3_bind_int64(st, 2, to);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t start = sqlite3_column_int64(st, 2);
		int64_t end = pause_end(sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
		if (end <= from)
			continue;
		struct span *p = list_push(&src->pauses), *o = list_push(&src->off);
		if (!p || !o)
			break;
		p->from = o->from = start;
		p->to = o->to = end;
		store__copy_text(st, 0, p->by_role, sizeof(p->by_role));
		store__copy_text(st, 1, p->reason, sizeof(p->reason));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "report pauses");
}

/* One agreement_status audit entry: a cancellation if it suspends or ends, and the edge of an "off" period. */
static void status_entry(struct source *src, int64_t at, const char *detail, int64_t *off_since)
{
	json_t *d = json_loads(detail ? detail : "{}", 0, NULL);
	const char *to = json_string_value(json_object_get(d, "to"));
	const char *reason = json_string_value(json_object_get(d, "reason"));
	int stops = to && (!strcmp(to, "suspended") || !strcmp(to, "ended"));
	if (stops) {
		struct span *c = list_push(&src->cancels);
		if (c) {
			c->from = c->to = at;
			snprintf(c->kind, sizeof(c->kind), "%s", strcmp(to, "ended") ? "suspend" : "end");
			snprintf(c->reason, sizeof(c->reason), "%s", reason ? reason : "");
		}
		if (*off_since < 0)
			*off_since = at;
	} else if (to && !strcmp(to, "active") && *off_since >= 0) {
		struct span *o = list_push(&src->off);
		if (o) {
			o->from = *off_since;
			o->to = at;
		}
		*off_since = -1;
	}
	json_decref(d);
}

static int load_status_changes(struct store *s, struct source *src, int64_t to)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		s->db, "SELECT at, detail FROM audit WHERE agreement_id = ? AND kind = ? AND at < ? ORDER BY seq", -1,
		&st, NULL) != SQLITE_OK)
		return store__fail(s, "report status changes");
	sqlite3_bind_int64(st, 1, src->a.id);
	sqlite3_bind_text(st, 2, AUDIT_AGREEMENT_STATUS, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, to);
	int rc;
	int64_t off_since = -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		status_entry(src, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1), &off_since);
	sqlite3_finalize(st);
	if (off_since >= 0) {
		struct span *o = list_push(&src->off);
		if (o) {
			o->from = off_since;
			o->to = OPEN_END;
		}
	}
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "report status changes");
}

/* The open intervals of the agreement's windows over [from, to) and a day either side, so a window that
 * crosses a week (or the report's) edge stays whole and is counted in the week it starts. */
static int load_windows(struct source *src, int64_t from, int64_t to, char *err, size_t errlen)
{
	src->has_windows = terms_has_windows(&src->a.terms);
	if (!src->has_windows)
		return STORE_OK;
	schedule *sc = terms_schedule(&src->a.terms, src->a.zone, err, errlen);
	if (!sc)
		return STORE_ERR;
	long n = 0;
	for (size_t cap = 64; cap <= 1u << 20; cap *= 4) {
		void *v = realloc(src->windows.v, cap * sizeof(struct schedule_interval));
		if (!v) {
			n = -SCHEDULE_ERR_NOMEM;
			break;
		}
		src->windows.v = v;
		src->windows.cap = cap;
		n = schedule_list_open(sc, from - DAY_MS, to + DAY_MS, v, cap);
		if (n <= (long)cap)
			break;
	}
	src->windows.n = n > 0 && n <= (long)src->windows.cap ? (size_t)n : 0;
	schedule_free(sc);
	if (n < 0)
		snprintf(err, errlen, "%s", schedule_error_message((enum schedule_error) - n));
	return n < 0 ? STORE_ERR : STORE_OK;
}

static int64_t agreement_created(struct store *s, int64_t id)
{
	sqlite3_stmt *st;
	int64_t at = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT created_at FROM agreements WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		at = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return at;
}

static int source_load(struct store *s, int64_t id, int64_t from, int64_t to, struct source *src, char *err,
		       size_t errlen)
{
	memset(src, 0, sizeof(*src));
	src->msgs.size = sizeof(struct msg_at);
	src->windows.size = sizeof(struct schedule_interval);
	src->pauses.size = src->cancels.size = src->off.size = sizeof(struct span);
	src->calls.size = sizeof(struct call_at);
	if (store_agreement_get(s, id, &src->a) != STORE_OK) {
		snprintf(err, errlen, "agreement %lld: %s", (long long)id, store_errmsg(s));
		return STORE_ERR;
	}
	src->created_at = agreement_created(s, id);
	if (load_messages(s, src, from, to) || load_calls(s, src, from, to) || load_pauses(s, src, from, to) ||
	    load_status_changes(s, src, to)) {
		snprintf(err, errlen, "%s", store_errmsg(s));
		return STORE_ERR;
	}
	return load_windows(src, from, to, err, errlen);
}

/* ---- counting one week ---- */

struct week_counts {
	int64_t start, end; /* [start, end) */
	int32_t date;       /* local Monday */
	long planned, minutes, with_contact, missed;
	long from_child, to_child;
	long calls, call_seconds; /* answered calls that began this week */
};

/* Index of the first message at or after t. */
static size_t first_msg_at(const struct list *msgs, int64_t t)
{
	const struct msg_at *m = msgs->v;
	size_t lo = 0, hi = msgs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m[mid].at < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int overlaps_off(const struct source *src, int64_t from, int64_t to)
{
	const struct span *o = src->off.v;
	for (size_t i = 0; i < src->off.n; i++)
		if (o[i].from < to && o[i].to > from)
			return 1;
	return 0;
}

/* Whether a window starting at t was planned: the agreement existed and its validity had begun, not ended. */
static int in_force(const struct source *src, int64_t t)
{
	const struct agreement *a = &src->a;
	return t >= src->created_at && (!a->valid_from || t >= a->valid_from) &&
	    (!a->valid_until || t < a->valid_until);
}

/* Whether an answered call overlapped [from, to). */
static int call_within(const struct source *src, int64_t from, int64_t to)
{
	const struct call_at *c = src->calls.v;
	for (size_t i = 0; i < src->calls.n; i++)
		if (c[i].start < to && c[i].end > from)
			return 1;
	return 0;
}

static void count_windows(const struct source *src, struct week_counts *w, int64_t now)
{
	const struct schedule_interval *iv = src->windows.v;
	const struct msg_at *m = src->msgs.v;
	for (size_t i = 0; i < src->windows.n; i++) {
		if (iv[i].start_ms < w->start || iv[i].start_ms >= w->end || !in_force(src, iv[i].start_ms))
			continue;
		w->planned++;
		w->minutes += (long)((iv[i].end_ms - iv[i].start_ms) / 60000);
		size_t k = first_msg_at(&src->msgs, iv[i].start_ms);
		if ((k < src->msgs.n && m[k].at < iv[i].end_ms) || call_within(src, iv[i].start_ms, iv[i].end_ms))
			w->with_contact++;
		else if (iv[i].end_ms <= now && !overlaps_off(src, iv[i].start_ms, iv[i].end_ms))
			w->missed++;
	}
}

static void count_week(const struct source *src, struct week_counts *w, int64_t now)
{
	const struct msg_at *m = src->msgs.v;
	for (size_t k = first_msg_at(&src->msgs, w->start); k < src->msgs.n && m[k].at < w->end; k++) {
		if (m[k].from_child)
			w->from_child++;
		else
			w->to_child++;
	}
	const struct call_at *c = src->calls.v;
	for (size_t i = 0; i < src->calls.n; i++) {
		if (c[i].start >= w->start && c[i].start < w->end) {
			w->calls++;
			w->call_seconds += (long)((c[i].end - c[i].start) / 1000);
		}
	}
	if (src->has_windows)
		count_windows(src, w, now);
}

/* ---- JSON ---- */

static json_t *count_or_null(int has, long v)
{
	return has ? json_integer(v) : json_null();
}

static json_t *week_pauses(const struct source *src, const struct week_counts *w, struct zcal *z)
{
	json_t *arr = json_array();
	const struct span *p = src->pauses.v;
	for (size_t i = 0; i < src->pauses.n; i++) {
		if (p[i].from >= w->end || p[i].to <= w->start)
			continue;
		json_array_append_new(arr,
				      json_pack("{s:s,s:s,s:o,s:o}", "by_role", p[i].by_role, "reason", p[i].reason,
						"from", zcal_stamp(z, p[i].from), "to",
						p[i].to == OPEN_END ? json_null() : zcal_stamp(z, p[i].to)));
	}
	return arr;
}

static json_t *week_cancellations(const struct source *src, const struct week_counts *w, struct zcal *z)
{
	json_t *arr = json_array();
	const struct span *c = src->cancels.v;
	for (size_t i = 0; i < src->cancels.n; i++)
		if (c[i].from >= w->start && c[i].from < w->end)
			json_array_append_new(arr,
					      json_pack("{s:s,s:s,s:o}", "kind", c[i].kind, "reason", c[i].reason, "at",
							zcal_stamp(z, c[i].from)));
	return arr;
}

static json_t *goal_met(const struct terms *t, const struct week_counts *w, int64_t now)
{
	if (!t->goal_calls_per_week && !t->goal_messages_per_week)
		return json_null();
	int met = w->calls >= t->goal_calls_per_week && w->from_child + w->to_child >= t->goal_messages_per_week;
	if (met)
		return json_true();
	return w->end <= now ? json_false() : json_null();
}

static json_t *week_json(const struct source *src, const struct week_counts *w, struct zcal *z, int64_t now)
{
	int h = src->has_windows;
	json_t *j = json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o,s:o}", "week_start", date_json(w->date),
			      "planned_windows", count_or_null(h, w->planned), "planned_minutes",
			      count_or_null(h, w->minutes), "messages_from_child", (json_int_t)w->from_child,
			      "messages_to_child", (json_int_t)w->to_child, "calls", (json_int_t)w->calls,
			      "call_minutes", (json_int_t)((w->call_seconds + 30) / 60), "windows_with_contact",
			      count_or_null(h, w->with_contact), "missed_windows", count_or_null(h, w->missed));
	json_object_set_new(j, "pauses", week_pauses(src, w, z));
	json_object_set_new(j, "cancellations", week_cancellations(src, w, z));
	json_object_set_new(j, "goal_met", goal_met(&src->a.terms, w, now));
	return j;
}

static json_t *contact_json(struct store *s, int64_t id)
{
	struct account acc;
	if (store_account_by_id(s, id, &acc) != STORE_OK)
		return json_pack("{s:I,s:s}", "id", (json_int_t)id, "display_name", "");
	return json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "username", acc.username, "display_name",
			 acc.display_name);
}

static json_t *agreement_json(struct store *s, const struct source *src, const struct week_counts *weeks, int n,
			      struct zcal *z, int64_t now)
{
	const struct terms *t = &src->a.terms;
	json_t *goal = t->goal_calls_per_week || t->goal_messages_per_week
	    ? json_pack("{s:i,s:i}", "calls_per_week", t->goal_calls_per_week, "messages_per_week",
			t->goal_messages_per_week)
	    : json_null();
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		struct week_counts w = weeks[i];
		count_week(src, &w, now);
		json_array_append_new(arr, week_json(src, &w, z, now));
	}
	return json_pack("{s:I,s:o,s:s,s:s,s:o,s:o}", "agreement_id", (json_int_t)src->a.id, "contact",
			 contact_json(s, src->a.contact_id), "relationship", src->a.relationship, "status",
			 agreement_status_name(src->a.status), "goal", goal, "weeks", arr);
}

/* ---- the whole report ---- */

/* The child's case time zone; STORE_NOT_FOUND if the account is not a child with a case. */
static int child_zone(struct store *s, int64_t child_id, struct account *child, char *zone, size_t cap)
{
	int rc = store_account_by_id(s, child_id, child);
	if (rc != STORE_OK || strcmp(child->role, "child") != 0)
		return rc == STORE_ERR ? STORE_ERR : STORE_NOT_FOUND;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT time_zone FROM cases WHERE child_id = ?", -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "report case");
	sqlite3_bind_int64(st, 1, child_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store__copy_text(st, 0, zone, cap);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "report case");
}

/* Agreements of the child that ever ran (active, suspended, ended), in id order. */
static int agreement_ids(struct store *s, int64_t child_id, struct list *ids)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		s->db,
		"SELECT id FROM agreements WHERE child_id = ? AND status IN ('active','suspended','ended')"
		" ORDER BY id",
		-1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "report agreements");
	sqlite3_bind_int64(st, 1, child_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t *id = list_push(ids);
		if (!id)
			break;
		*id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "report agreements");
}

/* The weeks' boundaries: n ISO weeks ending with the one holding to_date (0 = today). */
static int plan_weeks(struct zcal *z, const struct report_request *rq, struct week_counts *weeks)
{
	int32_t to = rq->to_date ? rq->to_date : zcal_date(z, rq->now_ms);
	if (to < 0)
		return -1;
	int64_t day = ymd_days(to);
	int64_t monday = day - ((day % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
	for (int i = 0; i < rq->weeks; i++) {
		int64_t d = monday - 7LL * (rq->weeks - 1 - i);
		memset(&weeks[i], 0, sizeof(weeks[i]));
		weeks[i].date = civil_from_days(d);
		weeks[i].start = zcal_midnight(z, weeks[i].date);
		weeks[i].end = zcal_midnight(z, civil_from_days(d + 7));
		if (weeks[i].start < 0 || weeks[i].end <= weeks[i].start)
			return -1;
	}
	return 0;
}

static int build_agreements(struct store *s, const struct report_request *rq, const struct week_counts *weeks,
			    struct zcal *z, json_t *arr, char *err, size_t errlen)
{
	struct list ids = {.size = sizeof(int64_t)};
	int rc = agreement_ids(s, rq->child_id, &ids);
	for (size_t i = 0; rc == STORE_OK && i < ids.n; i++) {
		struct source src;
		rc = source_load(s, ((int64_t *)ids.v)[i], weeks[0].start, weeks[rq->weeks - 1].end, &src, err, errlen);
		if (rc == STORE_OK)
			json_array_append_new(arr, agreement_json(s, &src, weeks, rq->weeks, z, rq->now_ms));
		source_free(&src);
	}
	if (rc != STORE_OK && !err[0])
		snprintf(err, errlen, "%s", store_errmsg(s));
	free(ids.v);
	return rc;
}

int report_build(struct store *s, const struct report_request *rq, json_t **out, char *err, size_t errlen)
{
	struct account child;
	char zone[64];
	struct zcal z = {0};
	struct week_counts weeks[REPORT_MAX_WEEKS];
	*out = NULL;
	err[0] = 0;
	if (rq->weeks < 1 || rq->weeks > REPORT_MAX_WEEKS) {
		snprintf(err, errlen, "weeks must be 1..%d", REPORT_MAX_WEEKS);
		return STORE_ERR;
	}
	int rc = child_zone(s, rq->child_id, &child, zone, sizeof(zone));
	if (rc != STORE_OK) {
		snprintf(err, errlen, "%s", rc == STORE_NOT_FOUND ? "no such child" : store_errmsg(s));
		return rc;
	}
	if (zcal_open(&z, zone) != 0 || plan_weeks(&z, rq, weeks) != 0) {
		snprintf(err, errlen, "time zone %s: cannot compute the weeks", zone);
		if (z.cal)
			ucal_close(z.cal);
		return STORE_ERR;
	}
	json_t *arr = json_array();
	rc = build_agreements(s, rq, weeks, &z, arr, err, errlen);
	if (rc == STORE_OK)
		*out = json_pack("{s:{s:I,s:s,s:s,s:s},s:o,s:o,s:o,s:o}", "child", "id", (json_int_t)child.id,
				 "username", child.username, "display_name", child.display_name, "time_zone", zone,
				 "from", date_json(weeks[0].date), "to",
				 date_json(civil_from_days(ymd_days(weeks[rq->weeks - 1].date) + 6)), "generated_at",
				 zcal_stamp(&z, rq->now_ms), "agreements", arr);
	else
		json_decref(arr);
	ucal_close(z.cal);
	return rc;
}

/* ---- CSV ---- */

struct buf {
	char *p;
	size_t n, cap;
	int failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 1024) + n;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

/* One text cell: quoted when needed (RFC 4180); a leading = + - @ gets a ' so spreadsheets do not run it. */
static void csv_text(struct buf *b, const char *s, int first)
{
	if (!first)
		buf_add(b, ",", 1);
	int guard = s[0] && strchr("=+-@\t\r", s[0]) != NULL;
	if (!guard && !strpbrk(s, ",\"\r\n")) {
		buf_add(b, s, strlen(s));
		return;
	}
	buf_add(b, "\"", 1);
	if (guard)
		buf_add(b, "'", 1);
	for (const char *p = s; *p; p++)
		buf_add(b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
	buf_add(b, "\"", 1);
}

static void csv_value(struct buf *b, const json_t *v)
{
	char num[32];
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), ",%lld", (long long)json_integer_value(v));
		buf_add(b, num, strlen(num));
	} else if (json_is_boolean(v)) {
		buf_add(b, json_is_true(v) ? ",true" : ",false", json_is_true(v) ? 5 : 6);
	} else {
		csv_text(b, json_is_string(v) ? json_string_value(v) : "", 0);
	}
}

/* "carer: reason (from .. to)" or "suspend: reason (at)", joined by "; ". */
static void csv_spans(struct buf *b, const json_t *arr, const char *who, const char *t1, const char *t2)
{
	struct buf cell = {0};
	size_t i;
	json_t *it;
	json_array_foreach(arr, i, it)
	{
		const char *to = t2 ? json_string_value(json_object_get(it, t2)) : NULL;
		char *s = NULL;
		const char *reason = json_string_value(json_object_get(it, "reason"));
		int has_reason = reason && reason[0];
		if (asprintf(&s, "%s%s%s%s (%s%s%s)", i ? "; " : "", json_string_value(json_object_get(it, who)),
			     has_reason ? ": " : "", has_reason ? reason : "",
			     json_string_value(json_object_get(it, t1)), t2 ? " .. " : "",
			     t2 ? (to ? to : "open") : "") < 0)
			continue;
		buf_add(&cell, s, strlen(s));
		free(s);
	}
	csv_text(b, cell.p ? cell.p : "", 0);
	free(cell.p);
}

static const char *const csv_counts[] = {"planned_windows",      "planned_minutes", "messages_from_child",
					 "messages_to_child",    "calls",           "call_minutes",
					 "windows_with_contact", "missed_windows"};

static void csv_row(struct buf *b, const json_t *rep, const json_t *ag, const json_t *wk)
{
	char num[64];
	const json_t *goal = json_object_get(ag, "goal");
	snprintf(num, sizeof(num), "%lld,%lld",
		 (long long)json_integer_value(json_object_get(json_object_get(rep, "child"), "id")),
		 (long long)json_integer_value(json_object_get(ag, "agreement_id")));
	buf_add(b, num, strlen(num));
	csv_value(b, json_object_get(json_object_get(ag, "contact"), "display_name"));
	csv_value(b, json_object_get(ag, "relationship"));
	csv_value(b, json_object_get(wk, "week_start"));
	for (size_t i = 0; i < sizeof(csv_counts) / sizeof(csv_counts[0]); i++)
		csv_value(b, json_object_get(wk, csv_counts[i]));
	csv_spans(b, json_object_get(wk, "pauses"), "by_role", "from", "to");
	csv_spans(b, json_object_get(wk, "cancellations"), "kind", "at", NULL);
	csv_value(b, json_object_get(goal, "calls_per_week"));
	csv_value(b, json_object_get(goal, "messages_per_week"));
	csv_value(b, json_object_get(wk, "goal_met"));
	buf_add(b, "\r\n", 2);
}

char *report_csv(const json_t *report, size_t *len)
{
	static const char header[] =
	    "child_id,agreement_id,contact,relationship,week_start,planned_windows,planned_minutes,"
	    "messages_from_child,messages_to_child,calls,call_minutes,windows_with_contact,missed_windows,pauses,"
	    "cancellations,goal_calls_per_week,goal_messages_per_week,goal_met\r\n";
	struct buf b = {0};
	buf_add(&b, header, sizeof(header) - 1);
	size_t i, k;
	json_t *ag, *wk;
	json_array_foreach(json_object_get(report, "agreements"), i, ag)
	{
		json_array_foreach(json_object_get(ag, "weeks"), k, wk) csv_row(&b, report, ag, wk);
	}
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	if (len)
		*len = b.n;
	return b.p;
}
