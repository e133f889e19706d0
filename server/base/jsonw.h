/* jsonw.h: a minimal JSON writer into a caller's buffer, for the hot messaging frames (ack and message event). */
#ifndef SAMVAER_JSONW_H
#define SAMVAER_JSONW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Output goes to buf[0..cap); len grows; once cap would be exceeded, ok drops to 0 and nothing more is written. */
struct jsonw {
	char *buf;  /* where to write */
	size_t cap; /* its size */
	size_t len; /* bytes written */
	int ok;     /* 0: the buffer was too small */
};

/* Bytes that a string of n bytes can take once quoted and escaped (every byte as \u00XX, plus quotes). */
#define JSONW_STR_MAX(n) ((n)*6 + 2)
/* Bytes an int64 takes at most. */
#define JSONW_INT_MAX 20

void jsonw_init(struct jsonw *w, char *buf, size_t cap);
/* Raw bytes (punctuation, keys known to need no escaping). */
void jsonw_raw(struct jsonw *w, const char *s, size_t n);
/* A string, quoted and escaped as jansson's compact output does (UTF-8 passes through). */
void jsonw_str(struct jsonw *w, const char *s, size_t n);
/* Exactly the bytes jsonw_str writes for s. */
size_t jsonw_str_len(const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
/* A request id as received: integer, string, or null for anything else. */
void jsonw_id(struct jsonw *w, const json_t *id);
/* Bytes jsonw_id can write for id. */
size_t jsonw_id_max(const json_t *id);

#define JSONW_LIT(w, lit) jsonw_raw((w), (lit), sizeof(lit) - 1)

#endif
