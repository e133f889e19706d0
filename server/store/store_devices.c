/* store_devices.c: pairing codes, paired devices, device sessions and password resets (store_devices.h). */
#include "server/store/store_devices.h"

#include <stdio.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/store/store_internal.h"

#define PAIRING_COLS                                                                                      \
	"id, account_id, COALESCE(created_by, 0), created_at, expires_at, ended_at, failed_tries, state," \
	" COALESCE(device_id, 0), secret_hash"
#define DEVICE_COLS \
	"id, account_id, name, COALESCE(created_by, 0), created_at, last_seen_at, revoked_at, COALESCE(revoked_by, 0)"

static void bind_id_or_null(sqlite3_stmt *st, int col, int64_t id)
{
	if (id)
		sqlite3_bind_int64(st, col, id);
	else
		sqlite3_bind_null(st, col);
}

static void read_pairing(sqlite3_stmt *st, struct pairing *p)
{
	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(st, 0);
	p->account_id = sqlite3_column_int64(st, 1);
	p->created_by = sqlite3_column_int64(st, 2);
	p->created_at = sqlite3_column_int64(st, 3);
	p->expires_at = sqlite3_column_int64(st, 4);
	p->ended_at = sqlite3_column_int64(st, 5);
	p->failed_tries = sqlite3_column_int(st, 6);
	store__copy_text(st, 7, p->state, sizeof(p->state));
	p->device_id = sqlite3_column_int64(st, 8);
	if (sqlite3_column_bytes(st, 9) == STORE_SECRET_HASH_LEN)
		memcpy(p->secret_hash, sqlite3_column_blob(st, 9), STORE_SECRET_HASH_LEN);
}

static void read_device(sqlite3_stmt *st, struct device *d)
{
	d->id = sqlite3_column_int64(st, 0);
	d->account_id = sqlite3_column_int64(st, 1);
	store__copy_text(st, 2, d->name, sizeof(d->name));
	d->created_by = sqlite3_column_int64(st, 3);
	d->created_at = sqlite3_column_int64(st, 4);
	d->last_seen_at = sqlite3_column_int64(st, 5);
	d->revoked_at = sqlite3_column_int64(st, 6);
	d->revoked_by = sqlite3_column_int64(st, 7);
}

/* One row into `out` through `read`, then finalize. */
static int fetch_one(struct store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *, void *), void *out,
		     const char *what)
{
	if (!st)
		return STORE_ERR;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read(st, out);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, what);
}

static void read_pairing_v(sqlite3_stmt *st, void *out)
{
	read_pairing(st, out);
}

static void read_device_v(sqlite3_stmt *st, void *out)
{
	read_device(st, out);
}

/* ---- pairings ---- */

int store_pairing_add(struct store *s, const char *lookup, const uint8_t hash[STORE_SECRET_HASH_LEN], int64_t account,
		      int64_t created_by, int64_t expires_at, int64_t *id)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"INSERT INTO pairings(lookup, secret_hash, account_id, created_by, created_at,"
				" expires_at) VALUES (?,?,?,?,?,?)",
				"devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, lookup, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 2, hash, STORE_SECRET_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, account);
	sqlite3_bind_int64(st, 4, created_by);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	sqlite3_bind_int64(st, 6, expires_at);
	int rc = store__write_once(s, st, "add pairing", 0);
	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_pairing_by_lookup(struct store *s, const char *lookup, struct pairing *out)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT " PAIRING_COLS " FROM pairings WHERE lookup=?", "devices");
	if (st)
		sqlite3_bind_text(st, 1, lookup, -1, SQLITE_TRANSIENT);
	return fetch_one(s, st, read_pairing_v, out, "pairing");
}

int store_pairing_get(struct store *s, int64_t id, struct pairing *out)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT " PAIRING_COLS " FROM pairings WHERE id=?", "devices");
	if (st)
		sqlite3_bind_int64(st, 1, id);
	return fetch_one(s, st, read_pairing_v, out, "pairing");
}

int store_pairing_failed(struct store *s, int64_t id, int lock_at, int *locked)
{
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "UPDATE pairings SET failed_tries = failed_tries + 1,"
	    " state = CASE WHEN failed_tries + 1 >= ?1 AND state = 'open' THEN 'locked' ELSE state END,"
	    " ended_at = CASE WHEN failed_tries + 1 >= ?1 AND state = 'open' THEN ?2 ELSE ended_at END"
	    " WHERE id=?3 RETURNING state",
	    "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int(st, 1, lock_at);
	sqlite3_bind_int64(st, 2, clock_now_ms());
	sqlite3_bind_int64(st, 3, id);
	int rc = sqlite3_step(st);
	*locked = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "locked");
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "pairing failed try");
}

int store_pairing_end(struct store *s, int64_t id, const char *state, int64_t device_id)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "UPDATE pairings SET state=?, ended_at=?, device_id=? WHERE id=? AND state='open'", "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, clock_now_ms());
	bind_id_or_null(st, 3, device_id);
	sqlite3_bind_int64(st, 4, id);
	return store__write_once(s, st, "end pairing", 1);
}

int store_pairings_open(struct store *s, int64_t account, int64_t now, store_pairing_cb cb, void *ctx)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"SELECT " PAIRING_COLS " FROM pairings WHERE account_id=? AND state='open'"
				" AND expires_at > ? ORDER BY id DESC",
				"devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int64(st, 2, now);
	int rc;
	struct pairing p;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_pairing(st, &p);
		cb(&p, ctx);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "list pairings");
}

