/* store_accounts.c: accounts, login sessions (token hashes only) and cases. */
#include <stdio.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/base/username.h"
#include "server/store/store_internal.h"

#define now_ms clock_now_ms
#define step_write store__step_write

#define ACCOUNT_COLS "id, username, display_name, role, password_hash, disabled, password_reset_at, language"

static void read_account(sqlite3_stmt *st, struct account *a)
{
	a->id = sqlite3_column_int64(st, 0);
	store__copy_text(st, 1, a->username, sizeof(a->username));
	store__copy_text(st, 2, a->display_name, sizeof(a->display_name));
	store__copy_text(st, 3, a->role, sizeof(a->role));
	store__copy_text(st, 4, a->password_hash, sizeof(a->password_hash));
	a->disabled = sqlite3_column_int(st, 5);
	a->password_reset_at = sqlite3_column_int64(st, 6);
	store__copy_text(st, 7, a->locale, sizeof(a->locale));
}

static int fetch_account(struct store *s, sqlite3_stmt *st, struct account *out)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_account(st, out);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "account");
}

/* The exact name first (an account whose key was left unfolded after a clash, see fill_username_keys), then the
 * folded key: "Mia", "MIA" and "ｍｉａ" find "mia". */
int store_account_by_name(struct store *s, const char *username, struct account *out)
{
	char key[USERNAME_KEY_MAX];
	if (username_key(username, key, sizeof(key)) != 0)
		return STORE_NOT_FOUND; /* not UTF-8, or too long to be anyone's name */
	sqlite3_stmt *st =
	    store__stmt(s, SQL_ACCOUNT_BY_NAME,
			"SELECT " ACCOUNT_COLS ", 0 FROM accounts WHERE username=?1 UNION ALL"
			" SELECT " ACCOUNT_COLS ", 1 FROM accounts WHERE username_key=?2 ORDER BY 9 LIMIT 1");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, username, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	return fetch_account(s, st, out);
}

int store_account_by_id(struct store *s, int64_t id, struct account *out)
{
	sqlite3_stmt *st = store__stmt(s, SQL_ACCOUNT_BY_ID, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	return fetch_account(s, st, out);
}

int store_account_add(struct store *s, const struct account *a, int64_t *id)
{
	char key[USERNAME_KEY_MAX];
	if (username_key(a->username, key, sizeof(key)) != 0) {
		snprintf(s->err, sizeof(s->err), "store: add account: the username is not valid UTF-8 or too long");
		return STORE_ERR;
	}
	sqlite3_stmt *st =
	    store__stmt(s, SQL_ACCOUNT_ADD,
			"INSERT INTO accounts(username, display_name, role, password_hash, created_at, username_key)"
			" VALUES (?,?,?,?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, a->username, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, a->display_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, a->role, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, a->password_hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, now_ms());
	sqlite3_bind_text(st, 6, key, -1, SQLITE_TRANSIENT);
	int rc = step_write(s, st, "add account");
	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_account_set_disabled(struct store *s, const char *username, int disabled)
{
	struct account a;
	int rc = store_account_by_name(s, username, &a);
	if (rc != STORE_OK)
		return rc;
	sqlite3_stmt *st = store__stmt(s, SQL_ACCOUNT_DISABLE, "UPDATE accounts SET disabled=? WHERE id=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int(st, 1, disabled);
	sqlite3_bind_int64(st, 2, a.id);
	rc = step_write(s, st, "disable account");
	if (rc != STORE_OK || !disabled)
		return rc;
	st = store__stmt(s, SQL_ACCOUNT_KILL_SESSIONS, "DELETE FROM sessions WHERE account_id=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, a.id);
	return step_write(s, st, "end sessions");
}

int store_account_count(struct store *s, int64_t *n)
{
	sqlite3_stmt *st = store__stmt(s, SQL_ACCOUNT_COUNT, "SELECT COUNT(*) FROM accounts");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return store__fail(s, "count accounts");
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return STORE_OK;
}

int store_accounts_list(struct store *s, store_account_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__stmt(s, SQL_ACCOUNTS_LIST, "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY id");
	if (!st)
		return STORE_ERR;
	int rc;
	struct account a;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_account(st, &a);
		cb(&a, ctx);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "list accounts");
}

int store_session_add(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], int64_t account, int64_t expires_at)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_SESSION_ADD,
			"INSERT INTO sessions(token_hash, account_id, created_at, expires_at) VALUES (?,?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, account);
	sqlite3_bind_int64(st, 3, now_ms());
	sqlite3_bind_int64(st, 4, expires_at);
	return step_write(s, st, "add session");
}

int store_session_get(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], int64_t *account, int64_t *expires_at)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_SESSION_GET, "SELECT account_id, expires_at FROM sessions WHERE token_hash=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*account = sqlite3_column_int64(st, 0);
		*expires_at = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "get session");
}

