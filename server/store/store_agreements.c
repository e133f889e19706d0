/* store_agreements.c: reading and changing contact agreements. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/store/store_internal.h"

#define AGREEMENT_COLS                                                                                         \
	"a.id, a.case_id, a.child_id, a.contact_id, a.relationship, a.status, a.status_reason, a.ch_text, "    \
	"a.ch_photo, a.ch_video_clip, a.ch_voice_note, a.ch_voice_call, a.ch_video_call, a.valid_from, "       \
	"a.valid_until, a.terms, a.review_at, (SELECT c.time_zone FROM cases c WHERE c.id = a.case_id), "      \
	"(SELECT MAX(CASE WHEN p.expires_at = 0 THEN 9223372036854775807 ELSE p.expires_at END) FROM pauses p" \
	" WHERE p.agreement_id = a.id AND p.ended_at = 0), "                                                   \
	"(SELECT MAX(p.by_role = 'child') FROM pauses p WHERE p.agreement_id = a.id AND p.ended_at = 0)"

static void read_agreement(sqlite3_stmt *st, struct agreement *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->case_id = sqlite3_column_int64(st, 1);
	a->child_id = sqlite3_column_int64(st, 2);
	a->contact_id = sqlite3_column_int64(st, 3);
	store__copy_text(st, 4, a->relationship, sizeof(a->relationship));
	int status = agreement_status_parse((const char *)sqlite3_column_text(st, 5));
	a->status = status < 0 ? AG_SUSPENDED : (enum agreement_status)status; /* unknown: fail closed */
	store__copy_text(st, 6, a->status_reason, sizeof(a->status_reason));
	for (int c = 0; c < CH__COUNT; c++) {
		int m = channel_mode_parse((const char *)sqlite3_column_text(st, 7 + c));
		a->channels[c] = m < 0 ? MODE_OFF : (uint8_t)m;
	}
	a->valid_from = sqlite3_column_int64(st, 13);
	a->valid_until = sqlite3_column_int64(st, 14);
	store__copy_text(st, 17, a->zone, sizeof(a->zone));
	a->paused_until = sqlite3_column_int64(st, 18);
	a->paused_by_child = sqlite3_column_int(st, 19);
	json_error_t jerr;
	json_t *j = json_loads((const char *)sqlite3_column_text(st, 15), 0, &jerr);
	char err[160];
	if (!j || terms_from_json(&a->terms, j, NULL, err, sizeof(err)) != 0) {
		terms_defaults(&a->terms);
		a->status = AG_SUSPENDED; /* unreadable terms: fail closed */
		snprintf(a->status_reason, sizeof(a->status_reason), "stored terms are unreadable");
	}
	json_decref(j);
	/* Channels: the columns are authoritative (samvaer-admin changes them directly). Validity: the terms'
	 * dates are, as local midnights in the child's zone; rows that only have the columns keep those. */
	memcpy(a->terms.channels, a->channels, sizeof(a->channels));
	if (!a->terms.from_ymd)
		a->terms.valid_from = a->valid_from;
	if (!a->terms.until_ymd)
		a->terms.valid_until = a->valid_until;
	if (!a->terms.review_ymd)
		a->terms.review_at = sqlite3_column_int64(st, 16);
	terms_localize_dates(&a->terms, a->zone);
	a->valid_from = a->terms.valid_from;
	a->valid_until = a->terms.valid_until;
}

