/* calls.c: call signalling — call.start/accept/decline/cancel/hangup/offer, ringing, parties leaving, the end of a call. */
#include "server/calls/calls.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/worker.h"
#include "server/store/audit.h"
#include "server/calls/calls_internal.h"
#include "server/chat/chat.h"
#include "server/push/push.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/calls/turn.h"
#include "server/store/store_admin.h"

#define ANSWER_CAP 16384
#define SDP_MAX (PROTO_MAX_FRAME - 256)

static const char *const state_names[] = {"ringing", "active", "waiting_for_supervisor"};
static const char *const role_names[] = {"child", "contact", "supervisor"};
static const char *const party_state_names[] = {"ringing", "joined", "left"};
static const char *const media_names[] = {"none", "connected", "flowing"};

struct call_party *calls__party(struct call *c, int64_t account)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].account == account)
			return &c->p[i];
	return NULL;
}

static json_t *json_ms(int64_t ms)
{
	return ms ? json_integer(ms) : json_null();
}

static json_t *json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *party_json(const struct call_party *p)
{
	static const char *const consent_names[] = {NULL, "pending", "given"};
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:o,s:b,s:b,s:s,s:o,s:s}", "account", (json_int_t)p->account, "name",
			      p->name, "role", role_names[p->role], "state", party_state_names[p->state], "left_reason",
			      json_str(p->left_reason), "audio_muted", p->audio_muted, "video_muted", p->video_muted,
			      "media", media_names[p->media], "consent", json_str(consent_names[p->consent]), "sending",
			      calls__sending_names[p->sending]);
	if (o)
		json_object_set_new(o, "mixed", json_boolean(p->mix_wanted));
	if (o && p->role == PARTY_SUPERVISOR)
		json_object_set_new(o, "listening", json_boolean(p->listening));
	if (o && p->role == PARTY_CONTACT)
		json_object_set_new(o, "agreement_id", json_integer(p->agreement_id));
	return o;
}

/* The earliest end among joined contacts. */
static const struct call_party *first_end(const struct call *c)
{
	const struct call_party *best = NULL;
	for (size_t i = 0; i < c->n; i++) {
		const struct call_party *p = &c->p[i];
		if (p->role == PARTY_CONTACT && p->state == PARTY_JOINED && p->ends_at &&
		    (!best || p->ends_at < best->ends_at))
			best = p;
	}
	return best;
}

static int64_t first_agreement(const struct call *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].role == PARTY_CONTACT)
			return c->p[i].agreement_id;
	return 0;
}

json_t *calls__json(const struct call *c, const char *reason, const char *change, int64_t by)
{
	json_t *parts = json_array();
	for (size_t i = 0; i < c->n; i++)
		json_array_append_new(parts, party_json(&c->p[i]));
	const struct call_party *e = c->answered_at ? first_end(c) : NULL;
	const char *state = reason ? "ended" : state_names[c->state];
	json_t *o = json_pack("{s:I,s:I,s:s,s:o,s:o,s:o,s:b,s:b,s:I,s:o,s:o,s:o,s:o}", "call_id", (json_int_t)c->id,
			      "agreement_id", (json_int_t)first_agreement(c), "state", state, "reason",
			      json_str(reason), "change", json_str(change), "by", by ? json_integer(by) : json_null(),
			      "video", c->video, "supervised", c->supervised, "child", (json_int_t)c->child,
			      "answered_at", json_ms(c->answered_at), "ends_at", json_ms(e ? e->ends_at : 0),
			      "ends_because", json_str(e ? e->ends_because : NULL), "participants", parts);
	if (o)
		calls__rec_json(c, o);
	return o;
}

/* Accounts that see the call: the child, every contact that was rung, the case's supervisors. */
static size_t audience(const struct call *c, int64_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].role != PARTY_SUPERVISOR)
			out[n++] = c->p[i].account;
	for (size_t i = 0; i < c->n_watchers; i++)
		out[n++] = c->watchers[i];
	return n;
}

void calls__broadcast(struct call *c, const char *reason, const char *change, int64_t by)
{
	int64_t to[CALL_MAX_PARTIES + CALL_MAX_WATCHERS];
	size_t n = audience(c, to);
	session_deliver_many(c->app, to, n, "call.state", calls__json(c, reason, change, by), NULL);
}

