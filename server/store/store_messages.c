/* store_messages.c: conversation messages (in the message log, server/msglog.h), receipt markers and held messages. */
#include "server/store/store_internal.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "server/store/msglog.h"

static int log_fail(struct store *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "store: %s: %s", what, strerror(errno));
	return STORE_ERR;
}

/* Read message seq and hand it to cb. */
static int deliver(struct store *s, struct msglog *l, int64_t agreement, int64_t seq, store_message_cb cb, void *ctx)
{
	struct msglog_record r;
	if (msglog_read(l, agreement, seq, &r) != 0)
		return log_fail(s, "reading a message");
	struct message m = {r.agreement, r.seq, r.sender, r.sent_at, r.text, r.text_len};
	cb(&m, ctx);
	return STORE_OK;
}

int store_message_add(struct store *s, const struct message *m, const char *client_key)
{
	struct msglog *l = store__log(s, 1);
	if (!l)
		return STORE_ERR;
	struct msglog_record r = {m->agreement_id,    m->seq,  m->sender_id, m->sent_at, client_key,
				  strlen(client_key), m->text, m->text_len};
	int rc = msglog_append(l, &r);
	if (rc == MSGLOG_DUPLICATE) {
		snprintf(s->err, sizeof(s->err), "store: add message: seq %lld or its key exists", (long long)m->seq);
		return STORE_DUPLICATE;
	}
	return rc == MSGLOG_OK ? STORE_OK : log_fail(s, "add message");
}

int64_t store_message_last_seq(struct store *s, int64_t agreement)
{
	struct msglog *l = store__log(s, 0);
	return l ? msglog_last_seq(l, agreement) : 0;
}

int store_message_by_key(struct store *s, int64_t agreement, int64_t sender, const char *key, store_message_cb cb,
			 void *ctx)
{
	struct msglog *l = store__log(s, 0);
	if (!l)
		return STORE_ERR;
	int64_t seq = msglog_find_key(l, agreement, sender, key, strlen(key));
	if (seq < 0)
		return log_fail(s, "message by key");
	return seq == 0 ? STORE_NOT_FOUND : deliver(s, l, agreement, seq, cb, ctx);
}

int store_messages_page(struct store *s, int64_t agreement, int64_t before, int limit, int *more, store_message_cb cb,
			void *ctx)
{
	struct msglog *l = store__log(s, 0);
	*more = 0;
	if (!l)
		return STORE_ERR;
	int64_t last = msglog_last_seq(l, agreement);
	int64_t upper = before > 0 && before - 1 < last ? before - 1 : last; /* seqs have no gaps */
	int64_t first = msglog_first_seq(l, agreement); /* older ones were removed (retention, erasure) */
	int64_t lower = upper - limit + 1 > first ? upper - limit + 1 : first;
	*more = lower > first;
	for (int64_t seq = lower; seq <= upper; seq++)
		if (deliver(s, l, agreement, seq, cb, ctx) != STORE_OK)
			return STORE_ERR;
	return STORE_OK;
}

int store_messages_after(struct store *s, int64_t agreement, int64_t after, int64_t exclude_sender, int limit,
			 store_message_cb cb, void *ctx)
{
	struct msglog *l = store__log(s, 0);
	if (!l)
		return STORE_ERR;
	int64_t last = msglog_last_seq(l, agreement), sender, at;
	for (int64_t seq = after + 1; seq <= last && limit > 0; seq++) {
		if (msglog_meta(l, agreement, seq, &sender, &at) != 0 || sender == exclude_sender)
			continue;
		if (deliver(s, l, agreement, seq, cb, ctx) != STORE_OK)
			return STORE_ERR;
		limit--;
	}
	return STORE_OK;
}

int store_messages_unread(struct store *s, int64_t agreement, int64_t reader, int64_t read_seq, int64_t *count)
{
	struct msglog *l = store__log(s, 0);
	*count = 0;
	if (!l)
		return STORE_ERR;
	int64_t last = msglog_last_seq(l, agreement), sender, at;
	for (int64_t seq = read_seq + 1; seq <= last; seq++)
		if (msglog_meta(l, agreement, seq, &sender, &at) == 0 && sender != reader)
			(*count)++;
	return STORE_OK;
}

int store_messages_meta(struct store *s, int64_t agreement, store_message_meta_cb cb, void *ctx)
{
	struct msglog *l = store__log(s, 0);
	if (!l)
		return STORE_ERR;
	int64_t last = msglog_last_seq(l, agreement), sender, at;
	for (int64_t seq = 1; seq <= last; seq++)
		if (msglog_meta(l, agreement, seq, &sender, &at) == 0)
			cb(seq, sender, at, ctx);
	return STORE_OK;
}

int store_receipt_get(struct store *s, int64_t agreement, int64_t account, int64_t *delivered, int64_t *read)
{
	sqlite3_stmt *st = store__stmt(
	    s, SQL_RECEIPT_GET, "SELECT delivered_seq, read_seq FROM receipts WHERE agreement_id=? AND account_id=?");
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
	h->attachment_id = (const char *)sqlite3_column_text(st, 8);
	h->decision_reason = (const char *)sqlite3_column_text(st, 9);
	if (!h->attachment_id)
		h->attachment_id = "";
	if (!h->decision_reason)
		h->decision_reason = "";
}

#define HELD_COLS \
	"id, agreement_id, sender_id, sent_at, body, reason, state, released_seq, attachment_id, decision_reason"

int store_held_add(struct store *s, const struct message *m, const char *client_key, const char *reason,
		   const char *attachment_id, int64_t *id)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_HELD_ADD,
			"INSERT INTO held(agreement_id, sender_id, client_key, body, sent_at, reason, attachment_id)"
			" VALUES (?,?,?,?,?,?,?)");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, m->agreement_id);
	sqlite3_bind_int64(st, 2, m->sender_id);
	sqlite3_bind_text(st, 3, client_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->text, (int)m->text_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, m->sent_at);
	sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, attachment_id ? attachment_id : "", -1, SQLITE_STATIC);
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
	sqlite3_stmt *st = store__stmt(
	    s, SQL_HELD_BY_KEY, "SELECT " HELD_COLS " FROM held WHERE agreement_id=? AND sender_id=? AND client_key=?");
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

int store_held_decide(struct store *s, int64_t id, int64_t reviewer, int release, int64_t released_seq, int64_t now,
		      const char *reason)
{
	sqlite3_stmt *st =
	    store__stmt(s, SQL_HELD_DECIDE,
			"UPDATE held SET state=?, reviewed_by=?, reviewed_at=?, released_seq=?, decision_reason=?"
			" WHERE id=? AND state='held'");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, release ? "released" : "rejected", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, reviewer);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, released_seq);
	sqlite3_bind_text(st, 5, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, id);
	int rc = store__step_write(s, st, "review held message");
	return rc == STORE_OK && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}

int store_held_pending(struct store *s, int64_t reviewer, store_held_cb cb, void *ctx)
{
	/* Held messages of the cases where the reviewer is linked as supervisor or caseworker. */
	sqlite3_stmt *st = store__stmt(
	    s, SQL_HELD_PENDING,
	    "SELECT h.id, h.agreement_id, h.sender_id, h.sent_at, h.body, h.reason, h.state,"
	    " h.released_seq, h.attachment_id, h.decision_reason FROM held h JOIN agreements a ON a.id = h.agreement_id"
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
