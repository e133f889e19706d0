/* test_rtcp.c: unit tests for media/rtcp: demux, compound iteration, each packet type's parse/build, errors. */
#include "media/rtcp.h"

#include <stdio.h>
#include <string.h>
#include "tests/unit/media/check_media.h"

/* SR with one report block. */
#define SR_HEX                                                                         \
	"81 c8 000c | 11111111 | e7a1b2c3 80000000 | 00015f90 | 00000064 | 00004e20 |" \
	" 22222222 | 0a fffffe | 00010005 | 00000020 | b2c38000 | 00010000"
/* SDES: one chunk, CNAME "user@example.com", null + 1 pad. */
#define SDES_HEX "81 ca 0006 | 11111111 | 01 10 75736572 40657861 6d706c65 2e636f6d | 00 00"
#define RR_HEX "81 c9 0007 | 33333333 | 22222222 | 00 000000 | 0000ffff | 00000000 | 00000000 | 00000000"
#define BYE_HEX "81 cb 0003 | 11111111 | 04 627965 21 000000"
#define NACK_HEX "81 cd 0003 | 00000001 | 22222222 | 0064 0005"
#define PLI_HEX "81 ce 0002 | 00000001 | 22222222"
#define FIR_HEX "84 ce 0004 | 00000001 | 00000000 | 22222222 | 07 000000"
#define REMB_HEX "8f ce 0005 | 00000001 | 00000000 | 52454d42 | 01 0b d090 | 22222222"
#define APP_HEX "80 cc 0002 | 11111111 | 6e616d65"
#define UNKNOWN_HEX "80 d2 0001 | 11111111"

static void test_demux(void)
{
	static const struct {
		const char *hex;
		bool rtcp;
		const char *what;
	} t[] = {
	    {RR_HEX, true, "RR"},
	    {SR_HEX, true, "SR"},
	    {PLI_HEX, true, "PLI"},
	    {"80 60 0001 00000002 00000003", false, "RTP PT 96"},
	    {"80 e0 0001 00000002 00000003", false, "RTP PT 96 marker"},
	    {"80 c9 0001", false, "4 bytes"},
	    {"00 01 0000 2112a442", false, "STUN"},
	    {"40 c9 0001 11111111", false, "version 1"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint8_t b[128];
		size_t n = unhex(t[i].hex, b);
		CHECK(rtcp_is_rtcp(b, n) == t[i].rtcp, "rtcp_is_rtcp %s", t[i].what);
		CHECK(!t[i].rtcp || !rtp_is_rtp(b, n), "rtp_is_rtp false for %s", t[i].what);
	}
}

/* Compound with unknown types in the middle: iterator yields all, in order, and they tile the buffer. */
static void test_compound(void)
{
	uint8_t b[512];
	size_t n = unhex(SR_HEX SDES_HEX APP_HEX UNKNOWN_HEX NACK_HEX PLI_HEX FIR_HEX REMB_HEX BYE_HEX, b);
	static const uint8_t pts[] = {200, 202, 204, 210, 205, 206, 206, 206, 203};
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, b, n);
	size_t k = 0, end = 0;
	int rc;
	while ((rc = rtcp_iter_next(&it, &p)) == 1) {
		CHECK(k < sizeof(pts) && p.pt == pts[k], "compound: packet %zu pt %u", k, p.pt);
		CHECK(p.off == end && p.data == b + p.off, "compound: packet %zu offset", k);
		end = p.off + p.len;
		k++;
	}
	CHECK(rc == 0 && k == sizeof(pts) && end == n, "compound: %zu packets, rc %d", k, rc);
	CHECK(rtcp_compound_validate(b, n) == RTCP_OK, "compound validates");
}

static int first_packet(const char *hex, uint8_t *b, size_t *n, struct rtcp_packet *p)
{
	*n = unhex(hex, b);
	struct rtcp_iter it;
	rtcp_iter_init(&it, b, *n);
	return rtcp_iter_next(&it, p);
}

