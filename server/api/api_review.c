/* api_review.c: admin API routes for messages held for review (text, or a photo, clip or voice note with an
 * optional caption) — list, release (the message joins the conversation and is delivered), reject with a reason (it
 * never is; the sender is told why). Every decision is audit-logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/api_routes.h"
#include "server/store/audit.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/blobs/attachments.h"
#include "server/push/push.h"
#include "server/session/session.h"

struct held_copy {
	int found;
	int pending; /* still waiting for review (not released or rejected) */
	struct held_message h;
	char text[8 * 2000 + 1];            /* a message is at most 2000 code points */
	char att_id[ATTACHMENT_ID_LEN + 1]; /* "" = text only */
};

#define REVIEW_REASON_MAX 500 /* bytes of a reviewer's reason */

static json_t *person(struct api_call *c, int64_t id)
{
	struct account a;
	if (store_account_by_id(c->app->store, id, &a) != STORE_OK)
		return json_pack("{s:I,s:s}", "id", (json_int_t)id, "display_name", "");
	return json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "display_name", a.display_name, "role", a.role);
}

struct list_ctx {
	struct api_call *c;
	json_t *items;
};

/* The attachment a held message carries, as its wire object (thumb, poster, url for the reviewer), or NULL. */
static json_t *held_attachment(struct api_call *c, const char *id)
{
	struct attachment a;
	if (!id || !*id || attachment_get(c->app->store, id, &a) != STORE_OK)
		return NULL;
	return attachment_json(&a);
}

static void add_held(const struct held_message *h, void *arg)
{
	struct list_ctx *lc = arg;
	struct agreement *a = agreements_get(&lc->c->app->agreements, h->agreement_id);
	json_t *item =
	    json_pack("{s:I,s:I,s:I,s:o,s:o,s:s%,s:I,s:s}", "id", (json_int_t)h->id, "agreement_id",
		      (json_int_t)h->agreement_id, "case_id", (json_int_t)(a ? a->case_id : 0), "from",
		      person(lc->c, h->sender_id), "to", person(lc->c, a ? agreement_peer(a, h->sender_id) : 0), "text",
		      h->text, h->text_len, "sent_at", (json_int_t)h->sent_at, "reason", h->reason);
	json_t *att = held_attachment(lc->c, h->attachment_id);
	if (att)
		json_object_set_new(item, "attachment", att);
	json_array_append_new(lc->items, item);
}

static void route_list(struct api_call *c)
{
	if (!api_require_role(c, "supervisor,caseworker"))
		return;
	struct list_ctx lc = {c, json_array()};
	if (store_held_pending(c->app->store, c->me.id, add_held, &lc) != STORE_OK) {
		json_decref(lc.items);
		api_error(c, 500, "internal", "Could not read held messages.", NULL);
		return;
	}
	api_reply(c, 200, json_pack("{s:o}", "messages", lc.items));
}

static void copy_held(const struct held_message *h, void *arg)
{
	struct held_copy *hc = arg;
	hc->found = 1;
	hc->pending = h->state && !strcmp(h->state, "held");
	hc->h = *h;
	size_t n = h->text_len < sizeof(hc->text) - 1 ? h->text_len : sizeof(hc->text) - 1;
	memcpy(hc->text, h->text, n);
	hc->text[n] = 0;
	hc->h.text = hc->text;
	hc->h.text_len = n;
	snprintf(hc->att_id, sizeof(hc->att_id), "%s", h->attachment_id);
	hc->h.attachment_id = hc->att_id;
	hc->h.reason = hc->h.state = hc->h.decision_reason = NULL; /* not needed after the callback */
}

/* The held message if it is in the caller's scope and still held; otherwise the reply has been sent. A message
 * of another caseload answers exactly like one that does not exist (PROTOCOL.md, admin API errors), so ids cannot
 * be probed; one already reviewed answers 409 conflict. */
static struct agreement *held_in_scope(struct api_call *c, struct held_copy *hc)
{
	if (!api_require_role(c, "supervisor,caseworker"))
		return NULL;
	memset(hc, 0, sizeof(*hc));
	int rc = store_held_get(c->app->store, c->ids[0], copy_held, hc);
	if (rc != STORE_OK && rc != STORE_NOT_FOUND) {
		api_error(c, 500, "internal", "Could not read the held message.", NULL);
		return NULL;
	}
	struct agreement *a = hc->found ? agreements_get(&c->app->agreements, hc->h.agreement_id) : NULL;
	const char *role = a && a->case_id > 0 ? api_case_role(c, a->case_id) : NULL;
	if (!a || !role || (strcmp(role, "supervisor") && strcmp(role, "caseworker"))) {
		api_error(c, 404, "not_found", "No such held message.", NULL);
		return NULL;
	}
	if (!hc->pending) {
		api_error(c, 409, "conflict", "This message was already reviewed.", NULL);
		return NULL;
	}
	return a;
}

/* After the commit: the message (with its attachment, NULL = none) reaches both parties like any other, and the
 * sender learns it was released. */