int store_session_del(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN])
{
	sqlite3_stmt *st = store__stmt(s, SQL_SESSION_DEL, "DELETE FROM sessions WHERE token_hash=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	return step_write(s, st, "delete session");
}

int store_sessions_purge_expired(struct store *s, int64_t now)
{
	sqlite3_stmt *st = store__stmt(s, SQL_SESSION_PURGE, "DELETE FROM sessions WHERE expires_at <= ?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, now);
	return step_write(s, st, "purge sessions");
}

int store_case_add(struct store *s, int64_t child_id, const char *tz, int64_t *case_id)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_CASE_ADD, "INSERT INTO cases(child_id, time_zone, created_at) VALUES (?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, child_id);
	sqlite3_bind_text(st, 2, tz, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now_ms());
	int rc = step_write(s, st, "add case");
	if (rc == STORE_OK && case_id)
		*case_id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_case_of_child(struct store *s, int64_t child_id, int64_t *case_id)
{
	sqlite3_stmt *st = store__stmt(s, SQL_CASE_OF_CHILD, "SELECT id FROM cases WHERE child_id=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, child_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*case_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "case");
}

int store_case_link(struct store *s, int64_t case_id, int64_t account_id, const char *role)
{
	sqlite3_stmt *st = store__stmt(s, SQL_CASE_LINK,
				       "INSERT OR IGNORE INTO case_members(case_id, account_id, role) VALUES (?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, account_id);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_TRANSIENT);
	return step_write(s, st, "link case");
}

int store_case_has_member(struct store *s, int64_t case_id, int64_t account_id, const char *role)
{
	sqlite3_stmt *st = store__stmt(s, SQL_CASE_HAS_MEMBER,
				       "SELECT 1 FROM case_members WHERE case_id=? AND account_id=? AND role=?");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, account_id);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_TRANSIENT);
	int found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

int store_cases_list(struct store *s, store_case_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__stmt(s, SQL_CASES_LIST,
				       "SELECT c.id, a.username, c.time_zone,"
				       " (SELECT group_concat(m.role || ':' || x.username, ' ') FROM case_members m"
				       "  JOIN accounts x ON x.id = m.account_id WHERE m.case_id = c.id)"
				       " FROM cases c JOIN accounts a ON a.id = c.child_id ORDER BY c.id");
	if (!st)
		return STORE_ERR;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *members = (const char *)sqlite3_column_text(st, 3);
		cb(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), members ? members : "", ctx);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "list cases");
}

/* One pass of fill_username_keys: rows still without a key, `exact` = only those whose name is its own key. */
static int fill_pass(struct store *s, int exact, int *clashes)
{
	sqlite3_stmt *sel, *upd;
	if (sqlite3_prepare_v2(s->db, "SELECT id, username FROM accounts WHERE username_key IS NULL ORDER BY id", -1,
			       &sel, NULL) != SQLITE_OK)
		return store__fail(s, "username keys");
	if (sqlite3_prepare_v2(s->db, "UPDATE accounts SET username_key=? WHERE id=?", -1, &upd, NULL) != SQLITE_OK) {
		sqlite3_finalize(sel);
		return store__fail(s, "username keys");
	}
	int rc = STORE_OK;
	while (rc == STORE_OK && sqlite3_step(sel) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(sel, 0);
		const char *name = (const char *)sqlite3_column_text(sel, 1), *use;
		char key[USERNAME_KEY_MAX];
		int folds = name && username_key(name, key, sizeof(key)) == 0;
		if (exact && (!folds || strcmp(key, name)))
			continue;
		use = folds ? key : name;
		for (int attempt = 0; attempt < 2; attempt++) {
			sqlite3_reset(upd);
			sqlite3_bind_text(upd, 1, use, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(upd, 2, id);
			int step = sqlite3_step(upd);
			if (step == SQLITE_DONE)
				break;
			if ((step & 0xff) != SQLITE_CONSTRAINT || use == name) {
				rc = store__fail(s, "username keys");
				break;
			}
			/* Its fold is another account's key: keep its exact name (never a folded key, since the fold is
			 * idempotent and this name differs from its fold), so both can still sign in by their exact
			 * names. */
			log_error(
			    "store: CLASH: username '%s' (account %lld) folds to '%s' like an older account; it keeps"
			    " its exact name as its key and must sign in with exactly that name",
			    name, (long long)id, key);
			(*clashes)++;
			use = name;
		}
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return rc;
}

int store__fill_username_keys(struct store *s)
{
	sqlite3_stmt *st;
	int missing = 0, clashes = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT EXISTS (SELECT 1 FROM accounts WHERE username_key IS NULL)", -1, &st,
			       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		missing = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!missing)
		return STORE_OK;
	/* Names already in folded form first: an exact "mia" keeps "mia" even if an older "Mia" exists. */
	if (store_exec(s, "BEGIN IMMEDIATE"))
		return STORE_ERR;
	if (fill_pass(s, 1, &clashes) || fill_pass(s, 0, &clashes) || store_exec(s, "COMMIT")) {
		char keep[256];
		snprintf(keep, sizeof(keep), "%s", s->err);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		snprintf(s->err, sizeof(s->err), "%s", keep);
		return STORE_ERR;
	}
	log_info("store: usernames are matched case-insensitively now (NFKC case fold)%s",
		 clashes ? "; see the CLASH lines above" : "");
	return STORE_OK;
}
