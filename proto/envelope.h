/* envelope.h: decode client requests and encode responses and events of the samvaer.v1 JSON envelope. */
#ifndef SAMVAER_PROTO_ENVELOPE_H
#define SAMVAER_PROTO_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/errors.h"
#include "proto/flat.h"

#define PROTO_MAX_FRAME 65536 /* bytes in one WebSocket message */
#define PROTO_MAX_ID 64       /* bytes in a string request id */
#define PROTO_ERRBUF 160      /* size of an error description buffer */

/* A decoded request: a jansson tree (root), or for the hot requests the flat members (flat, root NULL).
 * id and type point into whichever it is; with flat, id is a json_t of its own. */
struct proto_request {
	json_t *root;           /* the whole request object (owned), or NULL when decoded flat */
	json_t *id;             /* string or integer id, or NULL when absent/invalid (borrowed from root, or owned) */
	const char *type;       /* method name (borrowed) */
	struct proto_flat flat; /* members when root is NULL */
};

/* Decode one frame into out. On error returns the code and writes a description into err
 * (PROTO_ERRBUF bytes); out->id is still set when the id could be read, so the error can be answered. */
enum proto_error proto_decode_request(struct proto_request *out, const char *buf, size_t len, char *err);
/* The same through jansson only (what proto_decode_request does for everything that is not a flat msg.send or
 * msg.receipt); tests and the fuzz target compare the two. */
enum proto_error proto_decode_request_tree(struct proto_request *out, const char *buf, size_t len, char *err);
void proto_request_free(struct proto_request *r);

/* Parameter readers: return PROTO_ERR_OK or PROTO_ERR_BAD_REQUEST with err naming the member. */
enum proto_error proto_param_string(const struct proto_request *r, const char *name, size_t min_len, size_t max_len,
				    const char **out, size_t *out_len, char *err);
enum proto_error proto_param_int(const struct proto_request *r, const char *name, int optional, int64_t min,
				 int64_t max, int64_t *out, char *err);

/* Encoders return a malloc'd compact JSON text (caller frees) and its length; they steal `result`/`data`/`extra`. */
char *proto_encode_ok(json_t *id, json_t *result, size_t *len);
char *proto_encode_error(json_t *id, const char *code, const char *message, json_t *extra, size_t *len);
char *proto_encode_event(const char *event, json_t *data, size_t *len);

#endif
