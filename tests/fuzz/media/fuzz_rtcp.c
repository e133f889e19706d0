/* fuzz_rtcp.c: libFuzzer target for RTCP: never crash; accepted packets rebuild to identical bytes (or, where
 * the wire allows several encodings, to an equal parse). */
#include "media/rtcp.h"

#include <stdlib.h>
#include <string.h>

static uint8_t out[70000], copy[70000];
static uint16_t seqs[70000 * 4], seqs2[70000 * 4];
static uint8_t set1[8192], set2[8192];

#define REQUIRE(c)               \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static bool same_bytes(const struct rtcp_packet *p, int w)
{
	return w == (int)p->len && memcmp(out, p->data, p->len) == 0;
}

static void check_report(const struct rtcp_packet *p)
{
	static struct rtcp_sr sr;
	static struct rtcp_rr rr;
	if (p->pt == RTCP_PT_SR && rtcp_sr_parse(p, &sr) == RTCP_OK && !p->padding_len && !sr.ext_len)
		REQUIRE(same_bytes(p, rtcp_sr_build(out, sizeof(out), &sr)));
	if (p->pt == RTCP_PT_RR && rtcp_rr_parse(p, &rr) == RTCP_OK && !p->padding_len && !rr.ext_len)
		REQUIRE(same_bytes(p, rtcp_rr_build(out, sizeof(out), &rr)));
}

static void check_sdes_bye(const struct rtcp_packet *p)
{
	uint32_t ssrc;
	const uint8_t *c;
	size_t cl;
	if (rtcp_sdes_find_cname(p, &ssrc, &c, &cl) == RTCP_OK) {
		REQUIRE(c >= p->data && c + cl <= p->data + p->len);
		int w = rtcp_sdes_build_cname(out, sizeof(out), ssrc, c, cl);
		REQUIRE(cl == 0 ? w == RTCP_ERR_ARG : w > 0);
	}
	static struct rtcp_bye bye, bye2;
	if (rtcp_bye_parse(p, &bye) == RTCP_OK) {
		int w = rtcp_bye_build(out, sizeof(out), &bye);
		REQUIRE(w > 0);
		size_t sig = RTCP_HEADER_LEN + 4u * bye.count + (bye.reason ? 1u + bye.reason_len : 0);
		REQUIRE((size_t)w >= sig && memcmp(out + 4, p->data + 4, sig - 4) == 0);
		struct rtcp_iter it;
		struct rtcp_packet q;
		rtcp_iter_init(&it, out, (size_t)w);
		REQUIRE(rtcp_iter_next(&it, &q) == 1 && rtcp_bye_parse(&q, &bye2) == RTCP_OK);
		REQUIRE(bye2.count == bye.count && bye2.reason_len == bye.reason_len);
	}
}

/* NACK: BLP bits may overlap PIDs, so compare the sets of lost sequence numbers. */
static void check_nack(const struct rtcp_packet *p)
{
	struct rtcp_fb fb, fb2;
	size_t n, n2;
	if (rtcp_nack_parse(p, &fb, seqs, sizeof(seqs) / 2, &n) != RTCP_OK)
		return;
	int w = rtcp_nack_build(out, sizeof(out), &fb, seqs, n);
	REQUIRE(w > 0);
	struct rtcp_iter it;
	struct rtcp_packet q;
	rtcp_iter_init(&it, out, (size_t)w);
	REQUIRE(rtcp_iter_next(&it, &q) == 1 && rtcp_nack_parse(&q, &fb2, seqs2, sizeof(seqs2) / 2, &n2) == RTCP_OK);
	REQUIRE(fb2.sender_ssrc == fb.sender_ssrc && fb2.media_ssrc == fb.media_ssrc);
	memset(set1, 0, sizeof(set1));
	memset(set2, 0, sizeof(set2));
	for (size_t i = 0; i < n; i++)
		set1[seqs[i] >> 3] |= (uint8_t)(1u << (seqs[i] & 7));
	for (size_t i = 0; i < n2; i++)
		set2[seqs2[i] >> 3] |= (uint8_t)(1u << (seqs2[i] & 7));
	REQUIRE(memcmp(set1, set2, sizeof(set1)) == 0);
}

static void check_psfb(const struct rtcp_packet *p)
{
	struct rtcp_fb fb;
	static struct rtcp_fir_entry e[16384];
	static struct rtcp_remb r, r2;
	size_t n;
	if (rtcp_pli_parse(p, &fb) == RTCP_OK && !p->padding_len)
		REQUIRE(same_bytes(p, rtcp_pli_build(out, sizeof(out), &fb)));
	if (rtcp_fir_parse(p, &fb, e, 16384, &n) == RTCP_OK) {
		int w = rtcp_fir_build(out, sizeof(out), &fb, e, n);
		REQUIRE(w == (int)(p->len - p->padding_len));
		for (size_t i = 0; i < n; i++) /* reserved bits are not reproduced (RFC 5104 §4.3.1.1) */
			REQUIRE(memcmp(out + 12 + 8 * i, p->data + 12 + 8 * i, 5) == 0);
	}
	if (rtcp_remb_parse(p, &r) == RTCP_OK) {
		int w = rtcp_remb_build(out, sizeof(out), &r);
		REQUIRE(w == (int)(p->len - p->padding_len));
		struct rtcp_iter it;
		struct rtcp_packet q;
		rtcp_iter_init(&it, out, (size_t)w);
		REQUIRE(rtcp_iter_next(&it, &q) == 1 && rtcp_remb_parse(&q, &r2) == RTCP_OK);
		REQUIRE(r2.bitrate == r.bitrate && r2.ssrc_count == r.ssrc_count &&
			memcmp(r2.ssrcs, r.ssrcs, 4u * r.ssrc_count) == 0);
		REQUIRE(memcmp(out + 4, p->data + 4, 4) == 0 && memcmp(out + 12, p->data + 12, 5) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)rtcp_is_rtcp(data, size);
	if (size > sizeof(copy))
		return 0;
	memcpy(copy, data, size);
	struct rtcp_iter it;
	struct rtcp_packet p;
	size_t end = 0;
	int rc;
	rtcp_iter_init(&it, data, size);
	while ((rc = rtcp_iter_next(&it, &p)) == 1) {
		REQUIRE(p.off == end && p.len >= 4 && p.off + p.len <= size && p.padding_len < p.len);
		end = p.off + p.len;
		check_report(&p);
		check_sdes_bye(&p);
		if (p.pt == RTCP_PT_RTPFB)
			check_nack(&p);
		if (p.pt == RTCP_PT_PSFB)
			check_psfb(&p);
		rtcp_set_sender_ssrc(copy + p.off, p.len, 0x01020304);
		rtcp_fb_set_media_ssrc(copy + p.off, p.len, 0x05060708);
		rtcp_fir_rewrite_ssrc(copy + p.off, p.len, 0, 1);
	}
	REQUIRE(rc <= 0 && rc >= RTCP_ERR_ARG);
	REQUIRE(rc != 0 || end == size);
	REQUIRE((rtcp_compound_validate(data, size) == RTCP_OK) == (rc == 0 && size > 0));
	return 0;
}
