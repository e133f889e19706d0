/* rtcp.h: RTCP compound iterator and packet types (RFC 3550 §6, RFC 4585 §6, RFC 5104 §4.3, REMB). */
#ifndef SAMVAER_MEDIA_RTCP_H
#define SAMVAER_MEDIA_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtp.h"

/* Thread rules: all functions work on caller memory; no allocation, no locks, no globals.
 * Builders return the number of bytes written or a negative enum rtcp_err. */

enum rtcp_pt {
	RTCP_PT_SR = 200,
	RTCP_PT_RR = 201,
	RTCP_PT_SDES = 202,
	RTCP_PT_BYE = 203,
	RTCP_PT_APP = 204,
	RTCP_PT_RTPFB = 205, /* RFC 4585 transport layer feedback */
	RTCP_PT_PSFB = 206,  /* RFC 4585 payload-specific feedback */
};
enum rtcp_fmt {
	RTCP_FMT_NACK = 1, /* RTPFB, RFC 4585 §6.2.1 */
	RTCP_FMT_PLI = 1,  /* PSFB, RFC 4585 §6.3.1 */
	RTCP_FMT_FIR = 4,  /* PSFB, RFC 5104 §4.3.1 */
	RTCP_FMT_AFB = 15, /* PSFB application layer feedback (REMB) */
};

enum rtcp_err {
	RTCP_OK = 0,
	RTCP_ERR_TRUNCATED = -1, /* shorter than a header or a declared structure */
	RTCP_ERR_VERSION = -2,   /* V != 2 */
	RTCP_ERR_LENGTH = -3,    /* length word points past the end of the compound packet */
	RTCP_ERR_PADDING = -4,   /* bad padding count, or padding not on the last packet */
	RTCP_ERR_TYPE = -5,      /* wrong packet type / FMT for this parser */
	RTCP_ERR_FORMAT = -6,    /* body malformed (counts, items, identifiers) */
	RTCP_ERR_NOSPACE = -7,   /* output buffer or output array too small */
	RTCP_ERR_ARG = -8,
};

#define RTCP_HEADER_LEN 4
#define RTCP_MAX_BLOCKS 31

/* RFC 7983 / RFC 5761 §4 demux: first byte 128..191 and second byte 192..223. */
bool rtcp_is_rtcp(const uint8_t *buf, size_t len);

/* One packet of a compound packet. off/len locate it in the iterated buffer (header included). */
struct rtcp_packet {
	uint8_t version;
	bool padding;
	uint8_t count; /* RC / SC / FMT field */
	uint8_t pt;
	size_t off, len;     /* whole packet, including padding */
	size_t padding_len;  /* 0 if P is clear */
	const uint8_t *data; /* == buf + off */
};

struct rtcp_iter {
	const uint8_t *buf;
	size_t len, off;
	int err; /* set when next() stopped on an error */
};

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 and fills p, 0 at the end, or a negative enum rtcp_err (then iteration stops). Packet types
 * are not checked: callers skip types they do not know. */
int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_packet *p);
/* Validate a whole compound packet (RFC 3550 §A.2 minus the SR/RR-first rule, which RFC 5506 relaxes). */
int rtcp_compound_validate(const uint8_t *buf, size_t len);

/* ---- SR / RR (RFC 3550 §6.4) ---- */
struct rtcp_report_block {
	uint32_t ssrc;
	uint8_t fraction_lost;
	int32_t cumulative_lost; /* 24-bit signed */
	uint32_t ext_highest_seq;
	uint32_t jitter;
	uint32_t lsr, dlsr; /* middle 32 bits of NTP; delay in 1/65536 s */
};
struct rtcp_sr {
	uint32_t ssrc;
	uint32_t ntp_sec, ntp_frac, rtp_ts, packet_count, octet_count;
	uint8_t block_count;
	struct rtcp_report_block blocks[RTCP_MAX_BLOCKS];
	size_t ext_len; /* profile-specific extension bytes after the blocks (RFC 3550 §6.4.1) */
};
struct rtcp_rr {
	uint32_t ssrc;
	uint8_t block_count;
	struct rtcp_report_block blocks[RTCP_MAX_BLOCKS];
	size_t ext_len;
};
int rtcp_sr_parse(const struct rtcp_packet *p, struct rtcp_sr *sr);
int rtcp_rr_parse(const struct rtcp_packet *p, struct rtcp_rr *rr);
int rtcp_sr_build(uint8_t *out, size_t cap, const struct rtcp_sr *sr);
int rtcp_rr_build(uint8_t *out, size_t cap, const struct rtcp_rr *rr);

