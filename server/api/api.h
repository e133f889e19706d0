/* api.h: the admin HTTP API (docs/ADMIN-API.md) as a transport-neutral function: request in, response out. */
#ifndef SAMVAER_API_H
#define SAMVAER_API_H

#include <stddef.h>

struct app;

struct api_request {
	const char *method; /* "GET", "POST" */
	const char *path;   /* "/api/cases/3", without the query */
	const char *query;  /* "weeks=4&format=csv", or "" */
	const char *body;   /* request body (POST), NUL-terminated, or NULL */
	size_t body_len;
	const char *bearer; /* token from "Authorization: Bearer", or NULL */
	const char *peer;   /* client address */
};

struct api_response {
	int status;               /* HTTP status */
	const char *content_type; /* static string */
	char *body;               /* malloc'd; freed by the transport */
	size_t len;
};

/* Handle one request synchronously. Writes are committed (commit_flush) before this returns, so the response
 * never acknowledges something that is not durable. */
void api_handle(struct app *app, const struct api_request *req, struct api_response *res);

#endif