/* ---- devices ---- */

int store_device_add(struct store *s, int64_t account, const char *name, const uint8_t hash[STORE_SECRET_HASH_LEN],
		     int64_t created_by, int64_t *id)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"INSERT INTO devices(account_id, name, credential_hash, created_by, created_at)"
				" VALUES (?,?,?,?,?)",
				"devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, hash, STORE_SECRET_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, created_by);
	sqlite3_bind_int64(st, 5, clock_now_ms());
	int rc = store__write_once(s, st, "add device", 0);
	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_device_get(struct store *s, int64_t id, struct device *out)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT " DEVICE_COLS " FROM devices WHERE id=?", "devices");
	if (st)
		sqlite3_bind_int64(st, 1, id);
	return fetch_one(s, st, read_device_v, out, "device");
}

int store_device_by_credential(struct store *s, const uint8_t hash[STORE_SECRET_HASH_LEN], struct device *out)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "SELECT " DEVICE_COLS " FROM devices WHERE credential_hash=? AND revoked_at=0", "devices");
	if (st)
		sqlite3_bind_blob(st, 1, hash, STORE_SECRET_HASH_LEN, SQLITE_TRANSIENT);
	return fetch_one(s, st, read_device_v, out, "device");
}

int store_device_seen(struct store *s, int64_t id, int64_t now)
{
	sqlite3_stmt *st = store__prepare_once(s, "UPDATE devices SET last_seen_at=? WHERE id=?", "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return store__write_once(s, st, "device seen", 0);
}

int store_device_revoke(struct store *s, int64_t id, int64_t by, int64_t now)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"UPDATE devices SET credential_hash=randomblob(32), revoked_at=?, revoked_by=?"
				" WHERE id=? AND revoked_at=0",
				"devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, now);
	bind_id_or_null(st, 2, by);
	sqlite3_bind_int64(st, 3, id);
	int rc = store__write_once(s, st, "revoke device", 1);
	if (rc != STORE_OK)
		return rc;
	if (!(st = store__prepare_once(s, "DELETE FROM sessions WHERE device_id=?", "devices")))
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = store__write_once(s, st, "end device sessions", 0)) != STORE_OK)
		return rc;
	/* a lost tablet gets no more "Dad is calling" on its lock screen */
	if (!(st = store__prepare_once(s, "DELETE FROM push_subscriptions WHERE device_id=?", "devices")))
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	return store__write_once(s, st, "end device push subscriptions", 0);
}

int store_devices_of(struct store *s, int64_t account, store_device_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "SELECT " DEVICE_COLS " FROM devices WHERE account_id=? AND revoked_at=0 ORDER BY id", "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	int rc;
	struct device d;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_device(st, &d);
		cb(&d, ctx);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "list devices");
}

/* ---- sessions, resets, people ---- */

int store_session_add_device(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], int64_t account,
			     int64_t expires_at, int64_t device_id)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"INSERT INTO sessions(token_hash, account_id, created_at, expires_at, device_id)"
				" VALUES (?,?,?,?,?)",
				"devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, account);
	sqlite3_bind_int64(st, 3, clock_now_ms());
	sqlite3_bind_int64(st, 4, expires_at);
	sqlite3_bind_int64(st, 5, device_id);
	return store__write_once(s, st, "add device session", 0);
}

int store_session_device(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], int64_t *device_id)
{
	sqlite3_stmt *st =
	    store__prepare_once(s, "SELECT COALESCE(device_id, 0) FROM sessions WHERE token_hash=?", "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_blob(st, 1, hash, STORE_TOKEN_HASH_LEN, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*device_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "session device");
}

int store_account_password_reset(struct store *s, int64_t account, const char *password_hash, int64_t now)
{
	sqlite3_stmt *st =
	    store__prepare_once(s, "UPDATE accounts SET password_hash=?, password_reset_at=? WHERE id=?", "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, password_hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, account);
	int rc = store__write_once(s, st, "reset password", 1);
	if (rc != STORE_OK)
		return rc;
	if (!(st = store__prepare_once(s, "DELETE FROM sessions WHERE account_id=? AND device_id IS NULL", "devices")))
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	return store__write_once(s, st, "end password sessions", 0);
}

int store_account_reset_told(struct store *s, int64_t account)
{
	sqlite3_stmt *st = store__prepare_once(s, "UPDATE accounts SET password_reset_at=0 WHERE id=?", "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	return store__write_once(s, st, "clear reset notice", 0);
}

int store_case_people(struct store *s, int64_t case_id, store_person_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(s,
					       "SELECT child_id, '', 0 FROM cases WHERE id=?1 UNION ALL"
					       " SELECT contact_id, relationship, 1 FROM agreements a WHERE case_id=?1"
					       " AND id = (SELECT MAX(id) FROM agreements b WHERE b.case_id=?1 AND"
					       " b.contact_id=a.contact_id) ORDER BY 3, 1",
					       "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1), ctx);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "case people");
}

int store_cases_of_person(struct store *s, int64_t account, store_id_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(s,
					       "SELECT id FROM cases WHERE child_id=?1 UNION"
					       " SELECT case_id FROM agreements WHERE contact_id=?1 ORDER BY 1",
					       "devices");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), ctx);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "cases of person");
}