void calls__to_parties(struct call *c, const char *event, json_t *data)
{
	int64_t to[CALL_MAX_PARTIES];
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].state == PARTY_JOINED)
			to[n++] = c->p[i].account;
	session_deliver_many(c->app, to, n, event, data, NULL);
}

static void account_name(struct app *app, int64_t id, char *out, size_t cap)
{
	struct account acc;
	if (store_account_by_id(app->store, id, &acc) == STORE_OK)
		snprintf(out, cap, "%s", acc.display_name);
	else
		snprintf(out, cap, "#%lld", (long long)id);
}

static struct call_party *party_add(struct call *c, int64_t account, enum party_role role, int64_t agreement_id)
{
	if (c->n >= CALL_MAX_PARTIES)
		return NULL;
	struct call_party *p = &c->p[c->n++];
	*p =
	    (struct call_party){.account = account, .role = role, .agreement_id = agreement_id, .state = PARTY_RINGING};
	account_name(c->app, account, p->name, sizeof(p->name));
	return p;
}

/* One audit entry per contact's part, when it ends (joins the turn's transaction). */
static void party_audit(struct call *c, const struct call_party *p, const char *reason, int64_t by, int64_t now)
{
	struct app *app = c->app;
	json_t *sups = json_array();
	size_t group = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->p[i].role == PARTY_SUPERVISOR)
			json_array_append_new(sups, json_integer(c->p[i].account));
		group += c->p[i].role == PARTY_CONTACT;
	}
	json_t *detail = json_pack("{s:I,s:s,s:b,s:I,s:s,s:o,s:b,s:o,s:I}", "call_id", (json_int_t)c->id, "channel",
				   c->video ? "video_call" : "voice_call", "answered", p->answered_at != 0,
				   "duration_s", (json_int_t)(p->answered_at ? (now - p->answered_at) / 1000 : 0),
				   "reason", reason, "ended_by", by ? json_integer(by) : json_null(), "supervised",
				   c->supervised, "supervisors", sups, "group", (json_int_t)group);
	if (store_begin(app->store) != STORE_OK) {
		json_decref(detail);
		log_error("audit: %s", store_errmsg(app->store));
		return;
	}
	if (audit_append(app->store, c->caller, AUDIT_CALL, c->case_id, p->agreement_id, detail) != STORE_OK)
		log_error("audit: %s", store_errmsg(app->store));
}

/* A contact's part that never began leaves a trace in its conversation for both sides: "Missed call from Dad" or
 * "You declined a call" (PROTOCOL.md, "Records in a conversation"). Ends for other reasons (a shutdown, a failure,
 * a supervisor or the agreement ending it) leave only the audit entry. */
static void record_unanswered(struct call *c, const struct call_party *p, const char *reason, int64_t by)
{
	static const char *const missed[] = {"timeout", "cancelled", "disconnected", "busy"};
	const char *outcome = !strcmp(reason, "declined") ? "declined" : NULL;
	for (size_t i = 0; !outcome && i < sizeof(missed) / sizeof(missed[0]); i++)
		if (!strcmp(reason, missed[i]))
			outcome = "missed";
	if (!outcome || p->answered_at)
		return;
	char key[48];
	snprintf(key, sizeof(key), "call:%llu", (unsigned long long)c->id);
	int64_t callee = c->caller == p->account ? c->child : p->account;
	json_t *data =
	    json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:o}", "call_id", (json_int_t)c->id, "channel",
		      c->video ? "video_call" : "voice_call", "outcome", outcome, "reason", reason, "caller",
		      (json_int_t)c->caller, "callee", (json_int_t)callee, "by", by ? json_integer(by) : json_null());
	if (chat_record(c->app, p->agreement_id, c->started_at, key, "call", data) != 0)
		log_error("call %llu: the missed call was not recorded", (unsigned long long)c->id);
}

