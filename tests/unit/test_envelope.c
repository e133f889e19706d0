/* test_envelope.c: the samvaer.v1 envelope decoder and encoders, and the message text checks. */
#include <stdlib.h>
#include <string.h>

#include "proto/envelope.h"
#include "proto/text.h"
#include "tests/unit/check.h"

static const struct {
	const char *name, *frame;
	enum proto_error want;
	int has_id; /* the id could be read, so the error can be answered with it */
} decode_cases[] = {
    {"string id", "{\"id\":\"a1\",\"type\":\"ping\"}", PROTO_ERR_OK, 1},
    {"integer id", "{\"id\":7,\"type\":\"ping\"}", PROTO_ERR_OK, 1},
    {"zero id", "{\"id\":0,\"type\":\"ping\"}", PROTO_ERR_OK, 1},
    {"extra members kept", "{\"id\":1,\"type\":\"msg.send\",\"text\":\"x\"}", PROTO_ERR_OK, 1},
    {"not json", "hello", PROTO_ERR_MALFORMED_JSON, 0},
    {"empty", "", PROTO_ERR_MALFORMED_JSON, 0},
    {"array", "[1,2]", PROTO_ERR_MALFORMED_JSON, 0},
    {"string", "\"x\"", PROTO_ERR_MALFORMED_JSON, 0},
    {"truncated", "{\"id\":1,\"type\":\"pi", PROTO_ERR_MALFORMED_JSON, 0},
    {"trailing garbage", "{\"id\":1,\"type\":\"ping\"} x", PROTO_ERR_MALFORMED_JSON, 0},
    {"duplicate key", "{\"id\":1,\"id\":2,\"type\":\"ping\"}", PROTO_ERR_MALFORMED_JSON, 0},
    {"lone surrogate", "{\"id\":1,\"type\":\"\\ud800\"}", PROTO_ERR_MALFORMED_JSON, 0},
    {"nul in type", "{\"id\":1,\"type\":\"a\\u0000b\"}", PROTO_ERR_BAD_REQUEST, 1},
    {"nul in id", "{\"id\":\"a\\u0000\",\"type\":\"ping\"}", PROTO_ERR_BAD_REQUEST, 0},
    {"missing id", "{\"type\":\"ping\"}", PROTO_ERR_BAD_REQUEST, 0},
    {"negative id", "{\"id\":-1,\"type\":\"ping\"}", PROTO_ERR_BAD_REQUEST, 0},
    {"float id", "{\"id\":1.5,\"type\":\"ping\"}", PROTO_ERR_BAD_REQUEST, 0},
    {"empty id", "{\"id\":\"\",\"type\":\"ping\"}", PROTO_ERR_BAD_REQUEST, 0},
    {"object id", "{\"id\":{},\"type\":\"ping\"}", PROTO_ERR_BAD_REQUEST, 0},
    {"long id", "{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123X\",\"type\":\"ping\"}",
     PROTO_ERR_BAD_REQUEST, 0},
    {"missing type", "{\"id\":1}", PROTO_ERR_BAD_REQUEST, 1},
    {"empty type", "{\"id\":1,\"type\":\"\"}", PROTO_ERR_BAD_REQUEST, 1},
    {"numeric type", "{\"id\":1,\"type\":5}", PROTO_ERR_BAD_REQUEST, 1},
};

static void test_decode(void)
{
	char err[PROTO_ERRBUF];
	for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
		struct proto_request r;
		enum proto_error e =
		    proto_decode_request(&r, decode_cases[i].frame, strlen(decode_cases[i].frame), err);
		CHECK(e == decode_cases[i].want, decode_cases[i].name);
		CHECK((r.id != NULL) == decode_cases[i].has_id, decode_cases[i].name);
		if (e != PROTO_ERR_OK)
			CHECK(strncmp(err, "proto: ", 7) == 0, decode_cases[i].name);
		proto_request_free(&r);
	}
}

