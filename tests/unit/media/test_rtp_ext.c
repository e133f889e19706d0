/* test_rtp_ext.c: per-receiver header-extension translation: ids remapped, MID replaced, others removed (RFC 8285, RFC 8843 §9.2). */
#include <stdio.h>
#include <string.h>

#include "media/rtp.h"
#include "media/rtp_ext.h"
#include "tests/unit/media/check_media.h"

/* Sender: mid id 4, abs-send-time 2, audio level 1 (Chromium's audio ids). Receiver: mid 9, abs 3, no level. */
static const struct rtp_extmap SENDER = {{4, 2, 1}}, RECEIVER = {{9, 3, 0}}, BARE = {{0, 0, 0}};

struct ext_case {
	const char *name;
	const char *in; /* hex, commented per field */
	const struct rtp_extmap *to;
	const char *mid;
	const char *out; /* expected hex; NULL: expect the error */
	int err;
};

static const struct ext_case cases[] = {
    {"one-byte: mid replaced and moved first, abs-send-time renumbered, audio level and an unknown id dropped",
     "90 6f 1234 00000100 11223344 | bede 0003 | 40 30 | 22 aabbcc | 10 85 | 50 ee | 00 00 | cafe",
     /* MID "0" (id 4, 1 byte), abs (id 2, 3 bytes), level (id 1), id 5 unknown, padding */
     &RECEIVER, "12", "90 6f 1234 00000100 11223344 | bede 0002 | 91 3132 | 32 aabbcc | 00 | cafe", 0},
    {"no extension in: the receiver's MID is added", "80 60 0001 00000002 00000003 | dead beef", &RECEIVER, "a",
     "90 60 0001 00000002 00000003 | bede 0001 | 90 61 0000 | dead beef", 0},
    {"receiver negotiated nothing: the extension goes, X bit cleared",
     "90 60 0001 00000002 00000003 | bede 0001 | 40 30 0000 | 01 02", &BARE, "0",
     "80 60 0001 00000002 00000003 | 01 02", 0},
    {"two-byte form in (profile 0x1000): elements kept in the one-byte form",
     "90 60 0001 00000002 00000003 | 1000 0002 | 02 03 aabbcc | 04 01 31 | 00 | 77", &RECEIVER, "7",
     "90 60 0001 00000002 00000003 | bede 0002 | 90 37 | 32 aabbcc | 0000 | 00 77", 0},
    {"CSRCs are kept ahead of the extension", "81 60 0001 00000002 00000003 | 0000000a | 88", &RECEIVER, "b",
     "91 60 0001 00000002 00000003 | 0000000a | bede 0001 | 90 62 0000 | 88", 0},
    {"an opaque profile is dropped whole", "90 60 0001 00000002 00000003 | abcd 0001 | 01020304 | 55", &RECEIVER, "1",
     "90 60 0001 00000002 00000003 | bede 0001 | 90 31 0000 | 55", 0},
    {"an element running past the block is refused", "90 60 0001 00000002 00000003 | bede 0001 | 2f 0000 00 | 55",
     &RECEIVER, "1", NULL, RTP_ERR_EXT},
    {"a block longer than the packet is refused", "90 60 0001 00000002 00000003 | bede 0009 | 00", &RECEIVER, "1", NULL,
     RTP_ERR_EXT},
    {"shorter than the fixed header", "80 60 0001", &RECEIVER, "1", NULL, RTP_ERR_TRUNCATED},
    {"not version 2", "40 60 0001 00000002 00000003", &RECEIVER, "1", NULL, RTP_ERR_VERSION},
    {"CSRC count past the end", "8f 60 0001 00000002 00000003 | 00", &RECEIVER, "1", NULL, RTP_ERR_CSRC},
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct ext_case *c = &cases[i];
		uint8_t in[256], want[256], out[256];
		size_t n = unhex(c->in, in), off = 0;
		int rc = rtp_ext_translate(out, sizeof out, in, n, &SENDER, c->to, (const uint8_t *)c->mid,
					   strlen(c->mid), &off);
		if (!c->out) {
			CHECK(rc == c->err, "%s: got %d, want %d", c->name, rc, c->err);
			continue;
		}
		size_t m = unhex(c->out, want);
		CHECK(rc == (int)m && memcmp(out, want, m) == 0, "%s: got %d bytes, want %zu", c->name, rc, m);
		struct rtp_header h;
		CHECK(rc > 0 && rtp_header_parse(&h, out, (size_t)rc) == RTP_OK && off == h.header_len,
		      "%s: the output parses, payload at %zu", c->name, off);
	}
}

/* The output buffer bounds every write. */
static void test_no_room(void)
{
	uint8_t in[64], out[64];
	size_t n = unhex("80 60 0001 00000002 00000003 | 0102030405060708", in), off;
	CHECK(rtp_ext_translate(out, n + 3, in, n, &SENDER, &RECEIVER, (const uint8_t *)"0", 1, &off) ==
		  RTP_ERR_NOSPACE,
	      "a buffer without room for the MID element is refused");
	CHECK(rtp_ext_translate(out, n + 8, in, n, &SENDER, &RECEIVER, (const uint8_t *)"0", 1, &off) == (int)n + 8,
	      "exactly enough room");
}

int main(void)
{
	test_cases();
	test_no_room();
	printf("test_rtp_ext: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
