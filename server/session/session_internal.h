/* session_internal.h: what the request handlers (session/, chat/, calls/) share: the session and its replies. */
#ifndef SAMVAER_SESSION_INTERNAL_H
#define SAMVAER_SESSION_INTERNAL_H

#include <jansson.h>

#include "proto/envelope.h"
#include "server/i18n/i18n.h"
#include "server/policy/policy.h"
#include "server/session/router.h"
#include "server/session/session.h"
#include "server/session/state.h"
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
	char lang[I18N_TAG_MAX];     /* the language of its messages ("" = en) */
	char client_lang[8];         /* the client's `locale` at login, if supported */
	struct session *unauth_prev; /* list of unauthenticated sessions */
	struct session *unauth_next;
};

/* Replies. `id` is the request id (borrowed). */
void session_reply_ok(struct session *s, json_t *id, json_t *result);
void session_reply_error(struct session *s, json_t *id, enum proto_error e, const char *message);
void session_reply_extra(struct session *s, json_t *id, const char *code, const char *message, json_t *extra);
/* session_reply_extra with a message already in the session's language (not looked up again by its code). */
void session_reply_said(struct session *s, json_t *id, const char *code, const char *message, json_t *extra);
/* Like session_reply_extra/_error, but sent only once this turn's writes (the audit entry of what is answered)
 * are durable; right away when the turn wrote nothing. */
void session_reply_extra_durable(struct session *s, json_t *id, const char *code, const char *message, json_t *extra);
void session_reply_error_durable(struct session *s, json_t *id, enum proto_error e);
/* A refusal (after session_audit_decision), answered once its audit entry is durable. */
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
/* Mark authenticated, reply, and tell the listeners (chat pushes the undelivered messages). */
void session_authenticated(struct session *s, int64_t account, const char *role, json_t *id, json_t *result);

/* Language (session_locale.c). A request before login may carry the client's `locale` (noted here); once
 * authenticated, the account's preference wins over it. session_localize gives a reply's `message` in the session's
 * language (error.<code> or policy.<code> of the catalog; English and "proto: ..." details are left as written). */
void session_note_locale(struct session *s, const struct proto_request *r);
void session_locale_authenticated(struct session *s, const char *account_pref);
const char *session_lang(const struct session *s);
const char *session_localize(const struct session *s, const char *code, const char *message, char *buf, size_t cap);
void session_handle_set_locale(struct session *s, struct proto_request *r);

/* The account's send budget (sendlimit.c): 1 to go on (one send counted), else 0 once send_rate_limited has been
 * answered and the connection paused. Every request that sends something to someone calls it first. */
int session_send_allowed(struct session *s, json_t *id);

/* auth.login, auth.resume, auth.logout (session_auth.c) */
void auth_handle_login(struct session *s, struct proto_request *r);
void auth_handle_resume(struct session *s, struct proto_request *r);
void auth_handle_logout(struct session *s, struct proto_request *r);
/* For other features' pre-login methods (devices/): not yet authenticated and under the per-address limit (0 to go
 * on, else the error was sent and the attempt counted); the result object of a login (token when new, expires_at,
 * account); and forgiving the address's attempts once the client proved it holds a secret. */
int auth_precheck(struct session *s, json_t *id, int64_t now);
json_t *auth_result(const struct account *a, int64_t expires_at, const char *token);
void auth_forgive_addr(struct session *s);

#endif
