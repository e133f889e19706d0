/* test_rtp.c: unit tests for media/rtp: demux, header parse/serialize vectors, malformed input, rewriting, seq. */
#include "media/rtp.h"

#include <stdio.h>
#include <string.h>
#include "tests/unit/media/check_media.h"

static void test_demux(void)
{
	static const struct {
		const char *hex;
		bool rtp, rtcp;
		const char *what;
	} t[] = {
	    {"80 60 0001 00000002 00000003", true, false, "RTP PT 96"},
	    {"80 e0 0001 00000002 00000003", true, false, "RTP PT 96 with marker"},
	    {"80 6f 0001 00000002 00000003", true, false, "RTP PT 111"},
	    {"80 c8 0006 00000002 00000003", false, true, "RTCP SR (200)"},
	    {"81 c9 0007 00000002 00000003", false, true, "RTCP RR (201)"},
	    {"8f ce 0002 00000002 00000003", false, true, "RTCP PSFB (206)"},
	    {"80 c0 0001 00000002 00000003", false, true, "PT 64 + marker is RTCP per RFC 5761"},
	    {"80 df 0001 00000002 00000003", false, true, "PT 95 + marker is RTCP"},
	    {"80 e0 0001 00000002", false, true, "short: 8 bytes"},
	    {"00 01 0000 2112a442 00000000", false, false, "STUN binding request"},
	    {"16 fe fd 000000000000000000", false, false, "DTLS record"},
	    {"40 60 0001 00000002 00000003", false, false, "version 1"},
	    {"80", false, false, "one byte"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t b[64];
		size_t n = unhex(t[i].hex, b);
		CHECK(rtp_is_rtp(b, n) == t[i].rtp, "rtp_is_rtp %s", t[i].what);
	}
}

/* Valid packets: parse, check fields, serialize back to the same bytes. */
static void test_parse_valid(void)
{
	static const struct {
		const char *what, *hex;
		uint8_t cc, pt, marker, ext_count, ext_id;
		uint16_t seq;
		uint32_t ts, ssrc;
		size_t header_len, payload_len, padding_len, ext_val_len, tail_len;
	} t[] = {
	    {"minimal", "80 60 0001 | 00000002 | 00000003 | 6162", 0, 96, 0, 0, 0, 1, 2, 3, 12, 2, 0, 0, 0},
	    {"2 CSRCs, marker, 4 bytes padding",
	     "a2 ef ffff | 12345678 | deadbeef | 00000011 00000022 | 01020304 | 00000004", 2, 111, 1, 0, 0, 0xffff,
	     0x12345678, 0xdeadbeef, 20, 4, 4, 0, 0},
	    {"one-byte ext: id1 len1, id2 len3, 2 pad",
	     "90 6f 1234 | 00000064 | 0000abcd | bede 0002 | 10 ab | 22 010203 | 00 00 | ff", 0, 111, 0, 2, 2, 0x1234,
	     100, 0xabcd, 24, 1, 0, 3, 0},
	    {"one-byte ext: padding between elements, mid (id 4, len 1)",
	     "90 6f 1234 | 00000064 | 0000abcd | bede 0001 | 00 40 31 00", 0, 111, 0, 1, 4, 0x1234, 100, 0xabcd, 20, 0,
	     0, 1, 0},
	    {"two-byte ext: id1 len2, id2 len0, 2 pad, appbits 5",
	     "90 60 0002 | 00000000 | 00000001 | 1005 0002 | 01 02 aabb | 02 00 | 00 00 | cc", 0, 96, 0, 2, 1, 2, 0, 1,
	     24, 1, 0, 2, 0},
	    {"one-byte ext: id 15 stops parsing, rest opaque",
	     "90 60 0002 | 00000000 | 00000001 | bede 0002 | 30 aa | f1 0203 | 0405 06", 0, 96, 0, 1, 3, 2, 0, 1, 24, 0,
	     0, 1, 6},
	    {"other profile: opaque extension", "90 60 0002 | 00000000 | 00000001 | 1234 0001 | 01020304 | 99", 0, 96,
	     0, 0, 0, 2, 0, 1, 20, 1, 0, 0, 4},
	    {"extension with zero length", "90 60 0002 | 00000000 | 00000001 | bede 0000", 0, 96, 0, 0, 0, 2, 0, 1, 16,
	     0, 0, 0, 0},
	    {"padding only (count = whole body)", "a0 60 0002 | 00000000 | 00000001 | 00000004", 0, 96, 0, 0, 0, 2, 0,
	     1, 12, 0, 4, 0, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t b[128], out[128];
		size_t n = unhex(t[i].hex, b);
		struct rtp_header h;
		int rc = rtp_header_parse(&h, b, n);
		CHECK(rc == RTP_OK, "%s: parse rc %d", t[i].what, rc);
		if (rc != RTP_OK)
			continue;
		CHECK(h.version == 2 && h.csrc_count == t[i].cc && h.pt == t[i].pt && h.marker == t[i].marker,
		      "%s: V/CC/PT/M", t[i].what);
		CHECK(h.seq == t[i].seq && h.ts == t[i].ts && h.ssrc == t[i].ssrc, "%s: seq/ts/ssrc", t[i].what);
		CHECK(h.header_len == t[i].header_len && h.payload_len == t[i].payload_len &&
			  h.padding_len == t[i].padding_len,
		      "%s: lengths %zu/%zu/%zu", t[i].what, h.header_len, h.payload_len, h.padding_len);
		CHECK(h.payload == b + h.header_len, "%s: payload offset", t[i].what);
		CHECK(h.ext_count == t[i].ext_count && h.ext_tail_len == t[i].tail_len, "%s: ext count %u tail %zu",
		      t[i].what, h.ext_count, h.ext_tail_len);
		if (t[i].ext_id) {
			size_t vl = 0;
			const uint8_t *v = rtp_header_ext_find(&h, t[i].ext_id, &vl);
			CHECK(v && vl == t[i].ext_val_len, "%s: ext id %u len %zu", t[i].what, t[i].ext_id, vl);
		}
		int w = rtp_header_serialize(&h, out, sizeof(out));
		CHECK(w == (int)n && memcmp(out, b, n) == 0, "%s: serialize gives same bytes (%d vs %zu)", t[i].what, w,
		      n);
		CHECK(rtp_header_serialize(&h, out, n - 1) == RTP_ERR_NOSPACE, "%s: serialize short cap", t[i].what);
	}
}

static void test_parse_malformed(void)
{
	static const struct {
		const char *what, *hex;
		int err;
	} t[] = {
	    {"empty", "", RTP_ERR_TRUNCATED},
	    {"11 bytes", "80 60 0001 00000002 000000", RTP_ERR_TRUNCATED},
	    {"version 0", "00 60 0001 00000002 00000003", RTP_ERR_VERSION},
	    {"version 3", "c0 60 0001 00000002 00000003", RTP_ERR_VERSION},
	    {"CC=3, only 2 CSRCs", "83 60 0001 00000002 00000003 | 00000001 00000002", RTP_ERR_CSRC},
	    {"CC=15, none present", "8f 60 0001 00000002 00000003", RTP_ERR_CSRC},
	    {"X set, no extension header", "90 60 0001 00000002 00000003 | bede", RTP_ERR_EXT},
	    {"ext length 4 words, 2 present", "90 60 0001 00000002 00000003 | bede 0004 | 10aa0000 00000000",
	     RTP_ERR_EXT},
	    {"one-byte element past ext end", "90 60 0001 00000002 00000003 | bede 0001 | 00 00 23 01", RTP_ERR_EXT},
	    {"two-byte element header past end", "90 60 0001 00000002 00000003 | 1000 0001 | 00 00 00 05", RTP_ERR_EXT},
	    {"two-byte element data past end", "90 60 0001 00000002 00000003 | 1000 0001 | 01 03 aa bb", RTP_ERR_EXT},
	    {"17 one-byte elements",
	     "90 60 0001 00000002 00000003 | bede 0009 | "
	     "1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 1000 0000",
	     RTP_ERR_EXT},
	    {"padding count 0", "a0 60 0001 00000002 00000003 | 0102 0300", RTP_ERR_PADDING},
	    {"padding longer than payload", "a0 60 0001 00000002 00000003 | 0102 0305", RTP_ERR_PADDING},
	    {"padding bit, no payload", "a0 60 0001 00000002 00000003", RTP_ERR_PADDING},
	    {"padding reaches into extension", "b0 60 0001 00000002 00000003 | bede 0000 | 02", RTP_ERR_PADDING},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t b[128];
		size_t n = unhex(t[i].hex, b);
		struct rtp_header h;
		int rc = rtp_header_parse(&h, b, n);
		CHECK(rc == t[i].err, "%s: rc %d want %d", t[i].what, rc, t[i].err);
	}
}

static void test_rewrite(void)
{
	uint8_t b[64], want[64];
	size_t n = unhex("90 6f 1234 | 00000064 | 0000abcd | bede 0002 | 10 ab | 32 010203 | 00 00 | ff", b);
	size_t wn = unhex("90 6f beef | 11223344 | cafebabe | bede 0002 | 10 07 | 32 aabbcc | 00 00 | ff", want);
	struct rtp_header h;
	CHECK(rtp_header_parse(&h, b, n) == RTP_OK, "rewrite: parse");
	rtp_set_seq(b, 0xbeef);
	rtp_set_ts(b, 0x11223344);
	rtp_set_ssrc(b, 0xcafebabe);
	uint8_t mid = 7, ast[3] = {0xaa, 0xbb, 0xcc};
	CHECK(rtp_header_ext_rewrite(&h, b, 1, &mid, 1) == RTP_OK, "rewrite: mid");
	CHECK(rtp_header_ext_rewrite(&h, b, 3, ast, 3) == RTP_OK, "rewrite: abs-send-time");
	CHECK(rtp_header_ext_rewrite(&h, b, 3, ast, 2) == RTP_ERR_ARG, "rewrite: wrong length");
	CHECK(rtp_header_ext_rewrite(&h, b, 9, ast, 3) == RTP_ERR_NOT_FOUND, "rewrite: absent id");
	CHECK(n == wn && memcmp(b, want, n) == 0, "rewrite: bytes");
	rtp_set_marker(b, true);
	rtp_set_pt(b, 96);
	CHECK(b[1] == 0xe0, "rewrite: marker+pt %02x", b[1]);
	rtp_set_marker(b, false);
	CHECK(b[1] == 0x60, "rewrite: clear marker %02x", b[1]);
}

static void test_build(void)
{
	/* Build a header from scratch: ext_words computed, trailing zero padding added. */
	static const uint8_t mid[] = {'a', '0'}, tcc[] = {0x01, 0x02};
	struct rtp_header h;
	memset(&h, 0, sizeof(h));
	h.extension = true;
	h.pt = 111;
	h.seq = 5;
	h.ts = 960;
	h.ssrc = 0x01020304;
	h.ext_profile = RTP_EXT_PROFILE_ONE_BYTE;
	h.ext_count = 2;
	h.ext[0] = (struct rtp_ext_elem){.id = 4, .len = 2, .val = mid};
	h.ext[1] = (struct rtp_ext_elem){.id = 5, .len = 2, .val = tcc};
	static const uint8_t pl[] = {0xfc, 0xff};
	h.payload = pl;
	h.payload_len = 2;
	h.padding = true;
	h.padding_len = 2;
	uint8_t out[64], want[64];
	size_t wn =
	    unhex("b0 6f 0005 | 000003c0 | 01020304 | bede 0002 | 41 6130 | 51 0102 | 00 00 | fcff | 0002", want);
	int w = rtp_header_serialize(&h, out, sizeof(out));
	CHECK(w == (int)wn && memcmp(out, want, wn) == 0, "build: bytes (%d)", w);
	h.ext[0].len = 17;
	CHECK(rtp_header_serialize(&h, out, sizeof(out)) == RTP_ERR_EXT, "build: one-byte len 17 rejected");
}

/* More than 255 padding bytes before an element cannot be kept in pad_before: the rest of the extension
 * becomes the opaque tail and still re-serializes exactly (found by coverage review of the fuzz corpus). */
static void test_long_padding(void)
{
	static const uint16_t profiles[] = {RTP_EXT_PROFILE_ONE_BYTE, RTP_EXT_PROFILE_TWO_BYTE};
	for (size_t k = 0; k < 2; k++) {
		uint8_t b[400], out[400];
		size_t n = unhex("90 60 0001 00000002 00000003", b);
		b[n++] = (uint8_t)(profiles[k] >> 8), b[n++] = (uint8_t)profiles[k];
		b[n++] = 0, b[n++] = 65; /* 65 words = 260 bytes */
		memset(b + n, 0, 256);
		n += 256;
		size_t m = unhex(k ? "01 01 aa 00" : "10 aa 00 00", b + n);
		n += m;
		b[n++] = 0x42; /* payload */
		struct rtp_header h;
		CHECK(rtp_header_parse(&h, b, n) == RTP_OK, "long padding %zu: parse", k);
		CHECK(h.ext_count == 0 && h.ext_tail_len == 260 && !rtp_header_ext_find(&h, 1, NULL) &&
			  h.payload_len == 1,
		      "long padding %zu: opaque tail %zu", k, h.ext_tail_len);
		int w = rtp_header_serialize(&h, out, sizeof(out));
		CHECK(w == (int)n && memcmp(out, b, n) == 0, "long padding %zu: same bytes", k);
	}
}

static void test_seq(void)
{
	static const struct {
		uint16_t a, b;
		int16_t diff;
	} d[] = {
	    {1, 0, 1},      {0, 65535, 1},     {65535, 0, -1},     {100, 50, 50},
	    {50, 100, -50}, {32767, 0, 32767}, {32768, 0, -32768},
	};
	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		CHECK(rtp_seq_diff(d[i].a, d[i].b) == d[i].diff && rtp_seq_newer(d[i].a, d[i].b) == (d[i].diff > 0),
		      "seq diff %u-%u", d[i].a, d[i].b);
	static const struct {
		uint32_t ref;
		uint16_t seq;
		uint32_t want;
	} e[] = {
	    {65535, 0, 65536},          {65536, 65535, 65535},      {10, 65530, 65530}, {0x20005, 3, 0x20003},
	    {0x2fff0, 0x0010, 0x30010}, {0x30010, 0xfff0, 0x2fff0}, {100, 200, 200},
	};
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		CHECK(rtp_seq_extend(e[i].ref, e[i].seq) == e[i].want, "seq extend %x %x -> %x", e[i].ref, e[i].seq,
		      rtp_seq_extend(e[i].ref, e[i].seq));

	/* A.1/A.3: 65530..65535, 0..9 minus {2, 3}; first packet is consumed by probation. */
	struct rtp_seq_state s;
	rtp_seq_init(&s, 65530);
	int valid = 0;
	for (uint32_t q = 65530; q < 65536 + 10; q++) {
		if (q == 65538 || q == 65539)
			continue;
		valid += rtp_seq_update(&s, (uint16_t)q);
	}
	CHECK(valid == 13, "seq: valid %d", valid);
	CHECK(rtp_seq_ext_max(&s) == 65536 + 9, "seq: ext max %u", rtp_seq_ext_max(&s));
	CHECK(rtp_seq_cumulative_lost(&s) == 2, "seq: lost %d", rtp_seq_cumulative_lost(&s));
	uint8_t f = rtp_seq_fraction_lost(&s);
	CHECK(f == (2 * 256) / 15, "seq: fraction %u", f);
	CHECK(rtp_seq_fraction_lost(&s) == 0, "seq: fraction next interval");
	CHECK(rtp_seq_update(&s, 65535 - 20) && rtp_seq_cumulative_lost(&s) == 1, "seq: late packet counted");
	CHECK(!rtp_seq_update(&s, 20000), "seq: big jump rejected once");
	CHECK(rtp_seq_update(&s, 20001) && rtp_seq_ext_max(&s) == 20001 && rtp_seq_cumulative_lost(&s) == 0,
	      "seq: restart after two sequential");
	/* A.8 jitter: constant transit -> 0; alternating 16-unit transit -> converges towards 16. */
	struct rtp_seq_state j;
	rtp_seq_init(&j, 0);
	for (uint32_t k = 0; k < 10; k++)
		rtp_seq_jitter_update(&j, 1000 + k * 160, k * 160);
	CHECK(rtp_seq_jitter(&j) == 0, "jitter constant");
	for (uint32_t k = 0; k < 200; k++)
		rtp_seq_jitter_update(&j, 1000 + k * 160 + (k & 1) * 16, k * 160);
	CHECK(rtp_seq_jitter(&j) >= 14 && rtp_seq_jitter(&j) <= 16, "jitter alternating %u", rtp_seq_jitter(&j));
}

int main(void)
{
	test_demux();
	test_parse_valid();
	test_parse_malformed();
	test_rewrite();
	test_build();
	test_long_padding();
	test_seq();
	printf("test_rtp: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
