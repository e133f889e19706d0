/* store.h: the durable store — SQLite in WAL mode, versioned migrations, and group commit per loop turn. */
#ifndef SAMVAER_STORE_H
#define SAMVAER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "server/policy/agreement.h"

#define STORE_OK 0
#define STORE_NOT_FOUND 1
#define STORE_DUPLICATE 2
#define STORE_ERR (-1)

#define STORE_TOKEN_HASH_LEN 32

struct store;

struct account {
	int64_t id;
	char username[65];
	char display_name[129];
	char role[16];           /* child, contact, carer, caseworker, supervisor, operator */
	char password_hash[160]; /* Argon2id encoded string */
	int disabled;
	int64_t password_reset_at; /* ms: a carer or caseworker reset the password; told at the next login, then 0 */
	char locale[16];           /* preferred language ("ro"; "" = the device's): the column accounts.language */
};

struct message {
	int64_t agreement_id;
	int64_t seq;
	int64_t sender_id;
	int64_t sent_at;  /* ms */
	const char *text; /* valid during the callback only */
	size_t text_len;
};

/* How commits reach the disk. */
#define STORE_SYNC_NORMAL 0 /* synchronous=NORMAL: durable at checkpoints (tests, benchmarks) */
#define STORE_SYNC_FULL 1   /* synchronous=FULL: every commit fsyncs (samvaer-admin) */
#define STORE_SYNC_EXTERNAL \
	2 /* synchronous=OFF, no auto-checkpoint: the server's syncer thread fsyncs
			       * the WAL and checkpoints (server/syncer.h) */

/* Open (creating if needed) DIR/samvaer.db and migrate it to the latest schema. NULL with err on failure. */
struct store *store_open(const char *dir, int sync_mode, char *err, size_t errlen);
void store_close(struct store *s);
const char *store_errmsg(struct store *s);
/* Schema version of the open database, and the version this build migrates to. */
int store_schema_version(struct store *s);
int store_schema_latest(void);
/* Migrate an open database up to `target` (used by tests to build every earlier version). */
int store_migrate_to(struct store *s, int target);
/* Open without migrating (tests): the raw database at whatever version it is. */
struct store *store_open_raw(const char *dir, char *err, size_t errlen);
/* Run SQL directly (tests and admin only). */
int store_exec(struct store *s, const char *sql);

/* Group commit: writes join one transaction per loop turn; commit makes them durable. Messages go to the message
 * log (server/msglog.h) instead of SQLite and need no store_begin: they are pending until the next commit, which
 * writes them first and then commits the SQLite transaction, if one is open. */
int store_begin(struct store *s);  /* BEGIN IMMEDIATE unless a transaction is open */
int store_commit(struct store *s); /* write pending messages, COMMIT if open; STORE_ERR leaves both rolled back */
void store_rollback(struct store *s);
int store_in_txn(struct store *s); /* a transaction is open or messages are pending */
/* Which files the commits since the last call wrote (STORE_FILE_*): what an fsync must cover. */
#define STORE_FILE_WAL 1u /* DIR/samvaer.db-wal */
#define STORE_FILE_LOG 2u /* DIR/messages.log */
unsigned store_take_written(struct store *s);
/* Become the writer of DIR/messages.log now (the server, at start), rather than at the first message: fails while
 * another process writes it. Also moves any messages an older version kept in SQLite into the log. */
int store_claim_messages(struct store *s);
/* Copy every WAL frame into the database file, durably, on this connection (outside a transaction). The next
 * write transaction then starts the WAL over from its beginning. Sets the WAL's size and the frames copied, in
 * frames; SQLITE_BUSY (another checkpoint running) counts as STORE_OK with copied < wal. */
int store_checkpoint(struct store *s, int *wal_frames, int *copied_frames);
/* Changes whenever another connection (e.g. samvaer-admin) commits. */
int64_t store_data_version(struct store *s);

/* Accounts. Names are matched by their exact spelling first, then by NFKC case fold (server/base/username.h). */
int store_account_by_name(struct store *s, const char *username, struct account *out);
int store_account_by_id(struct store *s, int64_t id, struct account *out);
int store_account_add(struct store *s, const struct account *a, int64_t *id);
int store_account_set_disabled(struct store *s, const char *username, int disabled);
int store_account_count(struct store *s, int64_t *n);
typedef void (*store_account_cb)(const struct account *a, void *ctx);
int store_accounts_list(struct store *s, store_account_cb cb, void *ctx);

/* Sessions (token hashes only) */
int store_session_add(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], int64_t account, int64_t expires_at);
int store_session_get(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN], int64_t *account, int64_t *expires_at);
int store_session_del(struct store *s, const uint8_t hash[STORE_TOKEN_HASH_LEN]);
int store_sessions_purge_expired(struct store *s, int64_t now_ms);

/* Cases: a child's case and the adults linked to it */
int store_case_add(struct store *s, int64_t child_id, const char *tz, int64_t *case_id);
int store_case_of_child(struct store *s, int64_t child_id, int64_t *case_id);
int store_case_link(struct store *s, int64_t case_id, int64_t account_id, const char *role);
/* 1 if account is linked to the case in `role`, 0 if not (errors count as not). */
int store_case_has_member(struct store *s, int64_t case_id, int64_t account_id, const char *role);
typedef void (*store_case_cb)(int64_t case_id, const char *child, const char *tz, const char *members, void *ctx);
int store_cases_list(struct store *s, store_case_cb cb, void *ctx);