/* Take the party out of the call's media, maps and usage; mark it left. */
static void party_detach(struct call *c, struct call_party *p, const char *reason, int64_t by, int64_t now)
{
	struct app *app = c->app;
	if (p->in_media && media_participant_remove(c->id, (uint64_t)p->account) != MEDIA_OK)
		log_warn("call %llu: media remove %lld failed", (unsigned long long)c->id, (long long)p->account);
	p->in_media = 0;
	p->media = PMEDIA_NONE;
	if (intmap_get(&app->calls->by_account, (uint64_t)p->account) == c)
		intmap_del(&app->calls->by_account, (uint64_t)p->account);
	if (p->role == PARTY_CONTACT) {
		if (p->answered_at)
			calls__usage_ended(app->calls, p->agreement_id, now);
		party_audit(c, p, reason, by, now);
		record_unanswered(c, p, reason, by);
	}
	p->state = PARTY_LEFT;
	p->left_reason = reason;
	p->conn = 0;
}

void calls__end(struct call *c, const char *reason, int64_t by)
{
	struct app *app = c->app;
	ev_timer_stop(app->loop, &c->ring);
	ev_timer_stop(app->loop, &c->clock);
	int64_t now = clock_now_ms();
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].state != PARTY_LEFT)
			party_detach(c, &c->p[i], reason, by, now);
	if (c->media && media_call_end(c->id) != MEDIA_OK)
		log_warn("call %llu: media end failed", (unsigned long long)c->id);
	intmap_del(&app->calls->by_id, c->id);
	calls__broadcast(c, reason, "ended", by);
	calls__rec_call_end(c);
	app->metrics.calls_ended++;
	log_info("call %llu ended: %s", (unsigned long long)c->id, reason);
	free(c);
}

static int contacts_in(const struct call *c)
{
	int n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->p[i].role == PARTY_CONTACT && c->p[i].state != PARTY_LEFT;
	return n;
}

static int anyone_ringing(const struct call *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].state == PARTY_RINGING)
			return 1;
	return 0;
}

int calls__party_leave(struct call *c, struct call_party *p, const char *reason, int64_t by)
{
	if (p->role == PARTY_CHILD || (p->role == PARTY_CONTACT && contacts_in(c) <= 1)) {
		calls__end(c, reason, by);
		return 1;
	}
	party_detach(c, p, reason, by, clock_now_ms());
	if (!anyone_ringing(c))
		ev_timer_stop(c->app->loop, &c->ring);
	if (p->role == PARTY_SUPERVISOR) {
		calls__supervision_update(
		    c, !strcmp(reason, "consent_declined") ? "consent_declined" : "supervisor_left", by);
		calls__renegotiate(c);
		return 0;
	}
	calls__timing_update(c);
	calls__broadcast(c, NULL, "left", by);
	calls__renegotiate(c);
	return 0;
}

/* Ask the parties whose streams changed (someone's media came, went, or sends other kinds) to offer again on
 * their transport, so each other participant gets (or loses) its own section (PROTOCOL.md call.renegotiate). */
void calls__renegotiate(struct call *c)
{
	uint64_t pids[CALL_MAX_PARTIES];
	size_t n = c->media ? media_call_take_renegotiate(c->id, pids, CALL_MAX_PARTIES) : 0;
	for (size_t i = 0; i < n; i++) {
		struct call_party *p = calls__party(c, (int64_t)pids[i]);
		if (p && p->state == PARTY_JOINED && p->in_media)
			session_deliver(c->app, p->account, "call.renegotiate",
					json_pack("{s:I}", "call_id", (json_int_t)c->id), NULL);
	}
}

/* Ring timeout: every party still ringing leaves; the call ends when nobody is left to talk to. */
static void on_ring_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct call *c = w->data;
	if (!c->answered_at) {
		calls__end(c, "timeout", 0);
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->p[i].state == PARTY_RINGING && calls__party_leave(c, &c->p[i], "timeout", 0))
			return;
}

static void watchers_cb(int64_t account, const char *name, const char *role, void *ctx)
{
	struct call *c = ctx;
	if (!strcmp(role, "supervisor") && c->n_watchers < CALL_MAX_WATCHERS)
		c->watchers[c->n_watchers++] = account;
}

static struct call *call_new(struct app *app, const struct agreement *a, int64_t caller, enum channel ch)
{
	struct call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = (struct call){.id = ++app->calls->next_id,
			   .app = app,
			   .child = a->child_id,
			   .caller = caller,
			   .case_id = a->case_id,
			   .video = ch == CH_VIDEO_CALL,
			   .started_at = clock_now_ms()};
	ev_timer_init(&c->ring, on_ring_timeout, (double)app->cfg.ring_timeout_s, 0);
	c->ring.data = c;
	calls__timing_init(c);
	if (store_admin_case_members(app->store, a->case_id, watchers_cb, c) != STORE_OK)
		log_warn("call: case members: %s", store_errmsg(app->store));
	party_add(c, a->child_id, PARTY_CHILD, 0);
	if (intmap_put(&app->calls->by_id, c->id, c) != 0) {
		free(c);
		return NULL;
	}
	app->metrics.calls_started++;
	return c;
}

