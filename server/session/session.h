/* session.h: one client connection's protocol state — authentication, request dispatch, replies. */
#ifndef SAMVAER_SESSION_H
#define SAMVAER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "server/policy/agreement.h"
#include "server/base/conn.h"

#include <jansson.h>

struct app;
struct session;
struct hasher_job;

/* A new connection (transport calls these; the session never outlives its conn). */
struct session *session_open(struct app *app, struct conn *c);
/* One complete text message from the client. */
void session_receive(struct session *s, const char *buf, size_t len);
/* The connection is gone: forget the session. */
void session_close(struct session *s);

/* Close unauthenticated connections older than the auth timeout. */
void session_sweep(struct app *app, int64_t now_ms);
/* Close every connection whose token has expired (1008 session_expired); cheap when none is due. */
void session_expire(struct app *app, int64_t now_ms);
/* Close every connection with code (shutdown). */
void session_close_all(struct app *app, int code, const char *reason);
/* Hooks for the app: an agreement's terms changed; accounts may have been disabled. */
void session_agreement_changed(const struct agreement *old, const struct agreement *now, void *app);
void session_check_accounts(struct app *app);
/* A login session ended (auth.logout): close every connection that authenticated with that token. */
void session_end_token(struct app *app, const uint8_t token_hash[32], int code, const char *reason);
/* Encode an event once and deliver it to every session of `account` (the router's deliver(account, event)). */
struct route;
void session_deliver(struct app *app, int64_t account, const char *event, json_t *data, const struct route *skip);
/* The same event to the sessions of several accounts (e.g. both parties), encoded once. */
void session_deliver_many(struct app *app, const int64_t *accounts, size_t n, const char *event, json_t *data,
			  const struct route *skip);
/* The hasher finished verifying a password. */
void session_login_verified(struct hasher_job *job, void *app);

#endif
