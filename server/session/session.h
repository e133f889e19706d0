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
struct proto_request;

/* The method table (as Redis's command table): each feature registers its request types; the session names none. */
typedef void (*session_handler)(struct session *s, struct proto_request *r);

struct session_method {
	const char *type;   /* request type, e.g. "msg.send" */
	int needs_auth;     /* answered unauthenticated before login */
	session_handler fn; /* the handler */
};

/* What a feature hears about connections and agreements (a listener, as mediasoup's children tell their
 * parents); any member may be NULL. Listeners run in the order they were added. */
struct session_listener {
	void (*authenticated)(struct session *s);                           /* after the login's reply went out */
	void (*closed)(struct app *app, int64_t account, uint64_t conn_id); /* an authenticated connection is gone
									     * (it has left the router) */
	void (*agreement_changed)(struct app *app, const struct agreement *old, const struct agreement *now);
};

#define SESSION_METHODS_MAX 48
#define SESSION_LISTENERS_MAX 8

struct session_table {
	struct session_method methods[SESSION_METHODS_MAX]; /* looked up in the order added */
	size_t n_methods;
	const struct session_listener *listeners[SESSION_LISTENERS_MAX]; /* borrowed, static */
	size_t n_listeners;
};

/* Add a feature's request types (copied) after those already added. 0, or -1 when the table is full or a type
 * is already taken. */
int session_methods_add(struct app *app, const struct session_method *m, size_t n);
/* Add a listener (borrowed: it must outlive the app). 0, or -1 when full. */
int session_listen(struct app *app, const struct session_listener *l);

/* A new connection (transport calls these; the session never outlives its conn). */
struct session *session_open(struct app *app, struct conn *c);
/* The language to write to an account in ("ro"): its live session's, else its stored preference, else en. */
const char *session_lang_of(struct app *app, int64_t account);
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
/* Hooks for the app: an agreement's terms changed (tells every listener); accounts may have been disabled. */
void session_agreement_changed(const struct agreement *old, const struct agreement *now, void *app);
/* This process changed agreements (a request, the admin API): commit now, rebuild the cache and tell the
 * listeners what changed. */
void session_agreements_changed(struct app *app);
void session_check_accounts(struct app *app);
/* The same for one account's connections only (a revoked device, a reset password): each whose login session is
 * gone is closed with 1008 session_ended. */
void session_check_account(struct app *app, int64_t account);
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
