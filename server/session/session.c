/* session.c: connection lifecycle, the method table the features fill, and the reply/event helpers every handler uses. */
#include <stdlib.h>
#include <string.h>

#include "server/store/audit.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/blobs/profile_photo.h"
#include "server/session/session_internal.h"
#include "server/store/commit.h"

static void handle_ping(struct session *s, struct proto_request *r)
{
	json_t *res = json_object();
	json_object_set_new(res, "now", json_integer(clock_now_ms()));
	session_reply_ok(s, r->id, res);
}

/* The session's own methods, looked up before those the features add. */
static const struct session_method builtin[] = {
    {"ping", 0, handle_ping},
    {"auth.login", 0, auth_handle_login},
    {"auth.resume", 0, auth_handle_resume},
    {"auth.logout", 1, auth_handle_logout},
    {"account.set_locale", 1, session_handle_set_locale},
};

static const struct session_method *find_method(const struct session_table *t, const char *type)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(builtin[i].type, type))
			return &builtin[i];
	for (size_t i = 0; i < t->n_methods; i++)
		if (!strcmp(t->methods[i].type, type))
			return &t->methods[i];
	return NULL;
}

int session_methods_add(struct app *app, const struct session_method *m, size_t n)
{
	struct session_table *t = &app->features;
	if (n > SESSION_METHODS_MAX - t->n_methods)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (find_method(t, m[i].type))
			return -1;
	for (size_t i = 0; i < n; i++)
		t->methods[t->n_methods++] = m[i];
	return 0;
}

int session_listen(struct app *app, const struct session_listener *l)
{
	struct session_table *t = &app->features;
	if (t->n_listeners == SESSION_LISTENERS_MAX)
		return -1;
	t->listeners[t->n_listeners++] = l;
	return 0;
}

static void unauth_unlink(struct app *app, struct session *s)
{
	if (s->unauth_prev)
		s->unauth_prev->unauth_next = s->unauth_next;
	else if (app->unauth_head == s)
		app->unauth_head = s->unauth_next;
	else
		return; /* not on the list */
	if (s->unauth_next)
		s->unauth_next->unauth_prev = s->unauth_prev;
	else
		app->unauth_tail = s->unauth_prev;
	s->unauth_prev = s->unauth_next = NULL;
}

static void tell_closed(struct app *app, int64_t account, uint64_t conn_id)
{
	const struct session_table *t = &app->features;
	for (size_t i = 0; i < t->n_listeners; i++)
		if (t->listeners[i]->closed)
			t->listeners[i]->closed(app, account, conn_id);
}

struct session *session_open(struct app *app, struct conn *c)
{
	struct session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->app = app;
	s->route.conn = c;
	s->route.owner = s;
	s->opened_at = clock_now_ms();
	router_add(&app->router, &s->route);
	s->unauth_prev = app->unauth_tail;
	if (app->unauth_tail)
		app->unauth_tail->unauth_next = s;
	else
		app->unauth_head = s;
	app->unauth_tail = s;
	app->metrics.connections_open++;
	app->metrics.connections_total++;
	return s;
}

void session_close(struct session *s)
{
	if (!s)
		return;
	struct app *app = s->app;
	unauth_unlink(app, s);
	if (s->account_id)
		app->metrics.sessions_authenticated--;
	router_remove(&app->router, &s->route);
	if (s->account_id) /* after router_remove: the closing connection gets no call.state */
		tell_closed(app, s->account_id, s->route.conn->id);
	app->metrics.connections_open--;
	free(s);
}

