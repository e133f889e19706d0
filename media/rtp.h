/* rtp.h: RTP header view (RFC 3550 §5.1, RFC 8285 extensions), in-place rewriting, serializer and sequence tracking. */
#ifndef SAMVAER_MEDIA_RTP_H
#define SAMVAER_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thread rules: every function here works on caller memory only; no allocation, no locks, no globals. */

#define RTP_HEADER_MIN 12
#define RTP_MAX_CSRC 15
#define RTP_EXT_MAX 16                  /* extension elements indexed per packet; more is RTP_ERR_EXT */
#define RTP_EXT_PROFILE_ONE_BYTE 0xBEDE /* RFC 8285 §4.2 */
#define RTP_EXT_PROFILE_TWO_BYTE 0x1000 /* RFC 8285 §4.3: 0x100 in the top 12 bits, appbits below */

enum rtp_err {
	RTP_OK = 0,
	RTP_ERR_TRUNCATED = -1, /* shorter than the fixed header or than a declared length */
	RTP_ERR_VERSION = -2,   /* V != 2 */
	RTP_ERR_CSRC = -3,      /* CSRC list runs past the end */
	RTP_ERR_EXT = -4,       /* header extension malformed or runs past the end */
	RTP_ERR_PADDING = -5,   /* padding count zero or longer than the payload */
	RTP_ERR_NOSPACE = -6,   /* output buffer too small */
	RTP_ERR_NOT_FOUND = -7, /* no extension element with that id */
	RTP_ERR_ARG = -8,       /* invalid argument (e.g. value length differs from the element) */
};

/* One RFC 8285 element. val points into the parsed buffer (or the caller's data when building). */
struct rtp_ext_elem {
	uint8_t id;         /* 1..14 (one-byte form) or 1..255 (two-byte form) */
	uint8_t len;        /* value length in bytes: 1..16 one-byte, 0..255 two-byte */
	uint8_t pad_before; /* zero padding bytes that preceded this element (kept for exact re-serialization) */
	const uint8_t *val;
};

/* Parsed view of one RTP packet. Pointers refer to the buffer given to rtp_header_parse. */
struct rtp_header {
	uint8_t version;
	bool padding, extension, marker;
	uint8_t csrc_count;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	uint32_t csrc[RTP_MAX_CSRC];
	/* Header extension (only meaningful if extension). */
	uint16_t ext_profile; /* 0xBEDE, 0x100X, or any other profile (then opaque) */
	uint16_t ext_words;   /* length field: extension data in 32-bit words */
	uint8_t ext_count;
	struct rtp_ext_elem ext[RTP_EXT_MAX];
	const uint8_t *ext_tail; /* opaque bytes: after a one-byte id 15 stop, or a non-RFC 8285 profile */
	size_t ext_tail_len;
	/* Layout. */
	size_t header_len; /* fixed header + CSRCs + extension */
	const uint8_t *payload;
	size_t payload_len; /* excluding padding */
	const uint8_t *pad; /* padding bytes incl. the trailing count byte */
	size_t padding_len; /* 0 if no padding */
};

/* RFC 7983 / RFC 5761 demux: first byte 128..191 and second byte not 192..223 (RTCP PT 64..95 with M). */
bool rtp_is_rtp(const uint8_t *buf, size_t len);

/* Parse buf into h. Returns RTP_OK or a negative enum rtp_err. Never reads past buf+len. */
int rtp_header_parse(struct rtp_header *h, const uint8_t *buf, size_t len);

/* Find extension element id; returns its value pointer and sets *len, or NULL. */
const uint8_t *rtp_header_ext_find(const struct rtp_header *h, uint8_t id, size_t *len);

/* Serialize h (header, CSRCs, extension elements, tail, payload, padding) to out.
 * Returns bytes written or RTP_ERR_NOSPACE / RTP_ERR_EXT / RTP_ERR_ARG. For a freshly built header set
 * ext_words = 0 to have it computed; elements are written in order with pad_before zero bytes first. */
int rtp_header_serialize(const struct rtp_header *h, uint8_t *out, size_t cap);

/* In-place rewriting on a packet of at least RTP_HEADER_MIN bytes (SFU forwarding). */
void rtp_set_ssrc(uint8_t *pkt, uint32_t ssrc);
void rtp_set_seq(uint8_t *pkt, uint16_t seq);
void rtp_set_ts(uint8_t *pkt, uint32_t ts);
void rtp_set_pt(uint8_t *pkt, uint8_t pt);
void rtp_set_marker(uint8_t *pkt, bool marker);

/* Overwrite the value of extension element id in pkt (the buffer h was parsed from). len must equal the
 * element's length. Returns RTP_OK, RTP_ERR_NOT_FOUND or RTP_ERR_ARG. */
int rtp_header_ext_rewrite(const struct rtp_header *h, uint8_t *pkt, uint8_t id, const uint8_t *val, size_t len);

/* ---- Sequence numbers (RFC 3550 §A.1, A.3, A.8) ---- */

/* a - b in modular 16-bit space, in -32768..32767. */
static inline int16_t rtp_seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b);
}
/* true if a is newer than b, with wrap-around. */
static inline bool rtp_seq_newer(uint16_t a, uint16_t b)
{
	return rtp_seq_diff(a, b) > 0;
}
/* Extend a 16-bit seq to the 32-bit (ROC << 16 | seq) value closest to ref (e.g. highest seen). */
uint32_t rtp_seq_extend(uint32_t ref, uint16_t seq);

/* Per-source receive statistics (RFC 3550 A.1 source structure plus A.3 / A.8 state). */
struct rtp_seq_state {
	uint16_t max_seq;
	uint32_t cycles; /* shifted count of seq wraps (multiples of 65536) */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint32_t received;
	uint32_t expected_prior;
	uint32_t received_prior;
	uint32_t transit; /* last (arrival - rtp ts) in RTP clock units */
	uint32_t jitter;  /* scaled by 16 as in A.8 */
	bool have_transit;
};

#define RTP_SEQ_MIN_SEQUENTIAL 2
#define RTP_SEQ_MAX_DROPOUT 3000
#define RTP_SEQ_MAX_MISORDER 100

/* Start tracking at seq (A.1 init_seq) with probation for a new source. */
void rtp_seq_init(struct rtp_seq_state *s, uint16_t seq);
/* Account one packet (A.1 update_seq). Returns true if the packet is valid and was counted. */
bool rtp_seq_update(struct rtp_seq_state *s, uint16_t seq);
/* Extended highest sequence number received. */
uint32_t rtp_seq_ext_max(const struct rtp_seq_state *s);
/* Cumulative packets lost (A.3), clamped to the 24-bit signed range of a report block. */
int32_t rtp_seq_cumulative_lost(const struct rtp_seq_state *s);
/* Fraction lost since the previous call, in 1/256 (A.3). Advances the interval. */
uint8_t rtp_seq_fraction_lost(struct rtp_seq_state *s);
/* Interarrival jitter (A.8): arrival in RTP clock units, ts from the packet. */
void rtp_seq_jitter_update(struct rtp_seq_state *s, uint32_t arrival, uint32_t ts);
/* Jitter in RTP clock units as carried in a report block. */
static inline uint32_t rtp_seq_jitter(const struct rtp_seq_state *s)
{
	return s->jitter >> 4;
}

#endif
