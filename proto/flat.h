/* flat.h: a decoder for flat requests (one JSON object of plain strings and non-negative integers) that builds
 * no jansson tree. It only ever says "not flat" for what it does not take, never "invalid": envelope.c then hands
 * the frame to the general decoder, which answers or refuses it exactly as before. */
#ifndef SAMVAER_PROTO_FLAT_H
#define SAMVAER_PROTO_FLAT_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_FLAT_MAX 8     /* members in a flat request */
#define PROTO_FLAT_DIGITS 18 /* digits in an integer (always fits int64_t) */

struct proto_flat_member {
	const char *name; /* NUL-terminated, in store */
	const char *str;  /* string value, NUL-terminated, in store; NULL for an integer */
	size_t len;       /* bytes of str */
	int64_t num;      /* integer value (>= 0) when str is NULL */
};

struct proto_flat {
	int n; /* members decoded */
	struct proto_flat_member m[PROTO_FLAT_MAX];
	char *store; /* names and strings, copied (malloc'd, one block) */
};

/* 1 when buf is exactly one flat object: every member name and string value without escapes or control
 * characters and valid UTF-8, every number a non-negative integer of at most PROTO_FLAT_DIGITS digits without a
 * leading zero, no member twice, at most PROTO_FLAT_MAX members, JSON white space only around tokens. Then f
 * holds the members (free with proto_flat_free). 0 otherwise, with nothing to free. */
int proto_flat_decode(struct proto_flat *f, const char *buf, size_t len);
const struct proto_flat_member *proto_flat_get(const struct proto_flat *f, const char *name);
void proto_flat_free(struct proto_flat *f);

#endif
