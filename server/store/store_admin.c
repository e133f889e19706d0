/* store_admin.c: queries for the admin API and CLI — caseloads, proposals, approvals, pauses, notices. */
#include "server/store/store_admin.h"

#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/store/store_internal.h"

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);
	return t ? t : "";
}

/* ---- cases ---- */

static void read_case(sqlite3_stmt *st, struct admin_case *c)
{
	c->id = sqlite3_column_int64(st, 0);
	c->child_id = sqlite3_column_int64(st, 1);
	store__copy_text(st, 2, c->time_zone, sizeof(c->time_zone));
}

int store_admin_case_get(struct store *s, int64_t case_id, struct admin_case *out)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT id, child_id, time_zone FROM cases WHERE id=?", "case");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_case(st, out);
		sqlite3_finalize(st);
		return STORE_OK;
	}
	return rc == SQLITE_DONE ? (sqlite3_finalize(st), STORE_NOT_FOUND) : store__read_done(s, st, rc, "case");
}

int store_admin_cases_of(struct store *s, int64_t account, const char *role, store_admin_case_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "SELECT c.id, c.child_id, c.time_zone FROM cases c JOIN case_members m ON m.case_id = c.id"
	    " WHERE m.account_id=? AND m.role=? ORDER BY c.id",
	    "caseload");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_text(st, 2, role, -1, SQLITE_TRANSIENT);
	int rc;
	struct admin_case c;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_case(st, &c);
		cb(&c, ctx);
	}
	return store__read_done(s, st, rc, "caseload");
}

int store_admin_case_members(struct store *s, int64_t case_id, store_admin_member_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "SELECT a.id, a.display_name, m.role FROM case_members m JOIN accounts a ON a.id = m.account_id"
	    " WHERE m.case_id=? ORDER BY m.role, a.id",
	    "case members");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), col_text(st, 1), col_text(st, 2), ctx);
	return store__read_done(s, st, rc, "case members");
}

int store_admin_case_agreements(struct store *s, int64_t case_id, store_admin_id_cb cb, void *ctx)
{
	sqlite3_stmt *st =
	    store__prepare_once(s, "SELECT id FROM agreements WHERE case_id=? ORDER BY id", "case agreements");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), ctx);
	return store__read_done(s, st, rc, "case agreements");
}

int store_admin_case_counts(struct store *s, int64_t case_id, int64_t *pending_proposals, int64_t *open_notices)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"SELECT (SELECT COUNT(*) FROM proposals p JOIN agreements a ON a.id = p.agreement_id"
				" WHERE a.case_id=?1 AND p.status='pending'),"
				" (SELECT COUNT(*) FROM notices n WHERE n.case_id=?1 AND n.read_at=0)",
				"case counts");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*pending_proposals = sqlite3_column_int64(st, 0);
		*open_notices = sqlite3_column_int64(st, 1);
		rc = SQLITE_DONE;
	}
	return store__read_done(s, st, rc, "case counts");
}

/* ---- proposals ---- */

#define PROPOSAL_COLS                                                                                       \
	"p.id, p.agreement_id, a.case_id, p.terms, p.proposed_by, p.proposed_role, p.status, p.created_at," \
	" p.decided_at FROM proposals p JOIN agreements a ON a.id = p.agreement_id"

static void read_proposal(sqlite3_stmt *st, struct proposal *p, int copy_terms)
{
	p->id = sqlite3_column_int64(st, 0);
	p->agreement_id = sqlite3_column_int64(st, 1);
	p->case_id = sqlite3_column_int64(st, 2);
	p->terms = copy_terms ? strdup(col_text(st, 3)) : (char *)col_text(st, 3);
	p->proposed_by = sqlite3_column_int64(st, 4);
	store__copy_text(st, 5, p->proposed_role, sizeof(p->proposed_role));
	store__copy_text(st, 6, p->status, sizeof(p->status));
	p->created_at = sqlite3_column_int64(st, 7);
	p->decided_at = sqlite3_column_int64(st, 8);
}