static void test_params(void)
{
	char err[PROTO_ERRBUF];
	const char *f =
	    "{\"id\":1,\"type\":\"t\",\"z\":\"a\\u0000b\",\"s\":\"abc\",\"n\":42,\"big\":99999,\"neg\":-3,\"f\":1.5}";
	struct proto_request r;
	CHECK(proto_decode_request(&r, f, strlen(f), err) == PROTO_ERR_OK, "params frame");
	const char *s;
	size_t len;
	int64_t v = -1;
	CHECK(proto_param_string(&r, "s", 1, 10, &s, &len, err) == PROTO_ERR_OK && len == 3, "string ok");
	CHECK(proto_param_string(&r, "s", 4, 10, &s, &len, err) == PROTO_ERR_BAD_REQUEST, "string too short");
	CHECK(strstr(err, "'s'") != NULL, "error names the member");
	CHECK(proto_param_string(&r, "z", 1, 10, &s, &len, err) == PROTO_ERR_BAD_REQUEST && strstr(err, "U+0000"),
	      "U+0000 refused with a reason");
	CHECK(proto_param_string(&r, "n", 1, 10, &s, &len, err) == PROTO_ERR_BAD_REQUEST, "number is not a string");
	CHECK(proto_param_string(&r, "missing", 1, 10, &s, &len, err) == PROTO_ERR_BAD_REQUEST, "missing string");
	CHECK(proto_param_int(&r, "n", 0, 1, 100, &v, err) == PROTO_ERR_OK && v == 42, "int ok");
	CHECK(proto_param_int(&r, "big", 0, 1, 100, &v, err) == PROTO_ERR_BAD_REQUEST, "int above max");
	CHECK(proto_param_int(&r, "neg", 0, 0, 100, &v, err) == PROTO_ERR_BAD_REQUEST, "int below min");
	CHECK(proto_param_int(&r, "f", 0, 0, 100, &v, err) == PROTO_ERR_BAD_REQUEST, "float is not an int");
	CHECK(proto_param_int(&r, "s", 0, 0, 100, &v, err) == PROTO_ERR_BAD_REQUEST, "string is not an int");
	v = 7;
	CHECK(proto_param_int(&r, "missing", 1, 0, 100, &v, err) == PROTO_ERR_OK && v == 7,
	      "optional absent keeps value");
	CHECK(proto_param_int(&r, "missing", 0, 0, 100, &v, err) == PROTO_ERR_BAD_REQUEST, "required absent");
	proto_request_free(&r);
}

/* The flat fast path (proto/flat.c) takes the hot requests in their common shape and leaves everything else to
 * jansson; either way the answer is the one the jansson-only decoder gives. */
static const struct {
	const char *name, *frame;
	int flat; /* decoded without a jansson tree */
} flat_cases[] = {
    {"msg.send", "{\"id\":1,\"type\":\"msg.send\",\"agreement_id\":3,\"client_key\":\"k1\",\"text\":\"hej\"}", 1},
    {"white space everywhere", " {\n\t\"type\" : \"msg.send\" ,\r\n \"id\":\"a\",\"agreement_id\": 30 } ", 1},
    {"raw UTF-8 text", "{\"id\":2,\"type\":\"msg.send\",\"text\":\"h\xc3\xa6j \xf0\x9f\x98\x80\"}", 1},
    {"msg.receipt", "{\"id\":3,\"type\":\"msg.receipt\",\"agreement_id\":1,\"kind\":\"read\",\"seq\":0}", 1},
    {"escape in text", "{\"id\":4,\"type\":\"msg.send\",\"text\":\"a\\nb\"}", 0},
    {"not a hot type", "{\"id\":5,\"type\":\"ping\"}", 0},
    {"nine members", "{\"id\":6,\"type\":\"msg.send\",\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7}", 0},
    {"19 digits", "{\"id\":7,\"type\":\"msg.send\",\"agreement_id\":1234567890123456789}", 0},
    {"fraction", "{\"id\":8,\"type\":\"msg.send\",\"agreement_id\":1.0}", 0},
    {"exponent", "{\"id\":8,\"type\":\"msg.send\",\"agreement_id\":1e2}", 0},
    {"negative", "{\"id\":9,\"type\":\"msg.send\",\"agreement_id\":-1}", 0},
    {"boolean", "{\"id\":10,\"type\":\"msg.send\",\"x\":true}", 0},
    {"leading zero", "{\"id\":11,\"type\":\"msg.send\",\"agreement_id\":03}", 0},
    {"invalid UTF-8", "{\"id\":12,\"type\":\"msg.send\",\"text\":\"\xc3\x28\"}", 0},
    {"raw tab in a string", "{\"id\":13,\"type\":\"msg.send\",\"text\":\"a\tb\"}", 0},
    {"member twice", "{\"id\":14,\"type\":\"msg.send\",\"text\":\"a\",\"text\":\"b\"}", 0},
    {"trailing garbage", "{\"id\":15,\"type\":\"msg.send\"}}", 0},
    {"long string id",
     "{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123X\",\"type\":\"msg.send\"}", 0},
    {"no id", "{\"type\":\"msg.send\",\"text\":\"a\"}", 0},
    {"unterminated", "{\"id\":16,\"type\":\"msg.send\",\"text\":\"a", 0},
};

