/* store_retention.h: removing messages for good — per-conversation floors (the first seq still kept), compaction of
 * DIR/messages.log without what lies below them, and the per-case retention periods the sweep enforces
 * (server/retention/). Media and recordings periods are stored and shown; they apply once those exist. */
#ifndef SAMVAER_STORE_RETENTION_H
#define SAMVAER_STORE_RETENTION_H

#include <stdint.h>

#include "server/store/msglog.h"
#include "server/store/store.h"

/* Inside a write transaction: conversation `agreement` keeps only messages with seq >= first_seq (a floor never moves
 * down). *removed (may be NULL) gets how many messages this hides. The log forgets them when the transaction is
 * committed and store_messages_compact runs (or, after a crash, when the log is next opened). */
int store_message_floor_set(struct store *s, int64_t agreement, int64_t first_seq, int64_t *removed);
/* Outside a transaction, nothing pending, as the log's writer: apply every floor to the log, then rewrite the file
 * without the messages below them (msglog_compact). STORE_OK or STORE_ERR. */
int store_messages_compact(struct store *s, struct msglog_compaction *out);
/* The same with the copy on a thread (msglog_compact_start): _start applies the floors and starts it (NULL with
 * store_errmsg); once msglog_compact_done, _finish completes it (outside a transaction, nothing pending). */
struct msglog_compactor *store_messages_compact_start(struct store *s);
int store_messages_compact_finish(struct store *s, struct msglog_compactor *k, struct msglog_compaction *out);
/* After an erasure: copy the WAL into the database file and truncate the WAL to zero bytes, so the erased rows' old
 * page images leave it (secure_delete has overwritten them in the database). Outside a transaction. STORE_OK, or
 * STORE_BUSY-like STORE_NOT_FOUND when a reader kept it from finishing (the WAL is then reused from its start). */
int store_wal_truncate(struct store *s);
/* Messages still in the file although a floor removed them (a crash before the compaction): 0 after one. */
uint64_t store_messages_hidden(struct store *s);
/* Apply the floors to a freshly opened log (store__log calls it). */
int store__apply_floors(struct store *s, struct msglog *l);

struct retention {
	int64_t case_id;
	int messages_days, media_days, recordings_days; /* 0 = kept for ever */
	int64_t set_by, set_at;
};
#define RETENTION_MAX_DAYS 36500
/* The case's periods (all 0 when never set): STORE_OK or STORE_ERR. */
int store_retention_get(struct store *s, int64_t case_id, struct retention *out);
/* Inside a write transaction. */
int store_retention_set(struct store *s, const struct retention *r);

/* A conversation with messages older than its case's period: everything below first_keep goes. */
struct retention_due {
	int64_t case_id, agreement_id, first_keep;
	int messages_days;
};
typedef void (*store_retention_due_cb)(const struct retention_due *d, void *ctx);
/* Every conversation holding messages sent before now - messages_days of its case. */
int store_retention_due(struct store *s, int64_t now, store_retention_due_cb cb, void *ctx);

#endif
