/* calls_recording.c: recording a call. A supervisor in the call asks (call.record), where every agreement in the
 * call allows recording; each contact in the call agrees (call.record_consent); then the call's worker records the
 * mix and every video (media/recorder.h) until the supervisor stops, a contact withdraws, or the call ends. The call
 * object carries "recording" for everyone's indicator. Finished files go into the blob store on the recorder thread
 * and into the recordings table on this one; folders a crash left are taken in at the next start, marked
 * interrupted. Every step is audit-logged (call_recording). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "media/recorder.h"
#include "media/worker.h"
#include "proto/errors.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/blobs/blobstore.h"
#include "server/calls/calls_internal.h"
#include "server/recordings/recordings.h"
#include "server/store/audit.h"

enum rec_state { REC_OFF, REC_ASKING, REC_ON };
static const char *const rec_state_names[] = {"off", "requested", "on"};

struct call_rec {
	enum rec_state state;
	int64_t by;                        /* the supervisor who asked */
	int64_t consent[CALL_MAX_PARTIES]; /* contacts who agreed (account ids) */
	char id[RECORDING_ID_LEN + 1];     /* while on */
};

/* A recording the recorder finished: its rows, made on the recorder thread, stored on the control thread. */
struct finished {
	struct finished *next;
	struct app *app;
	struct recording_meta meta;
	char dir[PATH_MAX];
	int n, err;
	struct recording_row rows[RECORDING_FILES_MAX];
	struct commit_wait wait;
};

static struct {
	struct recorder *recorder;
	pthread_mutex_t lock;
	struct finished *done; /* finished on the recorder thread, not yet stored */
	ev_async wake;
	int started;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void rec_audit(struct app *app, int64_t actor, int64_t case_id, json_t *detail)
{
	if (store_begin(app->store) != STORE_OK ||
	    audit_append(app->store, actor, AUDIT_CALL_RECORDING, case_id, 0, detail) != STORE_OK)
		log_error("audit: %s", store_errmsg(app->store));
}

static void call_audit(struct call *c, int64_t actor, const char *action, json_t *extra)
{
	json_t *d = json_pack("{s:I,s:s}", "call_id", (json_int_t)c->id, "action", action);
	if (c->rec && c->rec->id[0])
		json_object_set_new(d, "recording", json_string(c->rec->id));
	if (extra)
		json_object_update(d, extra), json_decref(extra);
	rec_audit(c->app, actor, c->case_id, d);
}

void calls__rec_json(const struct call *c, json_t *o)
{
	json_object_set_new(o, "recording", json_string(rec_state_names[c->rec ? c->rec->state : REC_OFF]));
}

/* ---- files finished: recorder thread, then control thread ---- */

static void dir_removed(void *owner, void *arg, int ok)
{
	struct finished *f = arg;
	(void)owner;
	if (ok)
		recording_dir_remove(f->dir); /* the rows are durable: the folder's copies may go */
	free(f);
}

static void store_finished(struct app *app, struct finished *f)
{
	json_t *files = json_array();
	int stored = f->err ? -1 : 0;
	if (!stored && store_begin(app->store) != STORE_OK)
		stored = -1;
	for (int i = 0; !stored && i < f->n; i++) {
		if (recordings_add(app->store, &f->rows[i]) != STORE_OK)
			stored = -1;
		json_array_append_new(files,
				      json_pack("{s:s,s:s,s:I}", "id", f->rows[i].id, "kind", f->rows[i].kind,
						"duration_ms", (json_int_t)f->rows[i].duration_ms));
	}
	for (int i = 0; i < f->n; i++)
		blobstore_release(app->blobs, NULL, f->rows[i].blob);
	json_t *d = json_pack("{s:I,s:s,s:s,s:o,s:b}", "call_id", (json_int_t)f->meta.call_id, "action",
			      stored ? "failed" : "saved", "recording", f->meta.id, "files", files, "interrupted",
			      f->n && f->rows[0].interrupted);
	rec_audit(app, 0, f->meta.case_id, d);
	if (stored) { /* the folder stays: the next start takes it in again */
		log_error("recording %s: not stored (%s); kept in %s", f->meta.id, store_errmsg(app->store), f->dir);
		free(f);
		return;
	}
	log_info("recording %s: %d file(s) stored", f->meta.id, f->n);
	f->wait.embedded = 1;
	commit_after_in(&app->commit, &f->wait, dir_removed, f);
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop, (void)revents;
	pthread_mutex_lock(&R.lock);
	struct finished *f = R.done;
	R.done = NULL;
	pthread_mutex_unlock(&R.lock);
	while (f) {
		struct finished *next = f->next;
		store_finished(w->data, f);
		f = next;
	}
}

/* Recorder thread: the files are complete; copy them into the blob store, hand the rows to the control thread. */
static void on_recorded(void *arg, const struct recording_result *res)
{
	struct finished *f = arg;
	char err[256] = "";
	f->n = recording_import_files(f->app->blobs, f->dir, 0, clock_now_ms(), f->rows, err, sizeof(err));
	if (f->n < 0 || res->err) {
		log_error("recording %s: %s", f->meta.id, err[0] ? err : "a file could not be written");
		f->err = 1, f->n = f->n < 0 ? 0 : f->n;
	}
	pthread_mutex_lock(&R.lock);
	f->next = R.done;
	R.done = f;
	pthread_mutex_unlock(&R.lock);
	ev_async_send(f->app->loop, &R.wake);
}

/* ---- starting and stopping ---- */

static int rec_start(struct call *c)
{
	struct app *app = c->app;
	struct finished *f = calloc(1, sizeof(*f));
	char err[256];
	if (!f || recording_new_id(f->meta.id)) {
		free(f);
		return -1;
	}
	f->app = app;
	f->meta.case_id = c->case_id, f->meta.call_id = (int64_t)c->id, f->meta.started_by = c->rec->by;
	f->meta.started_at = clock_now_ms();
	struct recording *r = NULL;
	err[0] = '\0';
	if (recording_dir_create(app->cfg.data_dir, &f->meta, f->dir, sizeof(f->dir), err, sizeof(err)) ||
	    !(r = recording_open(R.recorder, f->dir)) || media_call_record(c->id, r, on_recorded, f) != MEDIA_OK) {
		log_error("call %llu: recording could not start %s", (unsigned long long)c->id, err);
		if (r) /* never attached: the recorder frees it */
			recording_close(r, NULL, NULL);
		if (f->dir[0])
			recording_dir_remove(f->dir);
		free(f);
		return -1;
	}
	memcpy(c->rec->id, f->meta.id, sizeof(c->rec->id));
	c->rec->state = REC_ON;
	return 0;
}

static void rec_stop(struct call *c, int64_t by, const char *why)
{
	if (c->rec->state == REC_ON && c->media)
		media_call_record(c->id, NULL, NULL, NULL); /* the worker closes it; on_recorded follows */
	enum rec_state was = c->rec->state;
	if (was != REC_OFF)
		call_audit(c, by, was == REC_ON ? "stopped" : "cancelled", json_pack("{s:s}", "reason", why));
	c->rec->state = REC_OFF;
	c->rec->id[0] = '\0';
}

/* Every contact in the call agreed: start, or, when the worker cannot, tell everyone it did not. */
static void rec_try_start(struct call *c, int64_t by)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct call_party *p = &c->p[i];
		if (p->role != PARTY_CONTACT || p->state != PARTY_JOINED)
			continue;
		int agreed = 0;
		for (size_t k = 0; k < CALL_MAX_PARTIES; k++)
			agreed |= c->rec->consent[k] == p->account;
		if (!agreed)
			return;
	}
	if (!c->media || rec_start(c)) {
		c->rec->state = REC_OFF;
		calls__broadcast(c, NULL, "recording_failed", by);
		return;
	}
	call_audit(c, c->rec->by, "started", NULL);
	calls__broadcast(c, NULL, "recording_started", by);
}

