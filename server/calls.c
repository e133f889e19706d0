/* calls.c: call signalling — call.start/accept/decline/cancel/hangup/offer, ring timeouts, ending calls the agreement stops allowing. */
#include "server/calls.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/worker.h"
#include "server/audit.h"
#include "server/clock.h"
#include "server/log.h"
#include "server/session_internal.h"

#define ANSWER_CAP 16384
#define SDP_MAX (PROTO_MAX_FRAME - 256)

enum call_state { CALL_RINGING, CALL_ACTIVE, CALL_WAITING_SUPERVISOR };

static const char *const state_names[] = {"ringing", "active", "waiting_for_supervisor"};

struct call {
	uint64_t id;             /* call id on the wire and on the media workers */
	struct app *app;         /* the control thread */
	int64_t agreement_id;    /* the agreement it runs under */
	int64_t caller, callee;  /* accounts */
	uint64_t caller_conn;    /* session that started it */
	uint64_t callee_conn;    /* session that accepted it; 0 while ringing */
	enum channel ch;         /* CH_VOICE_CALL or CH_VIDEO_CALL */
	int supervised;          /* decision was needs_supervisor: media stays paused */
	int rang;                /* the callee was told (not for busy) */
	int media;               /* media_call_create succeeded */
	int64_t answered_at;     /* ms; 0 while ringing */
	enum call_state state;
	ev_timer ring;           /* ring timeout, while ringing */
};

static json_t *state_json(const struct call *c, const char *state, const char *reason)
{
	return json_pack("{s:I,s:I,s:s,s:o,s:b}", "call_id", (json_int_t)c->id, "agreement_id",
			 (json_int_t)c->agreement_id, "state", state, "reason", reason ? json_string(reason) : json_null(),
			 "video", c->ch == CH_VIDEO_CALL);
}

/* call.state to the caller's sessions and, once rung, the callee's. */
static void state_deliver(struct call *c, const char *state, const char *reason)
{
	session_deliver(c->app, c->caller, "call.state", state_json(c, state, reason), NULL);
	if (c->rang)
		session_deliver(c->app, c->callee, "call.state", state_json(c, state, reason), NULL);
}

static void call_forget(struct app *app, struct call *c)
{
	intmap_del(&app->calls.by_id, c->id);
	if (intmap_get(&app->calls.by_account, (uint64_t)c->caller) == c)
		intmap_del(&app->calls.by_account, (uint64_t)c->caller);
	if (intmap_get(&app->calls.by_account, (uint64_t)c->callee) == c)
		intmap_del(&app->calls.by_account, (uint64_t)c->callee);
}

/* One audit entry per call, written when it ends (joins the turn's transaction). */
static void call_audit(struct call *c, const char *reason, int64_t now)
{
	struct app *app = c->app;
	const struct agreement *a = agreements_get(&app->agreements, c->agreement_id);
	json_t *detail = json_pack("{s:I,s:s,s:b,s:I,s:s}", "call_id", (json_int_t)c->id, "channel", channel_name(c->ch),
				   "answered", c->answered_at != 0, "duration_s",
				   (json_int_t)(c->answered_at ? (now - c->answered_at) / 1000 : 0), "reason", reason);
	if (store_begin(app->store) != STORE_OK) {
		json_decref(detail);
		log_error("audit: %s", store_errmsg(app->store));
		return;
	}
	if (audit_append(app->store, c->caller, AUDIT_CALL, a ? a->case_id : 0, c->agreement_id, detail) != STORE_OK)
		log_error("audit: %s", store_errmsg(app->store));
}

/* End a call: stop ringing, end its media, tell both parties, audit it, free it. */
static void call_end(struct call *c, const char *reason)
{
	struct app *app = c->app;
	ev_timer_stop(app->loop, &c->ring);
	if (c->media && media_call_end(c->id) != MEDIA_OK)
		log_warn("call %llu: media end failed", (unsigned long long)c->id);
	call_forget(app, c);
	int64_t now = clock_now_ms();
	if (c->answered_at)
		calls__usage_ended(&app->calls, c->agreement_id, now);
	call_audit(c, reason, now);
	state_deliver(c, "ended", reason);
	app->metrics.calls_ended++;
	log_info("call %llu ended: %s", (unsigned long long)c->id, reason);
	free(c);
}

static void on_ring_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	call_end(w->data, "timeout");
}

