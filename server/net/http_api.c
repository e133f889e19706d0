/* http_api.c: libwebsockets glue for /api, /metrics and /healthz — see http_api.h. */
#include "server/net/http_api.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "server/api/api.h"
#include "server/net/http_files.h"

#define API_BODY_MAX 65536 /* bytes of a request body */

/* The status line and headers of an answer of len bytes, never cached. 0 or -1. */
static int write_headers(struct lws *wsi, int status, const char *type, uint64_t len)
{
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
	return lws_add_http_common_headers(wsi, (unsigned)status, type, len, &p, end) ||
		lws_add_http_header_by_name(
		    wsi, (const unsigned char *)"cache-control:", (const unsigned char *)"no-store", 8, &p, end) ||
		lws_finalize_write_http_header(wsi, start, &p, end)
	    ? -1
	    : 0;
}

int http_reply(struct lws *wsi, struct http_req *req, int status, const char *type, char *body, size_t len)
{
	req->wsi = wsi;
	req->body = malloc(LWS_PRE + len + 1);
	if (!req->body) {
		free(body);
		return -1;
	}
	memcpy(req->body + LWS_PRE, body, len);
	req->len = len;
	free(body);
	if (write_headers(wsi, status, type, len) != 0)
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

/* The headers now; the file's bytes in pieces as the socket drains (http_req_writeable). */
static int reply_file(struct lws *wsi, struct http_req *req, const struct api_response *res, const char *type)
{
	req->has_file = 1;
	req->fd = res->fd;
	req->file_len = res->file_len;
	req->sent = 0;
	if (!(req->body = malloc(LWS_PRE + HTTP_FILE_CHUNK)) ||
	    write_headers(wsi, res->status, type, res->file_len) != 0)
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int reply(struct lws *wsi, struct http_req *req, struct api_response *res)
{
	const char *type = res->content_type ? res->content_type : "application/json";
	if (res->fd >= 0) {
		free(res->body);
		return reply_file(wsi, req, res, type);
	}
	return http_reply(wsi, req, res->status, type, res->body, res->len);
}

/* The answer an api route made later (req->later): written now, or the connection is closed if it cannot be. */
static void later_answer(void *ctx, struct api_response *res)
{
	struct http_req *req = ctx;
	req->later = NULL;
	if (reply(req->wsi, req, res) != 0)
		lws_set_timeout(req->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

static int api_run(struct app *app, struct lws *wsi, struct http_req *req, const char *method)
{
	char peer[48] = "";
	lws_get_peer_simple(wsi, peer, sizeof(peer));
	struct api_request ar = {method,  req->path,    req->query,
				 req->in, req->in_len,  req->bearer[0] ? req->bearer : NULL,
				 peer,    later_answer, req};
	struct api_response res;
	req->wsi = wsi;
	api_handle(app, &ar, &res);
	if (res.later) {
		req->later = res.later;
		return 0;
	}
	return reply(wsi, req, &res);
}

/* lws keeps each URL argument as a separate fragment: join them with '&'. */
static void query_copy(struct lws *wsi, char *out, size_t cap)
{
	size_t len = 0;
	char frag[256];
	out[0] = 0;
	for (int i = 0; lws_hdr_copy_fragment(wsi, frag, sizeof(frag), WSI_TOKEN_HTTP_URI_ARGS, i) > 0; i++) {
		int n = snprintf(out + len, cap - len, "%s%s", len ? "&" : "", frag);
		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
}

int http_api_begin(struct app *app, struct lws *wsi, struct http_req *req)
{
	char auth[200] = "";
	req->is_post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	lws_hdr_copy(wsi, req->path, sizeof(req->path), req->is_post ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI);
	query_copy(wsi, req->query, sizeof(req->query));
	if (lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION) > 7 && !strncasecmp(auth, "Bearer ", 7))
		snprintf(req->bearer, sizeof(req->bearer), "%s", auth + 7);
	if (!req->is_post)
		return api_run(app, wsi, req, "GET");
	return 0; /* the body arrives in LWS_CALLBACK_HTTP_BODY */
}

int http_api_body(struct lws *wsi, struct http_req *req, const char *in, size_t len)
{
	if (len == 0 || !in)
		return 0;
	if (req->in_len + len > API_BODY_MAX) {
		lws_return_http_status(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, NULL);
		return -1;
	}
	char *n = realloc(req->in, req->in_len + len + 1);
	if (!n)
		return -1;
	req->in = n;
	memcpy(req->in + req->in_len, in, len);
	req->in_len += len;
	req->in[req->in_len] = 0;
	return 0;
}

int http_api_body_end(struct app *app, struct lws *wsi, struct http_req *req)
{
	req->is_post = 0;
	return api_run(app, wsi, req, "POST");
}

int http_req_writeable(struct http_req *req)
{
	if (req->later)
		return 0; /* nothing to write until the answer is made */
	if (!req->body)
		return -1;
	if (req->has_file) {
		int rc = http_file_piece(req->wsi, req->body, req->fd, 0, req->file_len, &req->sent);
		if (rc <= 0)
			return rc;
		close(req->fd);
		req->has_file = 0;
	} else if (lws_write(req->wsi, req->body + LWS_PRE, req->len, LWS_WRITE_HTTP_FINAL) != (int)req->len) {
		return -1;
	}
	free(req->body);
	req->body = NULL;
	return lws_http_transaction_completed(req->wsi) ? -1 : 0;
}

void http_req_release(struct http_req *req)
{
	http_files_closed(req->files);
	req->files = NULL;
	if (req->later)
		api_later_cancel(req->later);
	req->later = NULL;
	if (req->has_file)
		close(req->fd);
	req->has_file = 0;
	free(req->body);
	free(req->in);
	req->body = NULL;
	req->in = NULL;
}