/* Fill a report block for one received source (RFC 3550 §6.4.1, A.3, A.8). lsr = middle 32 bits of the
 * NTP timestamp of the last SR from that source (0 if none); sr_age_us = time since it arrived.
 * Advances the fraction-lost interval of s. */
void rtcp_report_block_from_stats(struct rtcp_report_block *rb, uint32_t ssrc, struct rtp_seq_state *s, uint32_t lsr,
				  uint64_t sr_age_us);

/* ---- SDES (RFC 3550 §6.5) and BYE (§6.6) ---- */
#define RTCP_SDES_CNAME 1
/* Validate all chunks; find the CNAME of the first chunk that has one. Returns RTCP_OK and sets
 * *ssrc, *cname, *len; or RTCP_ERR_FORMAT when none is present; or another error if malformed. */
int rtcp_sdes_find_cname(const struct rtcp_packet *p, uint32_t *ssrc, const uint8_t **cname, size_t *len);
/* Build a one-chunk SDES with a CNAME item (len 1..255). */
int rtcp_sdes_build_cname(uint8_t *out, size_t cap, uint32_t ssrc, const uint8_t *cname, size_t len);

struct rtcp_bye {
	uint8_t count;
	uint32_t ssrc[RTCP_MAX_BLOCKS];
	const uint8_t *reason; /* NULL if absent */
	uint8_t reason_len;
};
int rtcp_bye_parse(const struct rtcp_packet *p, struct rtcp_bye *bye);
int rtcp_bye_build(uint8_t *out, size_t cap, const struct rtcp_bye *bye);

/* ---- Feedback (RFC 4585 §6.1 common header: sender SSRC at +4, media SSRC at +8) ---- */
struct rtcp_fb {
	uint32_t sender_ssrc, media_ssrc;
};
/* Generic NACK: writes up to cap lost sequence numbers into seqs, sets *n; RTCP_ERR_NOSPACE if more. */
int rtcp_nack_parse(const struct rtcp_packet *p, struct rtcp_fb *fb, uint16_t *seqs, size_t cap, size_t *n);
/* Build from lost seqs in ascending (wrapping) order; a seq within 16 after the current PID joins its BLP. */
int rtcp_nack_build(uint8_t *out, size_t cap, const struct rtcp_fb *fb, const uint16_t *seqs, size_t n);
int rtcp_pli_parse(const struct rtcp_packet *p, struct rtcp_fb *fb);
int rtcp_pli_build(uint8_t *out, size_t cap, const struct rtcp_fb *fb);

struct rtcp_fir_entry {
	uint32_t ssrc;
	uint8_t seq_nr;
};
/* FIR (RFC 5104 §4.3.1): entries written to e (cap entries), *n set. */
int rtcp_fir_parse(const struct rtcp_packet *p, struct rtcp_fb *fb, struct rtcp_fir_entry *e, size_t cap, size_t *n);
int rtcp_fir_build(uint8_t *out, size_t cap, const struct rtcp_fb *fb, const struct rtcp_fir_entry *e, size_t n);

/* REMB (draft-alvestrand-rmcat-remb-03 §2.2). bitrate = mantissa << exp, in bits/s. */
struct rtcp_remb {
	uint32_t sender_ssrc;
	uint64_t bitrate;
	uint8_t ssrc_count;
	uint32_t ssrcs[255];
};
int rtcp_remb_parse(const struct rtcp_packet *p, struct rtcp_remb *r);
/* Encodes the bitrate with the smallest exponent that fits an 18-bit mantissa (rounding down). */
int rtcp_remb_build(uint8_t *out, size_t cap, const struct rtcp_remb *r);

/* ---- In-place rewriting of a packet span (pkt = buf + p.off, len = p.len) for forwarding ---- */
/* Sender SSRC (first word after the header) of SR, RR, RTPFB, PSFB, APP. */
int rtcp_set_sender_ssrc(uint8_t *pkt, size_t len, uint32_t ssrc);
/* Media source SSRC of RTPFB/PSFB (NACK, PLI). */
int rtcp_fb_set_media_ssrc(uint8_t *pkt, size_t len, uint32_t ssrc);
/* FIR: replace FCI entries whose SSRC is from with to. Returns the number replaced, or an error. */
int rtcp_fir_rewrite_ssrc(uint8_t *pkt, size_t len, uint32_t from, uint32_t to);

#endif
