/* msglog.h: the durable record of conversation messages — an append-only file of checksummed records, indexed in
 * memory by conversation and sequence number and by idempotency key.
 *
 * Why not a SQLite table: each message there dirtied a leaf of two B-trees, which went into the WAL and later the
 * database file whole, and the B-tree work was half the server's CPU at saturation (docs/PERFORMANCE.md). Here a
 * message costs its own bytes: appends gather in memory during a loop turn, one pwrite puts them in the file, and
 * one fdatasync (the syncer thread's) makes a whole group durable.
 *
 * One process writes (it holds an exclusive flock on the file); any other process may open the file read-only
 * and sees the records that were complete when it scanned. Opening for writing cuts off a torn or corrupt tail:
 * records past the first bad one were never made durable, so never acknowledged.
 *
 * Record: a 12-byte header (magic "SVM1", payload length, CRC-32C of the payload), then the payload: agreement,
 * seq, sender, sent_at (4 x int64), key length (uint16), text length (uint32), key bytes, text bytes; all
 * little-endian. Within a conversation, seqs are 1, 2, 3, ... with no gaps; a compacted log starts a conversation
 * past its removed messages (at the floor the store keeps, store_compact.c), still without gaps after that. */
#ifndef SAMVAER_MSGLOG_H
#define SAMVAER_MSGLOG_H

#include <stddef.h>
#include <stdint.h>

#define MSGLOG_OK 0
#define MSGLOG_DUPLICATE 1 /* the (agreement, sender, key) or the (agreement, seq) already exists */
#define MSGLOG_ERR (-1)

#define MSGLOG_HEADER 12
#define MSGLOG_FIXED 38               /* payload bytes before the key */
#define MSGLOG_MAX_PAYLOAD (1u << 20) /* a longer length field is corruption */

struct msglog_record {
	int64_t agreement, seq, sender, sent_at;
	const char *key; /* not terminated */
	size_t key_len;
	const char *text; /* not terminated */
	size_t text_len;
};

/* Decode the record at p: its whole length (header + payload), or 0 when p holds no complete, valid record. */
size_t msglog_decode(const uint8_t *p, size_t n, struct msglog_record *r);

struct msglog;

/* Open (creating it when writable) and index the file. Writable: fails if another process writes it. */
struct msglog *msglog_open(const char *path, int writable, char *err, size_t errlen);
void msglog_close(struct msglog *l);
int msglog_writable(const struct msglog *l);
int msglog_fd(const struct msglog *l);

/* Add a message to this turn's pending appends; its seq must be the conversation's last + 1. Found by every
 * lookup at once; in the file after msglog_write. */
int msglog_append(struct msglog *l, const struct msglog_record *r);
int msglog_pending(const struct msglog *l);
/* Write the pending appends (one pwrite). On failure they are dropped, as msglog_discard does, and errno says why. */
int msglog_write(struct msglog *l);
int msglog_sync(struct msglog *l);
void msglog_discard(struct msglog *l);

int64_t msglog_last_seq(const struct msglog *l, int64_t agreement);
/* The oldest seq still held (1 unless messages were removed; last + 1 when none is). */
int64_t msglog_first_seq(const struct msglog *l, int64_t agreement);
/* Who sent message seq and when, from memory: 0, or -1 when there is no such message. */
int msglog_meta(const struct msglog *l, int64_t agreement, int64_t seq, int64_t *sender, int64_t *sent_at);
/* Read message seq: 0 and *r filled (its strings valid until the next read or append), or -1 (errno ENOENT
 * when there is no such message). */
int msglog_read(struct msglog *l, int64_t agreement, int64_t seq, struct msglog_record *r);
/* The seq of the message with this idempotency key, or 0 when there is none (-1 on a read error). */
int64_t msglog_find_key(struct msglog *l, int64_t agreement, int64_t sender, const char *key, size_t key_len);

/* Internal, shared with the unit test: the idempotency-key table's hash (SipHash-2-4 of agreement, sender and key
 * under the process key; never 0 or 1); a key's slot is its low bits. */
uint64_t msglog__key_hash(int64_t agreement, int64_t sender, const char *key, size_t len);

/* Removing messages (retention, erasure; msglog_compact.c). msglog_floor: the conversation keeps only seq >= first_seq
 * from now on (reads and idempotency keys forget the others at once; the conversation's last seq stays, so the next
 * message continues the sequence even when all were removed). Adds the messages hidden to *removed (may be NULL).
 * Only committed messages can be floored. 0, or -1 with errno. */
int msglog_floor(struct msglog *l, int64_t agreement, int64_t first_seq, uint64_t *removed);
struct msglog_compaction {
	uint64_t removed_records, removed_bytes; /* records left out of the new file */
	uint64_t bytes_before, bytes_after;
};
/* Rewrite the file at `path` (the log's own) with only the messages still indexed: PATH.compact is written,
 * fdatasynced, renamed over PATH and the directory fsynced; the log then writes the new file. The writer only, with
 * nothing pending. 0, or -1 with err (the old file is kept). Another process holding the old file open keeps
 * reading the old file until it reopens. */
int msglog_compact(struct msglog *l, const char *path, struct msglog_compaction *st, char *err, size_t errlen);

/* The same with the bulk of the copy on a thread: _start snapshots what is kept and copies the file's bytes up to
 * now in the background while appends go on; once _done, _finish (the writer's thread, nothing pending) copies the
 * records appended meanwhile, syncs, renames and moves the index. _finish fails with EAGAIN (the old file kept) if
 * msglog_floor removed more meanwhile: start again. _abort waits for the thread and drops its work. */
struct msglog_compactor;
struct msglog_compactor *msglog_compact_start(struct msglog *l, const char *path, char *err, size_t errlen);
int msglog_compact_done(const struct msglog_compactor *k);
int msglog_compact_finish(struct msglog *l, struct msglog_compactor *k, struct msglog_compaction *st, char *err,
			  size_t errlen);
void msglog_compact_abort(struct msglog_compactor *k);

/* Bytes of complete records in the file, and messages indexed. */
uint64_t msglog_size(const struct msglog *l);
uint64_t msglog_count(const struct msglog *l);

#endif
