/* app.c: wiring of the control thread — opens the store and caches, registers the features with the session, and
 * runs change polling, the periodic sweeps and the media workers' events. */
#include "server/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/worker.h"
#include "server/blobs/blobstore.h"
#include "server/calls/calls.h"
#include "server/chat/chat.h"
#include "server/invites/invites_ws.h"
#include "server/devices/devices.h"
#include "server/i18n/i18n.h"
#include "server/base/clock.h"
#include "server/base/cpu_place.h"
#include "server/base/log.h"
#include "server/policy/policy.h"
#include "server/push/push.h"
#include "server/retention/exporter.h"
#include "server/retention/retention.h"
#include "server/session/session.h"
#include "server/uploads/uploads.h"

#define POLL_INTERVAL_S 0.25
#define SWEEP_INTERVAL_S 1.0

/* A failed commit dropped its messages: conversations continue from what the log holds. */
static void resync_seqs(void *owner)
{
	struct app *app = owner;
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->agreements.by_id, &pos, NULL, &v)) {
		struct agreement *a = v;
		a->last_seq = store_message_last_seq(app->store, a->id);
	}
}

/* Every feature's request types, in lookup order (the hot msg.send early), and its listeners, in the order they
 * hear an event: a call an agreement no longer allows ends before the parties get the new contact entry. */
static int register_features(struct app *app)
{
	if (session_methods_add(app, contacts_methods, contacts_method_count) != 0 ||
	    session_methods_add(app, messaging_methods, messaging_method_count) != 0 ||
	    session_methods_add(app, calls_methods, calls_method_count) != 0 ||
	    session_methods_add(app, invites_methods, invites_method_count) != 0 ||
	    session_methods_add(app, devices_methods, devices_method_count) != 0 ||
	    session_methods_add(app, push_methods, push_method_count) != 0 ||
	    session_methods_add(app, profile_methods, profile_method_count) != 0)
		return -1;
	if (session_listen(app, &calls_listener) != 0 || session_listen(app, &contacts_listener) != 0 ||
	    session_listen(app, &messaging_listener) != 0)
		return -1;
	return 0;
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
	ratelimit_sweep(&app->invite_tries, now);
	ratelimit_sweep(&app->pair_by_addr, now);
	pace_sweep(&app->send_pace, (int64_t)(clock_mono_ns() / 1000));
}

void app_poll_changes(struct app *app)
{
	commit_now(&app->commit); /* a transaction kept open across turns must not hide other writers' changes */
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
	commit_start(&app->commit);
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
	retention_start(app);
	app->timers_started = 1;
}

/* The server's messages per language: a configured i18n_dir must load; without one, English alone is a warning. */
static int load_catalogs(const struct config *cfg, char *err, size_t errlen)
{
	const char *dir = cfg->i18n_dir[0] ? cfg->i18n_dir : i18n_default_dir();
	if (i18n_load(dir, err, errlen) == 0)
		return 0;
	if (cfg->i18n_dir[0])
		return -1;
	log_warn("%s: messages stay in English", err);
	err[0] = '\0';
	return 0;
}

int app_init(struct app *app, const struct config *cfg, struct ev_loop *loop, char *err, size_t errlen)
{
	memset(app, 0, sizeof(*app));
	app->cfg = *cfg;
	app->loop = loop;
	app->next_conn_id = 1;
	agreements_init(&app->agreements);
	router_init(&app->router);
	/* PROTOCOL.md section 4: a stranger guessing at one address cannot lock the owner out of a name */
	ratelimit_init(&app->login_by_pair, 5, 10 * 60 * 1000);
	ratelimit_init_backoff(&app->login_by_user, 10, 10 * 60 * 1000, 1000, 60 * 1000);
	ratelimit_init(&app->login_by_addr, 30, 60 * 1000);
	ratelimit_init(&app->invite_tries, INVITES_TRIES_PER_ADDR, INVITES_TRIES_WINDOW_MS);
	ratelimit_init(&app->pair_by_addr, 10, 10 * 60 * 1000); /* pairing codes tried: devices/devices_ws.c */
	pace_init(&app->send_pace, cfg->send_rate, (uint32_t)cfg->send_burst);
	if (load_catalogs(cfg, err, errlen) != 0)
		return -1;
	app->store = store_open(cfg->data_dir, cfg->sync_full ? STORE_SYNC_EXTERNAL : STORE_SYNC_NORMAL, err, errlen);
	if (!app->store)
		return -1;
	if (store_claim_messages(app->store) != STORE_OK) {
		snprintf(err, errlen, "%s", store_errmsg(app->store));
		return -1;
	}
	if (commit_init(&app->commit, loop, app->store, &app->metrics, cfg->data_dir, cfg->sync_full, app, err,
			errlen) != 0)
		return -1;
	app->commit.failed = resync_seqs;
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
	if (cpu_place_init(cfg->control_cpu, err, errlen) != 0) /* before the threads below start */
		return -1;
	if (!(app->blobs = blobstore_open(cfg->data_dir, err, errlen)))
		return -1;
	if (calls_init(app, err, errlen) != 0 || push_init(app, err, errlen) != 0)
		return -1;
	if (!(app->uploads = uploads_create(app, err, errlen)))
		return -1;
	if (!(app->exporter = exporter_start(loop, cfg->data_dir, err, errlen)))
		return -1;
	if (register_features(app) != 0) {
		snprintf(err, errlen, "a request type is registered twice, or the method table is full");
		return -1;
	}
	start_timers(app);
	int cpu = cpu_place_pin_control(); /* last: the threads started above may run on every CPU */
	if (cpu >= 0)
		log_info("control thread on CPU %d; media processing and compaction on the other CPUs", cpu);
	return 0;
}

void app_free(struct app *app)
{
	if (app->timers_started) {
		ev_ref(app->loop);
		ev_timer_stop(app->loop, &app->poll_timer);
		ev_ref(app->loop);
		ev_timer_stop(app->loop, &app->sweep_timer);
		ev_ref(app->loop);
		ev_io_stop(app->loop, &app->media_io);
		retention_stop(app);
	}
	calls_free(app);
	uploads_destroy(app->uploads); /* before the commit stops: processing answers record attachments */
	app->uploads = NULL;
	exporter_stop(app->exporter); /* after the server: no request waits for an export any more */
	app->exporter = NULL;
	push_free(app); /* after the calls: their end pushes nothing, but the sender must stop before the store */
	hasher_stop(app->hasher);
	commit_free(&app->commit); /* commits and fsyncs what is pending: every acknowledged write is durable */
	blobstore_close(app->blobs);
	store_close(app->store);
	agreements_free(&app->agreements);
	router_free(&app->router);
	ratelimit_free(&app->login_by_pair);
	ratelimit_free(&app->login_by_user);
	ratelimit_free(&app->login_by_addr);
	ratelimit_free(&app->invite_tries);
	ratelimit_free(&app->pair_by_addr);
	pace_free(&app->send_pace);
}