static int call_busy(struct app *app, int64_t account)
{
	return intmap_get(&app->calls->by_account, (uint64_t)account) != NULL;
}

static void reply_call(struct session *s, json_t *id, const struct call *c, const char *reason,
		       const struct policy_decision *d)
{
	json_t *res = calls__json(c, reason, NULL, 0);
	if (d)
		json_object_set_new(res, "decision", session_decision_json(d));
	session_reply_ok(s, id, res);
}

/* The agreements named by agreement_id / agreement_ids (group calls: the child only). Returns the count or -1
 * (replied). */
static int start_agreements(struct session *s, struct proto_request *r, const struct agreement **out, enum channel *ch)
{
	json_t *video = json_object_get(r->root, "video"), *ids = json_object_get(r->root, "agreement_ids");
	if (video && !json_is_boolean(video)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, "proto: member 'video' must be a boolean");
		return -1;
	}
	*ch = json_is_true(video) ? CH_VIDEO_CALL : CH_VOICE_CALL;
	int64_t idv[CALL_MAX_CONTACTS];
	size_t n = 0;
	if (ids) {
		if (!json_is_array(ids) || !json_array_size(ids) || json_array_size(ids) > CALL_MAX_CONTACTS) {
			session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST,
					    "proto: member 'agreement_ids' must be an array of 1 to 4 agreement ids");
			return -1;
		}
		for (n = 0; n < json_array_size(ids); n++) {
			json_t *v = json_array_get(ids, n);
			if (!json_is_integer(v) || json_integer_value(v) < 1) {
				session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST,
						    "proto: 'agreement_ids' holds agreement ids");
				return -1;
			}
			idv[n] = json_integer_value(v);
		}
	} else {
		char err[PROTO_ERRBUF];
		if (proto_param_int(r, "agreement_id", 0, 1, INT64_MAX, &idv[0], err)) {
			session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
			return -1;
		}
		n = 1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct agreement *a = agreements_get(&s->app->agreements, idv[i]);
		int dup = 0;
		for (size_t j = 0; j < i; j++)
			dup |= out[j] == a;
		if (!a || !agreement_peer(a, s->account_id) || dup || (ids && a->child_id != s->account_id)) {
			struct policy_decision d = policy_decision_for(REASON_NO_AGREEMENT, *ch);
			session_reply_denied(s, r->id, &d);
			return -1;
		}
		out[i] = a;
	}
	return (int)n;
}

/* Decide every agreement; the first refusal refuses the call. */
static int start_decide(struct session *s, struct proto_request *r, const struct agreement **as, int n, enum channel ch,
			struct policy_decision *first, int *supervised)
{
	struct app *app = s->app;
	int64_t now = clock_now_ms();
	*supervised = 0;
	for (int i = 0; i < n; i++) {
		struct policy_usage usage;
		calls__usage_get(app->calls, as[i], now, &usage);
		struct policy_decision d = policy_decide(as[i], s->account_id, ch, now, &usage);
		if ((unsigned)d.reason < 32)
			app->metrics.decisions[d.reason]++;
		if (d.verdict != VERDICT_ALLOW && d.verdict != VERDICT_NEEDS_SUPERVISOR) {
			session_audit_decision(s, as[i], ch, &d);
			session_reply_denied(s, r->id, &d);
			return -1;
		}
		*supervised |= d.verdict == VERDICT_NEEDS_SUPERVISOR;
		if (i == 0)
			*first = d;
	}
	return 0;
}

/* The agreement a ringing party is called under: a contact's own, or for the child the caller's. */
static int64_t ring_agreement(const struct call *c, const struct call_party *p)
{
	return p->role == PARTY_CONTACT ? p->agreement_id : c->p[1].agreement_id;
}