/* Ask every joined contact who has not agreed yet. */
static void rec_ask(struct call *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct call_party *p = &c->p[i];
		int agreed = 0;
		for (size_t k = 0; k < CALL_MAX_PARTIES; k++)
			agreed |= c->rec->consent[k] == p->account;
		if (p->role == PARTY_CONTACT && p->state == PARTY_JOINED && !agreed)
			session_deliver(
			    c->app, p->account, "call.record_request",
			    json_pack("{s:I,s:I}", "call_id", (json_int_t)c->id, "by", (json_int_t)c->rec->by), NULL);
	}
}

/* ---- hooks from calls.c ---- */

void calls__rec_party_joined(struct call *c, struct call_party *p)
{
	if (!c->rec || c->rec->state == REC_OFF || p->role != PARTY_CONTACT)
		return;
	for (size_t k = 0; k < CALL_MAX_PARTIES; k++)
		if (c->rec->consent[k] == p->account)
			return;
	/* Someone who has not agreed came in: the recording stops until they do. */
	int64_t by = c->rec->by;
	rec_stop(c, 0, "new_participant");
	c->rec->state = REC_ASKING, c->rec->by = by;
	rec_ask(c);
	calls__broadcast(c, NULL, "recording_requested", 0);
}

void calls__rec_call_end(struct call *c)
{
	if (!c->rec)
		return;
	if (c->rec->state != REC_OFF) /* the worker closes a running recording when the call ends */
		call_audit(c, 0, c->rec->state == REC_ON ? "stopped" : "cancelled",
			   json_pack("{s:s}", "reason", "call_ended"));
	free(c->rec);
	c->rec = NULL;
}

/* ---- methods ---- */

static int allowed_by_agreements(struct call *c)
{
	int contacts = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct call_party *p = &c->p[i];
		if (p->role != PARTY_CONTACT || p->state == PARTY_LEFT)
			continue;
		const struct agreement *a = agreements_get(&c->app->agreements, p->agreement_id);
		if (!a || !a->terms.recording_allowed)
			return 0;
		contacts++;
	}
	return contacts > 0;
}

