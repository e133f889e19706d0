/* app.c: wiring of the control thread — the per-turn group commit, change polling and periodic sweeps. */
#include "server/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/worker.h"
#include "server/calls/calls.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/policy/policy.h"
#include "server/session/session.h"
#include "server/store/syncer.h"

#define POLL_INTERVAL_S 0.25
#define SWEEP_INTERVAL_S 1.0

void app_after_commit_in(struct app *app, struct commit_wait *w, commit_fn fn, void *arg)
{
	w->fn = fn;
	w->arg = arg;
	w->next = NULL;
	*app->wait_tail = w;
	app->wait_tail = &w->next;
}

void app_after_commit(struct app *app, commit_fn fn, void *arg)
{
	struct commit_wait *w = malloc(sizeof(*w));
	if (!w) {
		fn(app, arg, 0);
		return;
	}
	w->embedded = 0;
	app_after_commit_in(app, w, fn, arg);
}

static void run_waits(struct app *app, struct commit_wait *w, int ok)
{
	while (w) {
		struct commit_wait *next = w->next;
		int embedded = w->embedded; /* fn may free the memory w lives in */
		w->fn(app, w->arg, ok);
		if (!embedded)
			free(w);
		w = next;
	}
}

/* Run, in order, every committed batch whose generation is durable (or failed to become so). */
static void run_durable(struct app *app, uint64_t gen, int ok)
{
	if (gen > app->durable_gen)
		app->durable_gen = gen;
	while (app->batch_head && app->batch_head->gen <= gen) {
		struct commit_batch *b = app->batch_head;
		app->batch_head = b->next;
		if (!app->batch_head)
			app->batch_tail = &app->batch_head;
		if (ok)
			metrics_commit_observe(&app->metrics, clock_mono_ns() - b->started_ns);
		run_waits(app, b->waits, ok);
		free(b);
	}
}

enum commit_mode {
	COMMIT_TURN,  /* end of a loop turn: may wait while an fsync is in flight */
	COMMIT_NOW,   /* commit now; the syncer makes it durable */
	COMMIT_WAIT,  /* commit and fsync on this thread (admin API, shutdown) */
};

/* An fsync is running (or about to) for an earlier commit: committing now would only wait behind it. Commits
 * nobody waits for are not handed to the syncer, so this looks at what was requested, not what was committed. */
static int sync_in_flight(const struct app *app)
{
	return app->syncer && app->requested_gen > app->durable_gen;
}

static void request_sync(struct app *app)
{
	app->requested_gen = app->committed_gen;
	syncer_request(app->syncer, app->committed_gen, app->unsynced_files);
	app->unsynced_files = 0;
}

/* A failed commit dropped its messages: conversations continue from what the log holds. */
static void resync_seqs(struct app *app)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->agreements.by_id, &pos, NULL, &v)) {
		struct agreement *a = v;
		a->last_seq = store_message_last_seq(app->store, a->id);
	}
}

/* Between two transactions: finish the background checkpoint's work so the WAL starts over (syncer.h). This
 * blocks the loop for the frames written since that checkpoint began, and the fsyncs of the few pages it copies:
 * 1-3 ms, once per 16 MiB of WAL (about once a second at 5,000 msg/s). */
static void restart_wal(struct app *app)
{
	uint64_t t0 = clock_mono_ns();
	int wal = 0, copied = 0;
	if (store_checkpoint(app->store, &wal, &copied) != STORE_OK)
		log_warn("WAL checkpoint: %s", store_errmsg(app->store));
	syncer_wal_restart_done(app->syncer);
	app->metrics.wal_restarts++;
	log_debug("WAL checkpoint on the loop: %d of %d frames in %.1f ms", copied, wal, (clock_mono_ns() - t0) / 1e6);
}

/* Commit the open transaction; its waiters run once it is durable. At the end of a turn, while an fsync is in
 * flight, the transaction stays open and gathers the next turns' writes: it is committed as soon as that fsync
 * completes (on_synced), so one commit and one fsync cover them all and nothing waits longer than it would have
 * behind the running fsync. */
