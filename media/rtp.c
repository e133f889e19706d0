/* rtp.c: RTP fixed header and RFC 8285 extension parser, serializer, in-place rewriting and seq tracking. */
#include "media/rtp.h"

#include "media/bytes.h"

#include <string.h>

/*
 * RFC 3550 §5.1 RTP fixed header:
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 3550 §5.3.1 header extension (if X):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |      defined by profile       |           length              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        header extension                       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * RFC 8285 §4.2 one-byte element (profile 0xBEDE): | ID (4) | L (4) = len-1 | data (L+1 bytes) |
 * RFC 8285 §4.3 two-byte element (profile 0x100X): | ID (8) | L (8) = len | data (L bytes) |
 * Zero bytes between elements are padding.
 */

#define RTP_SEQ_MOD 65536u

bool rtp_is_rtp(const uint8_t *buf, size_t len)
{
	/* RFC 7983 §7: 128..191 is RTP/RTCP; RFC 5761 §4: PT 64..95 (with marker: 192..223) is RTCP. */
	if (len < RTP_HEADER_MIN || buf[0] < 128 || buf[0] > 191)
		return false;
	return !(buf[1] >= 192 && buf[1] <= 223);
}

static int ext_add(struct rtp_header *h, uint8_t id, uint8_t len, unsigned pad, const uint8_t *val)
{
	if (h->ext_count >= RTP_EXT_MAX)
		return RTP_ERR_EXT;
	struct rtp_ext_elem *e = &h->ext[h->ext_count++];
	e->id = id;
	e->len = len;
	e->pad_before = (uint8_t)pad;
	e->val = val;
	return RTP_OK;
}

/* Walk RFC 8285 elements in d[0..n). Unrecognised content ends the walk; the rest is kept as opaque tail. */
static int ext_parse_elems(struct rtp_header *h, const uint8_t *d, size_t n, bool two_byte)
{
	size_t i = 0;
	unsigned pad = 0;
	while (i < n) {
		if (d[i] == 0) { /* RFC 8285 §4.2/§4.3: padding byte */
			i++;
			if (++pad > 255) { /* cannot be represented in pad_before: keep the rest opaque */
				h->ext_tail = d + i - pad;
				h->ext_tail_len = n - i + pad;
				return RTP_OK;
			}
			continue;
		}
		uint8_t id, len;
		size_t hdr = two_byte ? 2 : 1;
		if (two_byte) {
			if (i + 2 > n) /* RFC 8285 §4.3: element header past the end */
				return RTP_ERR_EXT;
			id = d[i], len = d[i + 1];
		} else {
			id = d[i] >> 4, len = (uint8_t)((d[i] & 0x0f) + 1);
			if (id == 0 || id == 15) { /* RFC 8285 §4.2: id 15 stops processing; id 0 must be all-zero */
				h->ext_tail = d + i - pad, h->ext_tail_len = n - i + pad;
				return RTP_OK;
			}
		}
		if (i + hdr + len > n) /* RFC 8285 §4.2/§4.3: element data past the extension */
			return RTP_ERR_EXT;
		if (ext_add(h, id, len, pad, d + i + hdr) != RTP_OK)
			return RTP_ERR_EXT;
		pad = 0;
		i += hdr + len;
	}
	return RTP_OK;
}

static int ext_parse(struct rtp_header *h, const uint8_t *buf, size_t len, size_t off)
{
	if (off + 4 > len) /* RFC 3550 §5.3.1: extension header past the end */
		return RTP_ERR_EXT;
	h->ext_profile = rd16(buf + off);
	h->ext_words = rd16(buf + off + 2);
	size_t n = (size_t)h->ext_words * 4;
	if (off + 4 + n > len) /* RFC 3550 §5.3.1: extension length past the end */
		return RTP_ERR_EXT;
	const uint8_t *d = buf + off + 4;
	h->header_len = off + 4 + n;
	if (h->ext_profile == RTP_EXT_PROFILE_ONE_BYTE)
		return ext_parse_elems(h, d, n, false);
	if ((h->ext_profile & 0xfff0) == RTP_EXT_PROFILE_TWO_BYTE)
		return ext_parse_elems(h, d, n, true);
	h->ext_tail = d; /* other profiles: opaque */
	h->ext_tail_len = n;
	return RTP_OK;
}

static int padding_parse(struct rtp_header *h, const uint8_t *buf, size_t len)
{
	size_t body = len - h->header_len;
	h->padding_len = 0;
	h->pad = NULL;
	if (h->padding) {
		/* RFC 3550 §5.1: last octet counts padding octets including itself. */
		if (body == 0 || buf[len - 1] == 0 || buf[len - 1] > body)
			return RTP_ERR_PADDING;
		h->padding_len = buf[len - 1];
		h->pad = buf + len - h->padding_len;
	}
	h->payload = buf + h->header_len;
	h->payload_len = body - h->padding_len;
	return RTP_OK;
}

