/* test_report.c: the continuity report — a temp store with known messages, pauses, windows and suspensions around
 * the 2026 spring daylight-saving change in Europe/Bucharest, and every weekly figure checked; CSV and dates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/report/report.h"
#include "tests/unit/check.h"

/* UTC ms of a UTC wall-clock time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return (int64_t)timegm(&tm) * 1000;
}

/* Europe/Bucharest is UTC+2 until 2026-03-29 03:00 local, UTC+3 after. Windows: Tue 17-19, Sun 10-12 local.
 * Week A = 2026-03-16, B = 03-23 (167 hours: clocks go forward on Sunday), C = 03-30. */
static const char *const fixture =
    "INSERT INTO accounts(id,username,display_name,role,password_hash,created_at) VALUES"
    " (1,'kid','Kid','child','h',1),(2,'dad','Dad Person','contact','h',1),(3,'gran','Gran','contact','h',1),"
    " (4,'carer','Carer','carer','h',1);"
    "INSERT INTO cases(id,child_id,time_zone,created_at) VALUES (1,1,'Europe/Bucharest',1);"
    "INSERT INTO agreements(id,case_id,child_id,contact_id,relationship,status,created_at,updated_at,terms) VALUES"
    " (1,1,1,2,'Dad','suspended',1772323200000,1,"
    "'{\"windows\":{\"weekly\":[{\"day\":\"tue\",\"start\":\"17:00\",\"end\":\"19:00\"},"
    "{\"day\":\"sun\",\"start\":\"10:00\",\"end\":\"12:00\"}]},\"goal\":{\"messages_per_week\":2}}'),"
    " (2,1,1,3,'=cmd, \"x\"','active',1774396800000,1,'{}'),"
    " (3,1,1,4,'Draft','draft',1,1,'{}');";

struct msg {
	int64_t ag, seq, sender, at;
};

static void add_messages(struct store *s)
{
	const struct msg m[] = {
	    {1, 1, 1, utc(2026, 3, 17, 15, 30)}, /* A: Tue 17:30 local, in the window, from the child */
	    {1, 2, 2, utc(2026, 3, 17, 15, 35)}, /* A: in the same window, to the child */
	    {1, 3, 2, utc(2026, 3, 20, 12, 0)},  /* A: Friday, outside any window */
	    {1, 4, 2, utc(2026, 3, 22, 21, 30)}, /* A: Sunday 23:30 local, the last hour of week A */
	    {1, 5, 1, utc(2026, 3, 29, 7, 30)},  /* B: Sun 10:30 EEST, in the window (07:00-09:00 UTC after DST) */
	    {1, 6, 2, utc(2026, 3, 29, 9, 30)},  /* B: Sun 12:30 EEST, after the window (inside it at UTC+2) */
	    {1, 7, 2, utc(2026, 3, 29, 21, 30)}, /* C: Mon 00:30 EEST (still Sunday at UTC+2) */
	    {2, 1, 3, utc(2026, 3, 26, 9, 0)},   /* B: the agreement without windows */
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%zu", i);
		struct message msg = {m[i].ag, m[i].seq, m[i].sender, m[i].at, "hi", 2};
		CHECK(store_message_add(s, &msg, key) == STORE_OK, "add message");
	}
}

static void add_events(struct store *s)
{
	char sql[1024];
	/* B: a carer pause over Tuesday's window (not missed); C: suspended Wednesday, resumed never. */
	snprintf(sql, sizeof(sql),
		 "INSERT INTO pauses(agreement_id,by_account,by_role,reason,started_at,expires_at,ended_at)"
		 " VALUES (1,4,'carer','ill, resting',%lld,%lld,0),(1,1,'child','',%lld,0,%lld);"
		 "INSERT INTO audit(seq,at,actor,kind,case_id,agreement_id,detail,prev_hash,hash) VALUES"
		 " (1,%lld,4,'agreement_status',1,1,'{\"from\":\"active\",\"reason\":\"review\",\"to\":\"suspended\"}',"
		 "x'00',x'00'),"
		 " (2,%lld,4,'agreement_created',1,1,'{}',x'00',x'00');",
		 (long long)utc(2026, 3, 24, 14, 0), (long long)utc(2026, 3, 25, 0, 0),
		 (long long)utc(2026, 3, 1, 0, 0), (long long)utc(2026, 3, 2, 0, 0), (long long)utc(2026, 4, 1, 10, 0),
		 (long long)utc(2026, 4, 1, 11, 0));
	CHECK(store_exec(s, sql) == STORE_OK, "pauses and audit");
}

#define NUL (-1) /* expected JSON null */