void session_receive(struct session *s, const char *buf, size_t len)
{
	struct proto_request r;
	char err[PROTO_ERRBUF];
	s->app->metrics.requests_total++;
	enum proto_error e = proto_decode_request(&r, buf, len, err);
	if (e != PROTO_ERR_OK) {
		session_reply_error(s, r.id, e, err);
		proto_request_free(&r);
		return;
	}
	if (!s->account_id)
		session_note_locale(s, &r);
	const struct session_method *m = find_method(&s->app->features, r.type);
	if (m) {
		if (m->needs_auth && !s->account_id)
			session_reply_error(s, r.id, PROTO_ERR_UNAUTHENTICATED, NULL);
		else
			m->fn(s, &r);
		proto_request_free(&r);
		return;
	}
	snprintf(err, sizeof(err), "proto: unknown request type '%.60s'", r.type);
	session_reply_error(s, r.id, PROTO_ERR_UNKNOWN_TYPE, err);
	proto_request_free(&r);
}

static void send_text(struct session *s, char *text, size_t len)
{
	struct frame *f = frame_from_string(text, len);
	if (!f) {
		log_error("out of memory encoding a reply");
		return;
	}
	conn_send(s->route.conn, f);
	frame_unref(f);
	s->app->metrics.events_sent++;
}

void session_send_frame(struct session *s, struct frame *f)
{
	conn_send(s->route.conn, f);
	s->app->metrics.events_sent++;
}

void session_reply_ok(struct session *s, json_t *id, json_t *result)
{
	size_t len;
	char *text = proto_encode_ok(id, result, &len);
	send_text(s, text, len);
}

void session_reply_said(struct session *s, json_t *id, const char *code, const char *message, json_t *extra)
{
	size_t len;
	s->app->metrics.request_errors++;
	char *text = proto_encode_error(id, code, message, extra, &len);
	send_text(s, text, len);
}

void session_reply_extra(struct session *s, json_t *id, const char *code, const char *message, json_t *extra)
{
	char said[I18N_TEXT_MAX];
	session_reply_said(s, id, code, session_localize(s, code, message, said, sizeof(said)), extra);
}

void session_reply_error(struct session *s, json_t *id, enum proto_error e, const char *message)
{
	session_reply_extra(s, id, proto_error_code(e), message ? message : proto_error_message(e), NULL);
}

/* An answer held until the turn's writes are durable. */
struct durable_reply {
	uint64_t conn_id;
	json_t *id;
	struct frame *f; /* the answer, encoded when it was decided */
};

static void durable_reply_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct durable_reply *d = arg;
	struct session *s = session_by_conn(app, d->conn_id);
	if (s && ok)
		session_send_frame(s, d->f);
	else if (s)
		session_reply_error(s, d->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
	frame_unref(d->f);
	json_decref(d->id);
	free(d);
}

void session_reply_extra_durable(struct session *s, json_t *id, const char *code, const char *message, json_t *extra)
{
	struct app *app = s->app;
	struct durable_reply *d = store_in_txn(app->store) ? malloc(sizeof(*d)) : NULL;
	if (!d) { /* nothing written this turn (or no memory: answer now rather than never) */
		session_reply_extra(s, id, code, message, extra);
		return;
	}
	size_t len;
	char said[I18N_TEXT_MAX];
	app->metrics.request_errors++;
	char *text = proto_encode_error(id, code, session_localize(s, code, message, said, sizeof(said)), extra, &len);
	d->f = frame_from_string(text, len);
	if (!d->f) {
		free(d);
		log_error("out of memory encoding a reply");
		return;
	}
	d->conn_id = s->route.conn->id;
	d->id = json_incref(id);
	commit_after(&app->commit, durable_reply_committed, d);
}

void session_reply_error_durable(struct session *s, json_t *id, enum proto_error e)
{
	session_reply_extra_durable(s, id, proto_error_code(e), proto_error_message(e), NULL);
}

json_t *session_decision_json(const struct policy_decision *d)
{
	json_t *o = json_object();
	json_object_set_new(o, "verdict", json_string(policy_verdict_name(d->verdict)));
	json_object_set_new(o, "reason", json_string(policy_reason_name(d->reason)));
	json_object_set_new(o, "rule", json_string(d->rule));
	json_object_set_new(o, "next_at", d->next_at ? json_integer(d->next_at) : json_null());
	if (d->verdict != VERDICT_DENY)
		json_object_set_new(o, "closes_at", d->closes_at ? json_integer(d->closes_at) : json_null());
	return o;
}