static void test_sr_rr(void)
{
	uint8_t b[256], out[256];
	size_t n;
	struct rtcp_packet p;
	struct rtcp_sr sr;
	CHECK(first_packet(SR_HEX, b, &n, &p) == 1 && rtcp_sr_parse(&p, &sr) == RTCP_OK, "SR parse");
	CHECK(sr.ssrc == 0x11111111 && sr.ntp_sec == 0xe7a1b2c3 && sr.ntp_frac == 0x80000000 && sr.rtp_ts == 90000 &&
		  sr.packet_count == 100 && sr.octet_count == 20000 && sr.ext_len == 0,
	      "SR sender info");
	const struct rtcp_report_block *rb = &sr.blocks[0];
	CHECK(sr.block_count == 1 && rb->ssrc == 0x22222222 && rb->fraction_lost == 10 && rb->cumulative_lost == -2 &&
		  rb->ext_highest_seq == 0x10005 && rb->jitter == 32 && rb->lsr == 0xb2c38000 && rb->dlsr == 0x10000,
	      "SR report block");
	CHECK(rtcp_sr_build(out, sizeof(out), &sr) == (int)n && memcmp(out, b, n) == 0, "SR build same bytes");
	CHECK(rtcp_sr_build(out, n - 1, &sr) == RTCP_ERR_NOSPACE, "SR build nospace");
	struct rtcp_rr rr;
	CHECK(rtcp_rr_parse(&p, &rr) == RTCP_ERR_TYPE, "RR parser rejects SR");
	CHECK(first_packet(RR_HEX, b, &n, &p) == 1 && rtcp_rr_parse(&p, &rr) == RTCP_OK, "RR parse");
	CHECK(rr.ssrc == 0x33333333 && rr.block_count == 1 && rr.blocks[0].ext_highest_seq == 0xffff, "RR fields");
	CHECK(rtcp_rr_build(out, sizeof(out), &rr) == (int)n && memcmp(out, b, n) == 0, "RR build same bytes");
}

/* Receiver report from per-stream stats: 10 expected, 8 received, LSR 1.5 s ago. */
static void test_rr_from_stats(void)
{
	struct rtp_seq_state s;
	rtp_seq_init(&s, 999);
	rtp_seq_update(&s, 999); /* probation */
	for (uint16_t q = 1000; q < 1010; q++)
		if (q != 1003 && q != 1007)
			rtp_seq_update(&s, q);
	s.jitter = 40 << 4;
	struct rtcp_rr rr = {.ssrc = 0x33333333, .block_count = 1};
	rtcp_report_block_from_stats(&rr.blocks[0], 0x22222222, &s, 0xb2c38000, 1500000);
	uint8_t out[64], want[64];
	/* fraction (2 * 256) / 10 = 51 = 0x33; lost 2; ext max 1009 = 0x3f1; jitter 40; DLSR 1.5 * 65536. */
	size_t wn =
	    unhex("81 c9 0007 | 33333333 | 22222222 | 33 000002 | 000003f1 | 00000028 | b2c38000 | 00018000", want);
	int w = rtcp_rr_build(out, sizeof(out), &rr);
	CHECK(w == (int)wn && memcmp(out, want, wn) == 0, "RR from stats bytes (%d)", w);
	rtcp_report_block_from_stats(&rr.blocks[0], 0x22222222, &s, 0, 1500000);
	CHECK(rr.blocks[0].fraction_lost == 0 && rr.blocks[0].dlsr == 0, "RR from stats: next interval, no SR");
}