/* The call.ring event for party p (PROTOCOL.md §9). */
static json_t *ring_json(const struct call *c, const struct call_party *p)
{
	int contacts = 0;
	for (size_t i = 0; i < c->n; i++)
		contacts += c->p[i].role == PARTY_CONTACT;
	return json_pack("{s:I,s:I,s:I,s:b,s:b,s:i}", "call_id", (json_int_t)c->id, "agreement_id",
			 (json_int_t)ring_agreement(c, p), "from", (json_int_t)c->caller, "video", c->video,
			 "supervised", c->supervised, "group", contacts);
}

/* Add the contacts, mark the caller in, ring everyone else (or mark them busy). Returns how many ring. */
static int call_ring(struct call *c, const struct agreement **as, int n, uint64_t conn)
{
	struct app *app = c->app;
	int ringing = 0;
	for (int i = 0; i < n; i++)
		party_add(c, as[i]->contact_id, PARTY_CONTACT, as[i]->id);
	struct call_party *me = calls__party(c, c->caller);
	me->state = PARTY_JOINED;
	me->conn = conn;
	intmap_put(&app->calls->by_account, (uint64_t)c->caller, c);
	for (size_t i = 0; i < c->n; i++) {
		struct call_party *p = &c->p[i];
		if (p->state != PARTY_RINGING)
			continue;
		if (call_busy(app, p->account)) {
			party_detach(c, p, "busy", 0, clock_now_ms());
			continue;
		}
		intmap_put(&app->calls->by_account, (uint64_t)p->account, c);
		ringing++;
		session_deliver(app, p->account, "call.ring", ring_json(c, p), NULL);
		const struct agreement *a = agreements_get(&app->agreements, ring_agreement(c, p));
		if (a) /* an offline party: Web Push, if the agreement allows the call now */
			push_call(app, a, p->account, c->caller, c->id, c->video,
				  !c->supervised || calls__supervisor_available(app, c->case_id));
	}
	return ringing;
}

/* A party that (re)connects while its part still rings (e.g. opened from a push notification) hears the ring. */
static void ring_again(struct session *s)
{
	struct call *c = intmap_get(&s->app->calls->by_account, (uint64_t)s->account_id);
	struct call_party *p = c ? calls__party(c, s->account_id) : NULL;
	if (p && p->state == PARTY_RINGING)
		session_push(s, "call.ring", ring_json(c, p));
}

