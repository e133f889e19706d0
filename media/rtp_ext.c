/* rtp_ext.c: per-receiver translation of RFC 8285 header extensions (ids remapped, MID replaced, others removed). */
#include "media/rtp_ext.h"

#include "media/bytes.h"

#include <stdbool.h>
#include <string.h>

#include "media/rtp.h"

/*
 * RFC 3550 §5.3.1 header extension, RFC 8285 §4.2 one-byte form (profile 0xBEDE):
 *  0                   1                   2                   3
 * |      0xBE     |      0xDE     |           length (words)      |
 * |  ID   |  L    |  data (L+1 bytes) ... | 0 (padding) | ID | L | ...
 * ID 0 is a padding byte, ID 15 stops parsing. §4.3 two-byte form (profile 0x100x): | ID | L | data (L bytes) |.
 */

#define FIXED 12
#define ONE_BYTE_PROFILE 0xBEDE
#define TWO_BYTE_MASK 0xFFF0
#define TWO_BYTE_PROFILE 0x1000

/* The extension type of sender id, or -1. */
static int type_of(const struct rtp_extmap *m, unsigned id)
{
	for (int t = 0; t < RTP_EXT_TYPES; t++)
		if (m->id[t] && m->id[t] == id)
			return t;
	return -1;
}

/* Append one element in one-byte form; false when it does not fit. */
static int put_elem(uint8_t *out, size_t cap, size_t *at, unsigned id, const uint8_t *val, size_t len)
{
	if (id < 1 || id > 14 || len < 1 || len > 16) /* cannot be said in the one-byte form: skipped */
		return RTP_OK;
	if (*at + 1 + len > cap)
		return RTP_ERR_NOSPACE;
	out[(*at)++] = (uint8_t)(id << 4 | (len - 1));
	memcpy(out + *at, val, len);
	*at += len;
	return RTP_OK;
}

/* Copy the elements of the sender's block (d, n bytes) that the receiver keeps, MID excepted, each type once. */
static int copy_elems(uint8_t *out, size_t cap, size_t *at, const uint8_t *d, size_t n, bool two_byte,
		      const struct rtp_extmap *from, const struct rtp_extmap *to)
{
	size_t i = 0, hdr = two_byte ? 2 : 1;
	bool done[RTP_EXT_TYPES] = {false};
	while (i < n) {
		if (d[i] == 0) { /* padding (§4.2, §4.3) */
			i++;
			continue;
		}
		unsigned id = two_byte ? d[i] : (unsigned)(d[i] >> 4);
		if (!two_byte && id == 15) /* §4.2: stop */
			break;
		if (i + hdr > n)
			return RTP_ERR_EXT;
		size_t len = two_byte ? d[i + 1] : (size_t)(d[i] & 0x0f) + 1;
		if (i + hdr + len > n)
			return RTP_ERR_EXT;
		int t = type_of(from, id);
		if (t > RTP_EXT_MID && to->id[t] && !done[t]) {
			int rc = put_elem(out, cap, at, to->id[t], d + i + hdr, len);
			if (rc)
				return rc;
			done[t] = true;
		}
		i += hdr + len;
	}
	return RTP_OK;
}

int rtp_ext_translate(uint8_t *out, size_t cap, const uint8_t *in, size_t len, const struct rtp_extmap *from,
		      const struct rtp_extmap *to, const uint8_t *mid, size_t mid_len, size_t *payload_off)
{
	if (len < FIXED)
		return RTP_ERR_TRUNCATED;
	if (in[0] >> 6 != 2)
		return RTP_ERR_VERSION;
	size_t hdr = FIXED + 4u * (in[0] & 0x0f), body = hdr; /* body: where the sender's payload starts */
	if (hdr > len)
		return RTP_ERR_CSRC;
	const uint8_t *ext = NULL;
	size_t ext_n = 0;
	uint16_t profile = 0;
	if (in[0] & 0x10) {
		if (hdr + 4 > len)
			return RTP_ERR_EXT;
		profile = rd16(in + hdr);
		ext_n = (size_t)rd16(in + hdr + 2) * 4;
		if (hdr + 4 + ext_n > len)
			return RTP_ERR_EXT;
		ext = in + hdr + 4;
		body = hdr + 4 + ext_n;
	}
	if (cap < hdr + 4)
		return RTP_ERR_NOSPACE;
	memcpy(out, in, hdr);
	size_t at = hdr + 4;
	int rc = RTP_OK;
	if (to->id[RTP_EXT_MID] && mid_len)
		rc = put_elem(out, cap, &at, to->id[RTP_EXT_MID], mid, mid_len);
	if (rc == RTP_OK && ext && profile == ONE_BYTE_PROFILE)
		rc = copy_elems(out, cap, &at, ext, ext_n, false, from, to);
	else if (rc == RTP_OK && ext && (profile & TWO_BYTE_MASK) == TWO_BYTE_PROFILE)
		rc = copy_elems(out, cap, &at, ext, ext_n, true, from, to);
	if (rc)
		return rc;
	size_t n = at - (hdr + 4);
	if (n == 0) { /* nothing to carry: no extension at all */
		out[0] &= (uint8_t)~0x10;
		at = hdr;
	} else {
		while (n % 4) { /* §4.2: pad the block to whole words */
			if (at >= cap)
				return RTP_ERR_NOSPACE;
			out[at++] = 0, n++;
		}
		out[0] |= 0x10;
		out[hdr] = ONE_BYTE_PROFILE >> 8, out[hdr + 1] = ONE_BYTE_PROFILE & 0xff;
		out[hdr + 2] = (uint8_t)(n / 4 >> 8), out[hdr + 3] = (uint8_t)(n / 4);
	}
	if (at + (len - body) > cap)
		return RTP_ERR_NOSPACE;
	memcpy(out + at, in + body, len - body);
	*payload_off = at;
	return (int)(at + len - body);
}
