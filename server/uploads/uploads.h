/* uploads.h: tus 1.0 uploads at /files/ (core, creation, termination, expiration) and media downloads at /media/,
 * as transport-neutral handlers: the transport (server/net) hands over a request's headers and its body in pieces,
 * and sends the answer these fill in. PROTOCOL.md "Media uploads and downloads". */
#ifndef SAMVAER_UPLOADS_H
#define SAMVAER_UPLOADS_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct uploads;
struct up_patch;

enum up_method { UP_OTHER, UP_GET, UP_HEAD, UP_POST, UP_PATCH, UP_DELETE, UP_OPTIONS };

struct up_request {
	enum up_method method;
	const char *path;          /* "/files/", "/files/<id>", "/media/session", "/media/<id>[/thumb|/poster]" */
	const char *bearer;        /* Authorization: Bearer <token>, or NULL */
	const char *cookie;        /* the samvaer_media cookie's value, or NULL */
	const char *tus_resumable; /* each header's value, NULL when absent */
	const char *upload_length;
	const char *upload_offset;
	const char *upload_metadata;
	const char *upload_defer_length;
	const char *content_type;
	const char *range;
	const char *accept_language; /* the language of refusals when the account has chosen none */
	const char *peer;            /* client address (logs) */
	int tls;                     /* the connection is TLS: the cookie gets Secure */
};

#define UP_MAX_HEADERS 12

struct up_response {
	int status;            /* HTTP status */
	char content_type[64]; /* "" : no body */
	size_t nheaders;
	struct {
		const char *name; /* "upload-offset:" (lowercase, with the colon, as lws wants it) */
		char value[224];
	} headers[UP_MAX_HEADERS];
	char body[512]; /* a JSON error {"error":code,"message":text} or a small answer */
	char code[40];  /* a refusal: its error code (the body's "error"); "" otherwise */
	size_t body_len;
	int fd; /* >= 0: send file_len bytes of this file from file_off after the headers (GET /media);
				    * the transport closes it */
	uint64_t file_off, file_len;
	uint64_t content_length; /* of the body that follows (file_len, or body_len; HEAD: what GET would send) */
	int close;               /* hang up after the answer (the request body was not read to its end) */
};

/* Results of the calls below. */
#define UP_DONE 0    /* the response is ready */
#define UP_BODY 1    /* PATCH accepted: feed its body to uploads_body, then call uploads_body_end */
#define UP_PENDING 2 /* the answer comes later through the done callback (processing) */

/* Start: the spool folder emptied, the processing pool, the expiry sweep on the app's loop. NULL with err. */
struct uploads *uploads_create(struct app *app, char *err, size_t errlen);
/* Stop the pool (pending answers are given as cancelled) and drop every upload in progress. */
void uploads_destroy(struct uploads *u);

/* One request of /files/ or /media/. For UP_BODY *patch is set. Any body of a request answered UP_DONE is not
 * wanted: the transport drops it (or closes when res->close). */
int uploads_handle(struct uploads *u, const struct up_request *req, struct up_response *res, struct up_patch **patch);
/* Body bytes of an accepted PATCH, in order. 0; 1: taken, but stop reading until resume(arg) runs (the spool's
 * writes are behind); -1: stop and answer with uploads_body_end(complete = 1). */
int uploads_body(struct up_patch *p, const void *data, size_t len);
void uploads_body_resume(struct up_patch *p, void (*resume)(void *arg), void *arg);
/* The body ended (complete = 1) or the connection went away (0: the bytes so far are kept for a resume, nothing is
 * answered, p is freed). With complete: UP_DONE with res filled, or UP_PENDING when the last byte arrived and the
 * upload is being processed: done(ctx, res) runs once later on the loop, unless uploads_forget(ctx) came first. */
typedef void (*up_done_fn)(void *ctx, const struct up_response *res);
int uploads_body_end(struct up_patch *p, int complete, struct up_response *res, up_done_fn done, void *ctx);
/* The connection waiting for a done callback closed. */
void uploads_forget(struct uploads *u, void *ctx);

/* The expiry sweep (also run by a timer every minute). Returns how many uploads were removed. */
int uploads_sweep(struct uploads *u, int64_t now_ms);

#endif