int rtp_header_parse(struct rtp_header *h, const uint8_t *buf, size_t len)
{
	/* The element array is only valid up to ext_count: skip zeroing it (per-packet cost). */
	memset(h, 0, offsetof(struct rtp_header, ext));
	h->ext_tail = NULL;
	h->ext_tail_len = 0;
	h->payload = h->pad = NULL;
	h->header_len = h->payload_len = h->padding_len = 0;
	if (len < RTP_HEADER_MIN) /* RFC 3550 §5.1: 12-octet fixed header */
		return RTP_ERR_TRUNCATED;
	h->version = buf[0] >> 6;
	if (h->version != 2) /* RFC 3550 §5.1: V=2 */
		return RTP_ERR_VERSION;
	h->padding = buf[0] & 0x20;
	h->extension = buf[0] & 0x10;
	h->csrc_count = buf[0] & 0x0f;
	h->marker = buf[1] & 0x80;
	h->pt = buf[1] & 0x7f;
	h->seq = rd16(buf + 2);
	h->ts = rd32(buf + 4);
	h->ssrc = rd32(buf + 8);
	size_t off = RTP_HEADER_MIN + (size_t)h->csrc_count * 4;
	if (off > len) /* RFC 3550 §5.1: CC CSRC items follow the fixed header */
		return RTP_ERR_CSRC;
	for (unsigned i = 0; i < h->csrc_count; i++)
		h->csrc[i] = rd32(buf + RTP_HEADER_MIN + 4 * i);
	h->header_len = off;
	if (h->extension) {
		int rc = ext_parse(h, buf, len, off);
		if (rc != RTP_OK)
			return rc;
	}
	return padding_parse(h, buf, len);
}

const uint8_t *rtp_header_ext_find(const struct rtp_header *h, uint8_t id, size_t *len)
{
	if (!h->extension)
		return NULL;
	for (unsigned i = 0; i < h->ext_count; i++) {
		if (h->ext[i].id == id) {
			if (len)
				*len = h->ext[i].len;
			return h->ext[i].val;
		}
	}
	return NULL;
}

/* Bytes used by elements and tail; validates element shapes for the profile. */
static int ext_used(const struct rtp_header *h, bool two_byte, size_t *used)
{
	size_t n = 0;
	for (unsigned i = 0; i < h->ext_count && i < RTP_EXT_MAX; i++) {
		const struct rtp_ext_elem *e = &h->ext[i];
		if (two_byte ? e->id == 0 : (e->id == 0 || e->id >= 15 || e->len < 1 || e->len > 16))
			return RTP_ERR_EXT;
		n += e->pad_before + (two_byte ? 2u : 1u) + e->len;
	}
	*used = n + h->ext_tail_len;
	return RTP_OK;
}

static int ext_write(const struct rtp_header *h, uint8_t *out, size_t cap, size_t off)
{
	bool rfc8285 =
	    h->ext_profile == RTP_EXT_PROFILE_ONE_BYTE || (h->ext_profile & 0xfff0) == RTP_EXT_PROFILE_TWO_BYTE;
	bool two_byte = h->ext_profile != RTP_EXT_PROFILE_ONE_BYTE;
	size_t used = h->ext_tail_len;
	if (rfc8285 && ext_used(h, two_byte, &used) != RTP_OK)
		return RTP_ERR_EXT;
	size_t words = h->ext_words ? h->ext_words : (used + 3) / 4;
	if (words * 4 < used || words > 0xffff)
		return RTP_ERR_EXT;
	if (off + 4 + words * 4 > cap)
		return RTP_ERR_NOSPACE;
	wr16(out + off, h->ext_profile);
	wr16(out + off + 2, (uint16_t)words);
	uint8_t *d = out + off + 4;
	memset(d, 0, words * 4);
	for (unsigned i = 0; rfc8285 && i < h->ext_count; i++) {
		const struct rtp_ext_elem *e = &h->ext[i];
		d += e->pad_before;
		if (two_byte)
			*d++ = e->id, *d++ = e->len;
		else
			*d++ = (uint8_t)(e->id << 4 | (e->len - 1));
		if (e->len)
			memcpy(d, e->val, e->len);
		d += e->len;
	}
	if (h->ext_tail_len)
		memcpy(d, h->ext_tail, h->ext_tail_len);
	return (int)(off + 4 + words * 4);
}

