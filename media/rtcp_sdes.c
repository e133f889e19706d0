/* rtcp_sdes.c: RTCP SDES (CNAME lookup and build) and BYE packets, RFC 3550 §6.5 and §6.6. */
#include "media/rtcp.h"

#include "media/bytes.h"

#include <string.h>

/*
 * RFC 3550 §6.5 SDES:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|    SC   |  PT=SDES=202  |             length            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |                          SSRC/CSRC_1                          | chunk 1
 * |                           SDES items ...                      |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * item: | type (8) | length (8) | text (length octets) |; a chunk's item list ends with one or more
 * null octets, up to the next 32-bit boundary.
 *
 * RFC 3550 §6.6 BYE:
 * |V=2|P|    SC   |   PT=BYE=203  |             length            |
 * |                           SSRC/CSRC  (SC times)               |
 * |     length    |               reason for leaving ...   (opt)  |
 */

static void put_header(uint8_t *out, uint8_t count, uint8_t pt, size_t len)
{
	out[0] = (uint8_t)(0x80 | count);
	out[1] = pt;
	out[2] = (uint8_t)((len / 4 - 1) >> 8);
	out[3] = (uint8_t)(len / 4 - 1);
}

/* Walk the items of one chunk starting at *off; records the first CNAME. */
static int sdes_chunk(const uint8_t *d, size_t body, size_t *off, const uint8_t **cname, size_t *clen)
{
	size_t o = *off;
	for (;;) {
		if (o >= body) /* RFC 3550 §6.5: item list must end with a null octet */
			return RTCP_ERR_FORMAT;
		uint8_t type = d[o];
		if (type == 0)
			break;
		if (o + 2 > body || o + 2 + d[o + 1] > body) /* RFC 3550 §6.5: item length past the end */
			return RTCP_ERR_TRUNCATED;
		if (type == RTCP_SDES_CNAME && !*cname) {
			*cname = d + o + 2;
			*clen = d[o + 1];
		}
		o += 2 + d[o + 1];
	}
	o = (o + 4) & ~(size_t)3; /* null octet(s) up to the next 32-bit boundary */
	if (o > body)
		return RTCP_ERR_TRUNCATED;
	*off = o;
	return RTCP_OK;
}

int rtcp_sdes_find_cname(const struct rtcp_packet *p, uint32_t *ssrc, const uint8_t **cname, size_t *len)
{
	if (p->pt != RTCP_PT_SDES)
		return RTCP_ERR_TYPE;
	size_t body = p->len - p->padding_len, off = RTCP_HEADER_LEN;
	bool found = false;
	*cname = NULL;
	for (unsigned i = 0; i < p->count; i++) {
		if (off + 4 > body) /* RFC 3550 §6.5: SC chunks must fit */
			return RTCP_ERR_TRUNCATED;
		uint32_t s = rd32(p->data + off);
		off += 4;
		const uint8_t *c = NULL;
		size_t clen = 0;
		int rc = sdes_chunk(p->data, body, &off, &c, &clen);
		if (rc != RTCP_OK)
			return rc;
		if (c && !found) {
			found = true;
			*ssrc = s, *cname = c, *len = clen;
		}
	}
	return found ? RTCP_OK : RTCP_ERR_FORMAT;
}

int rtcp_sdes_build_cname(uint8_t *out, size_t cap, uint32_t ssrc, const uint8_t *cname, size_t len)
{
	if (len == 0 || len > 255)
		return RTCP_ERR_ARG;
	size_t total = (8 + 2 + len + 1 + 3) & ~(size_t)3;
	if (total > cap)
		return RTCP_ERR_NOSPACE;
	memset(out, 0, total);
	put_header(out, 1, RTCP_PT_SDES, total);
	wr32(out + 4, ssrc);
	out[8] = RTCP_SDES_CNAME;
	out[9] = (uint8_t)len;
	memcpy(out + 10, cname, len);
	return (int)total;
}

int rtcp_bye_parse(const struct rtcp_packet *p, struct rtcp_bye *bye)
{
	if (p->pt != RTCP_PT_BYE)
		return RTCP_ERR_TYPE;
	size_t body = p->len - p->padding_len;
	size_t off = RTCP_HEADER_LEN + (size_t)p->count * 4;
	if (off > body) /* RFC 3550 §6.6: SC SSRCs must fit */
		return RTCP_ERR_TRUNCATED;
	bye->count = p->count;
	for (unsigned i = 0; i < p->count; i++)
		bye->ssrc[i] = rd32(p->data + RTCP_HEADER_LEN + 4 * i);
	bye->reason = NULL;
	bye->reason_len = 0;
	if (off < body) {
		if (off + 1 + p->data[off] > body) /* RFC 3550 §6.6: reason length past the end */
			return RTCP_ERR_TRUNCATED;
		bye->reason_len = p->data[off];
		bye->reason = p->data + off + 1;
	}
	return RTCP_OK;
}

int rtcp_bye_build(uint8_t *out, size_t cap, const struct rtcp_bye *bye)
{
	if (bye->count > RTCP_MAX_BLOCKS)
		return RTCP_ERR_ARG;
	size_t off = RTCP_HEADER_LEN + (size_t)bye->count * 4;
	size_t total = off + (bye->reason ? ((1 + (size_t)bye->reason_len + 3) & ~(size_t)3) : 0);
	if (total > cap)
		return RTCP_ERR_NOSPACE;
	memset(out, 0, total);
	put_header(out, bye->count, RTCP_PT_BYE, total);
	for (unsigned i = 0; i < bye->count; i++)
		wr32(out + RTCP_HEADER_LEN + 4 * i, bye->ssrc[i]);
	if (bye->reason) {
		out[off] = bye->reason_len;
		memcpy(out + off + 1, bye->reason, bye->reason_len);
	}
	return (int)total;
}
