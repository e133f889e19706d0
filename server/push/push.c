/* push.c: the push feature's state (VAPID key, sender thread), its WebSocket methods, and the sender's outcomes. */
#include "server/push/push.h"

#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/push/push_internal.h"
#include "server/push/subscription.h"
#include "server/store/audit.h"
#include "server/store/store_devices.h"

/* The endpoint's origin only: the path identifies the browser to its push service and stays out of the audit. */
static json_t *audit_detail(const char *action, const char *endpoint, long status)
{
	char origin[VAPID_ORIGIN_MAX] = "";
	vapid_origin(endpoint, origin, sizeof(origin));
	json_t *d = json_pack("{s:s,s:s}", "action", action, "origin", origin);
	if (status)
		json_object_set_new(d, "status", json_integer(status));
	return d;
}

static void audit_push(struct app *app, int64_t actor, const char *action, const char *endpoint, long status)
{
	if (store_begin(app->store) != STORE_OK ||
	    audit_append(app->store, actor, AUDIT_PUSH, 0, 0, audit_detail(action, endpoint, status)) != STORE_OK)
		log_error("push audit: %s", store_errmsg(app->store));
}

/* The sender's answer for one push (control thread). */
static void on_result(const struct push_result *r, void *ctx)
{
	struct app *app = ctx;
	int rc = store_begin(app->store);
	if (r->status >= 200 && r->status < 300) {
		app->metrics.push_sent++;
		if (rc == STORE_OK)
			rc = store_push_ok(app->store, r->sub_id, r->endpoint, clock_now_ms());
	} else if (r->status == 404 || r->status == 410) { /* RFC 8030 §7.3: the subscription is gone */
		app->metrics.push_gone++;
		if (rc == STORE_OK)
			rc = store_push_delete(app->store, r->sub_id, r->endpoint);
		audit_push(app, r->account, "expired", r->endpoint, r->status);
		log_info("push: subscription %lld of account %lld is gone (%ld): deleted", (long long)r->sub_id,
			 (long long)r->account, r->status);
	} else {
		app->metrics.push_failed++;
		if (rc == STORE_OK)
			rc = store_push_failed(app->store, r->sub_id, r->endpoint);
		log_warn("push: subscription %lld of account %lld: status %ld", (long long)r->sub_id,
			 (long long)r->account, r->status);
		if (rc == STORE_OK) /* e.g. 403 for ever after the VAPID key changed: the app subscribes again */
			rc = store_push_prune(app->store, r->sub_id, r->endpoint, PUSH_FAILURES_MAX);
		if (rc == STORE_OK)
			audit_push(app, r->account, "failing", r->endpoint, r->status);
		rc = rc == STORE_NOT_FOUND ? STORE_OK : rc;
	}
	if (rc != STORE_OK)
		log_error("push: %s", store_errmsg(app->store));
}

int push_init(struct app *app, char *err, size_t errlen)
{
	struct push *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "push: out of memory");
		return -1;
	}
	app->push = p;
	p->vapid = vapid_open(app->cfg.data_dir, err, errlen);
	if (!p->vapid)
		return -1;
	p->sender =
	    push_sender_start(app->loop, p->vapid, app->cfg.push_subject, app->cfg.push_allow_http, on_result, app);
	if (!p->sender) {
		snprintf(err, errlen, "push: cannot start the sender thread");
		return -1;
	}
	return 0;
}

void push_free(struct app *app)
{
	struct push *p = app->push;
	if (!p)
		return;
	push_sender_stop(p->sender); /* before the key it signs with */
	vapid_free(p->vapid);
	free(p);
	app->push = NULL;
}

static void handle_key(struct session *s, struct proto_request *r)
{
	session_reply_ok(s, r->id, json_pack("{s:s}", "public_key", vapid_public_b64(s->app->push->vapid)));
}

struct pending_push {
	uint64_t conn_id; /* to answer */
	json_t *id;       /* request id */
	int removed;      /* push.unsubscribe: a row was deleted */
};

static void committed(void *owner, void *arg, int ok)
{
	struct pending_push *p = arg;
	struct session *s = session_by_conn(owner, p->conn_id);
	if (s && ok)
		session_reply_ok(s, p->id, p->removed >= 0 ? json_pack("{s:b}", "removed", p->removed) : json_object());
	else if (s)
		session_reply_error(s, p->id, PROTO_ERR_STORE_UNAVAILABLE,
				    "The notification setting could not be saved.");
	json_decref(p->id);
	free(p);
}

static void answer_after_commit(struct session *s, json_t *id, int removed)
{
	struct pending_push *p = calloc(1, sizeof(*p));
	if (!p) {
		session_reply_error(s, id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	*p = (struct pending_push){s->route.conn->id, json_incref(id), removed};
	commit_after(&s->app->commit, committed, p);
}

static void handle_subscribe(struct session *s, struct proto_request *r)
{
	struct app *app = s->app;
	struct push_subscription sub;
	const char *why = NULL;
	enum proto_error e = push_subscription_parse(r->root, app->cfg.push_allow_http, &sub, &why);
	if (e != PROTO_ERR_OK) {
		session_reply_error(s, r->id, e, why);
		return;
	}
	int owned = 0, n = 0;
	if (store_push_count(app->store, s->account_id, sub.endpoint, &owned, &n) != STORE_OK) {
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	if (!owned && n >= PUSH_SUBS_MAX) {
		session_reply_error(s, r->id, PROTO_ERR_PUSH_LIMIT, NULL);
		return;
	}
	int64_t device = 0; /* a paired device's subscription goes when the device is revoked */
	if (store_session_device(app->store, s->token_hash, &device) == STORE_ERR ||
	    store_begin(app->store) != STORE_OK ||
	    store_push_put(app->store, s->account_id, device, sub.endpoint, sub.p256dh, sub.auth, clock_now_ms()) !=
		STORE_OK) {
		log_error("push.subscribe: %s", store_errmsg(app->store));
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	if (!owned)
		audit_push(app, s->account_id, "subscribed", sub.endpoint, 0);
	answer_after_commit(s, r->id, -1);
}

static void handle_unsubscribe(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *endpoint;
	struct app *app = s->app;
	if (proto_param_string(r, "endpoint", 0, STORE_PUSH_ENDPOINT_MAX, &endpoint, NULL, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	int rc = store_begin(app->store);
	if (rc == STORE_OK)
		rc = store_push_remove(app->store, s->account_id, endpoint);
	if (rc == STORE_ERR) {
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	if (rc == STORE_OK)
		audit_push(app, s->account_id, "unsubscribed", endpoint, 0);
	answer_after_commit(s, r->id, rc == STORE_OK);
}

const struct session_method push_methods[] = {
    {"push.key", 1, handle_key},
    {"push.subscribe", 1, handle_subscribe},
    {"push.unsubscribe", 1, handle_unsubscribe},
};
const size_t push_method_count = sizeof(push_methods) / sizeof(push_methods[0]);