/* Agreements */
int store_agreement_add(struct store *s, const struct agreement *a, int64_t *id);
int store_agreement_set_status(struct store *s, int64_t id, enum agreement_status st, const char *reason);
int store_agreement_set_channel(struct store *s, int64_t id, enum channel ch, enum channel_mode mode);
int store_agreement_get(struct store *s, int64_t id, struct agreement *out);
/* Replace channels, validity dates and terms with a's (the caller validated them). */
int store_agreement_set_terms(struct store *s, const struct agreement *a);

/* Pauses: the child pausing contact with one person, or a carer's emergency pause (with an expiry). */
int store_pause_add(struct store *s, int64_t agreement, int64_t by, const char *by_role, const char *reason,
		    int64_t expires_at, int64_t *pause_id);
/* End every open pause of the agreement (resume). STORE_NOT_FOUND if none was open. */
int store_pause_end(struct store *s, int64_t agreement, int64_t by);
/* End only the open pauses made by `by_role` (a child lifts its own pause, never a carer's). */
int store_pause_end_role(struct store *s, int64_t agreement, int64_t by, const char *by_role);
/* A notice for the case's caseworkers (kind: "pause", ...; detail: JSON text). */
int store_notice_add(struct store *s, int64_t case_id, int64_t agreement_id, const char *kind, const char *detail,
		     int64_t *notice_id);
/* Accounts linked to a case in `role`, via cb(account_id). */
typedef void (*store_id_cb)(int64_t id, void *ctx);
int store_case_members_in_role(struct store *s, int64_t case_id, const char *role, store_id_cb cb, void *ctx);
typedef void (*store_agreement_cb)(const struct agreement *a, void *ctx);
/* Every agreement, with last_seq filled in. */
int store_agreements_load(struct store *s, store_agreement_cb cb, void *ctx);

/* Messages (kept in DIR/messages.log). A message's seq must be its conversation's last + 1; STORE_DUPLICATE when
 * the seq or the sender's client_key was used already. */
int store_message_add(struct store *s, const struct message *m, const char *client_key);
int64_t store_message_last_seq(struct store *s, int64_t agreement);
/* Who sent each message of an agreement and when, oldest first, from memory (continuity reports). */
typedef void (*store_message_meta_cb)(int64_t seq, int64_t sender, int64_t sent_at, void *ctx);
int store_messages_meta(struct store *s, int64_t agreement, store_message_meta_cb cb, void *ctx);
/* Find a message by its idempotency key: STORE_OK fills seq/sent_at and calls cb for its text. */
typedef void (*store_message_cb)(const struct message *m, void *ctx);
int store_message_by_key(struct store *s, int64_t agreement, int64_t sender, const char *key, store_message_cb cb,
			 void *ctx);
/* Up to `limit` messages with seq < before (0 = newest), delivered oldest first; *more set if older exist. */
int store_messages_page(struct store *s, int64_t agreement, int64_t before, int limit, int *more, store_message_cb cb,
			void *ctx);
/* Messages with seq > after not sent by `exclude_sender`, oldest first, at most limit. */
int store_messages_after(struct store *s, int64_t agreement, int64_t after, int64_t exclude_sender, int limit,
			 store_message_cb cb, void *ctx);
int store_messages_unread(struct store *s, int64_t agreement, int64_t reader, int64_t read_seq, int64_t *count);

/* Held messages (message review before delivery). */
struct held_message {
	int64_t id, agreement_id, sender_id, sent_at;
	const char *text; /* valid during the callback only */
	size_t text_len;
	const char *reason; /* policy reason that held it */
	const char *state;  /* held, released, rejected */
	int64_t released_seq;
	const char *attachment_id;   /* the attachment it carries (server/blobs/attachments.h); "" = text only */
	const char *decision_reason; /* rejected: the reviewer's reason ("" = none given) */
};
typedef void (*store_held_cb)(const struct held_message *h, void *ctx);
/* attachment_id: the attachment the message carries (NULL or "" = none); m->text is then its caption. */
int store_held_add(struct store *s, const struct message *m, const char *client_key, const char *reason,
		   const char *attachment_id, int64_t *id);
int store_held_by_key(struct store *s, int64_t agreement, int64_t sender, const char *key, store_held_cb cb, void *ctx);
int store_held_get(struct store *s, int64_t id, store_held_cb cb, void *ctx);
/* Decide a held message once: release (with the seq it got in the conversation) or reject, with the reviewer's
 * reason (NULL = none). */
int store_held_decide(struct store *s, int64_t id, int64_t reviewer, int release, int64_t released_seq, int64_t now,
		      const char *reason);
/* Held messages in cases where `reviewer` is supervisor or caseworker. */
int store_held_pending(struct store *s, int64_t reviewer, store_held_cb cb, void *ctx);

/* Receipts: how far each party has received and read a conversation (markers only move forward). */
int store_receipt_get(struct store *s, int64_t agreement, int64_t account, int64_t *delivered, int64_t *read);
int store_receipt_advance(struct store *s, int64_t agreement, int64_t account, int64_t delivered, int64_t read);

#endif