static char *terms_text(const struct agreement *a)
{
	struct terms t = a->terms;
	memcpy(t.channels, a->channels, sizeof(t.channels));
	if (!t.from_ymd)
		t.valid_from = a->valid_from;
	if (!t.until_ymd)
		t.valid_until = a->valid_until;
	json_t *j = terms_to_json(&t);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

int store_agreement_add(struct store *s, const struct agreement *a, int64_t *id)
{
	sqlite3_stmt *st = store__stmt(
	    s, SQL_AGREEMENT_ADD,
	    "INSERT INTO agreements(case_id, child_id, contact_id, relationship, status, status_reason, ch_text,"
	    " ch_photo, ch_video_clip, ch_voice_note, ch_voice_call, ch_video_call, valid_from, valid_until,"
	    " created_at, updated_at, terms, review_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st)
		return STORE_ERR;
	int64_t now = clock_now_ms();
	sqlite3_bind_int64(st, 1, a->case_id);
	sqlite3_bind_int64(st, 2, a->child_id);
	sqlite3_bind_int64(st, 3, a->contact_id);
	sqlite3_bind_text(st, 4, a->relationship, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, agreement_status_name(a->status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->status_reason, -1, SQLITE_TRANSIENT);
	for (int c = 0; c < CH__COUNT; c++)
		sqlite3_bind_text(st, 7 + c, channel_mode_name(a->channels[c]), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, a->valid_from);
	sqlite3_bind_int64(st, 14, a->valid_until);
	sqlite3_bind_int64(st, 15, now);
	sqlite3_bind_int64(st, 16, now);
	char *terms = terms_text(a);
	sqlite3_bind_text(st, 17, terms ? terms : "{}", -1, SQLITE_TRANSIENT);
	free(terms);
	sqlite3_bind_int64(st, 18, a->terms.review_at);
	int rc = store__step_write(s, st, "add agreement");
	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_agreement_set_status(struct store *s, int64_t id, enum agreement_status status, const char *reason)
{
	sqlite3_stmt *st = store__stmt(s, SQL_AGREEMENT_STATUS,
				       "UPDATE agreements SET status=?, status_reason=?, updated_at=? WHERE id=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, agreement_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, reason ? reason : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, clock_now_ms());
	sqlite3_bind_int64(st, 4, id);
	int rc = store__step_write(s, st, "agreement status");
	return rc == STORE_OK && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}

int store_agreement_set_channel(struct store *s, int64_t id, enum channel ch, enum channel_mode mode)
{
	/* Column names come from a fixed table, never from input. */
	static const char *const sql[CH__COUNT] = {
	    "UPDATE agreements SET ch_text=?, updated_at=? WHERE id=?",
	    "UPDATE agreements SET ch_photo=?, updated_at=? WHERE id=?",
	    "UPDATE agreements SET ch_video_clip=?, updated_at=? WHERE id=?",
	    "UPDATE agreements SET ch_voice_note=?, updated_at=? WHERE id=?",
	    "UPDATE agreements SET ch_voice_call=?, updated_at=? WHERE id=?",
	    "UPDATE agreements SET ch_video_call=?, updated_at=? WHERE id=?",
	};
	if ((unsigned)ch >= CH__COUNT)
		return STORE_ERR;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql[ch], -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "agreement channel");
	sqlite3_bind_text(st, 1, channel_mode_name(mode), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, clock_now_ms());
	sqlite3_bind_int64(st, 3, id);
	int rc = store__step_write(s, st, "agreement channel");
	int changed = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return rc == STORE_OK && changed == 0 ? STORE_NOT_FOUND : rc;
}

int store_agreement_set_terms(struct store *s, const struct agreement *a)
{
	sqlite3_stmt *st = store__stmt(
	    s, SQL_AGREEMENT_TERMS,
	    "UPDATE agreements SET ch_text=?, ch_photo=?, ch_video_clip=?, ch_voice_note=?, ch_voice_call=?,"
	    " ch_video_call=?, valid_from=?, valid_until=?, review_at=?, terms=?, updated_at=? WHERE id=?");
	if (!st)
		return STORE_ERR;
	for (int c = 0; c < CH__COUNT; c++)
		sqlite3_bind_text(st, 1 + c, channel_mode_name(a->channels[c]), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, a->valid_from);
	sqlite3_bind_int64(st, 8, a->valid_until);
	sqlite3_bind_int64(st, 9, a->terms.review_at);
	char *terms = terms_text(a);
	sqlite3_bind_text(st, 10, terms ? terms : "{}", -1, SQLITE_TRANSIENT);
	free(terms);
	sqlite3_bind_int64(st, 11, clock_now_ms());
	sqlite3_bind_int64(st, 12, a->id);
	int rc = store__step_write(s, st, "agreement terms");
	return rc == STORE_OK && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}

int store_agreement_get(struct store *s, int64_t id, struct agreement *out)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_AGREEMENT_GET, "SELECT " AGREEMENT_COLS " FROM agreements a WHERE a.id=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_agreement(st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "agreement");
}

int store_agreements_load(struct store *s, store_agreement_cb cb, void *ctx)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_AGREEMENTS_LOAD, "SELECT " AGREEMENT_COLS " FROM agreements a ORDER BY a.id");
	if (!st)
		return STORE_ERR;
	int rc;
	struct agreement a;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_agreement(st, &a);
		a.last_seq = store_message_last_seq(s, a.id);
		cb(&a, ctx);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "load agreements");
}

int store_pause_add(struct store *s, int64_t agreement, int64_t by, const char *by_role, const char *reason,
		    int64_t expires_at, int64_t *pause_id)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_PAUSE_ADD,
			"INSERT INTO pauses(agreement_id, by_account, by_role, reason, started_at, expires_at)"
			" VALUES (?,?,?,?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, by);
	sqlite3_bind_text(st, 3, by_role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, reason ? reason : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	sqlite3_bind_int64(st, 6, expires_at);
	int rc = store__step_write(s, st, "add pause");
	if (rc == STORE_OK && pause_id)
		*pause_id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_pause_end(struct store *s, int64_t agreement, int64_t by)
{
	sqlite3_stmt *st = store__stmt(s, SQL_PAUSE_END,
				       "UPDATE pauses SET ended_at=?, ended_by=? WHERE agreement_id=? AND ended_at=0");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, by);
	sqlite3_bind_int64(st, 3, agreement);
	int rc = store__step_write(s, st, "end pause");
	return rc == STORE_OK && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}

int store_pause_end_role(struct store *s, int64_t agreement, int64_t by, const char *by_role)
{
	sqlite3_stmt *st = store__stmt(s, SQL_PAUSE_END_ROLE,
				       "UPDATE pauses SET ended_at=?, ended_by=? WHERE agreement_id=? AND ended_at=0"
				       " AND by_role=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, by);
	sqlite3_bind_int64(st, 3, agreement);
	sqlite3_bind_text(st, 4, by_role, -1, SQLITE_TRANSIENT);
	int rc = store__step_write(s, st, "end pause");
	return rc == STORE_OK && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}

int store_notice_add(struct store *s, int64_t case_id, int64_t agreement_id, const char *kind, const char *detail,
		     int64_t *notice_id)
{
	sqlite3_stmt *st = store__stmt(
	    s, SQL_NOTICE_ADD, "INSERT INTO notices(case_id, agreement_id, kind, detail, at) VALUES (?,?,?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	if (agreement_id)
		sqlite3_bind_int64(st, 2, agreement_id);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, detail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	int rc = store__step_write(s, st, "add notice");
	if (rc == STORE_OK && notice_id)
		*notice_id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_case_members_in_role(struct store *s, int64_t case_id, const char *role, store_id_cb cb, void *ctx)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_CASE_MEMBERS_ROLE, "SELECT account_id FROM case_members WHERE case_id=? AND role=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), ctx);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "case members");
}
