/* flat.c: the flat-request decoder (see flat.h): a single pass over the frame, RFC 8259 grammar restricted to
 * object, member, plain string and non-negative integer. */
#include "proto/flat.h"

#include <stdlib.h>
#include <string.h>

#include "proto/text.h"

struct cursor {
	const unsigned char *b; /* the frame */
	size_t len, i;          /* its length, the read position */
	char *out;              /* next free byte of the store */
};

/* RFC 8259 §2: ws = space, horizontal tab, line feed, carriage return. */
static void skip_ws(struct cursor *c)
{
	while (c->i < c->len && (c->b[c->i] == ' ' || c->b[c->i] == '\t' || c->b[c->i] == '\n' || c->b[c->i] == '\r'))
		c->i++;
}

static int next_is(struct cursor *c, unsigned char ch)
{
	skip_ws(c);
	if (c->i < c->len && c->b[c->i] == ch) {
		c->i++;
		return 1;
	}
	return 0;
}

/* A string at the cursor, copied NUL-terminated into the store. Escapes (§7) and control characters (which JSON
 * forbids raw) are left to the general decoder, as is invalid UTF-8 (§8.1). */
static int take_string(struct cursor *c, const char **out, size_t *out_len)
{
	if (!next_is(c, '"'))
		return 0;
	size_t start = c->i;
	int ascii = 1;
	for (; c->i < c->len && c->b[c->i] != '"'; c->i++) {
		unsigned char ch = c->b[c->i];
		if (ch == '\\' || ch < 0x20)
			return 0;
		ascii &= ch < 0x80;
	}
	if (c->i == c->len)
		return 0; /* unterminated */
	size_t n = c->i - start;
	if (!ascii && proto_utf8_length((const char *)c->b + start, n) == (size_t)-1)
		return 0;
	c->i++; /* the closing quote */
	memcpy(c->out, c->b + start, n);
	c->out[n] = '\0';
	*out = c->out;
	*out_len = n;
	c->out += n + 1; /* content + NUL never exceeds content + two quotes: the store of len + 1 suffices */
	return 1;
}

/* A non-negative integer (§6: no leading zero, no fraction, no exponent); anything else numeric is not flat. */
static int take_integer(struct cursor *c, int64_t *out)
{
	size_t start = c->i;
	int64_t v = 0;
	while (c->i < c->len && c->b[c->i] >= '0' && c->b[c->i] <= '9') {
		if (c->i - start == PROTO_FLAT_DIGITS)
			return 0;
		v = v * 10 + (c->b[c->i] - '0');
		c->i++;
	}
	size_t n = c->i - start;
	if (n == 0 || (n > 1 && c->b[start] == '0'))
		return 0;
	if (c->i < c->len && (c->b[c->i] == '.' || c->b[c->i] == 'e' || c->b[c->i] == 'E'))
		return 0;
	*out = v;
	return 1;
}

static int take_member(struct cursor *c, struct proto_flat *f)
{
	struct proto_flat_member *m = &f->m[f->n];
	size_t name_len;
	if (f->n == PROTO_FLAT_MAX || !take_string(c, &m->name, &name_len) || !next_is(c, ':'))
		return 0;
	if (proto_flat_get(f, m->name))
		return 0; /* a member twice: the general decoder refuses it */
	skip_ws(c);
	if (c->i < c->len && c->b[c->i] == '"') {
		if (!take_string(c, &m->str, &m->len))
			return 0;
	} else {
		m->str = NULL;
		m->len = 0;
		if (!take_integer(c, &m->num))
			return 0;
	}
	f->n++;
	return 1;
}

int proto_flat_decode(struct proto_flat *f, const char *buf, size_t len)
{
	memset(f, 0, sizeof(*f));
	struct cursor c = {(const unsigned char *)buf, len, 0, NULL};
	if (!next_is(&c, '{'))
		return 0;
	if (!(f->store = malloc(len + 1)))
		return 0;
	c.out = f->store;
	int ok = !next_is(&c, '}');
	if (ok) {
		do
			ok = take_member(&c, f);
		while (ok && next_is(&c, ','));
		ok = ok && next_is(&c, '}');
	}
	skip_ws(&c);
	if (!ok || c.i != c.len) {
		proto_flat_free(f);
		return 0;
	}
	return 1;
}

const struct proto_flat_member *proto_flat_get(const struct proto_flat *f, const char *name)
{
	for (int k = 0; k < f->n; k++)
		if (strcmp(f->m[k].name, name) == 0)
			return &f->m[k];
	return NULL;
}

void proto_flat_free(struct proto_flat *f)
{
	free(f->store);
	memset(f, 0, sizeof(*f));
}
