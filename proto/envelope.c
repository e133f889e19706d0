/* envelope.c: the samvaer.v1 request/response/event envelope on top of jansson. */
#include "proto/envelope.h"

#include <stdio.h>
#include <string.h>

static int id_is_valid(const json_t *id)
{
	if (json_is_string(id)) {
		size_t n = json_string_length(id);
		return n >= 1 && n <= PROTO_MAX_ID && strlen(json_string_value(id)) == n;
	}
	return json_is_integer(id) && json_integer_value(id) >= 0;
}

/* The requests sent once per message: decoded without a jansson tree when flat (flat.h). Their handlers read
 * members through proto_param_* only. */
static const char *const flat_types[] = {"msg.send", "msg.receipt"};

static int decode_flat(struct proto_request *out, const char *buf, size_t len)
{
	if (!proto_flat_decode(&out->flat, buf, len))
		return 0;
	const struct proto_flat_member *id = proto_flat_get(&out->flat, "id"),
				       *type = proto_flat_get(&out->flat, "type");
	int hot = 0;
	for (size_t i = 0; type && type->str && i < sizeof(flat_types) / sizeof(flat_types[0]); i++)
		hot |= strcmp(type->str, flat_types[i]) == 0;
	/* the id rules of id_is_valid: a flat string has no U+0000, a flat integer is never negative */
	if (hot && id && (!id->str || (id->len >= 1 && id->len <= PROTO_MAX_ID)))
		out->id = id->str ? json_stringn(id->str, id->len) : json_integer(id->num);
	if (!out->id) {
		proto_flat_free(&out->flat);
		return 0;
	}
	out->type = type->str;
	return 1;
}

enum proto_error proto_decode_request(struct proto_request *out, const char *buf, size_t len, char *err)
{
	memset(out, 0, sizeof(*out));
	if (len <= PROTO_MAX_FRAME && decode_flat(out, buf, len))
		return PROTO_ERR_OK;
	return proto_decode_request_tree(out, buf, len, err);
}

enum proto_error proto_decode_request_tree(struct proto_request *out, const char *buf, size_t len, char *err)
{
	json_error_t jerr;
	memset(out, 0, sizeof(*out));
	if (len > PROTO_MAX_FRAME) {
		snprintf(err, PROTO_ERRBUF, "proto: message longer than %d bytes", PROTO_MAX_FRAME);
		return PROTO_ERR_MALFORMED_JSON;
	}
	out->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!out->root) {
		snprintf(err, PROTO_ERRBUF, "proto: invalid JSON at character %d: %s", jerr.position, jerr.text);
		return PROTO_ERR_MALFORMED_JSON;
	}
	if (!json_is_object(out->root)) {
		snprintf(err, PROTO_ERRBUF, "proto: the message must be a JSON object");
		return PROTO_ERR_MALFORMED_JSON;
	}
	json_t *id = json_object_get(out->root, "id");
	if (!id || !id_is_valid(id)) {
		snprintf(err, PROTO_ERRBUF, "proto: 'id' must be a string of 1-%d bytes or a non-negative integer",
			 PROTO_MAX_ID);
		return PROTO_ERR_BAD_REQUEST;
	}
	out->id = id;
	json_t *type = json_object_get(out->root, "type");
	if (!json_is_string(type) || json_string_length(type) == 0 ||
	    strlen(json_string_value(type)) != json_string_length(type)) {
		snprintf(err, PROTO_ERRBUF, "proto: 'type' must be a non-empty string");
		return PROTO_ERR_BAD_REQUEST;
	}
	out->type = json_string_value(type);
	return PROTO_ERR_OK;
}

void proto_request_free(struct proto_request *r)
{
	if (r->root)
		json_decref(r->root);
	else if (r->id)
		json_decref(r->id); /* decoded flat: the id was made apart */
	proto_flat_free(&r->flat);
	memset(r, 0, sizeof(*r));
}

