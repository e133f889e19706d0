/* state.h: the control thread's state (struct app) that every request handler reaches through its session. */
#ifndef SAMVAER_STATE_H
#define SAMVAER_STATE_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "server/agreements/agreements.h"
#include "server/base/config.h"
#include "server/base/metrics.h"
#include "server/base/pace.h"
#include "server/base/ratelimit.h"
#include "server/session/hasher.h"
#include "server/session/router.h"
#include "server/session/session.h"
#include "server/store/commit.h"
#include "server/store/store.h"

struct calls;
struct push;
struct msglog_compactor;
struct blobstore;
struct uploads;
struct exporter;

struct app {
	struct config cfg;              /* settings in force */
	struct ev_loop *loop;           /* the control thread's loop */
	struct store *store;            /* the one database connection */
	struct commit commit;           /* the group commit at each loop turn (store/commit.h) */
	struct metrics metrics;         /* counters for /metrics */
	struct agreements agreements;   /* policy cache */
	struct calls *calls;            /* live calls and their media (calls/calls.c) */
	struct push *push;              /* Web Push: VAPID key, sender thread (push/push.c) */
	struct blobstore *blobs;        /* content-addressed media files (blobs/blobstore.h) */
	struct uploads *uploads;        /* tus uploads at /files/, downloads at /media/ (server/uploads) */
	struct exporter *exporter;      /* subject-access exports, off the loop (retention/exporter.h) */
	struct router router;           /* connected sessions */
	struct session_table features;  /* what chat and calls added: their request types and listeners */
	struct ratelimit login_by_pair; /* login attempts per (username, address), hard limit */
	struct ratelimit login_by_user; /* login attempts per username, from any address: backoff */
	struct ratelimit login_by_addr; /* login/resume attempts per client address */
	struct ratelimit invite_tries;  /* invitation codes tried per client address (server/invites) */
	struct ratelimit pair_by_addr;  /* pairing codes tried per client address (devices/devices_ws.c) */
	struct pace send_pace;          /* messages sent per account (session/sendlimit.c); unused when send_rate 0 */
	int64_t next_expiry;            /* ms: no connection's token expires before this (session_expire) */
	struct hasher *hasher;          /* password verification thread */
	struct session *unauth_head;    /* sessions not yet authenticated, oldest first */
	struct session *unauth_tail;
	int64_t data_version;               /* last seen PRAGMA data_version (app.c) */
	uint64_t next_conn_id;              /* connection ids, never reused */
	int shutting_down;                  /* refuse new connections */
	int timers_started;                 /* watchers below are running (app.c) */
	ev_timer poll_timer;                /* notices changes made by samvaer-admin */
	ev_timer sweep_timer;               /* auth timeouts and rate-limit windows */
	ev_io media_io;                     /* the media workers' event queue */
	ev_timer retention_timer;           /* the retention sweep (server/retention) */
	ev_timer compact_timer;             /* polls a background compaction of the message log */
	struct msglog_compactor *compactor; /* that compaction, or NULL */
	int compact_owed; /* a compaction failed: the next sweep compacts even if it removes nothing */
};

#endif
