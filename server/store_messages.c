/* store_messages.c: conversation messages (with idempotency keys) and receipt markers. */
#include "server/store_internal.h"

static void read_message(sqlite3_stmt *st, struct message *m)
{
	m->agreement_id = sqlite3_column_int64(st, 0);
	m->seq = sqlite3_column_int64(st, 1);
	m->sender_id = sqlite3_column_int64(st, 2);
	m->sent_at = sqlite3_column_int64(st, 3);
	m->text = (const char *)sqlite3_column_text(st, 4);
	m->text_len = (size_t)sqlite3_column_bytes(st, 4);
	if (!m->text)
		m->text = "";
}

static int each_message(struct store *s, sqlite3_stmt *st, store_message_cb cb, void *ctx, const char *what)
{
	int rc;
	struct message m;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_message(st, &m);
		cb(&m, ctx);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, what);
}

#define MESSAGE_COLS "agreement_id, seq, sender_id, sent_at, body"

int store_message_add(struct store *s, const struct message *m, const char *client_key)
{
	sqlite3_stmt *st = store__stmt(s, SQL_MESSAGE_ADD,
				       "INSERT INTO messages(agreement_id, seq, sender_id, client_key, body, sent_at)"
				       " VALUES (?,?,?,?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, m->agreement_id);
	sqlite3_bind_int64(st, 2, m->seq);
	sqlite3_bind_int64(st, 3, m->sender_id);
	sqlite3_bind_text(st, 4, client_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->text, (int)m->text_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, m->sent_at);
	return store__step_write(s, st, "add message");
}

int store_message_by_key(struct store *s, int64_t agreement, int64_t sender, const char *key, store_message_cb cb,
			 void *ctx)
{
	sqlite3_stmt *st = store__stmt(s, SQL_MESSAGE_BY_KEY,
				       "SELECT " MESSAGE_COLS " FROM messages WHERE agreement_id=? AND sender_id=?"
				       " AND client_key=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, sender);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct message m;
		read_message(st, &m);
		cb(&m, ctx);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "message by key");
}

int store_messages_page(struct store *s, int64_t agreement, int64_t before, int limit, int *more,
			store_message_cb cb, void *ctx)
{
	int64_t upper = before > 0 ? before : INT64_MAX, lower = 0;
	/* The (limit+1)-th newest message below `upper`, if any, marks where this page starts. */
	sqlite3_stmt *st = store__stmt(s, SQL_MESSAGES_PAGE_EDGE,
				       "SELECT seq FROM messages WHERE agreement_id=? AND seq < ?"
				       " ORDER BY seq DESC LIMIT 1 OFFSET ?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, upper);
	sqlite3_bind_int(st, 3, limit);
	int rc = sqlite3_step(st);
	*more = rc == SQLITE_ROW;
	if (rc == SQLITE_ROW)
		lower = sqlite3_column_int64(st, 0) + 1;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store__fail(s, "history");
	st = store__stmt(s, SQL_MESSAGES_PAGE,
			 "SELECT " MESSAGE_COLS " FROM messages WHERE agreement_id=? AND seq >= ? AND seq < ?"
			 " ORDER BY seq ASC");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, lower);
	sqlite3_bind_int64(st, 3, upper);
	return each_message(s, st, cb, ctx, "history");
}

int store_messages_after(struct store *s, int64_t agreement, int64_t after, int64_t exclude_sender, int limit,
			 store_message_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__stmt(s, SQL_MESSAGES_AFTER,
				       "SELECT " MESSAGE_COLS " FROM messages WHERE agreement_id=? AND seq > ?"
				       " AND sender_id <> ? ORDER BY seq ASC LIMIT ?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, exclude_sender);
	sqlite3_bind_int(st, 4, limit);
	return each_message(s, st, cb, ctx, "messages after");
}

int store_messages_unread(struct store *s, int64_t agreement, int64_t reader, int64_t read_seq, int64_t *count)
{
	sqlite3_stmt *st = store__stmt(s, SQL_MESSAGES_UNREAD,
				       "SELECT COUNT(*) FROM messages WHERE agreement_id=? AND seq > ? AND sender_id <> ?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, read_seq);
	sqlite3_bind_int64(st, 3, reader);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : store__fail(s, "unread");
}

int store_receipt_get(struct store *s, int64_t agreement, int64_t account, int64_t *delivered, int64_t *read)
{
	sqlite3_stmt *st = store__stmt(s, SQL_RECEIPT_GET,
				       "SELECT delivered_seq, read_seq FROM receipts WHERE agreement_id=? AND account_id=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, account);
	*delivered = *read = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*delivered = sqlite3_column_int64(st, 0);
		*read = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store__fail(s, "receipt");
}

int store_receipt_advance(struct store *s, int64_t agreement, int64_t account, int64_t delivered, int64_t read)
{
	sqlite3_stmt *st = store__stmt(
		s, SQL_RECEIPT_ADVANCE,
		"INSERT INTO receipts(agreement_id, account_id, delivered_seq, read_seq) VALUES (?1,?2,?3,?4)"
		" ON CONFLICT(agreement_id, account_id) DO UPDATE SET"
		" delivered_seq = MAX(delivered_seq, excluded.delivered_seq), read_seq = MAX(read_seq, excluded.read_seq)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, account);
	sqlite3_bind_int64(st, 3, delivered);
	sqlite3_bind_int64(st, 4, read);
	return store__step_write(s, st, "receipt");
}

/* Held messages (message review): waiting for a supervisor; released ones join the conversation. */

static void read_held(sqlite3_stmt *st, struct held_message *h)
{
	h->id = sqlite3_column_int64(st, 0);
	h->agreement_id = sqlite3_column_int64(st, 1);
	h->sender_id = sqlite3_column_int64(st, 2);
	h->sent_at = sqlite3_column_int64(st, 3);
	h->text = (const char *)sqlite3_column_text(st, 4);
	h->text_len = (size_t)sqlite3_column_bytes(st, 4);
	if (!h->text)
		h->text = "";
	h->reason = (const char *)sqlite3_column_text(st, 5);
	h->state = (const char *)sqlite3_column_text(st, 6);
	h->released_seq = sqlite3_column_int64(st, 7);
}

#define HELD_COLS "id, agreement_id, sender_id, sent_at, body, reason, state, released_seq"

int store_held_add(struct store *s, const struct message *m, const char *client_key, const char *reason, int64_t *id)
{
	sqlite3_stmt *st = store__stmt(s, SQL_HELD_ADD,
				       "INSERT INTO held(agreement_id, sender_id, client_key, body, sent_at, reason)"
				       " VALUES (?,?,?,?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, m->agreement_id);
	sqlite3_bind_int64(st, 2, m->sender_id);
	sqlite3_bind_text(st, 3, client_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->text, (int)m->text_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, m->sent_at);
	sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
	int rc = store__step_write(s, st, "hold message");
	if (rc == STORE_OK && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

static int held_one(struct store *s, sqlite3_stmt *st, store_held_cb cb, void *ctx)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		struct held_message h;
		read_held(st, &h);
		cb(&h, ctx);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "held");
}

int store_held_by_key(struct store *s, int64_t agreement, int64_t sender, const char *key, store_held_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__stmt(s, SQL_HELD_BY_KEY,
				       "SELECT " HELD_COLS " FROM held WHERE agreement_id=? AND sender_id=? AND client_key=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, sender);
	sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
	return held_one(s, st, cb, ctx);
}

int store_held_get(struct store *s, int64_t id, store_held_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__stmt(s, SQL_HELD_GET, "SELECT " HELD_COLS " FROM held WHERE id=?");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, id);
	return held_one(s, st, cb, ctx);
}

int store_held_decide(struct store *s, int64_t id, int64_t reviewer, int release, int64_t released_seq, int64_t now)
{
	sqlite3_stmt *st = store__stmt(s, SQL_HELD_DECIDE,
				       "UPDATE held SET state=?, reviewed_by=?, reviewed_at=?, released_seq=?"
				       " WHERE id=? AND state='held'");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, release ? "released" : "rejected", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, reviewer);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, released_seq);
	sqlite3_bind_int64(st, 5, id);
	int rc = store__step_write(s, st, "review held message");
	return rc == STORE_OK && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}

int store_held_pending(struct store *s, int64_t reviewer, store_held_cb cb, void *ctx)
{
	/* Held messages of the cases where the reviewer is linked as supervisor or caseworker. */
	sqlite3_stmt *st = store__stmt(s, SQL_HELD_PENDING,
				       "SELECT h.id, h.agreement_id, h.sender_id, h.sent_at, h.body, h.reason, h.state,"
				       " h.released_seq FROM held h JOIN agreements a ON a.id = h.agreement_id"
				       " WHERE h.state = 'held' AND EXISTS (SELECT 1 FROM case_members m WHERE"
				       " m.case_id = a.case_id AND m.account_id = ? AND m.role IN ('supervisor','caseworker'))"
				       " ORDER BY h.id");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, reviewer);
	int rc;
	struct held_message h;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_held(st, &h);
		cb(&h, ctx);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "held list");
}
