/* rec_vp8.c: VP8 frame assembly from RTP payloads (RFC 7741) for the call recorder: the payload descriptor parser,
 * frames joined by timestamp up to the marker bit, and a loss drops frames until the next keyframe. */
#include "media/rec_vp8.h"

#include <stdlib.h>
#include <string.h>

int rec_vp8_parse(struct rec_vp8_desc *d, const uint8_t *p, size_t len)
{
	size_t off = 1;
	memset(d, 0, sizeof(*d));
	if (len < 1)
		return REC_VP8_ERR_TRUNCATED;
	d->start = (p[0] & 0x10) != 0;
	d->partition = p[0] & 0x07;
	if (p[0] & 0x80) { /* X: the extension byte I L T K follows */
		if (len < 2)
			return REC_VP8_ERR_TRUNCATED;
		uint8_t ext = p[1];
		off = 2;
		if (ext & 0x80) { /* I: PictureID, 7 or 15 bits (M) */
			if (off >= len)
				return REC_VP8_ERR_TRUNCATED;
			d->has_picture_id = true;
			if (p[off] & 0x80) {
				if (off + 1 >= len)
					return REC_VP8_ERR_TRUNCATED;
				d->picture_id = (uint16_t)(((p[off] & 0x7f) << 8) | p[off + 1]);
				off += 2;
			} else {
				d->picture_id = p[off] & 0x7f;
				off += 1;
			}
		}
		if (ext & 0x40) /* L: TL0PICIDX */
			off += 1;
		if (ext & 0x30) /* T or K: TID / Y / KEYIDX */
			off += 1;
	}
	if (off >= len)
		return REC_VP8_ERR_TRUNCATED;
	d->data = p + off;
	d->len = len - off;
	return REC_VP8_OK;
}

bool rec_vp8_keyframe_size(const uint8_t *f, size_t len, uint16_t *width, uint16_t *height)
{
	/* RFC 6386 §9.1: a 3-byte frame tag (bit 0 clear on keyframes), the start code 9d 01 2a, then 14-bit width
	 * and height, little-endian, each with 2 bits of scaling on top. */
	if (len < 10 || (f[0] & 1) || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a)
		return false;
	*width = (uint16_t)((f[6] | (f[7] << 8)) & 0x3fff);
	*height = (uint16_t)((f[8] | (f[9] << 8)) & 0x3fff);
	return *width && *height;
}

void rec_vp8_init(struct rec_vp8 *a)
{
	memset(a, 0, sizeof(*a));
}

void rec_vp8_free(struct rec_vp8 *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

static int drop_frame(struct rec_vp8 *a, int err)
{
	if (a->in_frame)
		a->dropped++;
	a->in_frame = false;
	a->len = 0;
	if (err == REC_VP8_ERR_DROPPED)
		a->have_key = false;
	return err;
}

static int append(struct rec_vp8 *a, const uint8_t *data, size_t len)
{
	if (a->len + len > REC_VP8_FRAME_MAX)
		return REC_VP8_ERR_TOO_LARGE;
	if (a->len + len > a->cap) {
		size_t cap = a->cap ? a->cap : 16384;
		while (cap < a->len + len)
			cap *= 2;
		uint8_t *b = realloc(a->buf, cap);
		if (!b)
			return REC_VP8_ERR_NO_MEMORY;
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, data, len);
	a->len += len;
	return REC_VP8_OK;
}

int rec_vp8_push(struct rec_vp8 *a, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload, size_t len,
		 struct rec_vp8_frame *out)
{
	struct rec_vp8_desc d;
	int rc = rec_vp8_parse(&d, payload, len);
	if (rc != REC_VP8_OK)
		return rc;
	bool lost = a->have_seq && seq != a->next_seq;
	a->have_seq = true;
	a->next_seq = (uint16_t)(seq + 1);
	if (lost && a->in_frame)
		drop_frame(a, REC_VP8_ERR_DROPPED);
	if (lost)
		a->have_key = false;
	if (d.start && d.partition == 0) {
		if (a->in_frame) /* the previous frame never saw its marker */
			drop_frame(a, REC_VP8_ERR_DROPPED);
		a->in_frame = true;
		a->ts = ts;
		a->len = 0;
	} else if (!a->in_frame || ts != a->ts) {
		return drop_frame(a, REC_VP8_ERR_DROPPED);
	}
	rc = append(a, d.data, d.len);
	if (rc != REC_VP8_OK)
		return drop_frame(a, rc);
	if (!marker)
		return REC_VP8_MORE;
	a->in_frame = false;
	memset(out, 0, sizeof(*out));
	out->keyframe = !(a->buf[0] & 1);
	if (out->keyframe && !rec_vp8_keyframe_size(a->buf, a->len, &out->width, &out->height))
		return drop_frame(a, REC_VP8_ERR_TRUNCATED);
	if (!out->keyframe && !a->have_key) {
		a->dropped++;
		return REC_VP8_ERR_NEED_KEY;
	}
	a->have_key = true;
	a->frames++;
	out->data = a->buf;
	out->len = a->len;
	out->rtp_ts = a->ts;
	return REC_VP8_OK;
}