static struct call *call_new(struct app *app, const struct agreement *a, int64_t caller, uint64_t conn, enum channel ch)
{
	struct call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = (struct call){.id = ++app->calls.next_id, .app = app, .agreement_id = a->id, .caller = caller,
			   .callee = agreement_peer(a, caller), .caller_conn = conn, .ch = ch};
	ev_timer_init(&c->ring, on_ring_timeout, (double)app->cfg.ring_timeout_s, 0);
	c->ring.data = c;
	if (intmap_put(&app->calls.by_id, c->id, c) != 0) {
		free(c);
		return NULL;
	}
	app->metrics.calls_started++;
	return c;
}

/* The live call `id` if `account` is one of its parties (else NULL). */
static struct call *call_of(struct app *app, uint64_t id, int64_t account)
{
	struct call *c = id ? intmap_get(&app->calls.by_id, id) : NULL;
	return c && (c->caller == account || c->callee == account) ? c : NULL;
}

static int call_busy(struct app *app, int64_t account)
{
	return intmap_get(&app->calls.by_account, (uint64_t)account) != NULL;
}

/* Start ringing: the callee's sessions get call.ring, both get call.state ringing. */
static void call_ring(struct call *c, int64_t from)
{
	struct app *app = c->app;
	intmap_put(&app->calls.by_account, (uint64_t)c->caller, c);
	intmap_put(&app->calls.by_account, (uint64_t)c->callee, c);
	c->rang = 1;
	ev_timer_start(app->loop, &c->ring);
	json_t *ring = json_pack("{s:I,s:I,s:I,s:b,s:b}", "call_id", (json_int_t)c->id, "agreement_id",
				 (json_int_t)c->agreement_id, "from", (json_int_t)from, "video", c->ch == CH_VIDEO_CALL,
				 "supervised", c->supervised);
	session_deliver(app, c->callee, "call.ring", ring, NULL);
	state_deliver(c, "ringing", NULL);
}

static void reply_call(struct session *s, json_t *id, const struct call *c, const char *state, const char *reason,
		       const struct policy_decision *d)
{
	json_t *res = state_json(c, state, reason);
	if (d)
		json_object_set_new(res, "decision", session_decision_json(d));
	session_reply_ok(s, id, res);
}

/* Parse agreement_id and video; find the agreement with this caller as a party. */
static const struct agreement *start_params(struct session *s, struct proto_request *r, enum channel *ch)
{
	char err[PROTO_ERRBUF];
	int64_t agreement_id;
	json_t *video = json_object_get(r->root, "video");
	if (proto_param_int(r, "agreement_id", 0, 1, INT64_MAX, &agreement_id, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return NULL;
	}
	if (video && !json_is_boolean(video)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, "proto: member 'video' must be a boolean");
		return NULL;
	}
	*ch = json_is_true(video) ? CH_VIDEO_CALL : CH_VOICE_CALL;
	const struct agreement *a = agreements_get(&s->app->agreements, agreement_id);
	if (!a || !agreement_peer(a, s->account_id)) {
		struct policy_decision d = policy_decision_for(REASON_NO_AGREEMENT, *ch);
		session_reply_denied(s, r->id, &d);
		return NULL;
	}
	return a;
}

