/* store_push.c: Web Push subscriptions — put, remove, count, list, and the sender's outcomes. Rare statements:
 * prepared per call rather than cached. */
#include "server/store/store_push.h"

#include <string.h>

#include "server/store/store_internal.h"

int store_push_put(struct store *s, int64_t account, int64_t device, const char *endpoint, const uint8_t p256dh[65],
		   const uint8_t auth[16], int64_t now_ms)
{
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "INSERT INTO push_subscriptions(account_id, device_id, endpoint, p256dh, auth, created_at)"
	    " VALUES (?,?,?,?,?,?) ON CONFLICT(endpoint) DO UPDATE SET"
	    " account_id=excluded.account_id, device_id=excluded.device_id, p256dh=excluded.p256dh,"
	    " auth=excluded.auth, created_at=excluded.created_at, last_ok_at=0, failures=0",
	    "push subscriptions");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	if (device > 0)
		sqlite3_bind_int64(st, 2, device);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, endpoint, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 4, p256dh, 65, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 5, auth, 16, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, now_ms);
	return store__write_once(s, st, "push subscriptions", 0);
}

int store_push_remove(struct store *s, int64_t account, const char *endpoint)
{
	sqlite3_stmt *st = store__prepare_once(s, "DELETE FROM push_subscriptions WHERE account_id=? AND endpoint=?",
					       "push subscriptions");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_TRANSIENT);
	int rc = store__write_once(s, st, "push subscriptions", 0);
	return rc == STORE_OK && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}

int store_push_count(struct store *s, int64_t account, const char *endpoint, int *owned, int *n)
{
	sqlite3_stmt *st = store__prepare_once(s,
					       "SELECT count(*), coalesce(sum(endpoint=?), 0) FROM push_subscriptions"
					       " WHERE account_id=?",
					       "push subscriptions");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, account);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = sqlite3_column_int(st, 0);
		*owned = sqlite3_column_int(st, 1) > 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : store__fail(s, "push subscriptions");
}

int store_push_list(struct store *s, int64_t account, store_push_cb cb, void *ctx)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"SELECT id, endpoint, p256dh, auth, last_ok_at, failures FROM push_subscriptions"
				" WHERE account_id=? ORDER BY id",
				"push subscriptions");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct push_sub sub = {.id = sqlite3_column_int64(st, 0), .account = account};
		if (sqlite3_column_bytes(st, 2) != 65 || sqlite3_column_bytes(st, 3) != 16 ||
		    sqlite3_column_bytes(st, 1) > STORE_PUSH_ENDPOINT_MAX)
			continue; /* never written by store_push_put */
		store__copy_text(st, 1, sub.endpoint, sizeof(sub.endpoint));
		memcpy(sub.p256dh, sqlite3_column_blob(st, 2), 65);
		memcpy(sub.auth, sqlite3_column_blob(st, 3), 16);
		sub.last_ok_at = sqlite3_column_int64(st, 4);
		sub.failures = sqlite3_column_int(st, 5);
		cb(&sub, ctx);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "push subscriptions");
}

static int by_id(struct store *s, const char *sql, int64_t id, const char *endpoint, int64_t now_ms)
{
	sqlite3_stmt *st = store__prepare_once(s, sql, "push subscriptions");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_TRANSIENT);
	if (now_ms)
		sqlite3_bind_int64(st, 3, now_ms);
	return store__write_once(s, st, "push subscriptions", 0);
}

int store_push_ok(struct store *s, int64_t id, const char *endpoint, int64_t now_ms)
{
	return by_id(s, "UPDATE push_subscriptions SET last_ok_at=?3, failures=0 WHERE id=?1 AND endpoint=?2", id,
		     endpoint, now_ms);
}

int store_push_failed(struct store *s, int64_t id, const char *endpoint)
{
	return by_id(s, "UPDATE push_subscriptions SET failures=failures+1 WHERE id=?1 AND endpoint=?2", id, endpoint,
		     0);
}

int store_push_delete(struct store *s, int64_t id, const char *endpoint)
{
	return by_id(s, "DELETE FROM push_subscriptions WHERE id=?1 AND endpoint=?2", id, endpoint, 0);
}

int store_push_prune(struct store *s, int64_t id, const char *endpoint, int max)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "DELETE FROM push_subscriptions WHERE id=?1 AND endpoint=?2 AND failures>=?3", "push subscriptions");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, max);
	int rc = store__write_once(s, st, "push subscriptions", 0);
	return rc == STORE_OK && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}
