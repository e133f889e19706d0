/* http_api.h: the libwebsockets side of /api (server/api/api.h), /metrics and /healthz: the request body collected,
 * the answer written when the socket can take it, and an answer that comes later (an export: api_response.later)
 * waited for, or dropped when the client goes first. A file answer is sent in pieces, never whole in memory. Used by
 * ws_server.c's HTTP callback only. */
#ifndef SAMVAER_HTTP_API_H
#define SAMVAER_HTTP_API_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct lws;
struct api_later;
struct files_req;

/* Per HTTP request of /healthz, /metrics and /api: the protocol's per-connection user data, zeroed by lws. */
struct http_req {
	struct lws *wsi;
	unsigned char *body; /* response: LWS_PRE headroom + payload */
	size_t len;
	int is_post; /* /api POST: the request body is being collected */
	char *in;    /* request body so far */
	size_t in_len;
	char path[256];          /* request path without the query */
	char query[512];         /* URL arguments joined by '&' */
	char bearer[160];        /* Authorization: Bearer token */
	struct files_req *files; /* /files/ and /media/ (http_files.c), or NULL */
	struct api_later *later; /* an /api answer still being made */
	int has_file;            /* the answer's body is file_len bytes of fd, sent in pieces */
	int fd;
	uint64_t file_len, sent;
};

/* Answer with status, type and body (malloc'd, taken). 0, or -1 to hang up. */
int http_reply(struct lws *wsi, struct http_req *req, int status, const char *type, char *body, size_t len);
/* LWS_CALLBACK_HTTP for /api/...: GET is answered now, POST once its body is in (http_api_body_end). */
int http_api_begin(struct app *app, struct lws *wsi, struct http_req *req);
int http_api_body(struct lws *wsi, struct http_req *req, const char *in, size_t len);
int http_api_body_end(struct app *app, struct lws *wsi, struct http_req *req);
/* LWS_CALLBACK_HTTP_WRITEABLE: the next piece of the answer. Returns the callback's value. */
int http_req_writeable(struct http_req *req);
/* The connection closed, or a new request starts on it: drop what the last one held. */
void http_req_release(struct http_req *req);

#endif
