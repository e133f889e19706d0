/* seed_history.c: five weeks of past contact for the demo family, so the continuity report has something to show:
 * messages between Mia and her dad (any time) and her uncle (inside his windows), receipts, a past pause by
 * Mia and a past emergency pause by her grandmother, the terms with goals and windows, and Radu's suspension.
 *
 * What a person trying the demo expects: right after `make run`, Mia and Andrei can write to each other at any
 * time. So Andrei's agreement (Dad) keeps "any time" and only gains a goal (10 messages a week). The windows
 * (Tue and Thu 17:00-19:00, Sun 10:00-12:00, Europe/Bucharest) go on Radu's agreement, which the demo already
 * has suspended: its history shows contact fading, missed windows, then this week's suspension. Resuming it
 * (samvaer-admin agreement resume 2) shows the windows being enforced. */
#include <stdio.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "admin/admin.h"
#include "server/store/audit.h"
#include "server/base/clock.h"
#include "server/store/store_internal.h"

#define HISTORY_WEEKS 5 /* full weeks before the current one */
#define ZONE "Europe/Bucharest"

struct line {
	int from_child;
	const char *text;
};

/* Short conversations; each is sent as one exchange, a few minutes between lines. */
static const struct line dad[][3] = {
    {{0, "Good evening, puiule! How was school today?"},
     {1, "Good! We drew volcanoes"},
     {0, "Send me a picture of your volcano?"}},
    {{1, "Dad, Bunica made papanasi!!"}, {0, "Save one for me :) I miss her cooking"}},
    {{0, "I finished work early. Did you do your reading?"},
     {1, "Yes, 3 pages of my book"},
     {0, "Bravo! Which part are you at?"}},
    {{1, "Good night Dad"}, {0, "Good night, sleep well. Love you"}},
    {{0, "Happy Sunday! Are you going to the park with Bunica?"}, {1, "Yes and Ioana from my class is coming"}},
    {{1, "I got a 10 in maths!!"}, {0, "That's wonderful, I'm so proud of you"}, {1, "Can we talk on Sunday?"}},
    {{0, "It rained all day in Milano. How is the weather there?"}, {1, "Sunny. I played outside"}},
    {{1, "I lost a tooth!"}, {0, "Did the tooth fairy come?"}, {1, "Yes, 5 lei"}},
};

static const struct line uncle[][3] = {
    {{0, "Salut Mia! How are you?"}, {1, "Hi uncle Radu! I'm good"}},
    {{1, "Are you coming at Easter?"}, {0, "I hope so, we will see"}},
    {{0, "Did you feed the cat?"}, {1, "Yes, he is fat now"}},
};

/* One exchange: week (0 = oldest, HISTORY_WEEKS = this week), day (0 = Monday), local time, conversation. */
struct exchange {
	int week, day, hour, minute, conv;
};

/* Dad: about 12 messages a week; fewer in week 2 (Mia paused) and week 3 (Mia was ill). */
static const struct exchange dad_plan[] = {
    {0, 0, 18, 30, 0}, {0, 1, 20, 45, 3}, {0, 2, 18, 10, 2}, {0, 4, 19, 0, 1},  {0, 6, 10, 30, 4}, {1, 0, 19, 5, 6},
    {1, 1, 18, 20, 5}, {1, 3, 20, 40, 3}, {1, 5, 11, 0, 1},  {1, 6, 17, 30, 2}, {2, 0, 18, 15, 2}, {2, 1, 20, 30, 3},
    {2, 2, 19, 20, 6}, {2, 5, 10, 45, 1}, {3, 0, 18, 40, 7}, {3, 2, 19, 10, 0}, {3, 3, 20, 50, 3}, {4, 0, 18, 20, 5},
    {4, 1, 19, 0, 6},  {4, 2, 20, 45, 3}, {4, 3, 18, 5, 2},  {4, 5, 10, 20, 4}, {4, 6, 20, 30, 3}, {5, 0, 18, 30, 0},
    {5, 1, 20, 40, 3}, {5, 2, 18, 15, 1}, {5, 3, 19, 10, 7}, {5, 5, 11, 0, 4},  {5, 6, 20, 10, 3},
};

/* Uncle Radu, inside his windows (Tue = 1, Thu = 3, Sun = 6): fading out, nothing in week 3. */
static const struct exchange uncle_plan[] = {
    {0, 1, 17, 20, 0}, {0, 3, 18, 5, 1},  {0, 6, 10, 40, 2}, {1, 1, 17, 45, 2},
    {1, 6, 11, 10, 0}, {2, 3, 17, 30, 1}, {4, 1, 18, 20, 0},
};

struct seed {
	struct admin *a;
	UCalendar *cal; /* Europe/Bucharest */
	int64_t monday; /* local Monday 00:00 of week 0 */
	int64_t now;
	int64_t mia, andrei, radu, elena, ana, case_id, ag_dad, ag_uncle;
};

