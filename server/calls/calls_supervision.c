/* calls_supervision.c: supervisors in calls — calls.live, call.join/leave/mute/end, listen-in consent, pausing media without one. */
#include <stdbool.h>
#include <string.h>

#include "media/worker.h"
#include "server/store/audit.h"
#include "server/calls/calls_internal.h"
#include "server/base/clock.h"
#include "server/base/log.h"

int calls__supervisor_connected(const struct call *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct call_party *p = &c->p[i];
		if (p->role == PARTY_SUPERVISOR && p->state == PARTY_JOINED && p->media != PMEDIA_NONE &&
		    p->consent != CONSENT_PENDING)
			return 1;
	}
	return 0;
}

int calls__needs_consent(struct call *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct call_party *p = &c->p[i];
		const struct agreement *a = p->role == PARTY_CONTACT && p->state != PARTY_LEFT
		    ? agreements_get(&c->app->agreements, p->agreement_id)
		    : NULL;
		if (a && a->terms.listen_in_needs_consent)
			return 1;
	}
	return 0;
}

struct availability {
	struct app *app;
	int online; /* a supervisor of the case is connected */
};

static void on_supervisor(int64_t account, void *ctx)
{
	struct availability *x = ctx;
	x->online |= router_first(&x->app->router, account) != NULL;
}

int calls__supervisor_available(struct app *app, int64_t case_id)
{
	struct availability x = {app, 0};
	if (store_case_members_in_role(app->store, case_id, "supervisor", on_supervisor, &x) != STORE_OK)
		log_warn("call: case supervisors: %s", store_errmsg(app->store));
	return x.online;
}

static void media_pause(struct call *c, int on)
{
	if (c->media && c->paused != on && media_call_pause(c->id, on) == MEDIA_OK)
		c->paused = on;
}

void calls__supervision_update(struct call *c, const char *change, int64_t by)
{
	if (c->supervised && c->answered_at) {
		int up = calls__supervisor_connected(c);
		media_pause(c, !up);
		c->state = up ? CALL_ACTIVE : CALL_WAITING_SUPERVISOR;
	}
	calls__broadcast(c, NULL, change, by);
}

/* Supervisor actions join the audit trail (same transaction as the turn). */
static void supervision_audit(struct call *c, int64_t actor, const char *action, int64_t participant, json_t *extra)
{
	struct app *app = c->app;
	json_t *detail = json_pack("{s:I,s:s,s:o}", "call_id", (json_int_t)c->id, "action", action, "participant",
				   participant ? json_integer(participant) : json_null());
	if (extra)
		json_object_update(detail, extra), json_decref(extra);
	if (store_begin(app->store) != STORE_OK) {
		json_decref(detail);
		log_error("audit: %s", store_errmsg(app->store));
		return;
	}
	if (audit_append(app->store, actor, AUDIT_CALL_SUPERVISION, c->case_id, 0, detail) != STORE_OK)
		log_error("audit: %s", store_errmsg(app->store));
}

static int watches(const struct call *c, int64_t account)
{
	for (size_t i = 0; i < c->n_watchers; i++)
		if (c->watchers[i] == account)
			return 1;
	return 0;
}

/* The call named by call_id if the session is a supervisor of its child's case; replies no_call otherwise. */
static struct call *supervised_call(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	int64_t id;
	if (proto_param_int(r, "call_id", 0, 1, INT64_MAX, &id, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return NULL;
	}
	struct call *c = intmap_get(&s->app->calls->by_id, (uint64_t)id);
	if (!c || strcmp(s->role, "supervisor") != 0 || !watches(c, s->account_id)) {
		session_reply_error(s, r->id, PROTO_ERR_NO_CALL, NULL);
		return NULL;
	}
	return c;
}

void calls_handle_live(struct session *s, struct proto_request *r)
{
	json_t *list = json_array();
	size_t pos = 0;
	void *v;
	while (!strcmp(s->role, "supervisor") && intmap_next(&s->app->calls->by_id, &pos, NULL, &v))
		if (watches(v, s->account_id))
			json_array_append_new(list, calls__json(v, NULL, NULL, 0));
	session_reply_ok(s, r->id, json_pack("{s:o}", "calls", list));
}

/* A new or returning supervisor party. NULL when the call is full. */
static struct call_party *supervisor_party(struct call *c, struct session *s)
{
	struct call_party *p = calls__party(c, s->account_id);
	if (!p) {
		if (c->n >= CALL_MAX_PARTIES)
			return NULL;
		p = &c->p[c->n++];
		*p = (struct call_party){.account = s->account_id, .role = PARTY_SUPERVISOR};
		struct account acc;
		if (store_account_by_id(s->app->store, s->account_id, &acc) == STORE_OK)
			memcpy(p->name, acc.display_name, sizeof(p->name));
	}
	p->state = PARTY_JOINED;
	p->left_reason = NULL;
	p->media = PMEDIA_NONE;
	p->in_media = 0;
	return p;
}

void calls_handle_join(struct session *s, struct proto_request *r)
{
	struct call *c = supervised_call(s, r);
	if (!c)
		return;
	struct call *other = intmap_get(&s->app->calls->by_account, (uint64_t)s->account_id);
	if (other && other != c) {
		session_reply_error(s, r->id, PROTO_ERR_BUSY, NULL);
		return;
	}
	struct call_party *p = calls__party(c, s->account_id);
	if (!c->answered_at || (!p && c->n >= CALL_MAX_PARTIES)) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE,
				    c->answered_at ? "proto: the call is full"
						   : "proto: the call has not been answered yet");
		return;
	}
	if (p && p->state == PARTY_JOINED) { /* another session of the same supervisor takes over */
		if (p->in_media)
			media_participant_remove(c->id, (uint64_t)p->account);
	}
	p = supervisor_party(c, s);
	p->conn = s->route.conn->id;
	p->consent = !c->supervised && calls__needs_consent(c) ? CONSENT_PENDING : CONSENT_NONE;
	p->listening = !c->supervised; /* listening in: hears the mix, unheard until call.speak */
	intmap_put(&s->app->calls->by_account, (uint64_t)s->account_id, c);
	supervision_audit(c, s->account_id, "join", 0, json_pack("{s:b}", "listen_in", !c->supervised));
	session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
	if (p->consent == CONSENT_PENDING) {
		json_t *ask = json_pack("{s:I,s:I,s:s}", "call_id", (json_int_t)c->id, "supervisor",
					(json_int_t)p->account, "name", p->name);
		session_deliver(s->app, c->child, "call.consent_request", ask, NULL);
		calls__broadcast(c, NULL, "consent_requested", s->account_id);
	} else {
		calls__broadcast(c, NULL, "joined", s->account_id);
	}
}