static void test_flat(void)
{
	char err[PROTO_ERRBUF], terr[PROTO_ERRBUF];
	static const char *const names[] = {"text", "client_key", "agreement_id", "kind", "seq", "a", "x"};
	for (size_t i = 0; i < sizeof(flat_cases) / sizeof(flat_cases[0]); i++) {
		const char *f = flat_cases[i].frame, *name = flat_cases[i].name;
		struct proto_request r, t;
		enum proto_error e = proto_decode_request(&r, f, strlen(f), err);
		enum proto_error te = proto_decode_request_tree(&t, f, strlen(f), terr);
		CHECK(e == te && (e != PROTO_ERR_OK || strcmp(r.type, t.type) == 0), name);
		CHECK((r.id == NULL) == (t.id == NULL) && (!r.id || json_equal(r.id, t.id)), name);
		CHECK((e == PROTO_ERR_OK && r.root == NULL) == flat_cases[i].flat, name);
		CHECK(e == PROTO_ERR_OK || strcmp(err, terr) == 0, name);
		for (size_t k = 0; e == PROTO_ERR_OK && k < sizeof(names) / sizeof(names[0]); k++) {
			const char *sa = NULL, *sb = NULL;
			size_t la = 0, lb = 0;
			int64_t va = -1, vb = -1;
			CHECK(proto_param_string(&r, names[k], 0, 100, &sa, &la, err) ==
				      proto_param_string(&t, names[k], 0, 100, &sb, &lb, terr) &&
				  la == lb && (!sa || strcmp(sa, sb) == 0),
			      name);
			CHECK(proto_param_int(&r, names[k], 1, 0, INT64_MAX, &va, err) ==
				      proto_param_int(&t, names[k], 1, 0, INT64_MAX, &vb, terr) &&
				  va == vb,
			      name);
		}
		proto_request_free(&r);
		proto_request_free(&t);
	}
	struct proto_request r;
	const char *f = flat_cases[0].frame, *text;
	size_t len;
	int64_t ag = 0;
	CHECK(proto_decode_request(&r, f, strlen(f), err) == PROTO_ERR_OK && r.root == NULL &&
		  json_integer_value(r.id) == 1 && strcmp(r.type, "msg.send") == 0,
	      "flat msg.send: id and type");
	CHECK(proto_param_string(&r, "text", 1, 10, &text, &len, err) == PROTO_ERR_OK && len == 3 &&
		  strcmp(text, "hej") == 0,
	      "flat msg.send: text");
	CHECK(proto_param_int(&r, "agreement_id", 0, 1, 100, &ag, err) == PROTO_ERR_OK && ag == 3,
	      "flat msg.send: agreement_id");
	CHECK(proto_param_string(&r, "agreement_id", 1, 10, &text, &len, err) == PROTO_ERR_BAD_REQUEST &&
		  strstr(err, "'agreement_id' must be a string"),
	      "flat: an integer is not a string, with the same message");
	CHECK(proto_param_string(&r, "text", 5, 10, &text, &len, err) == PROTO_ERR_BAD_REQUEST &&
		  strstr(err, "5-10 bytes"),
	      "flat: length limits");
	json_incref(r.id); /* a handler keeps the id for its deferred answer */
	json_t *kept = r.id;
	proto_request_free(&r);
	CHECK(json_integer_value(kept) == 1, "the id outlives the request when a handler keeps it");
	json_decref(kept);
}