int rtp_header_serialize(const struct rtp_header *h, uint8_t *out, size_t cap)
{
	if (h->csrc_count > RTP_MAX_CSRC || h->pt > 127 || (h->padding && h->padding_len == 0) || h->padding_len > 255)
		return RTP_ERR_ARG;
	size_t off = RTP_HEADER_MIN + (size_t)h->csrc_count * 4;
	if (off > cap)
		return RTP_ERR_NOSPACE;
	out[0] = (uint8_t)(2 << 6 | (h->padding ? 0x20 : 0) | (h->extension ? 0x10 : 0) | h->csrc_count);
	out[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->pt);
	wr16(out + 2, h->seq);
	wr32(out + 4, h->ts);
	wr32(out + 8, h->ssrc);
	for (unsigned i = 0; i < h->csrc_count; i++)
		wr32(out + RTP_HEADER_MIN + 4 * i, h->csrc[i]);
	if (h->extension) {
		int rc = ext_write(h, out, cap, off);
		if (rc < 0)
			return rc;
		off = (size_t)rc;
	}
	size_t pad = h->padding ? h->padding_len : 0;
	if (off + h->payload_len + pad > cap)
		return RTP_ERR_NOSPACE;
	if (h->payload_len)
		memcpy(out + off, h->payload, h->payload_len);
	off += h->payload_len;
	if (pad) {
		if (h->pad)
			memcpy(out + off, h->pad, pad);
		else
			memset(out + off, 0, pad);
		out[off + pad - 1] = (uint8_t)pad;
	}
	return (int)(off + pad);
}

void rtp_set_ssrc(uint8_t *pkt, uint32_t ssrc)
{
	wr32(pkt + 8, ssrc);
}
void rtp_set_seq(uint8_t *pkt, uint16_t seq)
{
	wr16(pkt + 2, seq);
}
void rtp_set_ts(uint8_t *pkt, uint32_t ts)
{
	wr32(pkt + 4, ts);
}
void rtp_set_pt(uint8_t *pkt, uint8_t pt)
{
	pkt[1] = (uint8_t)((pkt[1] & 0x80) | (pt & 0x7f));
}
void rtp_set_marker(uint8_t *pkt, bool marker)
{
	pkt[1] = (uint8_t)((pkt[1] & 0x7f) | (marker ? 0x80 : 0));
}

int rtp_header_ext_rewrite(const struct rtp_header *h, uint8_t *pkt, uint8_t id, const uint8_t *val, size_t len)
{
	size_t have;
	const uint8_t *p = rtp_header_ext_find(h, id, &have);
	if (!p)
		return RTP_ERR_NOT_FOUND;
	if (have != len || p < pkt || (size_t)(p - pkt) + len > h->header_len)
		return RTP_ERR_ARG;
	memmove(pkt + (p - pkt), val, len);
	return RTP_OK;
}

uint32_t rtp_seq_extend(uint32_t ref, uint16_t seq)
{
	int32_t d = rtp_seq_diff(seq, (uint16_t)ref);
	if (d < 0 && (uint32_t)-d > ref)
		return seq; /* before the first cycle */
	return ref + (uint32_t)d;
}

static void seq_reset(struct rtp_seq_state *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

void rtp_seq_init(struct rtp_seq_state *s, uint16_t seq)
{
	memset(s, 0, sizeof(*s));
	seq_reset(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = RTP_SEQ_MIN_SEQUENTIAL;
}

bool rtp_seq_update(struct rtp_seq_state *s, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	if (s->probation) { /* A.1: source is not valid until MIN_SEQUENTIAL packets in sequence */
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				seq_reset(s, seq);
				s->received++;
				return true;
			}
		} else {
			s->probation = RTP_SEQ_MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return false;
	}
	if (udelta < RTP_SEQ_MAX_DROPOUT) { /* in order, with permissible gap */
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - RTP_SEQ_MAX_MISORDER) { /* the sequence number made a very large jump */
		if (seq == s->bad_seq) {
			seq_reset(s, seq); /* two sequential packets: assume the other side restarted */
		} else {
			s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return false;
		}
	} /* else duplicate or reordered packet */
	s->received++;
	return true;
}

uint32_t rtp_seq_ext_max(const struct rtp_seq_state *s)
{
	return s->cycles + s->max_seq;
}

int32_t rtp_seq_cumulative_lost(const struct rtp_seq_state *s)
{
	int64_t expected = (int64_t)rtp_seq_ext_max(s) - s->base_seq + 1;
	int64_t lost = expected - s->received;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

uint8_t rtp_seq_fraction_lost(struct rtp_seq_state *s)
{
	uint32_t expected = rtp_seq_ext_max(s) - s->base_seq + 1;
	uint32_t expected_interval = expected - s->expected_prior;
	uint32_t received_interval = s->received - s->received_prior;
	s->expected_prior = expected;
	s->received_prior = s->received;
	int64_t lost_interval = (int64_t)expected_interval - received_interval;
	if (expected_interval == 0 || lost_interval <= 0)
		return 0;
	int64_t f = (lost_interval << 8) / expected_interval;
	return (uint8_t)(f > 255 ? 255 : f);
}

void rtp_seq_jitter_update(struct rtp_seq_state *s, uint32_t arrival, uint32_t ts)
{
	uint32_t transit = arrival - ts;
	if (!s->have_transit) {
		s->transit = transit;
		s->have_transit = true;
		return;
	}
	int32_t d = (int32_t)(transit - s->transit);
	s->transit = transit;
	uint32_t ad = d < 0 ? (uint32_t) - (int64_t)d : (uint32_t)d;
	s->jitter += ad - ((s->jitter + 8) >> 4); /* A.8: J += (|D| - J) / 16 */
}
