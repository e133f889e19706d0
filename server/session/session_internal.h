/* session_internal.h: what the request handlers (session*.c, messaging.c, contacts.c) share. */
#ifndef SAMVAER_SESSION_INTERNAL_H
#define SAMVAER_SESSION_INTERNAL_H

#include <jansson.h>

#include "proto/envelope.h"
#include "server/app.h"
#include "server/policy/policy.h"
#include "server/session/router.h"
#include "server/session/session.h"
#include "server/store/store.h"

struct session {
	struct route route;          /* place in the router: conn and account */
	struct app *app;             /* the control thread */
	int64_t account_id;          /* 0 until authenticated */
	char role[16];               /* account role once authenticated */
	uint8_t token_hash[32];      /* of the token this session authenticated with */
	int64_t expires_at;          /* ms: that token's expiry (0 until authenticated); the sweep closes at it */
	int ended;                   /* closed because its login session ended (logout, expiry, disabled) */
	int64_t opened_at;           /* ms, for the auth timeout */
	int auth_pending;            /* a login is being verified or committed */
	struct session *unauth_prev; /* list of unauthenticated sessions */
	struct session *unauth_next;
};

typedef void (*session_handler)(struct session *s, struct proto_request *r);

/* Replies. `id` is the request id (borrowed). */
void session_reply_ok(struct session *s, json_t *id, json_t *result);
void session_reply_error(struct session *s, json_t *id, enum proto_error e, const char *message);
void session_reply_extra(struct session *s, json_t *id, const char *code, const char *message, json_t *extra);
void session_reply_denied(struct session *s, json_t *id, const struct policy_decision *d);
/* Send a ready-made frame to this session only (the caller keeps its reference). */
void session_send_frame(struct session *s, struct frame *f);
/* Deliver a ready-made event frame to every session of each account (except skip); the caller keeps its
 * reference. The hot path (messaging.c) builds its frames without jansson. */
void session_deliver_frame(struct app *app, const int64_t *accounts, size_t n, struct frame *f,
			   const struct route *skip);
/* Push an event to this session only. */
void session_push(struct session *s, const char *event, json_t *data);
/* Encode an event once and deliver it to every session of account (except skip). */
void session_deliver(struct app *app, int64_t account, const char *event, json_t *data, const struct route *skip);
/* Look up a live session by connection id (NULL if it went away). */
struct session *session_by_conn(struct app *app, uint64_t conn_id);
/* The decision object clients see, and counting it in /metrics. */
json_t *session_decision_json(const struct policy_decision *d);
struct policy_decision session_decide(struct app *app, const struct agreement *a, int64_t actor, enum channel ch);
/* Append a refusal or hold to the audit trail (joins the turn's transaction). */
void session_audit_decision(struct session *s, const struct agreement *a, enum channel ch,
			    const struct policy_decision *d);
/* Mark authenticated, reply, and push undelivered messages. */
void session_authenticated(struct session *s, int64_t account, const char *role, json_t *id, json_t *result);

/* Handlers */
void auth_handle_login(struct session *s, struct proto_request *r);
void auth_handle_resume(struct session *s, struct proto_request *r);
void auth_handle_logout(struct session *s, struct proto_request *r);
void contacts_handle_list(struct session *s, struct proto_request *r);
void contacts_handle_pause(struct session *s, struct proto_request *r);
void contacts_handle_resume(struct session *s, struct proto_request *r);
void calls_handle_start(struct session *s, struct proto_request *r);
void calls_handle_accept(struct session *s, struct proto_request *r);
void calls_handle_decline(struct session *s, struct proto_request *r);
void calls_handle_cancel(struct session *s, struct proto_request *r);
void calls_handle_hangup(struct session *s, struct proto_request *r);
void calls_handle_offer(struct session *s, struct proto_request *r);
void calls_handle_live(struct session *s, struct proto_request *r);
void calls_handle_join(struct session *s, struct proto_request *r);
void calls_handle_leave(struct session *s, struct proto_request *r);
void calls_handle_mute(struct session *s, struct proto_request *r);
void calls_handle_end(struct session *s, struct proto_request *r);
void calls_handle_consent(struct session *s, struct proto_request *r);
void messaging_handle_send(struct session *s, struct proto_request *r);
void messaging_handle_history(struct session *s, struct proto_request *r);
void messaging_handle_receipt(struct session *s, struct proto_request *r);
/* Push messages the account has not acknowledged yet (after authentication). */
void messaging_push_undelivered(struct session *s);
/* One contacts.list entry for `self` (NULL on error). */
json_t *contacts_entry(struct app *app, const struct agreement *a, int64_t self);

#endif