static void test_sdes_bye(void)
{
	uint8_t b[256], out[256];
	size_t n;
	struct rtcp_packet p;
	uint32_t ssrc = 0;
	const uint8_t *c = NULL;
	size_t cl = 0;
	CHECK(first_packet(SDES_HEX, b, &n, &p) == 1 && rtcp_sdes_find_cname(&p, &ssrc, &c, &cl) == RTCP_OK,
	      "SDES parse");
	CHECK(ssrc == 0x11111111 && cl == 16 && memcmp(c, "user@example.com", 16) == 0, "SDES CNAME");
	CHECK(rtcp_sdes_build_cname(out, sizeof(out), ssrc, c, cl) == (int)n && memcmp(out, b, n) == 0,
	      "SDES build same bytes");
	/* Two chunks: first has only NAME (2), second has NOTE then CNAME. */
	CHECK(first_packet("82 ca 0006 | 0000000a | 02 02 6869 00000000 | 0000000b | 07 00 01 03 616263 00", b, &n,
			   &p) == 1 &&
		  rtcp_sdes_find_cname(&p, &ssrc, &c, &cl) == RTCP_OK && ssrc == 0xb && cl == 3 &&
		  memcmp(c, "abc", 3) == 0,
	      "SDES CNAME in second chunk");
	struct rtcp_bye bye;
	CHECK(first_packet(BYE_HEX, b, &n, &p) == 1 && rtcp_bye_parse(&p, &bye) == RTCP_OK, "BYE parse");
	CHECK(bye.count == 1 && bye.ssrc[0] == 0x11111111 && bye.reason_len == 4 && memcmp(bye.reason, "bye!", 4) == 0,
	      "BYE fields");
	CHECK(rtcp_bye_build(out, sizeof(out), &bye) == (int)n && memcmp(out, b, n) == 0, "BYE build same bytes");
}

static void test_feedback(void)
{
	uint8_t b[256], out[256];
	size_t n = 0, k = 0;
	struct rtcp_packet p;
	struct rtcp_fb fb;
	uint16_t seqs[64];
	CHECK(first_packet(NACK_HEX, b, &n, &p) == 1 && rtcp_nack_parse(&p, &fb, seqs, 64, &k) == RTCP_OK,
	      "NACK parse");
	CHECK(fb.sender_ssrc == 1 && fb.media_ssrc == 0x22222222 && k == 3 && seqs[0] == 100 && seqs[1] == 101 &&
		  seqs[2] == 103,
	      "NACK PID+BLP -> 100 101 103");
	CHECK(rtcp_nack_build(out, sizeof(out), &fb, seqs, k) == (int)n && memcmp(out, b, n) == 0,
	      "NACK build same bytes");
	CHECK(rtcp_nack_parse(&p, &fb, seqs, 2, &k) == RTCP_ERR_NOSPACE, "NACK parse output too small");
	/* Wrap-around: 65534, 65535, 14 share one FCI; 16 starts another. */
	static const uint16_t wrap[] = {65534, 65535, 14, 16};
	uint8_t want[64];
	size_t wn = unhex("81 cd 0004 | 00000001 | 22222222 | fffe 8001 | 0010 0000", want);
	CHECK(rtcp_nack_build(out, sizeof(out), &fb, wrap, 4) == (int)wn && memcmp(out, want, wn) == 0,
	      "NACK build across wrap");
	CHECK(rtcp_nack_build(out, 15, &fb, wrap, 4) == RTCP_ERR_NOSPACE, "NACK build nospace");

	CHECK(first_packet(PLI_HEX, b, &n, &p) == 1 && rtcp_pli_parse(&p, &fb) == RTCP_OK &&
		  fb.media_ssrc == 0x22222222,
	      "PLI parse");
	CHECK(rtcp_pli_build(out, sizeof(out), &fb) == (int)n && memcmp(out, b, n) == 0, "PLI build same bytes");
	CHECK(rtcp_nack_parse(&p, &fb, seqs, 64, &k) == RTCP_ERR_TYPE, "NACK parser rejects PLI");

	struct rtcp_fir_entry e[4];
	CHECK(first_packet(FIR_HEX, b, &n, &p) == 1 && rtcp_fir_parse(&p, &fb, e, 4, &k) == RTCP_OK && k == 1 &&
		  e[0].ssrc == 0x22222222 && e[0].seq_nr == 7,
	      "FIR parse");
	CHECK(rtcp_fir_build(out, sizeof(out), &fb, e, k) == (int)n && memcmp(out, b, n) == 0, "FIR build same bytes");

	struct rtcp_remb r;
	CHECK(first_packet(REMB_HEX, b, &n, &p) == 1 && rtcp_remb_parse(&p, &r) == RTCP_OK, "REMB parse");
	CHECK(r.sender_ssrc == 1 && r.bitrate == 1000000 && r.ssrc_count == 1 && r.ssrcs[0] == 0x22222222,
	      "REMB fields (%llu)", (unsigned long long)r.bitrate);
	CHECK(rtcp_remb_build(out, sizeof(out), &r) == (int)n && memcmp(out, b, n) == 0, "REMB build same bytes");
	static const struct {
		uint64_t in, out;
	} rb[] = {
	    {0, 0}, {262143, 262143}, {262144, 262144}, {262145, 262144}, {2500000000ull, 2499985408ull},
	};
	for (size_t i = 0; i < sizeof(rb) / sizeof(rb[0]); i++) {
		struct rtcp_remb q = {.sender_ssrc = 9, .bitrate = rb[i].in, .ssrc_count = 0};
		int w = rtcp_remb_build(out, sizeof(out), &q);
		struct rtcp_iter it;
		rtcp_iter_init(&it, out, (size_t)(w > 0 ? w : 0));
		CHECK(w == 20 && rtcp_iter_next(&it, &p) == 1 && rtcp_remb_parse(&p, &q) == RTCP_OK &&
			  q.bitrate == rb[i].out,
		      "REMB mantissa/exp %llu -> %llu", (unsigned long long)rb[i].in, (unsigned long long)q.bitrate);
	}
}

