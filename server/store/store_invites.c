/* store_invites.c: queries of the invitations table (store_invites.h). */
#include "server/store/store_invites.h"

#include <stdlib.h>
#include <string.h>

#include "server/store/store_internal.h"

#define INVITE_COLS                                                                                            \
	"id, lookup, secret_hash, case_id, child_id, invitee_name, relationship, language, terms, created_by," \
	" created_role, created_at, expires_at, failed_tries, state, IFNULL(ended_by, 0), ended_at,"           \
	" IFNULL(agreement_id, 0)"

static void read_row(sqlite3_stmt *st, struct invitation *inv, int with_terms)
{
	memset(inv, 0, sizeof(*inv));
	inv->id = sqlite3_column_int64(st, 0);
	store__copy_text(st, 1, inv->lookup, sizeof(inv->lookup));
	if (sqlite3_column_bytes(st, 2) == STORE_INVITE_HASH_LEN)
		memcpy(inv->secret_hash, sqlite3_column_blob(st, 2), STORE_INVITE_HASH_LEN);
	inv->case_id = sqlite3_column_int64(st, 3);
	inv->child_id = sqlite3_column_int64(st, 4);
	store__copy_text(st, 5, inv->invitee_name, sizeof(inv->invitee_name));
	store__copy_text(st, 6, inv->relationship, sizeof(inv->relationship));
	store__copy_text(st, 7, inv->language, sizeof(inv->language));
	if (with_terms) {
		const char *t = (const char *)sqlite3_column_text(st, 8);
		inv->terms = strdup(t ? t : "{}");
	}
	inv->created_by = sqlite3_column_int64(st, 9);
	store__copy_text(st, 10, inv->created_role, sizeof(inv->created_role));
	inv->created_at = sqlite3_column_int64(st, 11);
	inv->expires_at = sqlite3_column_int64(st, 12);
	inv->failed_tries = sqlite3_column_int(st, 13);
	store__copy_text(st, 14, inv->state, sizeof(inv->state));
	inv->ended_by = sqlite3_column_int64(st, 15);
	inv->ended_at = sqlite3_column_int64(st, 16);
	inv->agreement_id = sqlite3_column_int64(st, 17);
}

void store_invitation_clear(struct invitation *inv)
{
	free(inv->terms);
	inv->terms = NULL;
}

int store_invitation_add(struct store *s, struct invitation *inv)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"INSERT INTO invitations(lookup, secret_hash, case_id, child_id, invitee_name,"
				" relationship, language, terms, created_by, created_role, created_at, expires_at)"
				" VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
				"add invitation");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, inv->lookup, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, inv->secret_hash, STORE_INVITE_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, inv->case_id);
	sqlite3_bind_int64(st, 4, inv->child_id);
	sqlite3_bind_text(st, 5, inv->invitee_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, inv->relationship, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, inv->language, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, inv->terms ? inv->terms : "{}", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, inv->created_by);
	sqlite3_bind_text(st, 10, inv->created_role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 11, inv->created_at);
	sqlite3_bind_int64(st, 12, inv->expires_at);
	int rc = store__step_write(s, st, "add invitation");
	sqlite3_finalize(st);
	if (rc == STORE_OK)
		inv->id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int get_one(struct store *s, sqlite3_stmt *st, struct invitation *out)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_row(st, out, 1);
	else if (rc != SQLITE_DONE)
		store__fail(s, "invitation");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERR;
}

int store_invitation_get(struct store *s, int64_t id, struct invitation *out)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT " INVITE_COLS " FROM invitations WHERE id=?", "invitation");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	return get_one(s, st, out);
}

int store_invitation_by_lookup(struct store *s, const char *lookup, struct invitation *out)
{
	sqlite3_stmt *st =
	    store__prepare_once(s, "SELECT " INVITE_COLS " FROM invitations WHERE lookup=?", "invitation");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, lookup, -1, SQLITE_TRANSIENT);
	return get_one(s, st, out);
}

int store_invitations_of_case(struct store *s, int64_t case_id, store_invitation_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "SELECT " INVITE_COLS " FROM invitations WHERE case_id=? ORDER BY id DESC", "invitations");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	int rc;
	struct invitation inv;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, &inv, 0);
		cb(&inv, ctx);
	}
	int out = rc == SQLITE_DONE ? STORE_OK : store__fail(s, "invitations");
	sqlite3_finalize(st);
	return out;
}

int store_invitation_failed_try(struct store *s, int64_t id, int max, int64_t now, int *tries, int *locked)
{
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "UPDATE invitations SET failed_tries = failed_tries + 1,"
	    " state = CASE WHEN state='open' AND failed_tries + 1 >= ?2 THEN 'locked' ELSE state END,"
	    " ended_at = CASE WHEN state='open' AND failed_tries + 1 >= ?2 THEN ?3 ELSE ended_at END"
	    " WHERE id=?1 RETURNING failed_tries, state",
	    "count a failed try");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, max);
	sqlite3_bind_int64(st, 3, now);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*tries = sqlite3_column_int(st, 0);
		*locked = !strcmp((const char *)sqlite3_column_text(st, 1), "locked");
		rc = sqlite3_step(st);
	}
	int out = rc == SQLITE_DONE ? STORE_OK : store__fail(s, "count a failed try");
	sqlite3_finalize(st);
	return out;
}

static int end_open(struct store *s, int64_t id, const char *state, int64_t by, int64_t agreement_id, int64_t now)
{
	sqlite3_stmt *st = store__prepare_once(s,
					       "UPDATE invitations SET state=?, ended_by=?, ended_at=?, agreement_id=?"
					       " WHERE id=? AND state='open'",
					       "end invitation");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	if (by)
		sqlite3_bind_int64(st, 2, by);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, now);
	if (agreement_id)
		sqlite3_bind_int64(st, 4, agreement_id);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, id);
	return store__write_once(s, st, "end invitation", 1);
}

int store_invitation_use(struct store *s, int64_t id, int64_t by, int64_t agreement_id, int64_t now)
{
	return end_open(s, id, "used", by, agreement_id, now);
}

int store_invitation_revoke(struct store *s, int64_t id, int64_t by, int64_t now)
{
	return end_open(s, id, "revoked", by, 0, now);
}

int store_invitation_of_agreement(struct store *s, int64_t agreement_id)
{
	sqlite3_stmt *st =
	    store__prepare_once(s, "SELECT 1 FROM invitations WHERE agreement_id=? LIMIT 1", "invitation of agreement");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement_id);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : STORE_ERR;
}

int store_account_set_language(struct store *s, int64_t account, const char *language)
{
	sqlite3_stmt *st = store__prepare_once(s, "UPDATE accounts SET language=? WHERE id=?", "set language");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, language, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, account);
	return store__write_once(s, st, "set language", 1);
}
