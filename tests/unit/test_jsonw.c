/* test_jsonw.c: the hand-written JSON of the messaging hot path is byte-identical to jansson's compact output,
 * and pre-framed WebSocket headers (frame.c) follow RFC 6455 section 5.2. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/conn.h"
#include "server/base/jsonw.h"
#include "tests/unit/check.h"

static const struct {
	const char *name;
	const char *s;
	size_t len;
} strings[] = {
    {"empty", "", 0},
    {"plain", "hello", 5},
    {"quote and backslash", "a\"b\\c", 5},
    {"named escapes", "\b\f\n\r\t", 5},
    {"other controls", "\x01\x1f\x7f", 3},
    {"nul inside", "a\0b", 3},
    {"slash stays", "a/b", 3},
    {"utf-8 passes", "h\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80", 12},
    {"escape at the end", "abc\n", 4},
};

static void test_strings(void)
{
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		json_t *j = json_stringn(strings[i].s, strings[i].len);
		char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		char buf[256];
		struct jsonw w;
		jsonw_init(&w, buf, sizeof(buf));
		jsonw_str(&w, strings[i].s, strings[i].len);
		CHECK(w.ok && want && w.len == strlen(want) && memcmp(buf, want, w.len) == 0, strings[i].name);
		CHECK(w.len <= JSONW_STR_MAX(strings[i].len), strings[i].name);
		CHECK(w.len == jsonw_str_len(strings[i].s, strings[i].len), strings[i].name);
		free(want);
		json_decref(j);
	}
}

static void test_ints(void)
{
	static const int64_t ints[] = {0, 1, -1, 9, 10, 1234567890123LL, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		char want[32], buf[32];
		snprintf(want, sizeof(want), "%lld", (long long)ints[i]);
		struct jsonw w;
		jsonw_init(&w, buf, sizeof(buf));
		jsonw_int(&w, ints[i]);
		CHECK(w.ok && w.len == strlen(want) && memcmp(buf, want, w.len) == 0, want);
		CHECK(w.len <= JSONW_INT_MAX, want);
	}
}

static void test_ids_and_overflow(void)
{
	json_t *ids[] = {json_integer(42), json_string("r\"1"), json_null(), json_real(1.5)};
	const char *want[] = {"42", "\"r\\\"1\"", "null", "null"};
	for (size_t i = 0; i < 4; i++) {
		char buf[64];
		struct jsonw w;
		jsonw_init(&w, buf, sizeof(buf));
		jsonw_id(&w, ids[i]);
		CHECK(w.ok && w.len == strlen(want[i]) && memcmp(buf, want[i], w.len) == 0, want[i]);
		CHECK(w.len <= jsonw_id_max(ids[i]), "id bound");
		json_decref(ids[i]);
	}
	char small[4];
	struct jsonw w;
	jsonw_init(&w, small, sizeof(small));
	jsonw_str(&w, "abcdef", 6);
	CHECK(!w.ok && w.len <= sizeof(small), "too small a buffer is reported, never overrun");
}

static void test_frame_headers(void)
{
	static const struct {
		size_t len;
		size_t hdr;
		unsigned char want[4];
	} cases[] = {
	    {0, 2, {0x81, 0}},
	    {125, 2, {0x81, 125}},
	    {126, 4, {0x81, 126, 0, 126}},
	    {65535, 4, {0x81, 126, 0xff, 0xff}},
	    {65536, 10, {0x81, 127, 0, 0}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *data = calloc(1, cases[i].len + 1);
		struct frame *f = frame_new(data, cases[i].len);
		const unsigned char *h = frame_wire(f);
		CHECK(f->hdr == cases[i].hdr && frame_wire_len(f) == cases[i].hdr + cases[i].len, "header length");
		CHECK(memcmp(h, cases[i].want, 4 < cases[i].hdr ? 4 : cases[i].hdr) == 0, "header bytes");
		if (cases[i].hdr == 10)
			CHECK(h[7] == 1 && h[8] == 0 && h[9] == 0, "64-bit length, network order");
		CHECK(h + f->hdr == frame_payload(f), "payload follows the header");
		frame_unref(f);
		free(data);
	}
	struct frame *a = frame_alloc(10), *b;
	frame_seal(a, 3);
	frame_unref(a);
	b = frame_alloc(FRAME_SMALL);
	CHECK(b == a && b->refs == 1 && b->pooled, "a small frame is reused from the free list");
	frame_seal(b, FRAME_SMALL);
	CHECK(b->hdr == 4 && frame_wire(b)[3] == (FRAME_SMALL & 0xff), "a reused frame is sealed afresh");
	frame_unref(b);
	b = frame_alloc(FRAME_SMALL + 1);
	CHECK(b && !b->pooled, "a large frame is malloc'd");
	frame_unref(b);
	frame_pool_free();
}

int main(void)
{
	test_strings();
	test_ints();
	test_ids_and_overflow();
	test_frame_headers();
	return check_done("jsonw");
}