static void test_rewrite(void)
{
	uint8_t b[256], want[256];
	size_t n = unhex(PLI_HEX FIR_HEX, b);
	size_t wn =
	    unhex("81 ce 0002 | 0000aaaa | 0000bbbb | 84 ce 0004 | 0000aaaa | 00000000 | 0000bbbb | 07 000000", want);
	struct rtcp_iter it;
	struct rtcp_packet p;
	rtcp_iter_init(&it, b, n);
	while (rtcp_iter_next(&it, &p) == 1) {
		uint8_t *q = b + p.off;
		CHECK(rtcp_set_sender_ssrc(q, p.len, 0xaaaa) == RTCP_OK, "rewrite sender");
		if (p.count == RTCP_FMT_FIR)
			CHECK(rtcp_fir_rewrite_ssrc(q, p.len, 0x22222222, 0xbbbb) == 1, "rewrite FIR entry");
		else
			CHECK(rtcp_fb_set_media_ssrc(q, p.len, 0xbbbb) == RTCP_OK, "rewrite media ssrc");
	}
	CHECK(n == wn && memcmp(b, want, n) == 0, "rewrite bytes");
	n = unhex(SDES_HEX, b);
	CHECK(rtcp_set_sender_ssrc(b, n, 1) == RTCP_ERR_TYPE && rtcp_fb_set_media_ssrc(b, n, 1) == RTCP_ERR_TYPE,
	      "rewrite refuses SDES");
}

