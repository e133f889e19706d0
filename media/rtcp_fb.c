/* rtcp_fb.c: RTCP feedback packets: generic NACK, PLI, FIR, REMB, and SSRC rewriting for forwarding. */
#include "media/rtcp.h"

#include "media/bytes.h"

#include <string.h>

/*
 * RFC 4585 §6.1 common feedback packet format:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|   FMT   |       PT      |          length               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of packet sender                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  SSRC of media source                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * :            Feedback Control Information (FCI)                 :
 *
 * Generic NACK FCI (RFC 4585 §6.2.1):   | PID (16) | BLP (16) |
 * PLI (RFC 4585 §6.3.1):               no FCI
 * FIR FCI (RFC 5104 §4.3.1.1):          | SSRC (32) | | Seq nr. (8) | Reserved (24) |
 * REMB FCI (draft-alvestrand-rmcat-remb §2.2):
 * |  Unique identifier 'R' 'E' 'M' 'B'                            |
 * |  Num SSRC     | BR Exp    |  BR Mantissa                      |
 * |   SSRC feedback (Num SSRC times)                              |
 */

#define FB_HDR 12

/* Check type/FMT and the common header; returns FCI length or an error. */
static int fb_open(const struct rtcp_packet *p, uint8_t pt, uint8_t fmt, struct rtcp_fb *fb)
{
	if (p->pt != pt || p->count != fmt)
		return RTCP_ERR_TYPE;
	size_t body = p->len - p->padding_len;
	if (body < FB_HDR) /* RFC 4585 §6.1: sender and media SSRC */
		return RTCP_ERR_TRUNCATED;
	fb->sender_ssrc = rd32(p->data + 4);
	fb->media_ssrc = rd32(p->data + 8);
	return (int)(body - FB_HDR);
}

static int fb_write(uint8_t *out, size_t cap, uint8_t pt, uint8_t fmt, const struct rtcp_fb *fb, size_t fci)
{
	size_t len = FB_HDR + fci;
	if (len > cap)
		return RTCP_ERR_NOSPACE;
	if (len / 4 - 1 > 0xffff)
		return RTCP_ERR_ARG;
	out[0] = (uint8_t)(0x80 | fmt);
	out[1] = pt;
	wr16(out + 2, (uint16_t)(len / 4 - 1));
	wr32(out + 4, fb->sender_ssrc);
	wr32(out + 8, fb->media_ssrc);
	return (int)len;
}

int rtcp_nack_parse(const struct rtcp_packet *p, struct rtcp_fb *fb, uint16_t *seqs, size_t cap, size_t *n)
{
	int fci = fb_open(p, RTCP_PT_RTPFB, RTCP_FMT_NACK, fb);
	if (fci < 0)
		return fci;
	if (fci == 0 || fci % 4) /* RFC 4585 §6.2.1: one or more 4-octet FCI entries */
		return RTCP_ERR_FORMAT;
	*n = 0;
	for (const uint8_t *f = p->data + FB_HDR; f < p->data + FB_HDR + fci; f += 4) {
		uint16_t pid = rd16(f), blp = rd16(f + 2);
		if (*n >= cap)
			return RTCP_ERR_NOSPACE;
		seqs[(*n)++] = pid;
		for (unsigned b = 0; b < 16; b++) { /* bit i of BLP: PID + i + 1 lost */
			if (!(blp & (1u << b)))
				continue;
			if (*n >= cap)
				return RTCP_ERR_NOSPACE;
			seqs[(*n)++] = (uint16_t)(pid + b + 1);
		}
	}
	return RTCP_OK;
}

int rtcp_nack_build(uint8_t *out, size_t cap, const struct rtcp_fb *fb, const uint16_t *seqs, size_t n)
{
	if (n == 0)
		return RTCP_ERR_ARG;
	size_t fci = 0;
	uint16_t pid = 0;
	for (size_t i = 0; i < n; i++) {
		uint16_t d = (uint16_t)(seqs[i] - pid);
		if (fci > 0 && d >= 1 && d <= 16) { /* joins the current entry's BLP */
			uint8_t *blp = out + FB_HDR + fci - 2;
			wr16(blp, (uint16_t)(rd16(blp) | 1u << (d - 1)));
			continue;
		}
		if (FB_HDR + fci + 4 > cap)
			return RTCP_ERR_NOSPACE;
		pid = seqs[i];
		wr16(out + FB_HDR + fci, pid);
		wr16(out + FB_HDR + fci + 2, 0);
		fci += 4;
	}
	return fb_write(out, cap, RTCP_PT_RTPFB, RTCP_FMT_NACK, fb, fci);
}

int rtcp_pli_parse(const struct rtcp_packet *p, struct rtcp_fb *fb)
{
	int fci = fb_open(p, RTCP_PT_PSFB, RTCP_FMT_PLI, fb);
	if (fci < 0)
		return fci;
	return fci == 0 ? RTCP_OK : RTCP_ERR_FORMAT; /* RFC 4585 §6.3.1: FCI MUST NOT be present */
}

int rtcp_pli_build(uint8_t *out, size_t cap, const struct rtcp_fb *fb)
{
	return fb_write(out, cap, RTCP_PT_PSFB, RTCP_FMT_PLI, fb, 0);
}