struct expect {
	const char *name;
	int ag, week; /* index into agreements[], weeks[] */
	const char *field;
	long want; /* integer, NUL, or 1/0 for booleans */
};

static const struct expect after_all[] = {
    {"A planned", 0, 0, "planned_windows", 2},
    {"A minutes", 0, 0, "planned_minutes", 240},
    {"A from child", 0, 0, "messages_from_child", 1},
    {"A to child (incl. Sun 23:30)", 0, 0, "messages_to_child", 3},
    {"A with contact", 0, 0, "windows_with_contact", 1},
    {"A missed Sunday", 0, 0, "missed_windows", 1},
    {"A goal met", 0, 0, "goal_met", 1},
    {"A calls", 0, 0, "calls", 0},
    {"B planned", 0, 1, "planned_windows", 2},
    {"B from child", 0, 1, "messages_from_child", 1},
    {"B to child (DST edge)", 0, 1, "messages_to_child", 1},
    {"B with contact (EEST window)", 0, 1, "windows_with_contact", 1},
    {"B paused Tuesday not missed", 0, 1, "missed_windows", 0},
    {"B goal met", 0, 1, "goal_met", 1},
    {"C to child (Mon 00:30 EEST)", 0, 2, "messages_to_child", 1},
    {"C planned", 0, 2, "planned_windows", 2},
    {"C missed Tue, not Sun (suspended)", 0, 2, "missed_windows", 1},
    {"C goal not met", 0, 2, "goal_met", 0},
    {"any-time planned null", 1, 0, "planned_windows", NUL},
    {"any-time missed null", 1, 1, "missed_windows", NUL},
    {"any-time B message", 1, 1, "messages_to_child", 1},
    {"no goal: goal_met null", 1, 1, "goal_met", NUL},
};

static const struct expect mid_week[] = {
    {"open window not missed yet", 0, 2, "missed_windows", 0},
    {"running week, goal pending", 0, 2, "goal_met", NUL},
    {"past week still judged", 0, 1, "goal_met", 1},
};

static long value_of(const json_t *v)
{
	if (json_is_null(v))
		return NUL;
	if (json_is_boolean(v))
		return json_is_true(v);
	return json_is_integer(v) ? (long)json_integer_value(v) : -999;
}

static void check_table(const json_t *rep, const struct expect *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *ag = json_array_get(json_object_get(rep, "agreements"), (size_t)t[i].ag);
		json_t *wk = json_array_get(json_object_get(ag, "weeks"), (size_t)t[i].week);
		long got = value_of(json_object_get(wk, t[i].field));
		if (got != t[i].want)
			fprintf(stderr, "  %s: %s = %ld, want %ld\n", t[i].name, t[i].field, got, t[i].want);
		CHECK(got == t[i].want, t[i].name);
	}
}

static const char *str_at(const json_t *rep, int ag, int week, const char *list, const char *field)
{
	json_t *a = json_array_get(json_object_get(rep, "agreements"), (size_t)ag);
	json_t *w = json_array_get(json_object_get(a, "weeks"), (size_t)week);
	return json_string_value(json_object_get(json_array_get(json_object_get(w, list), 0), field));
}

static int str_is(const char *got, const char *want)
{
	if (!got || strcmp(got, want))
		fprintf(stderr, "  got %s, want %s\n", got ? got : "(null)", want);
	return got && !strcmp(got, want);
}

static void check_shape(const json_t *rep)
{
	json_t *ags = json_object_get(rep, "agreements");
	CHECK(json_array_size(ags) == 2, "draft agreement left out");
	CHECK(str_is(json_string_value(json_object_get(rep, "from")), "2026-03-16"), "from = first Monday");
	CHECK(str_is(json_string_value(json_object_get(rep, "to")), "2026-04-05"), "to = last Sunday");
	CHECK(str_is(str_at(rep, 0, 1, "pauses", "from"), "2026-03-24T16:00:00+02:00"), "pause from, local");
	CHECK(str_is(str_at(rep, 0, 1, "pauses", "to"), "2026-03-25T02:00:00+02:00"), "pause to = expiry");
	CHECK(str_is(str_at(rep, 0, 1, "pauses", "reason"), "ill, resting"), "pause reason");
	CHECK(str_is(str_at(rep, 0, 2, "cancellations", "kind"), "suspend"), "cancellation kind");
	CHECK(str_is(str_at(rep, 0, 2, "cancellations", "at"), "2026-04-01T13:00:00+03:00"), "cancellation at, EEST");
	CHECK(str_is(str_at(rep, 0, 2, "cancellations", "reason"), "review"), "cancellation reason");
	json_t *wk0 = json_object_get(json_array_get(ags, 0), "weeks");
	CHECK(json_array_size(wk0) == 3, "three weeks");
	CHECK(json_array_size(json_object_get(json_array_get(wk0, 0), "pauses")) == 0, "old child pause not in A");
	CHECK(json_is_null(json_object_get(json_array_get(ags, 1), "goal")), "no goal is null");
}

