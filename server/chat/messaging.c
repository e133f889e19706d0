/* messaging.c: msg.send (text, or an attachment with an optional caption; acknowledged after the group commit),
 * msg.history, msg.receipt, and store-and-forward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/text.h"
#include "server/store/audit.h"
#include "server/base/clock.h"
#include "server/base/jsonw.h"
#include "server/policy/screen.h"
#include "server/base/log.h"
#include "server/chat/chat.h"
#include "server/chat/chat_attach.h"
#include "server/push/push.h"
#include "server/session/session_internal.h"

#define HISTORY_DEFAULT 50
#define HISTORY_MAX 100
#define UNDELIVERED_MAX 500
#define CLIENT_KEY_MAX 64

static json_t *message_json(struct store *st, const struct message *m)
{
	json_t *o = json_object();
	json_object_set_new(o, "agreement_id", json_integer(m->agreement_id));
	json_object_set_new(o, "seq", json_integer(m->seq));
	json_object_set_new(o, "from", json_integer(m->sender_id));
	if (m->sender_id == CHAT_SERVER_SENDER) { /* a record the server wrote: {"kind": ..., kind: {...}} */
		json_t *rec = json_loadb(m->text, m->text_len, 0, NULL);
		const char *kind = json_string_value(json_object_get(rec, "kind"));
		json_object_set_new(o, "kind", json_string(kind ? kind : "unknown"));
		if (kind)
			json_object_set(o, kind, json_object_get(rec, kind));
		json_decref(rec);
	} else {
		json_object_set_new(o, "text", json_stringn(m->text, m->text_len));
		json_t *att = st ? chat_attach_of_message(st, m) : NULL;
		if (att)
			json_object_set_new(o, "attachment", att);
	}
	json_object_set_new(o, "sent_at", json_integer(m->sent_at));
	return o;
}

/* The `message` event, {"event":"message","data":{...message_json...}}, written straight into a frame; att: the
 * attachment it carries (NULL = none). */
static struct frame *message_event_frame(const struct message *m, const struct attachment *att)
{
	if (m->sender_id == CHAT_SERVER_SENDER) {
		json_t *ev = json_pack("{s:s,s:o}", "event", "message", "data", message_json(NULL, m));
		char *text = json_dumps(ev, JSON_COMPACT);
		json_decref(ev);
		size_t len = text ? strlen(text) : 0;
		struct frame *f = text ? frame_alloc(len) : NULL;
		if (f) {
			memcpy(frame_payload(f), text, len);
			frame_seal(f, len);
		}
		free(text);
		return f;
	}
	size_t cap = 96 + 4 * JSONW_INT_MAX + jsonw_str_len(m->text, m->text_len) + (att ? ATTACHMENT_JSON_MAX : 0);
	struct frame *f = frame_alloc(cap);
	if (!f)
		return NULL;
	struct jsonw w;
	jsonw_init(&w, (char *)frame_payload(f), cap);
	JSONW_LIT(&w, "{\"event\":\"message\",\"data\":{\"agreement_id\":");
	jsonw_int(&w, m->agreement_id);
	JSONW_LIT(&w, ",\"seq\":");
	jsonw_int(&w, m->seq);
	JSONW_LIT(&w, ",\"from\":");
	jsonw_int(&w, m->sender_id);
	JSONW_LIT(&w, ",\"text\":");
	jsonw_str(&w, m->text, m->text_len);
	if (att) {
		JSONW_LIT(&w, ",\"attachment\":");
		attachment_jsonw(&w, att);
	}
	JSONW_LIT(&w, ",\"sent_at\":");
	jsonw_int(&w, m->sent_at);
	JSONW_LIT(&w, "}}");
	if (!w.ok) {
		frame_unref(f);
		return NULL;
	}
	frame_seal(f, w.len);
	return f;
}

