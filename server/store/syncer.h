/* syncer.h: makes committed transactions durable off the event loop. The loop commits with synchronous=OFF
 * (a commit is a pwrite into the message log and a few into the WAL, no fsync) and hands the commit's generation
 * to this thread, which fdatasyncs the files that commit wrote and reports back through ev_async; acknowledgements wait for that report. One fsync
 * covers every commit made before it started (group commit across loop turns). The same thread runs the
 * WAL checkpoints, on its own connection with synchronous=NORMAL, so they are durable too and never stall
 * the loop. */
#ifndef SAMVAER_SYNCER_H
#define SAMVAER_SYNCER_H

#include <ev.h>
#include <stdint.h>

struct syncer;
/* The files a commit wrote (the same bits as STORE_FILE_* in store.h). */
#define SYNCER_WAL 1u /* DIR/samvaer.db-wal */
#define SYNCER_LOG 2u /* DIR/messages.log */
/* Called on the loop thread: every commit up to `gen` is durable (ok = 1) or could not be made so (ok = 0). */
typedef void (*syncer_done_cb)(uint64_t gen, int ok, void *ctx);

struct syncer *syncer_start(struct ev_loop *loop, const char *data_dir, syncer_done_cb done, void *ctx);
/* Commits up to `gen` have been made, writing `files` (SYNCER_*); make them durable. */
void syncer_request(struct syncer *s, uint64_t gen, unsigned files);
/* The background checkpoint left a long WAL: the loop should checkpoint the rest itself between two
 * transactions (store_checkpoint), so that its next transaction starts the WAL over; then call _done. */
int syncer_wal_restart_wanted(struct syncer *s);
void syncer_wal_restart_done(struct syncer *s);
/* Make everything requested durable now, on the calling thread (shutdown, admin API); returns 0 or -1. */
int syncer_sync_now(struct syncer *s);
/* DIR/messages.log was replaced by a compacted copy (already durable): fsync the new file from now on. */
void syncer_log_replaced(struct syncer *s);
void syncer_stop(struct syncer *s);

#endif
