/* api.h: the admin HTTP API (docs/ADMIN-API.md) as a transport-neutral function: request in, response out. */
#ifndef SAMVAER_API_H
#define SAMVAER_API_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct api_response;
struct api_later;

struct api_request {
	const char *method; /* "GET", "POST" */
	const char *path;   /* "/api/cases/3", without the query */
	const char *query;  /* "weeks=4&format=csv", or "" */
	const char *body;   /* request body (POST), NUL-terminated, or NULL */
	size_t body_len;
	const char *bearer; /* token from "Authorization: Bearer", or NULL */
	const char *peer;   /* client address */
	/* Where an answer made later goes (see api_response.later): answer(answer_ctx, res) on the control thread,
	 * once, unless api_later_cancel ran first. NULL: this transport cannot wait (the route answers 503). */
	void (*answer)(void *ctx, struct api_response *res);
	void *answer_ctx;
};

struct api_response {
	int status;               /* HTTP status */
	const char *content_type; /* static string */
	char *body;               /* malloc'd; freed by the transport */
	size_t len;
	int fd;            /* >= 0: the body is instead file_len bytes of this open file; the transport closes it */
	uint64_t file_len; /* (the file is already unlinked: the descriptor holds its bytes) */
	struct api_later *later; /* non-NULL: no answer yet (status 0); it comes through req->answer */
};

/* Handle one request. Writes are committed (commit_flush) before this returns, so the response never acknowledges
 * something that is not durable. A route with long work (an export) answers later instead: res->later is set and
 * the answer comes through req->answer. */
void api_handle(struct app *app, const struct api_request *req, struct api_response *res);
/* The client went away before a later answer came: the work is dropped and req->answer is not called. */
void api_later_cancel(struct api_later *later);

#endif