/* The msg.send answer, {"id":ID,"ok":true,"result":{"agreement_id":..,"seq":..,"sent_at":..,"duplicate":..}}. */
static struct frame *send_ack_frame(json_t *id, const struct message *m, int duplicate)
{
	size_t cap = 120 + jsonw_id_max(id) + 3 * JSONW_INT_MAX;
	struct frame *f = frame_alloc(cap);
	if (!f)
		return NULL;
	struct jsonw w;
	jsonw_init(&w, (char *)frame_payload(f), cap);
	JSONW_LIT(&w, "{\"id\":");
	jsonw_id(&w, id);
	JSONW_LIT(&w, ",\"ok\":true,\"result\":{\"agreement_id\":");
	jsonw_int(&w, m->agreement_id);
	JSONW_LIT(&w, ",\"seq\":");
	jsonw_int(&w, m->seq);
	JSONW_LIT(&w, ",\"sent_at\":");
	jsonw_int(&w, m->sent_at);
	if (duplicate)
		JSONW_LIT(&w, ",\"duplicate\":true}}");
	else
		JSONW_LIT(&w, ",\"duplicate\":false}}");
	if (!w.ok) {
		frame_unref(f);
		return NULL;
	}
	frame_seal(f, w.len);
	return f;
}

/* The conversation, if the caller is a party to it; otherwise replies no_agreement. */
static struct agreement *conversation_of(struct session *s, struct proto_request *r, int64_t *agreement_id)
{
	char err[PROTO_ERRBUF];
	if (proto_param_int(r, "agreement_id", 0, 1, INT64_MAX, agreement_id, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return NULL;
	}
	struct agreement *a = agreements_get(&s->app->agreements, *agreement_id);
	if (!a || !agreement_peer(a, s->account_id)) {
		struct policy_decision d = session_decide(s->app, NULL, s->account_id, CH_TEXT);
		session_audit_decision(s, NULL, CH_TEXT, &d);
		session_reply_denied(s, r->id, &d);
		return NULL;
	}
	return a;
}

/* A message waiting for the commit that makes it durable. */
struct pending_send {
	struct commit_wait wait; /* its place in the commit queue */
	uint64_t conn_id;        /* sender's connection, to answer */
	json_t *id;              /* request id */
	struct message m;        /* what was stored (m.text points at text) */
	int duplicate;           /* a retry of an already stored message: answer only */
	struct attachment *att;  /* what the message carries (owned), NULL = text only */
	char text[];             /* copy of the text */
};

static void send_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct pending_send *p = arg;
	struct session *s = session_by_conn(app, p->conn_id);
	if (!ok) {
		struct agreement *a = agreements_get(&app->agreements, p->m.agreement_id);
		if (a && !p->duplicate && a->last_seq >= p->m.seq)
			a->last_seq = p->m.seq - 1; /* the whole turn rolled back */
		if (s)
			session_reply_error(s, p->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		goto out;
	}
	if (s) {
		struct frame *f = send_ack_frame(p->id, &p->m, p->duplicate);
		if (f)
			session_send_frame(s, f);
		else
			log_error("out of memory encoding a reply");
		frame_unref(f);
	}
	if (!p->duplicate) {
		struct agreement *a = agreements_get(&app->agreements, p->m.agreement_id);
		app->metrics.messages_relayed++;
		if (a) { /* the peer, and the sender's other sessions (not the one that sent it) */
			int64_t to[2] = {agreement_peer(a, p->m.sender_id), p->m.sender_id};
			const struct route *skip = s ? &s->route : NULL;
			if (router_first(&app->router, to[0]) || router_first(&app->router, to[1])) {
				struct frame *f = message_event_frame(&p->m, p->att); /* encoded once for everyone */
				if (f)
					session_deliver_frame(app, to, 2, f, skip);
				else
					log_error("out of memory encoding a message event");
				frame_unref(f);
			}
			push_message(app, a, p->m.sender_id); /* the peer, if it has no live connection */
		}
	}
out:
	json_decref(p->id);
	free(p->att);
	free(p);
}

struct dup_lookup {
	const char *text;
	size_t len;
	int same, found_one;
	struct message found;
};

static void on_dup(const struct message *m, void *arg)
{
	struct dup_lookup *d = arg;
	d->same = m->text_len == d->len && memcmp(m->text, d->text, d->len) == 0;
	d->found_one = 1;
	d->found = *m;
	d->found.text = NULL;
}

static struct pending_send *pending_new(struct session *s, json_t *id, const struct message *m)
{
	struct pending_send *p = malloc(sizeof(*p) + m->text_len + 1);
	if (!p)
		return NULL;
	p->wait.embedded = 1;
	p->conn_id = s->route.conn->id;
	p->id = json_incref(id);
	p->m = *m;
	p->duplicate = 0;
	p->att = NULL;
	memcpy(p->text, m->text, m->text_len);
	p->text[m->text_len] = 0;
	p->m.text = p->text;
	return p;
}

/* The client_key was used before: answer with the original if the text and attachment (att_id, NULL = none)
 * match. STORE_NOT_FOUND (nothing answered) when no message has that key. */
static int send_duplicate(struct session *s, json_t *id, struct message *m, const char *key, const char *att_id)
{
	struct dup_lookup d = {m->text, m->text_len, 0, 0, {0}};
	int rc = store_message_by_key(s->app->store, m->agreement_id, m->sender_id, key, on_dup, &d);
	if (rc == STORE_NOT_FOUND || (rc == STORE_OK && !d.found_one))
		return STORE_NOT_FOUND;
	if (rc != STORE_OK) {
		session_reply_error(s, id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return rc;
	}
	if (!d.same || !chat_attach_is(s->app->store, &d.found, att_id)) {
		session_reply_error(s, id, PROTO_ERR_IDEMPOTENCY_CONFLICT, NULL);
		return STORE_OK;
	}
	m->seq = d.found.seq;
	m->sent_at = d.found.sent_at;
	struct pending_send *p = pending_new(s, id, m);
	if (!p) {
		session_reply_error(s, id, PROTO_ERR_INTERNAL, NULL);
		return STORE_OK;
	}
	p->duplicate = 1; /* the original may still be in this turn's transaction: answer after the commit */
	commit_after_in(&s->app->commit, &p->wait, send_committed, p);
	return STORE_OK;
}

/* A held message waiting for the commit: answered with held = true; nothing is delivered. */
struct pending_hold {
	uint64_t conn_id;
	json_t *id;
	int64_t agreement_id, hold_id, sent_at;
	int duplicate;
	struct policy_decision d;
};

static void hold_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct pending_hold *p = arg;
	struct session *s = session_by_conn(app, p->conn_id);
	if (s && !ok)
		session_reply_error(s, p->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
	if (s && ok) {
		json_t *res = json_object();
		json_object_set_new(res, "agreement_id", json_integer(p->agreement_id));
		json_object_set_new(res, "held", json_true());
		json_object_set_new(res, "hold_id", json_integer(p->hold_id));
		json_object_set_new(res, "sent_at", json_integer(p->sent_at));
		json_object_set_new(res, "duplicate", json_boolean(p->duplicate));
		json_t *dj = session_decision_json(&p->d);
		char said[I18N_TEXT_MAX];
		json_object_set_new(
		    dj, "message",
		    json_string(session_localize(s, policy_reason_name(p->d.reason), policy_reason_message(p->d.reason),
						 said, sizeof(said))));
		json_object_set_new(res, "decision", dj);
		session_reply_ok(s, p->id, res);
	}
	json_decref(p->id);
	free(p);
}

struct held_lookup {
	const char *text;
	size_t len;
	const char *att_id; /* NULL = text only */
	int same;
	int64_t id, sent_at;
	char reason[32];
};

static void on_held_dup(const struct held_message *h, void *arg)
{
	struct held_lookup *l = arg;
	l->same = h->text_len == l->len && memcmp(h->text, l->text, l->len) == 0 &&
	    !strcmp(h->attachment_id, l->att_id ? l->att_id : "");
	l->id = h->id;
	l->sent_at = h->sent_at;
	snprintf(l->reason, sizeof(l->reason), "%s", h->reason ? h->reason : "");
}

static enum policy_reason reason_named(const char *name)
{
	for (int r = 0; r < POLICY_REASON__COUNT; r++)
		if (!strcmp(policy_reason_name((enum policy_reason)r), name))
			return (enum policy_reason)r;
	return REASON_HELD_FOR_REVIEW;
}

/* The client_key names a held message: answer as when it was held, if the text and attachment match.
 * STORE_NOT_FOUND (nothing answered) when no held message has that key. */
static int held_duplicate(struct session *s, json_t *id, const struct agreement *a, const struct message *m,
			  const char *key, enum channel ch, const char *att_id)
{
	struct app *app = s->app;
	struct held_lookup l = {m->text, m->text_len, att_id, 0, 0, 0, ""};
	int rc = store_held_by_key(app->store, a->id, m->sender_id, key, on_held_dup, &l);
	if (rc == STORE_ERR)
		session_reply_error(s, id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
	if (rc != STORE_OK)
		return rc;
	struct pending_hold *p = l.same ? calloc(1, sizeof(*p)) : NULL;
	if (!p) {
		session_reply_error(s, id, l.same ? PROTO_ERR_INTERNAL : PROTO_ERR_IDEMPOTENCY_CONFLICT, NULL);
		return STORE_OK;
	}
	*p = (struct pending_hold){s->route.conn->id,
				   json_incref(id),
				   a->id,
				   l.id,
				   l.sent_at,
				   1,
				   policy_decision_for(reason_named(l.reason), ch)};
	commit_after(&app->commit, hold_committed, p);
	return STORE_OK;
}

/* Keep the message (and its attachment, NULL = none) for review instead of delivering it. */
static void send_held(struct session *s, json_t *id, const struct agreement *a, const struct message *m,
		      const char *key, const struct policy_decision *d, enum channel ch, const struct attachment *att)
{
	struct app *app = s->app;
	struct pending_hold *p = calloc(1, sizeof(*p));
	int64_t hold_id = 0;
	int rc = p ? store_begin(app->store) : STORE_ERR;
	if (rc == STORE_OK)
		rc = store_held_add(app->store, m, key, policy_reason_name(d->reason), att ? att->id : NULL, &hold_id);
	if (rc == STORE_DUPLICATE) {
		free(p);
		if (held_duplicate(s, id, a, m, key, ch, att ? att->id : NULL) == STORE_NOT_FOUND)
			session_reply_error(s, id, PROTO_ERR_IDEMPOTENCY_CONFLICT, NULL);
		return;
	}
	if (rc == STORE_OK && att)
		rc = attachment_mark_held(app->store, att->id, m->sender_id, a->id, hold_id, m->sent_at);
	if (rc != STORE_OK) {
		free(p);
		session_reply_error(s, id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	session_audit_decision(s, a, ch, d);
	*p = (struct pending_hold){s->route.conn->id, json_incref(id), a->id, hold_id, m->sent_at, 0, *d};
	commit_after(&app->commit, hold_committed, p);
}

/* The agreement's screening of what the text says: an allowed message with contact details, links or listed
 * words is held instead. */
static struct policy_decision screen_text(const struct agreement *a, const char *text, size_t len,
					  struct policy_decision d, enum channel ch)
{
	enum screen_hit h = a->terms.screen_contact_details ? screen_contact_details(text, len) : SCREEN_NONE;
	if (h == SCREEN_URL || h == SCREEN_HANDLE)
		return policy_decision_for(REASON_LINKS, ch);
	if (h != SCREEN_NONE)
		return policy_decision_for(REASON_CONTACT_DETAILS, ch);
	if (a->terms.screen_words && screen_words(text, len, NULL))
		return policy_decision_for(REASON_WORD_LIST, ch);
	return d;
}

/* Send text, or an attachment (att, owned; NULL = none) with text as its optional caption, on channel ch: policy,
 * screening, then held or stored and delivered after the commit. */
static void send_checked(struct session *s, json_t *id, struct agreement *a, enum channel ch, const char *key,
			 const char *text, size_t tlen, struct attachment *att)
{
	struct app *app = s->app;
	struct policy_decision d = session_decide(app, a, s->account_id, ch);
	if (d.verdict != VERDICT_ALLOW && d.verdict != VERDICT_HOLD) {
		session_audit_decision(s, a, ch, &d);
		session_reply_denied(s, id, &d);
		free(att);
		return;
	}
	enum proto_error te = att ? PROTO_ERR_OK : proto_text_check(text, tlen); /* a caption was checked already */
	if (te != PROTO_ERR_OK) {
		session_reply_error(s, id, te, te == PROTO_ERR_BAD_REQUEST ? "proto: 'text' is not valid UTF-8" : NULL);
		return;
	}
	struct message m = {a->id, a->last_seq + 1, s->account_id, clock_now_ms(), text, tlen};
	if (d.verdict == VERDICT_ALLOW && tlen)
		d = screen_text(a, text, tlen, d, ch);
	if (d.verdict == VERDICT_HOLD) {
		send_held(s, id, a, &m, key, &d, ch, att);
		free(att);
		return;
	}
	int rc = store_message_add(app->store, &m, key); /* to the message log: no SQLite transaction */
	if (rc == STORE_DUPLICATE) {
		if (send_duplicate(s, id, &m, key, att ? att->id : NULL) == STORE_NOT_FOUND)
			session_reply_error(s, id, PROTO_ERR_INTERNAL, NULL);
		free(att);
		return;
	}
	struct pending_send *p = rc == STORE_OK ? pending_new(s, id, &m) : NULL;
	if (p && att &&
	    (store_begin(app->store) != STORE_OK ||
	     attachment_mark_sent(app->store, att->id, m.sender_id, a->id, m.seq, m.sent_at) != STORE_OK))
		log_error("msg.send: attachment %s not recorded at seq %lld: %s", att->id, (long long)m.seq,
			  store_errmsg(app->store)); /* the message itself is in the log already */
	if (!p) {
		log_error("msg.send: %s", store_errmsg(app->store));
		session_reply_error(s, id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		free(att);
		return;
	}
	p->att = att;
	a->last_seq = m.seq;
	commit_after_in(&app->commit, &p->wait, send_committed, p);
}

/* msg.send with attachment_id: the sender's own upload for this conversation, sent once; a retry with the same
 * client_key gets the first answer. */
static void send_attachment(struct session *s, json_t *id, struct agreement *a, const char *key, const char *text,
			    size_t tlen, const char *att_id)
{
	struct app *app = s->app;
	if (tlen && proto_text_check(text, tlen) == PROTO_ERR_TEXT_EMPTY)
		tlen = 0; /* a blank caption is none */
	enum proto_error te = tlen ? proto_text_check(text, tlen) : PROTO_ERR_OK;
	if (te != PROTO_ERR_OK) {
		session_reply_error(s, id, te, te == PROTO_ERR_BAD_REQUEST ? "proto: 'text' is not valid UTF-8" : NULL);
		return;
	}
	struct attachment *att = malloc(sizeof(*att));
	enum chat_attach_use u =
	    att ? chat_attach_check(app->store, att_id, s->account_id, a, att) : CHAT_ATTACH_STORE_ERROR;
	if (u == CHAT_ATTACH_READY) {
		send_checked(s, id, a, (enum channel)attachment_kind_channel(att->kind), key, text, tlen, att);
		return;
	}
	if (u == CHAT_ATTACH_USED) {
		struct message m = {a->id, 0, s->account_id, 0, text, tlen};
		enum channel ch = (enum channel)attachment_kind_channel(att->kind);
		if (send_duplicate(s, id, &m, key, att_id) == STORE_NOT_FOUND &&
		    held_duplicate(s, id, a, &m, key, ch, att_id) == STORE_NOT_FOUND)
			session_reply_error(s, id, PROTO_ERR_ATTACHMENT_UNAVAILABLE, NULL);
	} else {
		session_reply_error(s, id,
				    u == CHAT_ATTACH_STORE_ERROR ? PROTO_ERR_STORE_UNAVAILABLE
								 : PROTO_ERR_ATTACHMENT_UNAVAILABLE,
				    NULL);
	}
	free(att);
}

static int has_param(const struct proto_request *r, const char *name)
{
	return r->root ? json_object_get(r->root, name) != NULL : proto_flat_get(&r->flat, name) != NULL;
}

static void messaging_handle_send(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *text = "", *key, *att_id = NULL;
	size_t tlen = 0;
	int64_t agreement_id;
	if (!session_send_allowed(s, r->id))
		return;
	int with_att = has_param(r, "attachment_id"), with_text = !with_att || has_param(r, "text");
	if ((with_att && proto_param_string(r, "attachment_id", 1, 64, &att_id, NULL, err)) ||
	    (with_text && proto_param_string(r, "text", 0, PROTO_MAX_FRAME, &text, &tlen, err)) ||
	    proto_param_string(r, "client_key", 1, CLIENT_KEY_MAX, &key, NULL, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	struct agreement *a = conversation_of(s, r, &agreement_id);
	if (!a)
		return;
	if (att_id) {
		send_attachment(s, r->id, a, key, text, tlen, att_id);
		return;
	}
	send_checked(s, r->id, a, CH_TEXT, key, text, tlen, NULL);
}

/* A server record waiting for its commit, then delivered to both parties. */
struct pending_record {
	struct message m;
	char text[];
};

static void record_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct pending_record *p = arg;
	struct agreement *a = agreements_get(&app->agreements, p->m.agreement_id);
	if (!ok) {
		if (a && a->last_seq >= p->m.seq)
			a->last_seq = p->m.seq - 1; /* the whole turn rolled back */
		log_error("conversation %lld: a server record was not saved", (long long)p->m.agreement_id);
	} else if (a) {
		int64_t to[2] = {a->child_id, a->contact_id};
		struct frame *f = message_event_frame(&p->m, NULL);
		if (f)
			session_deliver_frame(app, to, 2, f, NULL);
		frame_unref(f);
	}
	free(p);
}

int chat_record(struct app *app, int64_t agreement_id, int64_t at, const char *key, const char *kind, json_t *data)
{
	struct agreement *a = agreements_get(&app->agreements, agreement_id);
	json_t *rec = json_pack("{s:s,s:o}", "kind", kind, kind, data); /* takes data */
	char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	json_decref(rec);
	struct pending_record *p = text && a ? malloc(sizeof(*p) + strlen(text) + 1) : NULL;
	if (!p) {
		free(text);
		return -1;
	}
	strcpy(p->text, text);
	free(text);
	p->m = (struct message){a->id, a->last_seq + 1, CHAT_SERVER_SENDER, at, p->text, strlen(p->text)};
	int rc = store_message_add(app->store, &p->m, key);
	if (rc != STORE_OK) { /* STORE_DUPLICATE: recorded already (the key names the event) */
		free(p);
		return rc == STORE_DUPLICATE ? 0 : -1;
	}
	a->last_seq = p->m.seq;
	commit_after(&app->commit, record_committed, p);
	return 0;
}

struct history_rows {
	struct store *st;
	json_t *arr;
};

static void on_history_row(const struct message *m, void *arg)
{
	struct history_rows *h = arg;
	json_array_append_new(h->arr, message_json(h->st, m));
}

static void messaging_handle_history(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	int64_t agreement_id, before = 0, limit = HISTORY_DEFAULT;
	if (proto_param_int(r, "before", 1, 1, INT64_MAX, &before, err) ||
	    proto_param_int(r, "limit", 1, 1, HISTORY_MAX, &limit, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	struct agreement *a = conversation_of(s, r, &agreement_id);
	if (!a)
		return;
	json_t *arr = json_array();
	int more = 0;
	struct history_rows rows = {s->app->store, arr};
	if (store_messages_page(s->app->store, a->id, before, (int)limit, &more, on_history_row, &rows) != STORE_OK) {
		json_decref(arr);
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	json_t *res = json_object();
	json_object_set_new(res, "messages", arr);
	json_object_set_new(res, "more", json_boolean(more));
	session_reply_ok(s, r->id, res);
}

struct pending_receipt {
	uint64_t conn_id;
	json_t *id;
	int64_t agreement_id, by, seq;
	int read; /* 1 read, 0 delivered */
};

static void receipt_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct pending_receipt *p = arg;
	struct session *s = session_by_conn(app, p->conn_id);
	if (s && !ok)
		session_reply_error(s, p->id, PROTO_ERR_STORE_UNAVAILABLE, "The receipt could not be saved.");
	if (ok) {
		if (s)
			session_reply_ok(s, p->id, json_object());
		struct agreement *a = agreements_get(&app->agreements, p->agreement_id);
		if (a) {
			json_t *ev = json_object();
			json_object_set_new(ev, "agreement_id", json_integer(p->agreement_id));
			json_object_set_new(ev, "by", json_integer(p->by));
			json_object_set_new(ev, "kind", json_string(p->read ? "read" : "delivered"));
			json_object_set_new(ev, "seq", json_integer(p->seq));
			session_deliver(app, agreement_peer(a, p->by), "receipt", ev, NULL);
		}
	}
	json_decref(p->id);
	free(p);
}

static void messaging_handle_receipt(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *kind;
	int64_t agreement_id, seq;
	if (proto_param_string(r, "kind", 1, 16, &kind, NULL, err) ||
	    proto_param_int(r, "seq", 0, 1, INT64_MAX, &seq, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	int read = strcmp(kind, "read") == 0;
	if (!read && strcmp(kind, "delivered") != 0) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, "proto: 'kind' must be \"delivered\" or \"read\"");
		return;
	}
	struct agreement *a = conversation_of(s, r, &agreement_id);
	if (!a)
		return;
	if (seq > a->last_seq)
		seq = a->last_seq; /* cannot receive what does not exist yet */
	struct pending_receipt *p = calloc(1, sizeof(*p));
	if (!p || store_begin(s->app->store) != STORE_OK ||
	    store_receipt_advance(s->app->store, a->id, s->account_id, seq, read ? seq : 0) != STORE_OK) {
		free(p);
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, "The receipt could not be saved.");
		return;
	}
	*p = (struct pending_receipt){s->route.conn->id, json_incref(r->id), a->id, s->account_id, seq, read};
	commit_after(&s->app->commit, receipt_committed, p);
}

static void on_undelivered(const struct message *m, void *arg)
{
	struct session *s = arg;
	session_push(s, "message", message_json(s->app->store, m));
}

static void messaging_push_undelivered(struct session *s)
{
	const struct agreement_list *l = agreements_of(&s->app->agreements, s->account_id);
	for (size_t i = 0; i < l->n; i++) {
		const struct agreement *a = l->items[i];
		int64_t delivered, read;
		if (store_receipt_get(s->app->store, a->id, s->account_id, &delivered, &read) != STORE_OK ||
		    delivered >= a->last_seq)
			continue;
		/* The newest UNDELIVERED_MAX, oldest first; anything older stays reachable through msg.history. */
		int64_t after = a->last_seq - UNDELIVERED_MAX > delivered ? a->last_seq - UNDELIVERED_MAX : delivered;
		if (store_messages_after(s->app->store, a->id, after, s->account_id, UNDELIVERED_MAX, on_undelivered,
					 s) != STORE_OK)
			log_error("undelivered: %s", store_errmsg(s->app->store));
	}
}

const struct session_method messaging_methods[] = {
    {"msg.send", 1, messaging_handle_send},
    {"msg.history", 1, messaging_handle_history},
    {"msg.receipt", 1, messaging_handle_receipt},
};
const size_t messaging_method_count = sizeof(messaging_methods) / sizeof(messaging_methods[0]);

const struct session_listener messaging_listener = {
    .authenticated = messaging_push_undelivered, /* what arrived while the account was away */
};