void calls_handle_start(struct session *s, struct proto_request *r)
{
	enum channel ch;
	struct app *app = s->app;
	const struct agreement *as[CALL_MAX_CONTACTS] = {0};
	int n = start_agreements(s, r, as, &ch), supervised;
	struct policy_decision d;
	if (n < 0 || start_decide(s, r, as, n, ch, &d, &supervised) != 0)
		return;
	if (call_busy(app, s->account_id)) {
		session_reply_error(s, r->id, PROTO_ERR_BUSY, NULL);
		return;
	}
	if (supervised && s->account_id != as[0]->child_id && !calls__supervisor_available(app, as[0]->case_id)) {
		/* a supervised call never rings the child while no supervisor of the case could join it */
		log_info("call from %lld refused: supervised, and no supervisor of case %lld is online",
			 (long long)s->account_id, (long long)as[0]->case_id);
		session_reply_error(s, r->id, PROTO_ERR_SUPERVISOR_ABSENT, NULL);
		return;
	}
	struct call *c = call_new(app, as[0], s->account_id, ch);
	if (!c) {
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	c->supervised = supervised;
	if (!call_ring(c, as, n,
		       s->route.conn->id)) { /* every called party is in another call: it ends at once, unrung */
		reply_call(s, r->id, c, "busy", &d);
		calls__end(c, "busy", 0);
		return;
	}
	ev_timer_start(app->loop, &c->ring);
	reply_call(s, r->id, c, NULL, &d);
	calls__broadcast(c, NULL, "ringing", s->account_id);
}

/* The session's own party in the call named by call_id, if it has not left (and is not a supervisor, unless
 * supervisors are welcome); replies bad_request or no_call otherwise. */
static struct call_party *party_param(struct session *s, struct proto_request *r, int supervisors, struct call **cp)
{
	char err[PROTO_ERRBUF];
	int64_t id;
	if (proto_param_int(r, "call_id", 0, 1, INT64_MAX, &id, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return NULL;
	}
	struct call *c = intmap_get(&s->app->calls->by_id, (uint64_t)id);
	struct call_party *p = c ? calls__party(c, s->account_id) : NULL;
	if (!p || p->state == PARTY_LEFT || (!supervisors && p->role == PARTY_SUPERVISOR)) {
		session_reply_error(s, r->id, PROTO_ERR_NO_CALL, NULL);
		return NULL;
	}
	*cp = c;
	return p;
}

/* The call named by call_id, if the session's account is a party (not a supervisor) still in it. */
static struct call *call_param(struct session *s, struct proto_request *r, struct call_party **party)
{
	struct call *c = NULL;
	*party = party_param(s, r, 0, &c);
	return *party ? c : NULL;
}

/* Create the media call at the first answer; supervised calls stay paused until a supervisor is in. */
static int call_media_start(struct call *c)
{
	if (c->media)
		return MEDIA_OK;
	if (!c->app->calls->media_started)
		return MEDIA_ERR_STATE;
	int rc = media_call_create(c->id);
	if (rc < 0)
		return rc;
	c->media = 1;
	if (c->supervised && (rc = media_call_pause(c->id, true)) == MEDIA_OK)
		c->paused = 1;
	return rc;
}

/* The contacts whose part begins now (both they and the child are in): count it for the limits. */
static void parts_begin(struct call *c, int64_t now)
{
	if (c->p[0].state != PARTY_JOINED)
		return;
	for (size_t i = 1; i < c->n; i++) {
		struct call_party *p = &c->p[i];
		if (p->role != PARTY_CONTACT || p->state != PARTY_JOINED || p->answered_at)
			continue;
		p->answered_at = now;
		const struct agreement *a = agreements_get(&c->app->agreements, p->agreement_id);
		if (a)
			calls__usage_answered(c->app->calls, a, now);
	}
}

void calls_handle_accept(struct session *s, struct proto_request *r)
{
	struct call_party *p;
	struct call *c = call_param(s, r, &p);
	if (!c)
		return;
	if (p->state != PARTY_RINGING) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE,
				    "proto: only a called party can accept a ringing call");
		return;
	}
	int rc = call_media_start(c);
	if (rc != MEDIA_OK) {
		log_error("call %llu: %s", (unsigned long long)c->id, media_strerror(rc));
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		calls__end(c, "failed", 0);
		return;
	}
	p->state = PARTY_JOINED;
	p->conn = s->route.conn->id;
	calls__rec_party_joined(c, p);
	int64_t now = clock_now_ms();
	if (!c->answered_at) {
		c->answered_at = now;
		c->state = c->supervised && !calls__supervisor_connected(c) ? CALL_WAITING_SUPERVISOR : CALL_ACTIVE;
	}
	if (!anyone_ringing(c))
		ev_timer_stop(s->app->loop, &c->ring);
	parts_begin(c, now);
	calls__timing_update(c);
	reply_call(s, r->id, c, NULL, NULL);
	calls__broadcast(c, NULL, "answered", s->account_id);
}

/* decline (a called party, ringing), cancel (caller, ringing), hangup (any party, any state). */
static void call_stop(struct session *s, struct proto_request *r, const char *verb)
{
	struct call_party *p;
	struct call *c = call_param(s, r, &p);
	if (!c)
		return;
	int caller = c->caller == s->account_id, ringing = p->state == PARTY_RINGING;
	const char *reason = verb;
	if (!strcmp(verb, "hangup"))
		reason = ringing ? "declined" : !c->answered_at && caller ? "cancelled" : "hangup";
	else if (!strcmp(verb, "declined") ? !ringing : !(caller && !c->answered_at)) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE,
				    caller ? "proto: the caller cancels a ringing call (or hangs up)"
					   : "proto: a called party declines while it rings (or hangs up)");
		return;
	}
	if (!strcmp(reason, "cancelled")) {
		reply_call(s, r->id, c, reason, NULL);
		calls__end(c, reason, s->account_id);
		return;
	}
	if (p->role == PARTY_CHILD || contacts_in(c) <= 1) { /* this ends the call */
		reply_call(s, r->id, c, reason, NULL);
		calls__end(c, reason, s->account_id);
		return;
	}
	calls__party_leave(c, p, reason, s->account_id);
	reply_call(s, r->id, c, NULL, NULL);
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

