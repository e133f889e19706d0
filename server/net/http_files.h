/* http_files.h: the libwebsockets side of /files/ (tus uploads) and /media/ (downloads): request headers in, the body
 * streamed to server/uploads in pieces, answers (and files) written when the socket can take them. Used by
 * ws_server.c's HTTP callback only. */
#ifndef SAMVAER_HTTP_FILES_H
#define SAMVAER_HTTP_FILES_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_FILE_CHUNK 65536 /* bytes of a file answer per write; a piece buffer holds LWS_PRE more */

struct lws;
struct uploads;
struct files_req;

/* 1 if this path is served here. */
int http_files_path(const char *uri);
/* LWS_CALLBACK_HTTP for such a path: *fr is allocated (freed by http_files_closed). Returns the callback's value. */
int http_files_begin(struct uploads *u, struct lws *wsi, struct files_req **fr, int tls);
int http_files_body(struct files_req *fr, const void *in, size_t len);
int http_files_body_end(struct files_req *fr);
int http_files_writeable(struct files_req *fr);
/* The next piece of a file answer, len bytes of fd from off, *sent of them out already, through buf (LWS_PRE +
 * HTTP_FILE_CHUNK): 1 when that was the last, 0 when more follow (a writeable callback is asked for), -1 when the
 * file cannot be read or the socket written. Also used for /api file answers (http_api.c). */
int http_file_piece(struct lws *wsi, unsigned char *buf, int fd, uint64_t off, uint64_t len, uint64_t *sent);
/* The connection closed or the transaction ended: forget and free fr. */
void http_files_closed(struct files_req *fr);

#endif