/* The supervisor's own party in the call, joined; replies call_state otherwise. */
static struct call_party *joined_self(struct session *s, struct proto_request *r, struct call *c)
{
	struct call_party *p = calls__party(c, s->account_id);
	if (!p || p->state != PARTY_JOINED) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE, "proto: you have not joined this call");
		return NULL;
	}
	return p;
}

void calls_handle_leave(struct session *s, struct proto_request *r)
{
	struct call *c = supervised_call(s, r);
	struct call_party *p = c ? joined_self(s, r, c) : NULL;
	if (!p)
		return;
	supervision_audit(c, s->account_id, "leave", 0, NULL);
	calls__party_leave(c, p, "hangup", s->account_id);
	session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
}

/* Parse call.mute's booleans: absent = unchanged. -1 on a wrong type (replied). */
static int mute_flag(struct session *s, struct proto_request *r, const char *name, int *flag)
{
	json_t *v = json_object_get(r->root, name);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, "proto: 'audio' and 'video' must be booleans");
		return -1;
	}
	*flag = json_is_true(v);
	return 0;
}

void calls_handle_mute(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	int64_t who;
	struct call *c = supervised_call(s, r);
	if (!c)
		return;
	if (proto_param_int(r, "participant", 0, 1, INT64_MAX, &who, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	struct call_party *t = calls__party(c, who);
	if (!t || t->role == PARTY_SUPERVISOR || t->state == PARTY_LEFT) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE, "proto: no such participant in the call");
		return;
	}
	int audio = t->audio_muted, video = t->video_muted;
	if (mute_flag(s, r, "audio", &audio) || mute_flag(s, r, "video", &video))
		return;
	t->audio_muted = audio, t->video_muted = video;
	if (t->in_media)
		media_call_set_gate(c->id, (uint64_t)t->account, !audio, !video);
	supervision_audit(c, s->account_id, "mute", who, json_pack("{s:b,s:b}", "audio", audio, "video", video));
	session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
	calls__broadcast(c, NULL, "muted", s->account_id);
}

void calls_handle_end(struct session *s, struct proto_request *r)
{
	struct call *c = supervised_call(s, r);
	if (!c)
		return;
	supervision_audit(c, s->account_id, "end", 0, NULL);
	session_reply_ok(s, r->id, calls__json(c, "supervisor_ended", NULL, 0));
	calls__end(c, "supervisor_ended", s->account_id);
}

void calls_handle_consent(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	int64_t id, sup;
	json_t *allow = json_object_get(r->root, "allow");
	if (proto_param_int(r, "call_id", 0, 1, INT64_MAX, &id, err) ||
	    proto_param_int(r, "supervisor", 0, 1, INT64_MAX, &sup, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	if (!json_is_boolean(allow)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, "proto: member 'allow' must be a boolean");
		return;
	}
	struct call *c = intmap_get(&s->app->calls->by_id, (uint64_t)id);
	if (!c || c->child != s->account_id) {
		session_reply_error(s, r->id, PROTO_ERR_NO_CALL, NULL);
		return;
	}
	struct call_party *p = calls__party(c, sup);
	if (!p || p->role != PARTY_SUPERVISOR || p->state != PARTY_JOINED || p->consent != CONSENT_PENDING) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE, "proto: no listen-in request from that supervisor");
		return;
	}
	supervision_audit(c, s->account_id, json_is_true(allow) ? "consent_given" : "consent_declined", sup, NULL);
	if (!json_is_true(allow)) {
		session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
		calls__party_leave(c, p, "consent_declined", s->account_id);
		return;
	}
	p->consent = CONSENT_GIVEN;
	if (p->in_media) {
		media_call_set_gate(c->id, (uint64_t)p->account, !p->listening, !p->listening);
		media_call_set_recv_gate(c->id, (uint64_t)p->account, true, true);
	}
	session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
	calls__broadcast(c, NULL, "consent_given", s->account_id);
}
