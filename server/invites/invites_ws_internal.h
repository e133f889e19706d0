/* invites_ws_internal.h: what invites_ws.c (invite.open, linking an account) and invites_join.c (a new account)
 * share: replies after the commit, the code check with the per-address cap, the result objects. */
#ifndef SAMVAER_INVITES_WS_INTERNAL_H
#define SAMVAER_INVITES_WS_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "server/invites/invites.h"
#include "server/session/auth.h"
#include "server/session/session_internal.h"

#define CODE_MAX 64 /* characters accepted as a typed code (dashes and spaces included) */

/* A reply sent once the turn's writes (failed tries, the new account and agreement) are durable. */
struct later {
	uint64_t conn_id;
	json_t *id;
	enum proto_error err; /* PROTO_ERR_OK: send result */
	char message[200];    /* "" = the code's default */
	json_t *result;
	int login;                      /* the reply logs the connection in as account */
	struct account account;         /* login: who */
	uint8_t token_hash[32];         /* login: the new session's token */
	int64_t expires_at;             /* login: its expiry */
	char token[AUTH_TOKEN_HEX + 1]; /* login: the token itself (wiped) */
};

/* A later for this session's request (NULL when out of memory); invites_ws__later_done frees it. */
struct later *invites_ws__later_new(struct session *s, json_t *id);
/* The commit continuation: reply (or log in and reply) if the connection is still there, then free. */
void invites_ws__later_done(void *owner, void *arg, int ok);
/* Reply after the commit (the error's message may be NULL for the code's default); steals result. */
void invites_ws__reply_later(struct session *s, json_t *id, enum proto_error e, const char *message, json_t *result);
/* The WebSocket error of an invites_result. */
enum proto_error invites_ws__error_of(int rc);
/* Find the invitation of the request's `code`, usable now (counted against the client address). On INVITES_OK inv
 * is filled (the caller clears it); otherwise the reply has been sent or queued and the caller stops. */
int invites_ws__redeem(struct session *s, struct proto_request *r, int64_t now, struct invitation *inv);
json_t *invites_ws__account_json(const struct account *a);
/* {agreement_id, status: "pending", invitation_id} */
json_t *invites_ws__joined_json(const struct invites_outcome *out);
/* invite.accept before login: a new account (invites_join.c). */
void invites_ws__accept_new(struct session *s, struct proto_request *r);

#endif