int store_admin_proposal_add(struct store *s, int64_t agreement, const char *terms, int64_t by, const char *role,
			     int64_t *id)
{
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "INSERT INTO proposals(agreement_id, terms, proposed_by, proposed_role, status, created_at)"
	    " VALUES (?,?,?,?,'pending',?)",
	    "add proposal");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_text(st, 2, terms, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, by);
	sqlite3_bind_text(st, 4, role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	int rc = store__step_write(s, st, "add proposal");
	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return rc;
}

int store_admin_proposal_get(struct store *s, int64_t id, struct proposal *out)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = store__prepare_once(s, "SELECT " PROPOSAL_COLS " WHERE p.id=?", "proposal");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_proposal(st, out, 1);
		sqlite3_finalize(st);
		return out->terms ? STORE_OK : STORE_ERR;
	}
	return rc == SQLITE_DONE ? (sqlite3_finalize(st), STORE_NOT_FOUND) : store__read_done(s, st, rc, "proposal");
}

void store_admin_proposal_clear(struct proposal *p)
{
	free(p->terms);
	p->terms = NULL;
}

int store_admin_proposal_close(struct store *s, int64_t id, const char *status)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "UPDATE proposals SET status=?, decided_at=? WHERE id=? AND status='pending'", "close proposal");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, clock_now_ms());
	sqlite3_bind_int64(st, 3, id);
	return store__write_once(s, st, "close proposal", 1);
}

int store_admin_proposals_withdraw(struct store *s, int64_t agreement, int64_t except)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"UPDATE proposals SET status='withdrawn', decided_at=? WHERE agreement_id=? AND id<>?"
				" AND status='pending'",
				"withdraw proposals");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, agreement);
	sqlite3_bind_int64(st, 3, except);
	int rc = store__write_once(s, st, "withdraw proposals", 1);
	return rc == STORE_NOT_FOUND ? STORE_OK : rc;
}

int store_admin_proposals_list(struct store *s, int64_t agreement, int pending_only, store_admin_proposal_cb cb,
			       void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(s,
					       "SELECT " PROPOSAL_COLS " WHERE (?1 = 0 OR p.agreement_id = ?1)"
					       " AND (?2 = 0 OR p.status = 'pending') ORDER BY p.id DESC",
					       "proposals");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int(st, 2, pending_only);
	int rc;
	struct proposal p;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_proposal(st, &p, 0);
		cb(&p, ctx);
	}
	return store__read_done(s, st, rc, "proposals");
}

/* ---- approvals ---- */

int store_admin_approval_add(struct store *s, int64_t proposal, int64_t account, const char *role, const char *decision,
			     const char *note)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "INSERT INTO approvals(proposal_id, account_id, role, decision, note, at) VALUES (?,?,?,?,?,?)",
	    "add approval");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, proposal);
	sqlite3_bind_int64(st, 2, account);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, decision, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, note ? note : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, clock_now_ms());
	int rc = store__step_write(s, st, "add approval");
	sqlite3_finalize(st);
	return rc;
}

int store_admin_approvals_list(struct store *s, int64_t proposal, store_admin_approval_cb cb, void *ctx)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"SELECT p.account_id, a.display_name, p.role, p.decision, p.note, p.at FROM approvals p"
				" JOIN accounts a ON a.id = p.account_id WHERE p.proposal_id=? ORDER BY p.at, p.rowid",
				"approvals");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, proposal);
	int rc;
	struct approval ap;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ap.account_id = sqlite3_column_int64(st, 0);
		store__copy_text(st, 1, ap.display_name, sizeof(ap.display_name));
		store__copy_text(st, 2, ap.role, sizeof(ap.role));
		store__copy_text(st, 3, ap.decision, sizeof(ap.decision));
		ap.note = col_text(st, 4);
		ap.at = sqlite3_column_int64(st, 5);
		cb(&ap, ctx);
	}
	return store__read_done(s, st, rc, "approvals");
}