static void commit_turn(struct app *app, enum commit_mode mode)
{
	if (mode == COMMIT_TURN && sync_in_flight(app))
		return;
	uint64_t t0 = clock_mono_ns();
	int ok = 1;
	if (store_in_txn(app->store)) {
		ok = store_commit(app->store) == STORE_OK;
		if (ok)
			app->committed_gen++;
		else {
			app->metrics.commit_failures++;
			log_error("%s", store_errmsg(app->store));
			resync_seqs(app);
		}
		app->unsynced_files |= store_take_written(app->store);
	}
	if (ok && app->syncer && syncer_wal_restart_wanted(app->syncer))
		restart_wal(app);
	/* Waiters may queue new waiters (for the next turn): detach the list first. */
	struct commit_wait *w = app->wait_head;
	app->wait_head = NULL;
	app->wait_tail = &app->wait_head;
	if (!ok) {
		run_waits(app, w, 0);
		return;
	}
	int wait_here = mode == COMMIT_WAIT;
	if (w && app->syncer && app->committed_gen > app->durable_gen) {
		struct commit_batch *b = malloc(sizeof(*b));
		if (b) {
			*b = (struct commit_batch){app->committed_gen, t0, w, NULL};
			*app->batch_tail = b;
			app->batch_tail = &b->next;
			w = NULL;
			if (!wait_here)
				request_sync(app);
		} else {
			wait_here = 1;
		}
	}
	if (wait_here && app->syncer && app->committed_gen > app->durable_gen) {
		request_sync(app);
		int synced = syncer_sync_now(app->syncer) == 0;
		run_durable(app, app->committed_gen, synced);
		run_waits(app, w, synced);
		return;
	}
	if (!app->syncer && w)
		metrics_commit_observe(&app->metrics, clock_mono_ns() - t0);
	run_waits(app, w, 1); /* nothing of theirs waits for an fsync */
}

static void on_synced(uint64_t gen, int ok, void *arg)
{
	struct app *app = arg;
	if (!ok)
		app->metrics.commit_failures++;
	run_durable(app, gen, ok);
	commit_turn(app, COMMIT_TURN); /* what gathered while that fsync ran */
}

void app_flush(struct app *app)
{
	commit_turn(app, COMMIT_WAIT);
}

static void on_turn_end(struct ev_loop *loop, ev_prepare *w, int revents)
{
	commit_turn(w->data, COMMIT_TURN);
}

static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	app_poll_changes(w->data);
	session_expire(w->data, clock_now_ms()); /* every 250 ms: a token's connections end within a second of it */
}

/* Windows open and close, pauses and agreements expire without any write: when an agreement's decision may
 * have changed by itself, push fresh contact entries to its connected parties. */
static void sweep_boundaries(struct app *app, int64_t now)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->agreements.by_id, &pos, NULL, &v)) {
		struct agreement *a = v;
		if (a->next_boundary > now)
			continue;
		if (a->next_boundary != 0) /* 0 = not computed yet: nothing to announce */
			session_agreement_changed(a, a, app);
		int64_t next = policy_next_change(a, now);
		a->next_boundary = next ? next : INT64_MAX;
	}
}

static void on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct app *app = w->data;
	int64_t now = clock_now_ms();
	session_sweep(app, now);
	sweep_boundaries(app, now);
	calls_sweep(app);
	ratelimit_sweep(&app->login_by_pair, now);
	ratelimit_sweep(&app->login_by_user, now);
	ratelimit_sweep(&app->login_by_addr, now);
}

void app_poll_changes(struct app *app)
{
	commit_turn(app, COMMIT_NOW); /* a transaction kept open across turns must not hide other writers' changes */
	if (store_in_txn(app->store))
		return; /* the commit failed; look again next tick */
	int64_t v = store_data_version(app->store);
	if (v == app->data_version)
		return;
	app->data_version = v;
	if (agreements_reload(&app->agreements, app->store, session_agreement_changed, app) != STORE_OK)
		log_error("reloading agreements: %s", store_errmsg(app->store));
	session_check_accounts(app);
}

void app_agreements_changed(struct app *app)
{
	app_flush(app);
	if (agreements_reload(&app->agreements, app->store, session_agreement_changed, app) != STORE_OK)
		log_error("reloading agreements: %s", store_errmsg(app->store));
}

