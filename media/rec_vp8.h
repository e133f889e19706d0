/* rec_vp8.h: VP8 frames from RTP payloads (RFC 7741), for recording without transcoding. */
#ifndef SAMVAER_MEDIA_REC_VP8_H
#define SAMVAER_MEDIA_REC_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thread rules: one assembler per stream, used by one thread; no globals, no locks. */

#define REC_VP8_FRAME_MAX (1u << 20) /* larger frames are dropped (a 1080p keyframe is far below this) */

enum rec_vp8_err {
	REC_VP8_OK = 0,
	REC_VP8_MORE = 1,           /* packet taken; the frame is not complete yet */
	REC_VP8_ERR_TRUNCATED = -1, /* the payload descriptor runs past the end, or no VP8 data follows it */
	REC_VP8_ERR_TOO_LARGE = -2, /* the frame would exceed REC_VP8_FRAME_MAX */
	REC_VP8_ERR_DROPPED = -3,   /* a packet of this frame was lost: the frame is dropped */
	REC_VP8_ERR_NEED_KEY = -4,  /* waiting for a keyframe (after a loss or at the start) */
	REC_VP8_ERR_NO_MEMORY = -5,
};

/* What the payload descriptor (RFC 7741 §4.2) says; data points at the VP8 bytes after it. */
struct rec_vp8_desc {
	bool start;        /* S: first packet of a partition */
	uint8_t partition; /* PID */
	bool has_picture_id;
	uint16_t picture_id;
	const uint8_t *data;
	size_t len;
};

/* Parse the descriptor at the front of an RTP payload. Returns REC_VP8_OK or an error. Never reads past len. */
int rec_vp8_parse(struct rec_vp8_desc *d, const uint8_t *payload, size_t len);

/* A complete frame as rec_vp8_push hands it out; data stays valid until the next push. */
struct rec_vp8_frame {
	const uint8_t *data;
	size_t len;
	uint32_t rtp_ts;
	bool keyframe;
	uint16_t width, height; /* from a keyframe's header; 0 on inter frames */
};

struct rec_vp8 {
	uint8_t *buf;
	size_t len, cap;
	uint32_t ts;
	uint16_t next_seq;
	bool in_frame, broken, have_key, have_seq;
	uint64_t frames, dropped;
};

void rec_vp8_init(struct rec_vp8 *a);
void rec_vp8_free(struct rec_vp8 *a);

/* Take one RTP packet's payload in sequence order (seq, ts, marker from the RTP header). Returns REC_VP8_OK with
 * *out filled when a frame completed, REC_VP8_MORE when more packets are needed, or an error (the packet is not
 * used; after a loss the assembler waits for the next keyframe). */
int rec_vp8_push(struct rec_vp8 *a, uint16_t seq, uint32_t ts, bool marker, const uint8_t *payload, size_t len,
		 struct rec_vp8_frame *out);

/* Width and height from a VP8 keyframe header (RFC 6386 §9.1); false when data is not a keyframe. */
bool rec_vp8_keyframe_size(const uint8_t *data, size_t len, uint16_t *width, uint16_t *height);

#endif