void session_reply_denied(struct session *s, json_t *id, const struct policy_decision *d)
{
	json_t *extra = json_object();
	json_object_set_new(extra, "decision", session_decision_json(d));
	/* A refusal is audited in this turn's transaction: it is answered once that entry is durable, so no client
	 * is told of a refusal that a power cut would leave out of the audit trail. */
	session_reply_extra_durable(s, id, policy_reason_name(d->reason), policy_reason_message(d->reason), extra);
}

struct policy_decision session_decide(struct app *app, const struct agreement *a, int64_t actor, enum channel ch)
{
	struct policy_decision d = policy_decide(a, actor, ch, clock_now_ms(), NULL);
	if ((unsigned)d.reason < 32)
		app->metrics.decisions[d.reason]++;
	return d;
}

void session_audit_decision(struct session *s, const struct agreement *a, enum channel ch,
			    const struct policy_decision *d)
{
	struct app *app = s->app;
	json_t *detail =
	    json_pack("{s:s,s:s,s:s,s:s}", "channel", channel_name(ch), "verdict", policy_verdict_name(d->verdict),
		      "reason", policy_reason_name(d->reason), "rule", d->rule);
	const char *kind = d->verdict == VERDICT_HOLD ? AUDIT_HOLD : AUDIT_REFUSAL;
	if (store_begin(app->store) != STORE_OK) {
		json_decref(detail);
		log_error("audit: %s", store_errmsg(app->store));
		return;
	}
	if (audit_append(app->store, s->account_id, kind, a ? a->case_id : 0, a ? a->id : 0, detail) != STORE_OK)
		log_error("audit: %s", store_errmsg(app->store));
}

void session_push(struct session *s, const char *event, json_t *data)
{
	size_t len;
	char *text = proto_encode_event(event, data, &len);
	send_text(s, text, len);
}

void session_deliver_many(struct app *app, const int64_t *accounts, size_t n, const char *event, json_t *data,
			  const struct route *skip)
{
	size_t online = 0;
	for (size_t i = 0; i < n; i++)
		online += router_first(&app->router, accounts[i]) != NULL;
	if (!online) {
		json_decref(data);
		return;
	}
	size_t len = 0;
	char *text = proto_encode_event(event, data, &len); /* encoded once, shared by every recipient */
	struct frame *f = frame_from_string(text, len);
	if (!f)
		return;
	for (size_t i = 0; i < n; i++)
		app->metrics.events_sent += (uint64_t)router_deliver(&app->router, accounts[i], f, skip);
	frame_unref(f);
}

void session_deliver_frame(struct app *app, const int64_t *accounts, size_t n, struct frame *f,
			   const struct route *skip)
{
	for (size_t i = 0; i < n; i++)
		app->metrics.events_sent += (uint64_t)router_deliver(&app->router, accounts[i], f, skip);
}

void session_deliver(struct app *app, int64_t account, const char *event, json_t *data, const struct route *skip)
{
	session_deliver_many(app, &account, 1, event, data, skip);
}

struct session *session_by_conn(struct app *app, uint64_t conn_id)
{
	struct route *rt = router_by_conn(&app->router, conn_id);
	return rt ? rt->owner : NULL;
}

