/* rtcp.c: RTCP demux, compound packet iterator, SR/RR parse and build, receiver report from stats. */
#include "media/rtcp.h"

#include "media/bytes.h"

#include <string.h>

/*
 * RFC 3550 §6.4.1 / §6.4.2 sender and receiver report:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    RC   |   PT=SR=200   |             length            | header
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         SSRC of sender                        |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |              NTP timestamp, most significant word             | sender info
 * |             NTP timestamp, least significant word             | (SR only)
 * |                         RTP timestamp                         |
 * |                     sender's packet count                     |
 * |                      sender's octet count                     |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                 SSRC_1 (SSRC of first source)                 | report
 * | fraction lost |       cumulative number of packets lost       | block
 * |           extended highest sequence number received           |   1
 * |                      interarrival jitter                      |
 * |                         last SR (LSR)                         |
 * |                   delay since last SR (DLSR)                  |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                  profile-specific extensions                  |
 *
 * length = packet length in 32-bit words minus one, including header and padding.
 */

#define SR_INFO_LEN 20
#define RB_LEN 24

bool rtcp_is_rtcp(const uint8_t *buf, size_t len)
{
	/* RFC 7983 §7 first byte 128..191; RFC 5761 §4: PT 64..95 with M bit, i.e. 192..223. */
	return len >= 8 && buf[0] >= 128 && buf[0] <= 191 && buf[1] >= 192 && buf[1] <= 223;
}

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len)
{
	it->buf = buf;
	it->len = len;
	it->off = 0;
	it->err = RTCP_OK;
}

static int iter_fail(struct rtcp_iter *it, int err)
{
	it->err = err;
	it->off = it->len;
	return err;
}

int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_packet *p)
{
	if (it->off >= it->len)
		return 0;
	const uint8_t *h = it->buf + it->off;
	size_t left = it->len - it->off;
	if (left < RTCP_HEADER_LEN) /* RFC 3550 §6.4.1: 4-octet common header */
		return iter_fail(it, RTCP_ERR_TRUNCATED);
	memset(p, 0, sizeof(*p));
	p->version = h[0] >> 6;
	if (p->version != 2) /* RFC 3550 §A.2: version must be 2 */
		return iter_fail(it, RTCP_ERR_VERSION);
	p->padding = h[0] & 0x20;
	p->count = h[0] & 0x1f;
	p->pt = h[1];
	p->len = ((size_t)(h[2] << 8 | h[3]) + 1) * 4;
	if (p->len > left) /* RFC 3550 §A.2: lengths must add up to the compound length */
		return iter_fail(it, RTCP_ERR_LENGTH);
	if (p->padding) {
		/* RFC 3550 §6.4.1 / §A.2: padding only on the last packet; count includes itself. */
		uint8_t n = h[p->len - 1];
		if (p->len != left || n == 0 || n > p->len - RTCP_HEADER_LEN)
			return iter_fail(it, RTCP_ERR_PADDING);
		p->padding_len = n;
	}
	p->off = it->off;
	p->data = h;
	it->off += p->len;
	return 1;
}

int rtcp_compound_validate(const uint8_t *buf, size_t len)
{
	struct rtcp_iter it;
	struct rtcp_packet p;
	int rc, n = 0;
	rtcp_iter_init(&it, buf, len);
	while ((rc = rtcp_iter_next(&it, &p)) == 1)
		n++;
	if (rc < 0)
		return rc;
	return n > 0 ? RTCP_OK : RTCP_ERR_TRUNCATED;
}

static void rb_parse(const uint8_t *b, struct rtcp_report_block *rb)
{
	rb->ssrc = rd32(b);
	rb->fraction_lost = b[4];
	uint32_t cl = rd32(b + 4) & 0xffffff;
	rb->cumulative_lost = (cl & 0x800000) ? (int32_t)cl - 0x1000000 : (int32_t)cl;
	rb->ext_highest_seq = rd32(b + 8);
	rb->jitter = rd32(b + 12);
	rb->lsr = rd32(b + 16);
	rb->dlsr = rd32(b + 20);
}

static void rb_write(uint8_t *b, const struct rtcp_report_block *rb)
{
	wr32(b, rb->ssrc);
	wr32(b + 4, (uint32_t)rb->cumulative_lost & 0xffffff);
	b[4] = rb->fraction_lost;
	wr32(b + 8, rb->ext_highest_seq);
	wr32(b + 12, rb->jitter);
	wr32(b + 16, rb->lsr);
	wr32(b + 20, rb->dlsr);
}