static enum proto_error check_length(const char *name, const char *v, size_t n, size_t min_len, size_t max_len,
				     const char **out, size_t *out_len, char *err)
{
	if (n < min_len || n > max_len) {
		snprintf(err, PROTO_ERRBUF, "proto: '%s' must be %zu-%zu bytes long", name, min_len, max_len);
		return PROTO_ERR_BAD_REQUEST;
	}
	*out = v;
	if (out_len)
		*out_len = n;
	return PROTO_ERR_OK;
}

enum proto_error proto_param_string(const struct proto_request *r, const char *name, size_t min_len, size_t max_len,
				    const char **out, size_t *out_len, char *err)
{
	if (!r->root) {
		const struct proto_flat_member *m = proto_flat_get(&r->flat, name);
		if (!m || !m->str) {
			snprintf(err, PROTO_ERRBUF, "proto: '%s' must be a string", name);
			return PROTO_ERR_BAD_REQUEST;
		}
		return check_length(name, m->str, m->len, min_len, max_len, out, out_len, err);
	}
	json_t *v = json_object_get(r->root, name);
	if (!json_is_string(v)) {
		snprintf(err, PROTO_ERRBUF, "proto: '%s' must be a string", name);
		return PROTO_ERR_BAD_REQUEST;
	}
	size_t n = json_string_length(v);
	if (memchr(json_string_value(v), 0, n)) { /* valid JSON, but no member of ours may contain U+0000 */
		snprintf(err, PROTO_ERRBUF, "proto: '%s' must not contain U+0000", name);
		return PROTO_ERR_BAD_REQUEST;
	}
	return check_length(name, json_string_value(v), n, min_len, max_len, out, out_len, err);
}

enum proto_error proto_param_int(const struct proto_request *r, const char *name, int optional, int64_t min,
				 int64_t max, int64_t *out, char *err)
{
	int present, is_int;
	json_int_t x = 0;
	if (!r->root) {
		const struct proto_flat_member *m = proto_flat_get(&r->flat, name);
		present = m != NULL, is_int = m && !m->str;
		if (is_int)
			x = m->num;
	} else {
		json_t *v = json_object_get(r->root, name);
		present = v != NULL, is_int = json_is_integer(v);
		if (is_int)
			x = json_integer_value(v);
	}
	if (!present && optional)
		return PROTO_ERR_OK;
	if (!is_int) {
		snprintf(err, PROTO_ERRBUF, "proto: '%s' must be an integer", name);
		return PROTO_ERR_BAD_REQUEST;
	}
	if (x < min || x > max) {
		snprintf(err, PROTO_ERRBUF, "proto: '%s' must be between %lld and %lld", name, (long long)min,
			 (long long)max);
		return PROTO_ERR_BAD_REQUEST;
	}
	*out = x;
	return PROTO_ERR_OK;
}

static char *dump(json_t *obj, size_t *len)
{
	char *s = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (s && len)
		*len = strlen(s);
	return s;
}

char *proto_encode_ok(json_t *id, json_t *result, size_t *len)
{
	json_t *o = json_object();
	json_object_set(o, "id", id ? id : json_null());
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "result", result ? result : json_object());
	return dump(o, len);
}

char *proto_encode_error(json_t *id, const char *code, const char *message, json_t *extra, size_t *len)
{
	json_t *e = json_object();
	json_object_set_new(e, "code", json_string(code));
	json_object_set_new(e, "message", json_string(message));
	if (extra) {
		json_object_update(e, extra);
		json_decref(extra);
	}
	json_t *o = json_object();
	json_object_set(o, "id", id ? id : json_null());
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "error", e);
	return dump(o, len);
}

char *proto_encode_event(const char *event, json_t *data, size_t *len)
{
	json_t *o = json_object();
	json_object_set_new(o, "event", json_string(event));
	json_object_set_new(o, "data", data ? data : json_object());
	return dump(o, len);
}
