/* http_files.c: libwebsockets glue for /files/ and /media/ — reads the tus and Range headers, streams request bodies
 * into server/uploads without copying, waits for the processing answer of a final PATCH, and writes answers and files
 * in pieces as the socket drains (never blocking the loop). */
#include "server/net/http_files.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "server/uploads/uploads.h"

struct files_req {
	struct uploads *u;
	struct lws *wsi;
	struct up_patch *patch; /* a PATCH body going to the spool */
	struct up_response res; /* the answer, once known */
	int have_answer;        /* res is ready to write */
	int headers_sent;       /* its headers are out */
	int wait_body;          /* answer after the (unwanted) body has been read */
	int pending;            /* waiting for processing */
	int is_head;            /* HEAD: headers only */
	unsigned char *chunk;   /* file buffer (LWS_PRE + HTTP_FILE_CHUNK) */
	uint64_t sent;          /* body bytes written */
	char hdr[9][512];       /* copies of the request headers the handlers read */
	char path[256];
};

int http_files_path(const char *uri)
{
	return !strncmp(uri, "/files", 6) || !strncmp(uri, "/media/", 7);
}

static const char *method_of(struct lws *wsi, enum up_method *m, char *path, size_t cap)
{
	static const struct {
		enum lws_token_indexes tok;
		enum up_method m;
	} map[] = {{WSI_TOKEN_GET_URI, UP_GET},       {WSI_TOKEN_POST_URI, UP_POST},
		   {WSI_TOKEN_PATCH_URI, UP_PATCH},   {WSI_TOKEN_HEAD_URI, UP_HEAD},
		   {WSI_TOKEN_DELETE_URI, UP_DELETE}, {WSI_TOKEN_OPTIONS_URI, UP_OPTIONS}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (lws_hdr_total_length(wsi, map[i].tok) > 0) {
			*m = map[i].m;
			return lws_hdr_copy(wsi, path, (int)cap, map[i].tok) > 0 ? path : NULL;
		}
	*m = UP_OTHER;
	return NULL;
}

/* A custom (unknown to lws) header by lower-case name with colon; NULL when absent. */
static const char *custom(struct lws *wsi, const char *name, char *buf, size_t cap)
{
	int n = lws_hdr_custom_copy(wsi, buf, (int)cap, name, (int)strlen(name));
	return n >= 0 ? buf : NULL;
}

static const char *known(struct lws *wsi, enum lws_token_indexes tok, char *buf, size_t cap)
{
	return lws_hdr_total_length(wsi, tok) > 0 && lws_hdr_copy(wsi, buf, (int)cap, tok) >= 0 ? buf : NULL;
}

/* The value of cookie `name` in a Cookie header, copied into out. */
static const char *cookie_value(const char *cookies, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (const char *p = cookies; p && *p;) {
		p += strspn(p, " ;");
		if (!strncmp(p, name, nl) && p[nl] == '=') {
			size_t n = strcspn(p + nl + 1, ";");
			if (n >= cap)
				return NULL;
			memcpy(out, p + nl + 1, n);
			out[n] = 0;
			return out;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

static int send_headers(struct files_req *fr)
{
	unsigned char buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf) - 1;
	struct up_response *r = &fr->res;
	struct lws *wsi = fr->wsi;
	if (lws_add_http_header_status(wsi, (unsigned)r->status, &p, end))
		return -1;
	if (r->content_type[0] &&
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char *)r->content_type,
					 (int)strlen(r->content_type), &p, end))
		return -1;
	for (size_t i = 0; i < r->nheaders; i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)r->headers[i].name,
						(const unsigned char *)r->headers[i].value,
						(int)strlen(r->headers[i].value), &p, end))
			return -1;
	if (r->close &&
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end))
		return -1;
	if (lws_add_http_header_content_length(wsi, r->content_length, &p, end) ||
	    lws_finalize_http_header(wsi, &p, end))
		return -1;
	int n = (int)(p - start);
	return lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP_HEADERS) == n ? 0 : -1;
}

static int answer(struct files_req *fr)
{
	fr->have_answer = 1;
	lws_callback_on_writable(fr->wsi);
	return 0;
}

static void resume_reading(void *arg);