/* Malformed input: iterator errors, then per-type parse errors. */
static void test_malformed(void)
{
	static const struct {
		const char *what, *hex;
		int err;
	} it_cases[] = {
	    {"3 trailing bytes", RR_HEX "80 c9 00", RTCP_ERR_TRUNCATED},
	    {"version 1", "41 c9 0007 | 33333333", RTCP_ERR_VERSION},
	    {"length word one too many", "80 c9 0002 | 33333333", RTCP_ERR_LENGTH},
	    {"length word past compound", PLI_HEX "80 c9 0010 | 33333333", RTCP_ERR_LENGTH},
	    {"padding on a non-last packet", "a0 c9 0001 | 33333301" PLI_HEX, RTCP_ERR_PADDING},
	    {"padding count 0", "a0 c9 0002 | 33333333 | 00000000", RTCP_ERR_PADDING},
	    {"padding count past packet", "a0 c9 0001 | 33333309", RTCP_ERR_PADDING},
	};
	for (size_t i = 0; i < sizeof(it_cases) / sizeof(it_cases[0]); i++) {
		uint8_t b[256];
		size_t n = unhex(it_cases[i].hex, b);
		int rc = rtcp_compound_validate(b, n);
		CHECK(rc == it_cases[i].err, "%s: rc %d want %d", it_cases[i].what, rc, it_cases[i].err);
	}
	static const struct {
		const char *what, *hex;
		int err;
	} pt_cases[] = {
	    {"SR RC=2 with one block",
	     "82 c8 000c | 11111111 | e7a1b2c3 80000000 00015f90 00000064 00004e20 |"
	     " 22222222 0afffffe 00010005 00000020 b2c38000 00010000",
	     RTCP_ERR_TRUNCATED},
	    {"SR too short for sender info", "80 c8 0001 | 11111111", RTCP_ERR_TRUNCATED},
	    {"NACK without FCI", "81 cd 0002 | 00000001 | 22222222", RTCP_ERR_FORMAT},
	    {"NACK header too short", "81 cd 0001 | 00000001", RTCP_ERR_TRUNCATED},
	    {"PLI with FCI", "81 ce 0003 | 00000001 | 22222222 | 00000000", RTCP_ERR_FORMAT},
	    {"FIR with half an entry", "84 ce 0003 | 00000001 | 00000000 | 22222222", RTCP_ERR_FORMAT},
	    {"REMB wrong identifier", "8f ce 0004 | 00000001 | 00000000 | 52454d43 | 00 0b d090", RTCP_ERR_FORMAT},
	    {"REMB count says 2, has 1", "8f ce 0005 | 00000001 | 00000000 | 52454d42 | 02 0b d090 | 22222222",
	     RTCP_ERR_FORMAT},
	    {"REMB bitrate overflows 64 bits", "8f ce 0004 | 00000001 | 00000000 | 52454d42 | 00 ff ffff",
	     RTCP_ERR_FORMAT},
	    {"SDES no null terminator", "81 ca 0002 | 11111111 | 01 02 6869", RTCP_ERR_FORMAT},
	    {"SDES item past end", "81 ca 0002 | 11111111 | 01 09 6869", RTCP_ERR_TRUNCATED},
	    {"SDES SC=2, one chunk", "82 ca 0002 | 11111111 | 01 01 68 00", RTCP_ERR_TRUNCATED},
	    {"SDES without CNAME", "81 ca 0002 | 11111111 | 02 01 68 00", RTCP_ERR_FORMAT},
	    {"BYE SC=2, one SSRC", "82 cb 0001 | 11111111", RTCP_ERR_TRUNCATED},
	    {"BYE reason past end", "81 cb 0002 | 11111111 | 09 627965", RTCP_ERR_TRUNCATED},
	};
	for (size_t i = 0; i < sizeof(pt_cases) / sizeof(pt_cases[0]); i++) {
		uint8_t b[256];
		size_t n, k;
		struct rtcp_packet p;
		int rc = first_packet(pt_cases[i].hex, b, &n, &p);
		CHECK(rc == 1, "%s: header ok", pt_cases[i].what);
		if (rc != 1)
			continue;
		union {
			struct rtcp_sr sr;
			struct rtcp_remb remb;
			struct rtcp_bye bye;
		} u;
		struct rtcp_fb fb;
		uint16_t seqs[64];
		struct rtcp_fir_entry fe[8];
		const uint8_t *c;
		uint32_t ssrc;
		if (p.pt == RTCP_PT_SR)
			rc = rtcp_sr_parse(&p, &u.sr);
		else if (p.pt == RTCP_PT_RTPFB)
			rc = rtcp_nack_parse(&p, &fb, seqs, 64, &k);
		else if (p.pt == RTCP_PT_PSFB && p.count == RTCP_FMT_PLI)
			rc = rtcp_pli_parse(&p, &fb);
		else if (p.pt == RTCP_PT_PSFB && p.count == RTCP_FMT_FIR)
			rc = rtcp_fir_parse(&p, &fb, fe, 8, &k);
		else if (p.pt == RTCP_PT_PSFB)
			rc = rtcp_remb_parse(&p, &u.remb);
		else if (p.pt == RTCP_PT_SDES)
			rc = rtcp_sdes_find_cname(&p, &ssrc, &c, &k);
		else
			rc = rtcp_bye_parse(&p, &u.bye);
		CHECK(rc == pt_cases[i].err, "%s: rc %d want %d", pt_cases[i].what, rc, pt_cases[i].err);
	}
}

int main(void)
{
	test_demux();
	test_compound();
	test_sr_rr();
	test_rr_from_stats();
	test_sdes_bye();
	test_feedback();
	test_rewrite();
	test_malformed();
	printf("test_rtcp: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