void calls_handle_start(struct session *s, struct proto_request *r)
{
	enum channel ch;
	struct app *app = s->app;
	const struct agreement *a = start_params(s, r, &ch);
	if (!a)
		return;
	struct policy_usage usage;
	int64_t now = clock_now_ms();
	calls__usage_get(&app->calls, a, now, &usage);
	struct policy_decision d = policy_decide(a, s->account_id, ch, now, &usage);
	if ((unsigned)d.reason < 32)
		app->metrics.decisions[d.reason]++;
	if (d.verdict != VERDICT_ALLOW && d.verdict != VERDICT_NEEDS_SUPERVISOR) {
		session_audit_decision(s, a, ch, &d);
		session_reply_denied(s, r->id, &d);
		return;
	}
	if (call_busy(app, s->account_id)) {
		session_reply_error(s, r->id, PROTO_ERR_BUSY, NULL);
		return;
	}
	struct call *c = call_new(app, a, s->account_id, s->route.conn->id, ch);
	if (!c) {
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	c->supervised = d.verdict == VERDICT_NEEDS_SUPERVISOR;
	if (call_busy(app, c->callee)) { /* the callee is in another call: it ends at once, unrung */
		reply_call(s, r->id, c, "ended", "busy", &d);
		call_end(c, "busy");
		return;
	}
	reply_call(s, r->id, c, "ringing", NULL, &d);
	call_ring(c, s->account_id);
}

/* The call named by call_id, if the session's account is a party; replies no_call otherwise. */
static struct call *call_param(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	int64_t id;
	if (proto_param_int(r, "call_id", 0, 1, INT64_MAX, &id, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return NULL;
	}
	struct call *c = call_of(s->app, (uint64_t)id, s->account_id);
	if (!c)
		session_reply_error(s, r->id, PROTO_ERR_NO_CALL, NULL);
	return c;
}

/* Create the media call; supervised calls stay paused until a supervisor joins. */
static int call_media_start(struct call *c)
{
	if (!c->app->calls.media_started)
		return MEDIA_ERR_STATE;
	int rc = media_call_create(c->id);
	if (rc < 0)
		return rc;
	c->media = 1;
	return c->supervised ? media_call_pause(c->id, true) : MEDIA_OK;
}

void calls_handle_accept(struct session *s, struct proto_request *r)
{
	struct call *c = call_param(s, r);
	if (!c)
		return;
	if (c->state != CALL_RINGING || c->callee != s->account_id) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE, "proto: only the called party can accept a ringing call");
		return;
	}
	ev_timer_stop(s->app->loop, &c->ring);
	int rc = call_media_start(c);
	if (rc != MEDIA_OK) {
		log_error("call %llu: %s", (unsigned long long)c->id, media_strerror(rc));
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		call_end(c, "failed");
		return;
	}
	c->callee_conn = s->route.conn->id;
	c->answered_at = clock_now_ms();
	const struct agreement *a = agreements_get(&s->app->agreements, c->agreement_id);
	if (a)
		calls__usage_answered(&s->app->calls, a, c->answered_at);
	c->state = c->supervised ? CALL_WAITING_SUPERVISOR : CALL_ACTIVE;
	reply_call(s, r->id, c, state_names[c->state], NULL, NULL);
	state_deliver(c, state_names[c->state], NULL);
}

/* decline (callee, ringing), cancel (caller, ringing), hangup (either party, any live state). */
static void call_stop(struct session *s, struct proto_request *r, const char *verb)
{
	struct call *c = call_param(s, r);
	if (!c)
		return;
	int caller = c->caller == s->account_id, ringing = c->state == CALL_RINGING;
	const char *reason = verb;
	if (!strcmp(verb, "hangup"))
		reason = !ringing ? "hangup" : caller ? "cancelled" : "declined";
	else if (!ringing || (caller != !strcmp(verb, "cancelled"))) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE,
				    caller ? "proto: the caller cancels a ringing call (or hangs up)"
					   : "proto: the called party declines a ringing call (or hangs up)");
		return;
	}
	reply_call(s, r->id, c, "ended", reason, NULL);
	call_end(c, reason);
}

void calls_handle_decline(struct session *s, struct proto_request *r)
{
	call_stop(s, r, "declined");
}

void calls_handle_cancel(struct session *s, struct proto_request *r)
{
	call_stop(s, r, "cancelled");
}

void calls_handle_hangup(struct session *s, struct proto_request *r)
{
	call_stop(s, r, "hangup");
}

/* Add (or replace) the party's media participant from its offer; the answer is ready at once. */
static int offer_answer(struct call *c, int64_t account, const char *sdp, size_t len, char *answer, const char **serr)
{
	uint64_t pid = (uint64_t)account;
	int rc = media_participant_add(c->id, pid, sdp, len, MEDIA_ROLE_DEFAULT, answer, ANSWER_CAP, serr);
	if (rc == MEDIA_ERR_EXISTS && media_participant_remove(c->id, pid) == MEDIA_OK)
		rc = media_participant_add(c->id, pid, sdp, len, MEDIA_ROLE_DEFAULT, answer, ANSWER_CAP, serr);
	return rc;
}

