/* api_internal.h: what the admin API's route files share — the caller, responses, scope checks. */
#ifndef SAMVAER_API_INTERNAL_H
#define SAMVAER_API_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "server/api/api.h"
#include "server/session/state.h"
#include "server/store/store.h"

/* The authenticated caller of one request. */
struct api_call {
	struct app *app;
	const struct api_request *req;
	struct api_response *res;
	struct account me; /* who is asking */
	json_t *body;      /* parsed JSON body (POST), or NULL */
	int64_t ids[3];    /* numeric path parameters, in order */
};

typedef void (*api_route_fn)(struct api_call *c);

/* An answer still being made: a route that sets c->res->later embeds this first in its own state, and answers
 * through c->req->answer when the work is done (on the control thread). cancel drops the work and frees it. */
struct api_later {
	void (*cancel)(struct api_later *later);
};

/* Responses: steal `result`; the error message may name a field ("field" member) or be NULL. */
void api_reply(struct api_call *c, int status, json_t *result);
void api_reply_text(struct api_call *c, int status, const char *content_type, char *text, size_t len);
void api_error(struct api_call *c, int status, const char *code, const char *message, const char *field);
/* Role of `account` in case `case_id` ("caseworker", "supervisor", "carer") or NULL if not linked. Operators
 * and family accounts are never in scope. */
const char *api_case_role(struct api_call *c, int64_t case_id);
/* 1 if the caller may see the case (linked in one of `roles`, a comma list like "caseworker,carer"). On 0
 * the reply (404 not_found) has been sent. */
int api_require_case(struct api_call *c, int64_t case_id, const char *roles);
/* 1 if the caller's role is in `roles`; on 0 the reply (403 forbidden) has been sent. */
int api_require_role(struct api_call *c, const char *roles);
/* Writes: a transaction of its own (earlier writes of this loop turn are committed first). 1, or 0 with the error
 * answered. */
int api_write_begin(struct api_call *c);
/* Commit it durably before the reply; with agreements_changed, also rebuild the agreement cache and tell connected
 * clients. 1 if committed, else 0 with the error answered. (On a refusal the route rolls back instead.) */
int api_write_commit(struct api_call *c, int agreements_changed);
/* A string member of the JSON body, or NULL. */
const char *api_body_str(struct api_call *c, const char *name);
/* Query parameter value (static buffer per call), or NULL. */
const char *api_query(struct api_call *c, const char *name, char *buf, size_t cap);

#endif