int rtcp_fir_parse(const struct rtcp_packet *p, struct rtcp_fb *fb, struct rtcp_fir_entry *e, size_t cap, size_t *n)
{
	int fci = fb_open(p, RTCP_PT_PSFB, RTCP_FMT_FIR, fb);
	if (fci < 0)
		return fci;
	if (fci == 0 || fci % 8) /* RFC 5104 §4.3.1.2: one or more 8-octet FCI entries */
		return RTCP_ERR_FORMAT;
	if ((size_t)fci / 8 > cap)
		return RTCP_ERR_NOSPACE;
	*n = (size_t)fci / 8;
	for (size_t i = 0; i < *n; i++) {
		e[i].ssrc = rd32(p->data + FB_HDR + 8 * i);
		e[i].seq_nr = p->data[FB_HDR + 8 * i + 4]; /* reserved 24 bits are ignored (§4.3.1.1) */
	}
	return RTCP_OK;
}

int rtcp_fir_build(uint8_t *out, size_t cap, const struct rtcp_fb *fb, const struct rtcp_fir_entry *e, size_t n)
{
	if (n == 0)
		return RTCP_ERR_ARG;
	if (FB_HDR + 8 * n > cap)
		return RTCP_ERR_NOSPACE;
	for (size_t i = 0; i < n; i++) {
		wr32(out + FB_HDR + 8 * i, e[i].ssrc);
		wr32(out + FB_HDR + 8 * i + 4, (uint32_t)e[i].seq_nr << 24);
	}
	return fb_write(out, cap, RTCP_PT_PSFB, RTCP_FMT_FIR, fb, 8 * n);
}

int rtcp_remb_parse(const struct rtcp_packet *p, struct rtcp_remb *r)
{
	struct rtcp_fb fb;
	int fci = fb_open(p, RTCP_PT_PSFB, RTCP_FMT_AFB, &fb);
	if (fci < 0)
		return fci;
	const uint8_t *f = p->data + FB_HDR;
	if (fci < 8 || memcmp(f, "REMB", 4) != 0) /* REMB §2.2: unique identifier */
		return RTCP_ERR_FORMAT;
	r->sender_ssrc = fb.sender_ssrc;
	r->ssrc_count = f[4];
	if ((size_t)fci != 8 + 4 * (size_t)r->ssrc_count) /* REMB §2.2: Num SSRC feedback entries */
		return RTCP_ERR_FORMAT;
	uint8_t exp = f[5] >> 2;
	uint64_t mantissa = (uint64_t)(f[5] & 3) << 16 | rd16(f + 6);
	if (mantissa && exp > 46 && (mantissa >> (64 - exp)) != 0) /* would overflow 64 bits */
		return RTCP_ERR_FORMAT;
	r->bitrate = mantissa << exp;
	for (unsigned i = 0; i < r->ssrc_count; i++)
		r->ssrcs[i] = rd32(f + 8 + 4 * i);
	return RTCP_OK;
}

int rtcp_remb_build(uint8_t *out, size_t cap, const struct rtcp_remb *r)
{
	size_t fci = 8 + 4 * (size_t)r->ssrc_count;
	if (FB_HDR + fci > cap)
		return RTCP_ERR_NOSPACE;
	uint64_t mantissa = r->bitrate;
	uint8_t exp = 0;
	while (mantissa > 0x3ffff) {
		mantissa >>= 1;
		exp++;
	}
	uint8_t *f = out + FB_HDR;
	memcpy(f, "REMB", 4);
	f[4] = r->ssrc_count;
	f[5] = (uint8_t)(exp << 2 | (mantissa >> 16));
	wr16(f + 6, (uint16_t)mantissa);
	for (unsigned i = 0; i < r->ssrc_count; i++)
		wr32(f + 8 + 4 * i, r->ssrcs[i]);
	struct rtcp_fb fb = {.sender_ssrc = r->sender_ssrc, .media_ssrc = 0}; /* REMB §2.2: media SSRC 0 */
	return fb_write(out, cap, RTCP_PT_PSFB, RTCP_FMT_AFB, &fb, fci);
}

int rtcp_fb_set_media_ssrc(uint8_t *pkt, size_t len, uint32_t ssrc)
{
	if (len < FB_HDR)
		return RTCP_ERR_TRUNCATED;
	if (pkt[1] != RTCP_PT_RTPFB && pkt[1] != RTCP_PT_PSFB)
		return RTCP_ERR_TYPE;
	wr32(pkt + 8, ssrc);
	return RTCP_OK;
}

int rtcp_fir_rewrite_ssrc(uint8_t *pkt, size_t len, uint32_t from, uint32_t to)
{
	if (len < FB_HDR)
		return RTCP_ERR_TRUNCATED;
	if (pkt[1] != RTCP_PT_PSFB || (pkt[0] & 0x1f) != RTCP_FMT_FIR)
		return RTCP_ERR_TYPE;
	int n = 0;
	for (size_t o = FB_HDR; o + 8 <= len; o += 8) {
		if (rd32(pkt + o) == from) {
			wr32(pkt + o, to);
			n++;
		}
	}
	return n;
}