static void on_media_events(struct ev_loop *loop, ev_io *w, int revents)
{
	struct app *app = w->data;
	struct media_event evs[64];
	size_t n;
	while ((n = media_events_poll(evs, 64)) > 0) {
		app->metrics.media_events += n;
		for (size_t i = 0; i < n; i++)
			calls_media_event(app, &evs[i]);
	}
}

static void start_timers(struct app *app)
{
	ev_prepare_init(&app->turn_end, on_turn_end);
	app->turn_end.data = app;
	ev_prepare_start(app->loop, &app->turn_end);
	ev_unref(app->loop);
	ev_timer_init(&app->poll_timer, on_poll, POLL_INTERVAL_S, POLL_INTERVAL_S);
	app->poll_timer.data = app;
	ev_timer_start(app->loop, &app->poll_timer);
	ev_unref(app->loop);
	ev_timer_init(&app->sweep_timer, on_sweep, SWEEP_INTERVAL_S, SWEEP_INTERVAL_S);
	app->sweep_timer.data = app;
	ev_timer_start(app->loop, &app->sweep_timer);
	ev_unref(app->loop);
	ev_io_init(&app->media_io, on_media_events, media_events_fd(), EV_READ);
	app->media_io.data = app;
	ev_io_start(app->loop, &app->media_io);
	ev_unref(app->loop);
	app->timers_started = 1;
}

int app_init(struct app *app, const struct config *cfg, struct ev_loop *loop, char *err, size_t errlen)
{
	memset(app, 0, sizeof(*app));
	app->cfg = *cfg;
	app->loop = loop;
	app->wait_tail = &app->wait_head;
	app->batch_tail = &app->batch_head;
	app->next_conn_id = 1;
	agreements_init(&app->agreements);
	router_init(&app->router);
	/* PROTOCOL.md section 4: a stranger guessing at one address cannot lock the owner out of a name */
	ratelimit_init(&app->login_by_pair, 5, 10 * 60 * 1000);
	ratelimit_init_backoff(&app->login_by_user, 10, 10 * 60 * 1000, 1000, 60 * 1000);
	ratelimit_init(&app->login_by_addr, 30, 60 * 1000);
	app->store = store_open(cfg->data_dir, cfg->sync_full ? STORE_SYNC_EXTERNAL : STORE_SYNC_NORMAL, err, errlen);
	if (!app->store)
		return -1;
	if (store_claim_messages(app->store) != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(app->store));
		return -1;
	}
	if (cfg->sync_full && !(app->syncer = syncer_start(loop, cfg->data_dir, on_synced, app))) {
		snprintf(err, errlen, "cannot start the syncer thread");
		return -1;
	}
	if (agreements_reload(&app->agreements, app->store, NULL, NULL) != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(app->store));
		return -1;
	}
	store_sessions_purge_expired(app->store, clock_now_ms());
	app->data_version = store_data_version(app->store);
	app->hasher = hasher_start(loop, 1, session_login_verified, app);
	if (!app->hasher) {
		snprintf(err, errlen, "cannot start the password hasher");
		return -1;
	}
	if (calls_init(app, err, errlen) != 0)
		return -1;
	start_timers(app);
	return 0;
}

void app_free(struct app *app)
{
	if (app->timers_started) {
		ev_ref(app->loop);
		ev_prepare_stop(app->loop, &app->turn_end);
		ev_ref(app->loop);
		ev_timer_stop(app->loop, &app->poll_timer);
		ev_ref(app->loop);
		ev_timer_stop(app->loop, &app->sweep_timer);
		ev_ref(app->loop);
		ev_io_stop(app->loop, &app->media_io);
	}
	calls_free(app);
	hasher_stop(app->hasher);
	if (app->store)
		app_flush(app);
	syncer_stop(app->syncer);
	if (app->batch_head) /* cannot happen after app_flush; never leave a waiter unanswered */
		run_durable(app, UINT64_MAX, 0);
	store_close(app->store);
	agreements_free(&app->agreements);
	router_free(&app->router);
	ratelimit_free(&app->login_by_pair);
	ratelimit_free(&app->login_by_user);
	ratelimit_free(&app->login_by_addr);
}