int http_files_begin(struct uploads *u, struct lws *wsi, struct files_req **out, int tls)
{
	struct files_req *fr = calloc(1, sizeof(*fr));
	if (!fr)
		return -1;
	*out = fr;
	fr->u = u;
	fr->wsi = wsi;
	char auth[200], cookies[1024];
	struct up_request req = {.tls = tls};
	req.path = method_of(wsi, &req.method, fr->path, sizeof(fr->path));
	if (!req.path)
		req.path = "/";
	fr->is_head = req.method == UP_HEAD;
	if (known(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth, sizeof(auth)) && !strncasecmp(auth, "Bearer ", 7))
		req.bearer = auth + 7;
	if (known(wsi, WSI_TOKEN_HTTP_COOKIE, cookies, sizeof(cookies)))
		req.cookie = cookie_value(cookies, "samvaer_media", fr->hdr[0], sizeof(fr->hdr[0]));
	req.tus_resumable = custom(wsi, "tus-resumable:", fr->hdr[1], sizeof(fr->hdr[1]));
	req.upload_length = custom(wsi, "upload-length:", fr->hdr[2], sizeof(fr->hdr[2]));
	req.upload_offset = custom(wsi, "upload-offset:", fr->hdr[3], sizeof(fr->hdr[3]));
	req.upload_defer_length = custom(wsi, "upload-defer-length:", fr->hdr[4], sizeof(fr->hdr[4]));
	req.content_type = known(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, fr->hdr[5], sizeof(fr->hdr[5]));
	req.range = known(wsi, WSI_TOKEN_HTTP_RANGE, fr->hdr[6], sizeof(fr->hdr[6]));
	req.accept_language = known(wsi, WSI_TOKEN_HTTP_ACCEPT_LANGUAGE, fr->hdr[7], sizeof(fr->hdr[7]));
	char *meta = NULL;
	int mlen = lws_hdr_custom_length(wsi, "upload-metadata:", 16);
	if (mlen > 0 && mlen < 8192 && (meta = malloc((size_t)mlen + 1)) &&
	    lws_hdr_custom_copy(wsi, meta, mlen + 1, "upload-metadata:", 16) >= 0)
		req.upload_metadata = meta;
	char clen[32];
	int has_body = known(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, clen, sizeof(clen)) && strcmp(clen, "0") != 0;
	int rc = uploads_handle(u, &req, &fr->res, &fr->patch);
	free(meta);
	if (rc == UP_BODY && !has_body)
		return http_files_body_end(fr);
	if (rc == UP_BODY) {
		uploads_body_resume(fr->patch, resume_reading, fr);
		return 0; /* LWS_CALLBACK_HTTP_BODY brings it */
	}
	if (has_body) {
		fr->wait_body = 1; /* read (and drop) the body first: then the client hears the answer */
		return 0;
	}
	return answer(fr);
}

int http_files_body(struct files_req *fr, const void *in, size_t len)
{
	if (!fr->patch || len == 0)
		return 0;
	int rc = uploads_body(fr->patch, in, len);
	if (rc < 0) /* refused: answer now and hang up */
		return http_files_body_end(fr);
	if (rc == 1) /* the spool's writes are behind: read no more until they catch up */
		lws_rx_flow_control(fr->wsi, 0);
	return 0;
}

static void resume_reading(void *arg)
{
	struct files_req *fr = arg;
	lws_rx_flow_control(fr->wsi, 1);
}

static void on_processed(void *ctx, const struct up_response *res)
{
	struct files_req *fr = ctx;
	fr->res = *res;
	fr->pending = 0;
	answer(fr);
}

int http_files_body_end(struct files_req *fr)
{
	if (fr->wait_body) {
		fr->wait_body = 0;
		return answer(fr);
	}
	if (!fr->patch)
		return 0;
	struct up_patch *p = fr->patch;
	fr->patch = NULL;
	lws_rx_flow_control(fr->wsi, 1);
	fr->pending = 1; /* the answer may come during the call (on_processed clears it) */
	int rc = uploads_body_end(p, 1, &fr->res, on_processed, fr);
	if (rc == UP_PENDING)
		return 0;
	fr->pending = 0;
	return answer(fr);
}

int http_file_piece(struct lws *wsi, unsigned char *buf, int fd, uint64_t off, uint64_t len, uint64_t *sent)
{
	uint64_t left = len - *sent;
	size_t want = left < HTTP_FILE_CHUNK ? (size_t)left : HTTP_FILE_CHUNK;
	ssize_t n = want ? pread(fd, buf + LWS_PRE, want, (off_t)(off + *sent)) : 0;
	if (n < 0 || (size_t)n != want)
		return -1;
	*sent += (uint64_t)n;
	int last = *sent == len;
	if (lws_write(wsi, buf + LWS_PRE, (size_t)n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != n)
		return -1;
	if (last)
		return 1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int write_file(struct files_req *fr)
{
	struct up_response *r = &fr->res;
	if (!fr->chunk && !(fr->chunk = malloc(LWS_PRE + HTTP_FILE_CHUNK)))
		return -1;
	return http_file_piece(fr->wsi, fr->chunk, r->fd, r->file_off, r->file_len, &fr->sent);
}

int http_files_writeable(struct files_req *fr)
{
	if (!fr->have_answer)
		return 0;
	struct up_response *r = &fr->res;
	if (!fr->headers_sent) {
		if (send_headers(fr) != 0)
			return -1;
		fr->headers_sent = 1;
		if (!fr->is_head && (r->body_len || (r->fd >= 0 && r->file_len))) {
			lws_callback_on_writable(fr->wsi);
			return 0;
		}
	} else if (r->fd >= 0 && !fr->is_head) {
		int rc = write_file(fr);
		if (rc <= 0)
			return rc;
	} else if (r->body_len && !fr->is_head) {
		unsigned char buf[LWS_PRE + sizeof(r->body)];
		memcpy(buf + LWS_PRE, r->body, r->body_len);
		if (lws_write(fr->wsi, buf + LWS_PRE, r->body_len, LWS_WRITE_HTTP_FINAL) != (int)r->body_len)
			return -1;
	}
	/* the answer is complete */
	int close_after = r->close;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	fr->have_answer = 0;
	if (close_after)
		return -1;
	return lws_http_transaction_completed(fr->wsi) ? -1 : 0;
}

void http_files_closed(struct files_req *fr)
{
	if (!fr)
		return;
	if (fr->patch) { /* the connection dropped mid-body: keep the bytes for a resume */
		struct up_response res;
		uploads_body_end(fr->patch, 0, &res, NULL, NULL);
	}
	if (fr->pending)
		uploads_forget(fr->u, fr);
	if (fr->have_answer && fr->res.fd >= 0)
		close(fr->res.fd);
	free(fr->chunk);
	free(fr);
}