void session_authenticated(struct session *s, int64_t account, const char *role, json_t *id, json_t *result)
{
	struct account a; /* its language preference (no store: the unit tests' bare app) */
	int known = s->app->store && store_account_by_id(s->app->store, account, &a) == STORE_OK;
	session_locale_authenticated(s, known ? a.locale : NULL);
	s->account_id = account;
	snprintf(s->role, sizeof(s->role), "%s", role);
	if (s->expires_at < s->app->next_expiry)
		s->app->next_expiry = s->expires_at;
	unauth_unlink(s->app, s);
	router_bind(&s->app->router, &s->route, account);
	s->app->metrics.sessions_authenticated++;
	json_t *me = result ? json_object_get(result, "account") : NULL;
	if (json_is_object(me)) /* every login answer (password, token, device, invitation) shows the person's photo */
		profile_photo_json(s->app->store, account, me);
	session_reply_ok(s, id, result);
	const struct session_table *t = &s->app->features;
	for (size_t i = 0; i < t->n_listeners; i++)
		if (t->listeners[i]->authenticated)
			t->listeners[i]->authenticated(s);
}

/* The connection's login session is over: close it once, with the code clients treat as "log in again". */
static void end_session(struct session *s, int code, const char *reason)
{
	if (s->ended)
		return;
	s->ended = 1;
	conn_close(s->route.conn, code, reason);
}

void session_sweep(struct app *app, int64_t now_ms)
{
	int64_t limit = (int64_t)app->cfg.auth_timeout_s * 1000;
	struct session *s = app->unauth_head;
	while (s && now_ms - s->opened_at >= limit) {
		struct session *next = s->unauth_next;
		unauth_unlink(app, s); /* closed once; the transport calls session_close later */
		conn_close(s->route.conn, 1008, "auth_timeout");
		s = next;
	}
}

void session_expire(struct app *app, int64_t now_ms)
{
	if (now_ms < app->next_expiry)
		return;
	int64_t next = INT64_MAX;
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->router.by_conn, &pos, NULL, &v)) {
		struct session *s = ((struct route *)v)->owner;
		if (!s->account_id || s->ended)
			continue;
		if (s->expires_at <= now_ms)
			end_session(s, 1008, "session_expired");
		else if (s->expires_at < next)
			next = s->expires_at;
	}
	app->next_expiry = next;
}

void session_close_all(struct app *app, int code, const char *reason)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->router.by_conn, &pos, NULL, &v))
		conn_close(((struct route *)v)->conn, code, reason);
}

void session_agreement_changed(const struct agreement *old, const struct agreement *now, void *arg)
{
	struct app *app = arg;
	for (size_t i = 0; i < app->features.n_listeners; i++)
		if (app->features.listeners[i]->agreement_changed)
			app->features.listeners[i]->agreement_changed(app, old, now);
}

void session_agreements_changed(struct app *app)
{
	commit_flush(&app->commit);
	if (agreements_reload(&app->agreements, app->store, session_agreement_changed, app) != STORE_OK)
		log_error("reloading agreements: %s", store_errmsg(app->store));
}

void session_check_accounts(struct app *app)
{
	/* An operator may have disabled an account, which also deletes its login sessions. */
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->router.by_conn, &pos, NULL, &v)) {
		struct session *s = ((struct route *)v)->owner;
		int64_t account, expires;
		if (s->account_id &&
		    store_session_get(app->store, s->token_hash, &account, &expires) == STORE_NOT_FOUND)
			end_session(s, 1008, "session_ended");
	}
}

void session_check_account(struct app *app, int64_t account)
{
	for (struct route *rt = router_first(&app->router, account); rt; rt = rt->next) {
		struct session *s = rt->owner;
		int64_t owner, expires;
		if (store_session_get(app->store, s->token_hash, &owner, &expires) == STORE_NOT_FOUND)
			end_session(s, 1008, "session_ended");
	}
}

void session_end_token(struct app *app, const uint8_t token_hash[32], int code, const char *reason)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->router.by_conn, &pos, NULL, &v)) {
		struct session *s = ((struct route *)v)->owner;
		if (s->account_id && !memcmp(s->token_hash, token_hash, sizeof(s->token_hash)))
			end_session(s, code, reason);
	}
}
