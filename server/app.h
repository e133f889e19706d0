/* app.h: the control thread's state — store, caches, router, limits — and the group commit at each loop turn. */
#ifndef SAMVAER_APP_H
#define SAMVAER_APP_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "server/agreements/agreements.h"
#include "server/calls/calls.h"
#include "server/base/config.h"
#include "server/session/hasher.h"
#include "server/base/metrics.h"
#include "server/base/ratelimit.h"
#include "server/session/router.h"
#include "server/store/store.h"

struct session;
struct app;

/* Runs after the turn's commit: ok = 1 when the writes are durable, 0 when they were rolled back. */
typedef void (*commit_fn)(struct app *app, void *arg, int ok);

struct commit_wait {
	commit_fn fn;             /* what to do after the commit */
	void *arg;                /* its argument (owned by fn) */
	struct commit_wait *next; /* queue link */
	int embedded;             /* lives inside arg (app_after_commit_in): not freed by the app */
};

/* The waiters of one committed turn, until the syncer reports its generation durable. */
struct commit_batch {
	uint64_t gen;              /* commit generation that must be durable */
	uint64_t started_ns;       /* when the commit began (latency histogram) */
	struct commit_wait *waits; /* in order */
	struct commit_batch *next;
};

struct app {
	struct config cfg;              /* settings in force */
	struct ev_loop *loop;           /* the control thread's loop */
	struct store *store;            /* the one database connection */
	struct metrics metrics;         /* counters for /metrics */
	struct agreements agreements;   /* policy cache */
	struct calls calls;             /* live calls and their media */
	struct router router;           /* connected sessions */
	struct ratelimit login_by_pair; /* login attempts per (username, address), hard limit */
	struct ratelimit login_by_user; /* login attempts per username, from any address: backoff */
	struct ratelimit login_by_addr; /* login/resume attempts per client address */
	int64_t next_expiry;            /* ms: no connection's token expires before this (session_expire) */
	struct hasher *hasher;          /* password verification thread */
	struct commit_wait *wait_head;  /* waiting for this turn's commit, in order */
	struct commit_wait **wait_tail;
	struct syncer *syncer;          /* fsyncs the WAL off the loop (NULL with sync_full = 0) */
	uint64_t committed_gen;         /* commits made */
	uint64_t durable_gen;           /* commits known durable */
	uint64_t requested_gen;         /* highest commit handed to the syncer (an fsync is in flight while > durable_gen) */
	unsigned unsynced_files;        /* STORE_FILE_* written by commits not yet handed to the syncer */
	struct commit_batch *batch_head; /* committed turns waiting to be durable, oldest first */
	struct commit_batch **batch_tail;
	struct session *unauth_head;    /* sessions not yet authenticated, oldest first */
	struct session *unauth_tail;
	int64_t data_version;           /* last seen PRAGMA data_version */
	uint64_t next_conn_id;          /* connection ids, never reused */
	int shutting_down;              /* refuse new connections */
	int timers_started;             /* watchers below are running */
	ev_prepare turn_end;            /* runs the group commit before the loop blocks */
	ev_timer poll_timer;            /* notices changes made by samvaer-admin */
	ev_timer sweep_timer;           /* auth timeouts and rate-limit windows */
	ev_io media_io;                 /* the media workers' event queue */
};

/* Open the store, load the caches and start the timers and hasher. 0, or -1 with err. */
int app_init(struct app *app, const struct config *cfg, struct ev_loop *loop, char *err, size_t errlen);
void app_free(struct app *app);
/* Queue fn to run once the current turn's writes are committed (or failed). */
void app_after_commit(struct app *app, commit_fn fn, void *arg);
/* The same without an allocation: `w` is caller memory (typically inside arg) that stays valid until fn runs. */
void app_after_commit_in(struct app *app, struct commit_wait *w, commit_fn fn, void *arg);
/* Commit the open transaction now, make it durable on this thread, and run every waiter (admin API,
 * shutdown). The per-turn path (app.c: on_turn_end) commits without waiting and lets the syncer thread
 * make the turn durable before its waiters run. */
void app_flush(struct app *app);
/* This process changed agreements (admin API): after the commit, rebuild the cache and push the changes. */
void app_agreements_changed(struct app *app);
/* Check for changes made by other processes and push them to connected clients. */
void app_poll_changes(struct app *app);

#endif