/* UTC ms of local (week, day, hour, minute), counted from week 0's Monday. */
static int64_t local_at(struct seed *s, int week, int day, int hour, int minute)
{
	UErrorCode st = U_ZERO_ERROR;
	ucal_setMillis(s->cal, (UDate)s->monday, &st);
	ucal_add(s->cal, UCAL_DATE, week * 7 + day, &st);
	ucal_set(s->cal, UCAL_HOUR_OF_DAY, hour);
	ucal_set(s->cal, UCAL_MINUTE, minute);
	ucal_set(s->cal, UCAL_SECOND, (week * 13 + day * 7) % 50);
	int64_t t = (int64_t)ucal_getMillis(s->cal, &st);
	return U_FAILURE(st) ? -1 : t;
}

/* Week 0's Monday: HISTORY_WEEKS weeks before the Monday of the current local week. */
static int find_monday(struct seed *s)
{
	UChar zone[32];
	UErrorCode st = U_ZERO_ERROR;
	u_uastrcpy(zone, ZONE);
	s->cal = ucal_open(zone, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
	if (U_FAILURE(st))
		return STORE_ERR;
	ucal_setMillis(s->cal, (UDate)s->now, &st);
	int since_monday = (ucal_get(s->cal, UCAL_DAY_OF_WEEK, &st) + 5) % 7; /* ICU: Sunday = 1 */
	ucal_add(s->cal, UCAL_DATE, -since_monday - 7 * HISTORY_WEEKS, &st);
	ucal_set(s->cal, UCAL_HOUR_OF_DAY, 0);
	ucal_set(s->cal, UCAL_MINUTE, 0);
	ucal_set(s->cal, UCAL_SECOND, 0);
	ucal_set(s->cal, UCAL_MILLISECOND, 0);
	s->monday = (int64_t)ucal_getMillis(s->cal, &st);
	return U_FAILURE(st) ? STORE_ERR : STORE_OK;
}

/* The conversation of one agreement, in time order, numbered from seq 1; only what lies in the past. */
static int seed_messages(struct seed *s, int64_t ag, int64_t contact, const struct line (*conv)[3],
			 const struct exchange *plan, size_t n, int64_t *last_seq)
{
	int64_t seq = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t at = local_at(s, plan[i].week, plan[i].day, plan[i].hour, plan[i].minute);
		for (int k = 0; k < 3 && conv[plan[i].conv][k].text; k++, at += (2 + k * 3) * 60000) {
			if (at < 0 || at > s->now - 60000)
				break;
			char key[40];
			snprintf(key, sizeof(key), "demo-history-%lld", (long long)(seq + 1));
			const struct line *l = &conv[plan[i].conv][k];
			struct message m = {ag, seq + 1, l->from_child ? s->mia : contact,
					    at, l->text, strlen(l->text)};
			if (store_message_add(s->a->store, &m, key) != STORE_OK)
				return STORE_ERR;
			seq++;
		}
	}
	*last_seq = seq;
	return STORE_OK;
}

static int seed_receipts(struct seed *s, int64_t ag, int64_t contact, int64_t last)
{
	if (last == 0)
		return STORE_OK;
	if (store_receipt_advance(s->a->store, ag, s->mia, last, last) != STORE_OK ||
	    store_receipt_advance(s->a->store, ag, contact, last, last) != STORE_OK)
		return STORE_ERR;
	return STORE_OK;
}

/* A pause in the past (store_pause_add stamps the present, so this writes the row itself). */
static int past_pause(struct seed *s, int64_t ag, int64_t by, const char *role, const char *reason, int64_t from,
		      int64_t expires, int64_t ended)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->a->store->db,
			       "INSERT INTO pauses(agreement_id, by_account, by_role, reason, started_at, expires_at,"
			       " ended_at, ended_by) VALUES (?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s->a->store, "seed pause");
	int64_t v[] = {ag, by, 0, 0, from, expires, ended, by};
	for (int i = 0; i < 8; i++)
		if (i != 2 && i != 3)
			sqlite3_bind_int64(st, i + 1, v[i]);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	int rc = store__step_write(s->a->store, st, "seed pause");
	sqlite3_finalize(st);
	return rc;
}

static int seed_pauses(struct seed *s)
{
	/* Week 2: Mia pauses her dad on Wednesday evening after an argument and resumes on Friday. */
	int64_t child_from = local_at(s, 2, 2, 19, 40), child_to = local_at(s, 2, 4, 17, 30);
	/* Week 3: Elena pauses contact on Saturday morning (48 h) and ends the pause on Sunday evening. */
	int64_t carer_from = local_at(s, 3, 5, 9, 15), carer_to = local_at(s, 3, 6, 18, 0);
	if (past_pause(s, s->ag_dad, s->mia, "child", "", child_from, 0, child_to) ||
	    past_pause(s, s->ag_dad, s->elena, "carer",
		       "Mia has a high fever and needs rest; contact resumes when she is better", carer_from,
		       carer_from + 48LL * 3600000, carer_to))
		return STORE_ERR;
	return STORE_OK;
}