void calls_handle_record(struct session *s, struct proto_request *r)
{
	struct call *c = NULL;
	struct call_party *me = calls__own_party(s, r, &c);
	json_t *on = json_object_get(r->root, "on");
	if (!me)
		return;
	if (!json_is_boolean(on)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, "proto: member 'on' must be a boolean");
		return;
	}
	if (me->role != PARTY_SUPERVISOR) {
		session_reply_error(s, r->id, PROTO_ERR_FORBIDDEN, "Only a supervisor in the call can record it.");
		return;
	}
	if (!c->rec && !(c->rec = calloc(1, sizeof(*c->rec)))) {
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	if (!json_is_true(on)) {
		int was = c->rec->state;
		rec_stop(c, s->account_id, "supervisor");
		session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
		if (was != REC_OFF)
			calls__broadcast(c, NULL, "recording_stopped", s->account_id);
		return;
	}
	if (!allowed_by_agreements(c)) {
		call_audit(c, s->account_id, "refused", json_pack("{s:s}", "reason", "recording_not_allowed"));
		session_reply_error(s, r->id, PROTO_ERR_RECORDING_NOT_ALLOWED, NULL);
		return;
	}
	if (c->rec->state != REC_OFF) {
		session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
		return;
	}
	c->rec->state = REC_ASKING, c->rec->by = s->account_id;
	call_audit(c, s->account_id, "requested", NULL);
	session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
	rec_ask(c);
	calls__broadcast(c, NULL, "recording_requested", s->account_id);
	rec_try_start(c, s->account_id); /* with no contact to ask (all agreed) it starts now */
}

void calls_handle_record_consent(struct session *s, struct proto_request *r)
{
	struct call *c = NULL;
	struct call_party *me = calls__own_party(s, r, &c);
	json_t *allow = json_object_get(r->root, "allow");
	if (!me)
		return;
	if (!json_is_boolean(allow)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, "proto: member 'allow' must be a boolean");
		return;
	}
	if (me->role != PARTY_CONTACT || !c->rec || c->rec->state == REC_OFF) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE, "proto: nobody asked to record this call");
		return;
	}
	call_audit(c, s->account_id, json_is_true(allow) ? "consent_given" : "consent_declined", NULL);
	if (!json_is_true(allow)) { /* a no (or a change of mind while recording) stops it */
		for (size_t k = 0; k < CALL_MAX_PARTIES; k++)
			if (c->rec->consent[k] == s->account_id)
				c->rec->consent[k] = 0;
		rec_stop(c, s->account_id, "consent_declined");
		session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
		calls__broadcast(c, NULL, "recording_declined", s->account_id);
		return;
	}
	for (size_t k = 0; k < CALL_MAX_PARTIES; k++)
		if (!c->rec->consent[k] || c->rec->consent[k] == s->account_id) {
			c->rec->consent[k] = s->account_id;
			break;
		}
	session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
	if (c->rec->state == REC_ASKING)
		rec_try_start(c, s->account_id);
}

/* ---- start and stop of the server ---- */

/* Folders a crash left: stored as interrupted recordings. Runs before the loop. */
static void recover(struct app *app)
{
	char root[PATH_MAX], err[256];
	snprintf(root, sizeof(root), "%s/recordings", app->cfg.data_dir);
	DIR *d = opendir(root);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct finished *f = calloc(1, sizeof(*f));
		if (!f)
			break;
		f->app = app;
		snprintf(f->dir, sizeof(f->dir), "%s/%s", root, e->d_name);
		f->n = recording_import_files(app->blobs, f->dir, 1, 0, f->rows, err, sizeof(err));
		if (f->n <= 0) { /* no meta, or nothing playable: nothing to keep */
			log_warn("recordings: %s: %s", f->dir, f->n < 0 ? err : "nothing playable; removed");
			recording_dir_remove(f->dir);
			free(f);
			continue;
		}
		snprintf(f->meta.id, sizeof(f->meta.id), "%s", f->rows[0].recording);
		f->meta.case_id = f->rows[0].case_id, f->meta.call_id = f->rows[0].call_id;
		log_info("recordings: %s was cut short; %d file(s) taken in", f->meta.id, f->n);
		store_finished(app, f);
	}
	if (d)
		closedir(d);
}

int calls__rec_init(struct app *app, char *err, size_t errlen)
{
	if (!app->blobs) {
		snprintf(err, errlen, "recordings: no blob store");
		return -1;
	}
	if (!(R.recorder = recorder_start(err, errlen)))
		return -1;
	ev_async_init(&R.wake, on_wake);
	R.wake.data = app;
	ev_async_start(app->loop, &R.wake);
	ev_unref(app->loop); /* waiting for recordings does not keep the loop alive */
	R.started = 1;
	recover(app);
	return 0;
}

void calls__rec_free(struct app *app)
{
	if (!R.started)
		return;
	recorder_stop(R.recorder); /* finishes every recording the workers closed: on_recorded queued them */
	R.recorder = NULL;
	ev_ref(app->loop);
	ev_async_stop(app->loop, &R.wake);
	on_wake(app->loop, &R.wake, 0); /* stored now; commit_free (later) commits them and removes the folders */
	R.started = 0;
}
