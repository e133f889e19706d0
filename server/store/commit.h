/* commit.h: the group commit — one SQLite transaction and one message-log write per loop turn, made durable by the
 * syncer thread before the turn's continuations run. Handlers queue their continuation with commit_after(). */
#ifndef SAMVAER_COMMIT_H
#define SAMVAER_COMMIT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

struct metrics;
struct store;
struct syncer;

/* Runs after the turn's commit: ok = 1 when the writes are durable, 0 when they were rolled back. `owner` is the
 * commit's owner (commit_init), the same for every continuation. */
typedef void (*commit_fn)(void *owner, void *arg, int ok);

struct commit_wait {
	commit_fn fn;             /* what to do after the commit */
	void *arg;                /* its argument (owned by fn) */
	struct commit_wait *next; /* queue link */
	int embedded;             /* lives inside arg (commit_after_in): not freed by the commit */
};

/* The waiters of one committed turn, until the syncer reports its generation durable. */
struct commit_batch {
	uint64_t gen;              /* commit generation that must be durable */
	uint64_t started_ns;       /* when the commit began (latency histogram) */
	struct commit_wait *waits; /* in order */
	struct commit_batch *next;
};

struct commit {
	/* passed to commit_init */
	struct ev_loop *loop;        /* the control thread's loop */
	struct store *store;         /* the connection whose transaction is committed */
	struct metrics *metrics;     /* commit latency, failures, WAL restarts */
	void *owner;                 /* first argument of every commit_fn and of failed */
	void (*failed)(void *owner); /* a commit was rolled back (its log records were dropped); may be NULL */
	/* allocated by this */
	struct syncer *syncer; /* fsyncs the WAL and the log off the loop (NULL with sync_full = 0) */
	/* others */
	struct commit_wait *wait_head; /* waiting for this turn's commit, in order */
	struct commit_wait **wait_tail;
	uint64_t committed_gen;  /* commits made */
	uint64_t durable_gen;    /* commits known durable */
	uint64_t requested_gen;  /* highest commit handed to the syncer (an fsync is in flight while > durable_gen) */
	unsigned unsynced_files; /* STORE_FILE_* written by commits not yet handed to the syncer */
	struct commit_batch *batch_head; /* committed turns waiting to be durable, oldest first */
	struct commit_batch **batch_tail;
	ev_prepare turn_end; /* runs the group commit before the loop blocks */
	int started;         /* turn_end is running */
};

/* Start the syncer thread when sync_full. 0, or -1 with err. */
int commit_init(struct commit *c, struct ev_loop *loop, struct store *store, struct metrics *metrics,
		const char *data_dir, int sync_full, void *owner, char *err, size_t errlen);
/* Commit at the end of every loop turn from now on (an ev_prepare watcher that does not keep the loop alive). */
void commit_start(struct commit *c);
/* Stop the watcher, commit and fsync what is pending, stop the syncer; every waiter has run when this returns. */
void commit_free(struct commit *c);
/* Queue fn to run once the current turn's writes are committed (or failed). */
void commit_after(struct commit *c, commit_fn fn, void *arg);
/* The same without an allocation: `w` is caller memory (typically inside arg) that stays valid until fn runs. */
void commit_after_in(struct commit *c, struct commit_wait *w, commit_fn fn, void *arg);
/* Commit the open transaction now; the syncer makes it durable (before reading what other processes wrote). */
void commit_now(struct commit *c);
/* Commit the open transaction now, make it durable on this thread, and run every waiter (admin API, shutdown).
 * The per-turn path commits without waiting and lets the syncer thread make the turn durable before its waiters
 * run. */
void commit_flush(struct commit *c);
/* The message log file was replaced (store_messages_compact, right after a commit_flush): the syncer reopens it. */
void commit_log_replaced(struct commit *c);

#endif