/* Shared by SR and RR: info_len is the sender info size (20 or 0). */
static int report_parse(const struct rtcp_packet *p, uint8_t pt, size_t info_len, uint32_t *ssrc,
			struct rtcp_report_block *blocks, uint8_t *count, size_t *ext_len)
{
	if (p->pt != pt)
		return RTCP_ERR_TYPE;
	size_t body = p->len - p->padding_len;
	size_t need = 8 + info_len + (size_t)p->count * RB_LEN;
	if (body < need) /* RFC 3550 §6.4.1: RC report blocks must fit the length */
		return RTCP_ERR_TRUNCATED;
	*ssrc = rd32(p->data + 4);
	*count = p->count;
	for (unsigned i = 0; i < p->count; i++)
		rb_parse(p->data + 8 + info_len + RB_LEN * i, &blocks[i]);
	*ext_len = body - need;
	return RTCP_OK;
}

int rtcp_sr_parse(const struct rtcp_packet *p, struct rtcp_sr *sr)
{
	int rc = report_parse(p, RTCP_PT_SR, SR_INFO_LEN, &sr->ssrc, sr->blocks, &sr->block_count, &sr->ext_len);
	if (rc != RTCP_OK)
		return rc;
	const uint8_t *s = p->data + 8;
	sr->ntp_sec = rd32(s);
	sr->ntp_frac = rd32(s + 4);
	sr->rtp_ts = rd32(s + 8);
	sr->packet_count = rd32(s + 12);
	sr->octet_count = rd32(s + 16);
	return RTCP_OK;
}

int rtcp_rr_parse(const struct rtcp_packet *p, struct rtcp_rr *rr)
{
	return report_parse(p, RTCP_PT_RR, 0, &rr->ssrc, rr->blocks, &rr->block_count, &rr->ext_len);
}

static int report_build(uint8_t *out, size_t cap, uint8_t pt, size_t info_len, uint32_t ssrc,
			const struct rtcp_report_block *blocks, uint8_t count)
{
	if (count > RTCP_MAX_BLOCKS)
		return RTCP_ERR_ARG;
	size_t len = 8 + info_len + (size_t)count * RB_LEN;
	if (len > cap)
		return RTCP_ERR_NOSPACE;
	out[0] = (uint8_t)(0x80 | count);
	out[1] = pt;
	out[2] = (uint8_t)((len / 4 - 1) >> 8);
	out[3] = (uint8_t)(len / 4 - 1);
	wr32(out + 4, ssrc);
	for (unsigned i = 0; i < count; i++)
		rb_write(out + 8 + info_len + RB_LEN * i, &blocks[i]);
	return (int)len;
}

int rtcp_sr_build(uint8_t *out, size_t cap, const struct rtcp_sr *sr)
{
	int n = report_build(out, cap, RTCP_PT_SR, SR_INFO_LEN, sr->ssrc, sr->blocks, sr->block_count);
	if (n < 0)
		return n;
	wr32(out + 8, sr->ntp_sec);
	wr32(out + 12, sr->ntp_frac);
	wr32(out + 16, sr->rtp_ts);
	wr32(out + 20, sr->packet_count);
	wr32(out + 24, sr->octet_count);
	return n;
}

int rtcp_rr_build(uint8_t *out, size_t cap, const struct rtcp_rr *rr)
{
	return report_build(out, cap, RTCP_PT_RR, 0, rr->ssrc, rr->blocks, rr->block_count);
}

void rtcp_report_block_from_stats(struct rtcp_report_block *rb, uint32_t ssrc, struct rtp_seq_state *s, uint32_t lsr,
				  uint64_t sr_age_us)
{
	rb->ssrc = ssrc;
	rb->fraction_lost = rtp_seq_fraction_lost(s);
	rb->cumulative_lost = rtp_seq_cumulative_lost(s);
	rb->ext_highest_seq = rtp_seq_ext_max(s);
	rb->jitter = rtp_seq_jitter(s);
	rb->lsr = lsr;
	/* RFC 3550 §6.4.1: DLSR in units of 1/65536 s, 0 if no SR received yet. */
	uint64_t dlsr = lsr ? sr_age_us * 65536 / 1000000 : 0;
	rb->dlsr = dlsr > 0xffffffffu ? 0xffffffffu : (uint32_t)dlsr;
}

int rtcp_set_sender_ssrc(uint8_t *pkt, size_t len, uint32_t ssrc)
{
	if (len < 8)
		return RTCP_ERR_TRUNCATED;
	if (pkt[1] != RTCP_PT_SR && pkt[1] != RTCP_PT_RR && pkt[1] != RTCP_PT_RTPFB && pkt[1] != RTCP_PT_PSFB &&
	    pkt[1] != RTCP_PT_APP)
		return RTCP_ERR_TYPE;
	wr32(pkt + 4, ssrc);
	return RTCP_OK;
}
