/* jsonw.c: a minimal JSON writer (see jsonw.h); escapes like jansson's JSON_COMPACT so output is byte-identical. */
#include "server/base/jsonw.h"

#include <string.h>

void jsonw_init(struct jsonw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->ok = 1;
}

void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	if (!w->ok || n > w->cap - w->len) {
		w->ok = 0;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* The escape for byte c, or NULL when it is written as it is. */
static const char *escape_of(unsigned char c, char tmp[7])
{
	static const char hex[] = "0123456789ABCDEF";
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:
		if (c >= 0x20)
			return NULL;
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex[c >> 4];
		tmp[5] = hex[c & 15];
		tmp[6] = 0;
		return tmp;
	}
}

void jsonw_str(struct jsonw *w, const char *s, size_t n)
{
	char tmp[7];
	size_t run = 0; /* start of the bytes not yet copied */
	jsonw_raw(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		const char *e = escape_of((unsigned char)s[i], tmp);
		if (!e)
			continue;
		jsonw_raw(w, s + run, i - run);
		jsonw_raw(w, e, strlen(e));
		run = i + 1;
	}
	jsonw_raw(w, s + run, n - run);
	jsonw_raw(w, "\"", 1);
}

size_t jsonw_str_len(const char *s, size_t n)
{
	char tmp[7];
	size_t len = n + 2;
	for (size_t i = 0; i < n; i++) {
		const char *e = escape_of((unsigned char)s[i], tmp);
		if (e)
			len += strlen(e) - 1;
	}
	return len;
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	char tmp[JSONW_INT_MAX + 1];
	char *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	jsonw_raw(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jsonw_id(struct jsonw *w, const json_t *id)
{
	if (json_is_integer(id))
		jsonw_int(w, (int64_t)json_integer_value(id));
	else if (json_is_string(id))
		jsonw_str(w, json_string_value(id), json_string_length(id));
	else
		JSONW_LIT(w, "null");
}

size_t jsonw_id_max(const json_t *id)
{
	return json_is_string(id) ? JSONW_STR_MAX(json_string_length(id)) : JSONW_INT_MAX;
}