static void check_csv(const json_t *rep)
{
	size_t len = 0;
	char *csv = report_csv(rep, &len);
	CHECK(csv && len == strlen(csv), "csv written");
	if (!csv)
		return;
	int rows = 0;
	for (char *p = csv; (p = strstr(p, "\r\n")); p += 2)
		rows++;
	CHECK(rows == 1 + 2 * 3, "header + a row per agreement and week");
	CHECK(!strncmp(csv, "child_id,agreement_id,contact,relationship,week_start,planned_windows,", 70), "header");
	CHECK(strstr(csv, "\r\n1,1,Dad Person,Dad,2026-03-16,2,240,1,3,0,0,1,1,,,0,2,true\r\n") != NULL, "week A row");
	CHECK(strstr(csv, ",\"carer: ill, resting (2026-03-24T16:00:00+02:00 .. 2026-03-25T02:00:00+02:00)\",") != NULL,
	      "pause cell quoted");
	CHECK(strstr(csv, ",\"'=cmd, \"\"x\"\"\",") != NULL, "formula guarded and quotes doubled");
	CHECK(strstr(csv, "2026-03-30,2,240,0,1,0,0,0,1,,suspend: review (2026-04-01T13:00:00+03:00),0,2,false") !=
		  NULL,
	      "week C row");
	free(csv);
}

static void test_dates(void)
{
	static const struct {
		const char *in;
		int32_t want;
	} t[] = {{"2026-03-01", 20260301}, {"2024-02-29", 20240229}, {"2026-02-29", -1}, {"2026-02-30", -1},
		 {"2026-3-01", -1},        {"2026-03-01x", -1},      {"", -1},           {"1899-12-31", -1},
		 {"2199-12-31", 21991231}, {"2026-13-01", -1},       {"abcd-ef-gh", -1}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK(report_parse_date(t[i].in) == t[i].want, t[i].in);
}

static void test_errors(struct store *s)
{
	static const struct {
		const char *name;
		int64_t child;
		int weeks, want;
	} t[] = {{"weeks 0", 1, 0, STORE_ERR},
		 {"weeks 53", 1, 53, STORE_ERR},
		 {"not a child", 2, 4, STORE_NOT_FOUND},
		 {"no such account", 99, 4, STORE_NOT_FOUND},
		 {"weeks 52", 1, 52, STORE_OK}};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct report_request rq = {t[i].child, t[i].weeks, 20260405, utc(2026, 6, 1, 0, 0)};
		json_t *rep = NULL;
		char err[200];
		CHECK(report_build(s, &rq, &rep, err, sizeof(err)) == t[i].want, t[i].name);
		CHECK((rep != NULL) == (t[i].want == STORE_OK), t[i].name);
		json_decref(rep);
	}
}

static json_t *build(struct store *s, int64_t now)
{
	struct report_request rq = {.child_id = 1, .weeks = 3, .to_date = 20260405, .now_ms = now};
	json_t *rep = NULL;
	char err[200];
	int rc = report_build(s, &rq, &rep, err, sizeof(err));
	if (rc != STORE_OK)
		fprintf(stderr, "report_build: %s\n", err);
	CHECK(rc == STORE_OK && rep, "report builds");
	return rep;
}

int main(void)
{
	char dir[] = "/tmp/samvaer-report-XXXXXX", err[256];
	if (!mkdtemp(dir))
		return 1;
	struct store *s = store_open(dir, 0, err, sizeof(err));
	CHECK(s != NULL, "open store");
	if (s && store_exec(s, fixture) == STORE_OK) {
		add_messages(s);
		add_events(s);
		json_t *rep = build(s, utc(2026, 6, 1, 0, 0));
		if (rep) {
			check_table(rep, after_all, sizeof(after_all) / sizeof(after_all[0]));
			check_shape(rep);
			check_csv(rep);
		}
		json_decref(rep);
		rep = build(s, utc(2026, 3, 31, 15, 30)); /* inside week C's Tuesday window */
		if (rep)
			check_table(rep, mid_week, sizeof(mid_week) / sizeof(mid_week[0]));
		json_decref(rep);
		test_errors(s);
	} else {
		CHECK(0, "fixture");
	}
	test_dates();
	if (s)
		store_close(s);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done("test_report");
}