/* ---- pauses ---- */

int store_admin_pauses_list(struct store *s, int64_t agreement, int open_only, store_admin_pause_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "SELECT p.id, p.by_account, a.display_name, p.by_role, p.reason, p.started_at, p.expires_at,"
	    " p.ended_at FROM pauses p JOIN accounts a ON a.id = p.by_account WHERE p.agreement_id=?"
	    " AND (?2 = 0 OR p.ended_at = 0) ORDER BY p.id DESC LIMIT 100",
	    "pauses");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int(st, 2, open_only);
	int rc;
	struct pause p;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p.id = sqlite3_column_int64(st, 0);
		p.by_account = sqlite3_column_int64(st, 1);
		store__copy_text(st, 2, p.by_name, sizeof(p.by_name));
		store__copy_text(st, 3, p.by_role, sizeof(p.by_role));
		p.reason = col_text(st, 4);
		p.started_at = sqlite3_column_int64(st, 5);
		p.expires_at = sqlite3_column_int64(st, 6);
		p.ended_at = sqlite3_column_int64(st, 7);
		cb(&p, ctx);
	}
	return store__read_done(s, st, rc, "pauses");
}

/* ---- notices ---- */

int store_admin_notice_add(struct store *s, int64_t case_id, int64_t agreement, const char *kind, json_t *detail,
			   int64_t *id)
{
	char *text = json_dumps(detail ? detail : json_object(), JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(detail);
	sqlite3_stmt *st = text
	    ? store__prepare_once(s, "INSERT INTO notices(case_id, agreement_id, kind, detail, at) VALUES (?,?,?,?,?)",
				  "add notice")
	    : NULL;
	if (!st) {
		free(text);
		return STORE_ERR;
	}
	sqlite3_bind_int64(st, 1, case_id);
	if (agreement)
		sqlite3_bind_int64(st, 2, agreement);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	free(text);
	int rc = store__step_write(s, st, "add notice");
	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return rc;
}

int store_admin_notices_list(struct store *s, int64_t account, int limit, store_admin_notice_cb cb, void *ctx)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"SELECT n.id, n.case_id, IFNULL(n.agreement_id, 0), n.kind, n.detail, n.at, n.read_at"
				" FROM notices n JOIN case_members m ON m.case_id = n.case_id AND m.role = 'caseworker'"
				" WHERE m.account_id=? ORDER BY n.id DESC LIMIT ?",
				"notices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int(st, 2, limit);
	int rc;
	struct notice n;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n.id = sqlite3_column_int64(st, 0);
		n.case_id = sqlite3_column_int64(st, 1);
		n.agreement_id = sqlite3_column_int64(st, 2);
		store__copy_text(st, 3, n.kind, sizeof(n.kind));
		n.detail = col_text(st, 4);
		n.at = sqlite3_column_int64(st, 5);
		n.read_at = sqlite3_column_int64(st, 6);
		cb(&n, ctx);
	}
	return store__read_done(s, st, rc, "notices");
}

int store_admin_notice_case(struct store *s, int64_t id, int64_t *case_id)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT case_id FROM notices WHERE id=?", "notice");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*case_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return STORE_OK;
	}
	return rc == SQLITE_DONE ? (sqlite3_finalize(st), STORE_NOT_FOUND) : store__read_done(s, st, rc, "notice");
}

int store_admin_notice_read(struct store *s, int64_t id)
{
	sqlite3_stmt *st =
	    store__prepare_once(s, "UPDATE notices SET read_at=? WHERE id=? AND read_at=0", "read notice");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, clock_now_ms());
	sqlite3_bind_int64(st, 2, id);
	int rc = store__write_once(s, st, "read notice", 1);
	return rc == STORE_NOT_FOUND ? STORE_OK : rc; /* already read: fine */
}