static void deliver_released(struct app *app, const struct message *m, int64_t hold_id, json_t *att)
{
	struct agreement *a = agreements_get(&app->agreements, m->agreement_id);
	json_t *msg = json_pack("{s:I,s:I,s:I,s:s%,s:I}", "agreement_id", (json_int_t)m->agreement_id, "seq",
				(json_int_t)m->seq, "from", (json_int_t)m->sender_id, "text", m->text, m->text_len,
				"sent_at", (json_int_t)m->sent_at);
	if (att)
		json_object_set_new(msg, "attachment", att);
	int64_t to[2] = {m->sender_id, a ? agreement_peer(a, m->sender_id) : 0};
	session_deliver_many(app, to, a ? 2 : 1, "message", msg, NULL);
	if (a)
		push_message(app, a, m->sender_id); /* the recipient, if offline (push/notify.c) */
	session_deliver(app, m->sender_id, "held",
			json_pack("{s:I,s:I,s:s,s:I}", "hold_id", (json_int_t)hold_id, "agreement_id",
				  (json_int_t)m->agreement_id, "state", "released", "seq", (json_int_t)m->seq),
			NULL);
}

/* The reviewer's reason from the body ({"reason": "..."}; optional): "" when none; NULL (answered) if too long. */
static const char *review_reason(struct api_call *c)
{
	const char *r = api_body_str(c, "reason");
	if (r && strlen(r) > REVIEW_REASON_MAX) {
		api_error(c, 400, "invalid", "The reason is too long (at most 500 characters).", "reason");
		return NULL;
	}
	return r ? r : "";
}

/* In the review's transaction: the held message's attachment (if any) follows the decision. */
static int decide_attachment(struct api_call *c, const struct held_copy *hc, int release, int64_t seq, int64_t now,
			     const char *reason)
{
	if (!hc->att_id[0])
		return STORE_OK;
	return release ? attachment_mark_approved(c->app->store, hc->att_id, seq, c->me.id, now)
		       : attachment_mark_rejected(c->app->store, hc->att_id, c->me.id, reason, now);
}

static void decide(struct api_call *c, int release)
{
	struct held_copy hc;
	const char *reason = review_reason(c);
	struct agreement *a = reason ? held_in_scope(c, &hc) : NULL;
	if (!a)
		return;
	struct app *app = c->app;
	int64_t now = clock_now_ms();
	struct message m = {a->id, release ? a->last_seq + 1 : 0, hc.h.sender_id, now, hc.text, hc.h.text_len};
	char key[40];
	snprintf(key, sizeof(key), "held:%lld", (long long)hc.h.id);
	commit_flush(&app->commit); /* this request gets a transaction of its own */
	int rc = store_begin(app->store);
	if (rc == STORE_OK && release)
		rc = store_message_add(app->store, &m, key);
	if (rc == STORE_OK)
		rc = store_held_decide(app->store, hc.h.id, c->me.id, release, m.seq, now, reason);
	if (rc == STORE_OK)
		rc = decide_attachment(c, &hc, release, m.seq, now, reason);
	if (rc == STORE_OK) {
		json_t *detail = json_pack("{s:I,s:s,s:I,s:s}", "hold_id", (json_int_t)hc.h.id, "decision",
					   release ? "release" : "reject", "seq", (json_int_t)m.seq, "reason", reason);
		if (hc.att_id[0])
			json_object_set_new(detail, "attachment_id", json_string(hc.att_id));
		rc = audit_append(app->store, c->me.id, AUDIT_MESSAGE_REVIEW, a->case_id, a->id, detail);
	}
	if (rc != STORE_OK) {
		store_rollback(app->store);
		api_error(c, rc == STORE_NOT_FOUND ? 409 : 500, rc == STORE_NOT_FOUND ? "conflict" : "internal",
			  rc == STORE_NOT_FOUND ? "This message was already reviewed." : "Could not save the review.",
			  NULL);
		return;
	}
	commit_flush(&app->commit);
	if (release) {
		a->last_seq = m.seq;
		app->metrics.messages_relayed++;
		deliver_released(app, &m, hc.h.id, held_attachment(c, hc.att_id));
	} else {
		session_deliver(app, hc.h.sender_id, "held",
				json_pack("{s:I,s:I,s:s,s:s}", "hold_id", (json_int_t)hc.h.id, "agreement_id",
					  (json_int_t)a->id, "state", "rejected", "reason", reason),
				NULL);
	}
	api_reply(c, 200,
		  json_pack("{s:I,s:s,s:o,s:s}", "id", (json_int_t)hc.h.id, "state", release ? "released" : "rejected",
			    "seq", release ? json_integer(m.seq) : json_null(), "reason", reason));
}

static void route_release(struct api_call *c)
{
	decide(c, 1);
}

static void route_reject(struct api_call *c)
{
	decide(c, 0);
}

const struct api_route api_routes_review[] = {
    {"GET", "/api/messages/held", route_list},
    {"POST", "/api/messages/held/#/release", route_release},
    {"POST", "/api/messages/held/#/reject", route_reject},
    {NULL, NULL, NULL},
};