void calls__apply_gates(struct call *c, struct call_party *p)
{
	if (!p->in_media)
		return;
	int pending = p->consent == CONSENT_PENDING, quiet = p->listening; /* a listener: heard after call.speak */
	media_call_set_gate(c->id, (uint64_t)p->account, !p->audio_muted && !pending && !quiet,
			    !p->video_muted && !pending && !quiet && p->sending == SENDING_ON);
	if (pending || p->sending == SENDING_SOUND_ONLY)
		media_call_set_recv_gate(c->id, (uint64_t)p->account, !pending, false);
	else if (p->role != PARTY_SUPERVISOR)
		media_call_set_recv_gate(c->id, (uint64_t)p->account, true, true);
}

/* Add (or replace) the party's media participant from its offer; the answer is ready at once. */
static int offer_answer(struct call *c, struct call_party *p, const char *sdp, size_t len, char *answer,
			const char **serr)
{
	uint64_t pid = (uint64_t)p->account;
	unsigned role = calls__media_role(c, p);
	int rc = media_participant_add(c->id, pid, sdp, len, role, answer, ANSWER_CAP, serr);
	if (rc == MEDIA_ERR_EXISTS && media_participant_remove(c->id, pid) == MEDIA_OK)
		rc = media_participant_add(c->id, pid, sdp, len, role, answer, ANSWER_CAP, serr);
	if (rc == MEDIA_OK) {
		p->in_media = 1;
		p->media = PMEDIA_NONE;
		calls__apply_gates(c, p);
	}
	return rc;
}

void calls_handle_offer(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *sdp, *serr = NULL;
	size_t len;
	int64_t id;
	if (proto_param_int(r, "call_id", 0, 1, INT64_MAX, &id, err) ||
	    proto_param_string(r, "sdp", 1, SDP_MAX, &sdp, &len, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	struct call *c = intmap_get(&s->app->calls->by_id, (uint64_t)id);
	struct call_party *p = c ? calls__party(c, s->account_id) : NULL;
	if (!p || p->state == PARTY_LEFT) {
		session_reply_error(s, r->id, PROTO_ERR_NO_CALL, NULL);
		return;
	}
	if (p->state != PARTY_JOINED || !c->answered_at || p->conn != s->route.conn->id || !c->media) {
		session_reply_error(
		    s, r->id, PROTO_ERR_CALL_STATE,
		    "proto: offer from the session that started, accepted or joined the call, once it is answered");
		return;
	}
	char *answer = malloc(ANSWER_CAP);
	int rc = answer ? offer_answer(c, p, sdp, len, answer, &serr) : MEDIA_ERR_NOMEM;
	if (rc == MEDIA_OK) {
		session_reply_ok(s, r->id, json_pack("{s:I,s:s}", "call_id", (json_int_t)c->id, "sdp", answer));
		calls__renegotiate(c);
	} else if (rc == MEDIA_ERR_SDP || rc == MEDIA_ERR_ARG) {
		snprintf(err, sizeof(err), "%s", serr ? serr : media_strerror(rc));
		session_reply_error(s, r->id, PROTO_ERR_SDP_REJECTED, err);
	} else if (rc == MEDIA_ERR_FULL) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE, "proto: the call is full");
	} else {
		log_error("call %llu: offer: %s", (unsigned long long)c->id, media_strerror(rc));
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
	}
	free(answer);
}

struct call_party *calls__own_party(struct session *s, struct proto_request *r, struct call **cp)
{
	struct call *c = NULL;
	struct call_party *p = party_param(s, r, 1, &c);
	if (!p)
		return NULL;
	if (p->state != PARTY_JOINED || !c->media) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE, "proto: join the call first");
		return NULL;
	}
	*cp = c;
	return p;
}

void calls_conn_closed(struct app *app, int64_t account, uint64_t conn_id)
{
	struct call *c = intmap_get(&app->calls->by_account, (uint64_t)account);
	struct call_party *p = c ? calls__party(c, account) : NULL;
	if (p && p->state != PARTY_LEFT && p->conn == conn_id)
		calls__party_leave(c, p, "disconnected", 0);
}

static void media_notify(struct call *c, const struct media_event *ev, const char *what)
{
	json_t *data = json_pack("{s:I,s:I,s:s}", "call_id", (json_int_t)c->id, "participant",
				 (json_int_t)ev->participant_id, "media", what);
	calls__to_parties(c, "call.media", data);
}

