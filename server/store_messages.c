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
