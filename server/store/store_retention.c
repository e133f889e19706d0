/* store_retention.c: message floors, compaction of the message log, and per-case retention periods. */
#include "server/store/store_retention.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "server/store/store_internal.h"

#define DAY_MS 86400000LL

static int64_t floor_of(struct store *s, int64_t agreement)
{
	sqlite3_stmt *st;
	int64_t f = 1;
	if (sqlite3_prepare_v2(s->db, "SELECT first_seq FROM message_floors WHERE agreement_id = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return 1;
	sqlite3_bind_int64(st, 1, agreement);
	if (sqlite3_step(st) == SQLITE_ROW)
		f = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return f;
}

int store_message_floor_set(struct store *s, int64_t agreement, int64_t first_seq, int64_t *removed)
{
	int64_t old = floor_of(s, agreement), last = store_message_last_seq(s, agreement);
	if (first_seq > last + 1)
		first_seq = last + 1; /* never past the next message: the sequence must go on without a gap */
	if (removed)
		*removed = first_seq > old ? first_seq - old : 0;
	if (first_seq <= old)
		return STORE_OK;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		s->db,
		"INSERT INTO message_floors(agreement_id, first_seq) VALUES (?1, ?2)"
		" ON CONFLICT(agreement_id) DO UPDATE SET first_seq = MAX(first_seq, excluded.first_seq)",
		-1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "message floor");
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, first_seq);
	int rc = store__step_write(s, st, "message floor");
	sqlite3_finalize(st);
	return rc;
}

int store__apply_floors(struct store *s, struct msglog *l)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT agreement_id, first_seq FROM message_floors", -1, &st, NULL) != SQLITE_OK)
		return STORE_OK; /* a database older than schema 5 (tests open raw ones) */
	int rc = STORE_OK;
	while (rc == STORE_OK && sqlite3_step(st) == SQLITE_ROW)
		if (msglog_floor(l, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), &s->log_hidden) != 0) {
			snprintf(s->err, sizeof(s->err), "store: applying a message floor: %s", strerror(errno));
			rc = STORE_ERR;
		}
	sqlite3_finalize(st);
	return rc;
}

int store_wal_truncate(struct store *s)
{
	if (s->in_txn) {
		snprintf(s->err, sizeof(s->err), "store: checkpoint inside a transaction");
		return STORE_ERR;
	}
	if (s->sync_external && store_exec(s, "PRAGMA synchronous=NORMAL")) /* see store_checkpoint */
		return STORE_ERR;
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		store__fail(s, "checkpoint");
	if (s->sync_external && store_exec(s, "PRAGMA synchronous=OFF"))
		return STORE_ERR;
	return rc == SQLITE_OK ? STORE_OK : rc == SQLITE_BUSY ? STORE_NOT_FOUND : STORE_ERR;
}

uint64_t store_messages_hidden(struct store *s)
{
	return s->log_hidden;
}

int store_messages_compact(struct store *s, struct msglog_compaction *out)
{
	char path[600], err[256];
	struct msglog *l = store__log(s, 1);
	memset(out, 0, sizeof(*out));
	if (!l)
		return STORE_ERR;
	if (s->in_txn || msglog_pending(l)) {
		snprintf(s->err, sizeof(s->err), "store: compaction inside a transaction");
		return STORE_ERR;
	}
	if (store__apply_floors(s, l) != STORE_OK)
		return STORE_ERR;
	snprintf(path, sizeof(path), "%s/messages.log", s->dir);
	if (msglog_compact(l, path, out, err, sizeof(err)) != 0) {
		snprintf(s->err, sizeof(s->err), "store: %s", err);
		return STORE_ERR;
	}
	s->log_hidden = 0;
	return STORE_OK;
}

struct msglog_compactor *store_messages_compact_start(struct store *s)
{
	char path[600], err[256];
	struct msglog *l = store__log(s, 1);
	if (!l || store__apply_floors(s, l) != STORE_OK)
		return NULL;
	snprintf(path, sizeof(path), "%s/messages.log", s->dir);
	struct msglog_compactor *k = msglog_compact_start(l, path, err, sizeof(err));
	if (!k)
		snprintf(s->err, sizeof(s->err), "store: %s", err);
	return k;
}

int store_messages_compact_finish(struct store *s, struct msglog_compactor *k, struct msglog_compaction *out)
{
	char err[256];
	struct msglog *l = store__log(s, 1);
	memset(out, 0, sizeof(*out));
	if (!l || s->in_txn) {
		msglog_compact_abort(k);
		snprintf(s->err, sizeof(s->err), "store: compaction inside a transaction");
		return STORE_ERR;
	}
	if (msglog_compact_finish(l, k, out, err, sizeof(err)) != 0) {
		snprintf(s->err, sizeof(s->err), "store: %s", err);
		return STORE_ERR;
	}
	s->log_hidden = 0;
	return STORE_OK;
}

int store_retention_get(struct store *s, int64_t case_id, struct retention *out)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof(*out));
	out->case_id = case_id;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT messages_days, media_days, recordings_days, set_by, set_at FROM retention"
			       " WHERE case_id = ?",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "retention");
	sqlite3_bind_int64(st, 1, case_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->messages_days = sqlite3_column_int(st, 0);
		out->media_days = sqlite3_column_int(st, 1);
		out->recordings_days = sqlite3_column_int(st, 2);
		out->set_by = sqlite3_column_int64(st, 3);
		out->set_at = sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store__fail(s, "retention");
}

int store_retention_set(struct store *s, const struct retention *r)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT OR REPLACE INTO retention(case_id, messages_days, media_days, recordings_days,"
			       " set_by, set_at) VALUES (?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "retention");
	sqlite3_bind_int64(st, 1, r->case_id);
	sqlite3_bind_int(st, 2, r->messages_days);
	sqlite3_bind_int(st, 3, r->media_days);
	sqlite3_bind_int(st, 4, r->recordings_days);
	if (r->set_by)
		sqlite3_bind_int64(st, 5, r->set_by);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, r->set_at);
	int rc = store__step_write(s, st, "retention");
	sqlite3_finalize(st);
	return rc;
}

/* The first seq at or after the floor whose message was sent at or after cutoff. A walk from the floor, not a
 * binary search: a held message released late carries its original time, so times are not sorted by seq, and no
 * message sent after the cutoff may go. Each sweep walks only what it removes, plus one. */
static int64_t first_kept(struct msglog *l, int64_t agreement, int64_t from, int64_t last, int64_t cutoff)
{
	int64_t seq = from, sender, at;
	while (seq <= last && msglog_meta(l, agreement, seq, &sender, &at) == 0 && at < cutoff)
		seq++;
	return seq;
}

int store_retention_due(struct store *s, int64_t now, store_retention_due_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	struct msglog *l = store__log(s, 0);
	if (!l)
		return STORE_ERR;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT r.case_id, a.id, r.messages_days, coalesce(f.first_seq, 1) FROM retention r"
			       " JOIN agreements a ON a.case_id = r.case_id"
			       " LEFT JOIN message_floors f ON f.agreement_id = a.id WHERE r.messages_days > 0"
			       " ORDER BY r.case_id, a.id",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "retention due");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct retention_due d = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), 0,
					  sqlite3_column_int(st, 2)};
		int64_t from = sqlite3_column_int64(st, 3), last = msglog_last_seq(l, d.agreement_id);
		d.first_keep = first_kept(l, d.agreement_id, from, last, now - d.messages_days * DAY_MS);
		if (d.first_keep > from)
			cb(&d, ctx);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "retention due");
}