void calls_media_event(struct app *app, const struct media_event *ev)
{
	struct call *c = intmap_get(&app->calls->by_id, ev->call_id);
	if (c && ev->type == MEDIA_EV_LEVELS) {
		calls__levels(c, ev);
		return;
	}
	struct call_party *p = c ? calls__party(c, (int64_t)ev->participant_id) : NULL;
	if (!p || p->state != PARTY_JOINED || !p->in_media || ev->type == MEDIA_EV_STATS)
		return;
	if (ev->type == MEDIA_EV_CONNECTED) {
		app->metrics.call_media_connected++;
		p->media = PMEDIA_CONNECTED;
		media_notify(c, ev, "connected");
		if (p->role == PARTY_SUPERVISOR)
			calls__supervision_update(c, "supervisor_joined", p->account);
	} else if (ev->type == MEDIA_EV_FIRST_MEDIA) {
		p->media = PMEDIA_FLOWING;
		media_notify(c, ev, "flowing");
	} else {
		app->metrics.call_media_lost++;
		calls__party_leave(c, p, "media_lost", 0);
	}
}

int calls_init(struct app *app, char *err, size_t errlen)
{
	const struct config *cfg = &app->cfg;
	if (!(app->calls = calloc(1, sizeof(*app->calls)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	intmap_init(&app->calls->by_id);
	intmap_init(&app->calls->by_account);
	intmap_init(&app->calls->usage);
	struct media_config mc = {(unsigned)cfg->media_workers,
				  cfg->listen,
				  (uint16_t)cfg->media_port_base,
				  cfg->media_announce_ip[0] ? cfg->media_announce_ip : NULL,
				  0,
				  0};
	if (media_workers_start(&mc, err, errlen) != MEDIA_OK)
		return -1;
	app->calls->media_started = 1;
	if (calls__rec_init(app, err, errlen) != 0)
		return -1;
	log_info("media: %u worker(s), first UDP port %u", media_workers_count(), media_worker_port(0));
	int restored = calls__usage_restore(app, clock_now_ms());
	if (restored < 0)
		log_warn("calls: limits not restored: %s", store_errmsg(app->store));
	else if (restored)
		log_info("calls: %d answered call(s) of the last 8 days count towards the limits", restored);
	return 0;
}

void calls_free(struct app *app)
{
	if (!app->calls)
		return;
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->calls->by_id, &pos, NULL, &v))
		calls__end(v, "shutdown", 0);
	if (app->calls->media_started)
		media_workers_stop();
	app->calls->media_started = 0;
	calls__rec_free(app);
	intmap_free(&app->calls->by_id);
	intmap_free(&app->calls->by_account);
	calls__usage_free(app->calls);
	free(app->calls);
	app->calls = NULL;
}

/* An agreement changed: re-decide the live call it carries. */
static void on_agreement_changed(struct app *app, const struct agreement *old, const struct agreement *now)
{
	calls_agreement_changed(app, now);
}

const struct session_method calls_methods[] = {
    {"call.start", 1, calls_handle_start},     {"call.accept", 1, calls_handle_accept},
    {"call.decline", 1, calls_handle_decline}, {"call.cancel", 1, calls_handle_cancel},
    {"call.hangup", 1, calls_handle_hangup},   {"call.offer", 1, calls_handle_offer},
    {"calls.live", 1, calls_handle_live},      {"call.join", 1, calls_handle_join},
    {"call.leave", 1, calls_handle_leave},     {"call.mute", 1, calls_handle_mute},
    {"call.end", 1, calls_handle_end},         {"call.consent", 1, calls_handle_consent},
    {"call.record", 1, calls_handle_record},   {"call.record_consent", 1, calls_handle_record_consent},
    {"call.ice", 1, turn_handle_ice},          {"call.mix", 1, calls_handle_mix},
    {"call.speak", 1, calls_handle_speak},     {"call.sending", 1, calls_handle_sending},
};
const size_t calls_method_count = sizeof(calls_methods) / sizeof(calls_methods[0]);

const struct session_listener calls_listener = {
    .authenticated = ring_again,
    .closed = calls_conn_closed,
    .agreement_changed = on_agreement_changed,
};