void calls_handle_offer(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *sdp, *serr = NULL;
	size_t len;
	struct call *c = call_param(s, r);
	if (!c)
		return;
	if (proto_param_string(r, "sdp", 1, SDP_MAX, &sdp, &len, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	uint64_t conn = c->caller == s->account_id ? c->caller_conn : c->callee_conn;
	if (c->state == CALL_RINGING || conn != s->route.conn->id) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE,
				    "proto: offer from the session that started or accepted the call, once it is answered");
		return;
	}
	char *answer = malloc(ANSWER_CAP);
	int rc = answer ? offer_answer(c, s->account_id, sdp, len, answer, &serr) : MEDIA_ERR_NOMEM;
	if (rc == MEDIA_OK)
		session_reply_ok(s, r->id, json_pack("{s:I,s:s}", "call_id", (json_int_t)c->id, "sdp", answer));
	else if (rc == MEDIA_ERR_SDP || rc == MEDIA_ERR_ARG) {
		snprintf(err, sizeof(err), "%s", serr ? serr : media_strerror(rc));
		session_reply_error(s, r->id, PROTO_ERR_SDP_REJECTED, err);
	} else {
		log_error("call %llu: offer: %s", (unsigned long long)c->id, media_strerror(rc));
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
	}
	free(answer);
}

/* Whether the agreement (still) allows this call — ends it with agreement_changed if not, or with time_limit
 * once it has run max_call_minutes. Limits on starting calls do not apply to a call in progress. */
static void call_recheck(struct app *app, struct call *c)
{
	int64_t now = clock_now_ms();
	const struct agreement *a = agreements_get(&app->agreements, c->agreement_id);
	struct policy_decision d = a ? policy_decide(a, c->caller, c->ch, now, NULL)
				     : policy_decision_for(REASON_NO_AGREEMENT, c->ch);
	if (d.verdict != VERDICT_ALLOW && d.verdict != VERDICT_NEEDS_SUPERVISOR)
		call_end(c, "agreement_changed");
	else if (c->answered_at && a->terms.max_call_minutes && now - c->answered_at >= a->terms.max_call_minutes * 60000LL)
		call_end(c, "time_limit");
}

void calls_agreement_changed(struct app *app, const struct agreement *a)
{
	struct call *c = intmap_get(&app->calls.by_account, (uint64_t)a->child_id);
	if (c && c->agreement_id == a->id)
		call_recheck(app, c);
}

void calls_sweep(struct app *app)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->calls.by_id, &pos, NULL, &v))
		call_recheck(app, v); /* intmap_del leaves a tombstone: iteration stays valid */
}

void calls_conn_closed(struct app *app, int64_t account, uint64_t conn_id)
{
	struct call *c = intmap_get(&app->calls.by_account, (uint64_t)account);
	if (c && ((c->caller == account && c->caller_conn == conn_id) || (c->callee == account && c->callee_conn == conn_id)))
		call_end(c, "disconnected");
}

static void media_notify(struct call *c, const struct media_event *ev, const char *what)
{
	json_t *data = json_pack("{s:I,s:I,s:s}", "call_id", (json_int_t)c->id, "participant",
				 (json_int_t)ev->participant_id, "media", what);
	session_deliver(c->app, c->caller, "call.media", json_deep_copy(data), NULL);
	session_deliver(c->app, c->callee, "call.media", data, NULL);
}

void calls_media_event(struct app *app, const struct media_event *ev)
{
	struct call *c = intmap_get(&app->calls.by_id, ev->call_id);
	if (!c || ev->type == MEDIA_EV_STATS)
		return;
	if (ev->type == MEDIA_EV_CONNECTED) {
		app->metrics.call_media_connected++;
		media_notify(c, ev, "connected");
	} else if (ev->type == MEDIA_EV_FIRST_MEDIA) {
		media_notify(c, ev, "flowing");
	} else {
		app->metrics.call_media_lost++;
		call_end(c, "media_lost");
	}
}

int calls_init(struct app *app, char *err, size_t errlen)
{
	const struct config *cfg = &app->cfg;
	intmap_init(&app->calls.by_id);
	intmap_init(&app->calls.by_account);
	intmap_init(&app->calls.usage);
	struct media_config mc = {(unsigned)cfg->media_workers, cfg->listen, (uint16_t)cfg->media_port_base,
				  cfg->media_announce_ip[0] ? cfg->media_announce_ip : NULL, 0, 0};
	if (media_workers_start(&mc, err, errlen) != MEDIA_OK)
		return -1;
	app->calls.media_started = 1;
	log_info("media: %u worker(s), first UDP port %u", media_workers_count(), media_worker_port(0));
	return 0;
}

void calls_free(struct app *app)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->calls.by_id, &pos, NULL, &v))
		call_end(v, "shutdown");
	if (app->calls.media_started)
		media_workers_stop();
	app->calls.media_started = 0;
	intmap_free(&app->calls.by_id);
	intmap_free(&app->calls.by_account);
	calls__usage_free(&app->calls);
}