static void test_encode(void)
{
	size_t len;
	json_t *id = json_string("r1");
	char *ok = proto_encode_ok(id, json_pack("{s:i}", "seq", 5), &len);
	CHECK(ok && strcmp(ok, "{\"id\":\"r1\",\"ok\":true,\"result\":{\"seq\":5}}") == 0 && len == strlen(ok), "ok");
	free(ok);
	char *er = proto_encode_error(NULL, "bad_request", "x \"y\"", json_pack("{s:i}", "retry_after_s", 3), &len);
	CHECK(er &&
		  strcmp(er,
			 "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad_request\",\"message\":\"x \\\"y\\\"\","
			 "\"retry_after_s\":3}}") == 0,
	      "error with extra and null id");
	free(er);
	char *ev = proto_encode_event("message", json_pack("{s:s}", "text", "h\xc3\xa9"), &len);
	CHECK(ev && strcmp(ev, "{\"event\":\"message\",\"data\":{\"text\":\"h\xc3\xa9\"}}") == 0, "event keeps UTF-8");
	free(ev);
	json_decref(id);
	for (int e = 0; e < PROTO_ERR__COUNT; e++)
		CHECK(proto_error_code((enum proto_error)e)[0] && proto_error_message((enum proto_error)e)[0],
		      "error names");
	CHECK(strcmp(proto_error_code((enum proto_error)999), "internal") == 0, "unknown error is internal");
}

static void test_text(void)
{
	static const struct {
		const char *name, *text;
		enum proto_error want;
	} cases[] = {
	    {"ascii", "hello", PROTO_ERR_OK},
	    {"emoji", "hi \xf0\x9f\x98\x80", PROTO_ERR_OK},
	    {"empty", "", PROTO_ERR_TEXT_EMPTY},
	    {"spaces", "  \t\n ", PROTO_ERR_TEXT_EMPTY},
	    {"no-break space", "\xc2\xa0", PROTO_ERR_TEXT_EMPTY},
	    {"ideographic space", "\xe3\x80\x80 \xe2\x80\x8b", PROTO_ERR_TEXT_EMPTY},
	    {"word after nbsp", "\xc2\xa0hi", PROTO_ERR_OK},
	    {"overlong", "\xc0\xaf", PROTO_ERR_BAD_REQUEST},
	    {"surrogate", "\xed\xa0\x80", PROTO_ERR_BAD_REQUEST},
	    {"above max", "\xf4\x90\x80\x80", PROTO_ERR_BAD_REQUEST},
	    {"truncated", "ab\xe2\x82", PROTO_ERR_BAD_REQUEST},
	    {"bare continuation", "\x80", PROTO_ERR_BAD_REQUEST},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(proto_text_check(cases[i].text, strlen(cases[i].text)) == cases[i].want, cases[i].name);
	/* 2000 code points of 4 bytes each are fine; 2001 are too long. */
	size_t n = 2001 * 4;
	char *big = malloc(n);
	for (size_t i = 0; i < n; i += 4)
		memcpy(big + i, "\xf0\x9f\x98\x80", 4);
	CHECK(proto_utf8_length(big, n) == 2001, "count 4-byte code points");
	CHECK(proto_text_check(big, n - 4) == PROTO_ERR_OK, "2000 code points ok");
	CHECK(proto_text_check(big, n) == PROTO_ERR_TEXT_TOO_LONG, "2001 code points too long");
	free(big);
}

int main(void)
{
	test_decode();
	test_params();
	test_flat();
	test_encode();
	test_text();
	return check_done("envelope");
}