/* Goals and windows; both agreements date from a week before the history starts. */
static int seed_terms(struct seed *s)
{
	struct agreement ag;
	if (store_agreement_get(s->a->store, s->ag_dad, &ag) != STORE_OK)
		return STORE_ERR;
	ag.terms.goal_messages_per_week = 10;
	if (store_agreement_set_terms(s->a->store, &ag) != STORE_OK ||
	    store_agreement_get(s->a->store, s->ag_uncle, &ag) != STORE_OK)
		return STORE_ERR;
	static const struct schedule_weekly windows[] = {
	    {2, 17 * 60, 19 * 60}, {4, 17 * 60, 19 * 60}, {7, 10 * 60, 12 * 60}};
	memcpy(ag.terms.weekly, windows, sizeof(windows));
	ag.terms.n_weekly = 3;
	ag.terms.goal_messages_per_week = 4;
	if (store_agreement_set_terms(s->a->store, &ag) != STORE_OK)
		return STORE_ERR;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->a->store->db, "UPDATE agreements SET created_at = ? WHERE id IN (?, ?)", -1, &st,
			       NULL) != SQLITE_OK)
		return store__fail(s->a->store, "seed created_at");
	sqlite3_bind_int64(st, 1, s->monday - 7 * 86400000LL);
	sqlite3_bind_int64(st, 2, s->ag_dad);
	sqlite3_bind_int64(st, 3, s->ag_uncle);
	int rc = store__step_write(s->a->store, st, "seed created_at");
	sqlite3_finalize(st);
	return rc;
}

/* Radu's agreement is suspended by the demo seed; record the caseworker's decision in the audit trail (now:
 * audit entries carry the time they were written). */
static int seed_suspension(struct seed *s)
{
	struct agreement ag;
	if (store_agreement_get(s->a->store, s->ag_uncle, &ag) != STORE_OK)
		return STORE_ERR;
	return audit_append(
	    s->a->store, s->ana, AUDIT_AGREEMENT_STATUS, s->case_id, s->ag_uncle,
	    json_pack("{s:s,s:s,s:s}", "from", "active", "to", "suspended", "reason", ag.status_reason));
}

static int64_t agreement_between(struct seed *s, int64_t child, int64_t contact)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	if (sqlite3_prepare_v2(s->a->store->db, "SELECT id FROM agreements WHERE child_id = ? AND contact_id = ?", -1,
			       &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, child);
	sqlite3_bind_int64(st, 2, contact);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static int find_people(struct seed *s)
{
	struct account acc;
	const char *names[] = {"mia", "andrei", "radu", "elena", "ana"};
	int64_t *ids[] = {&s->mia, &s->andrei, &s->radu, &s->elena, &s->ana};
	for (int i = 0; i < 5; i++) {
		if (store_account_by_name(s->a->store, names[i], &acc) != STORE_OK)
			return STORE_ERR;
		*ids[i] = acc.id;
	}
	s->ag_dad = agreement_between(s, s->mia, s->andrei);
	s->ag_uncle = agreement_between(s, s->mia, s->radu);
	if (!s->ag_dad || !s->ag_uncle || store_case_of_child(s->a->store, s->mia, &s->case_id) != STORE_OK)
		return STORE_ERR;
	return STORE_OK;
}

int admin_seed_demo_history(struct admin *a)
{
	struct seed s = {.a = a, .now = clock_now_ms()};
	int64_t last_dad, last_uncle;
	int rc = find_people(&s);
	if (rc == STORE_OK)
		rc = find_monday(&s);
	if (rc == STORE_OK)
		rc = seed_messages(&s, s.ag_dad, s.andrei, dad, dad_plan, sizeof(dad_plan) / sizeof(dad_plan[0]),
				   &last_dad);
	if (rc == STORE_OK)
		rc = seed_messages(&s, s.ag_uncle, s.radu, uncle, uncle_plan,
				   sizeof(uncle_plan) / sizeof(uncle_plan[0]), &last_uncle);
	if (rc == STORE_OK)
		rc = seed_receipts(&s, s.ag_dad, s.andrei, last_dad) ||
		    seed_receipts(&s, s.ag_uncle, s.radu, last_uncle);
	if (rc == STORE_OK)
		rc = seed_pauses(&s) || seed_terms(&s) || seed_suspension(&s) ? STORE_ERR : STORE_OK;
	if (s.cal)
		ucal_close(s.cal);
	return rc;
}
