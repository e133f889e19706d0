/* sdp.h: SDP offer/answer codec (RFC 8866 syntax, JSEP RFC 8829 usage) and the ICE-lite server's answer. */
#ifndef SAMVAER_MEDIA_SDP_H
#define SAMVAER_MEDIA_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thread rules: pure functions over caller memory; no allocation, no locks, no globals.
 * struct sdp_session is large (~300 KB): allocate it (heap or static), never on a media worker's stack.
 *
 * Limits (beyond them parsing fails with SDP_ERR_LIMIT or SDP_ERR_TOO_LONG, never truncates silently): */
#define SDP_MAX_TOTAL 65536   /* whole description, bytes */
#define SDP_MAX_LINE 4096     /* one line, bytes (without CRLF) */
#define SDP_MAX_MEDIA 16      /* m-sections */
#define SDP_MAX_CODECS 64     /* payload types per m-line (Chromium offers 34 for recvonly video) */
#define SDP_MAX_EXTMAP 16     /* a=extmap per m-section */
#define SDP_MAX_SSRC 8        /* distinct a=ssrc per m-section */
#define SDP_MAX_SSRC_GROUPS 4 /* a=ssrc-group per m-section */
#define SDP_MAX_GROUP_SSRCS 4 /* SSRCs in one group */
#define SDP_MAX_CANDIDATES 16 /* a=candidate per m-section */
#define SDP_TOKEN_MAX 64      /* mids, msid ids, cname, origin fields (incl. NUL) */
#define SDP_ICE_MAX 257       /* ice-ufrag / ice-pwd, RFC 8839 §5.4: up to 256 chars */
#define SDP_FMTP_MAX 256      /* a=fmtp parameters */
#define SDP_URI_MAX 256       /* a=extmap URI */
#define SDP_ADDR_MAX 64       /* addresses, incl. mDNS host names */
#define SDP_HASH_MAX 64       /* fingerprint digest bytes (sha-512) */

/* Header-extension URIs the server handles (answer keeps only these). */
#define SDP_EXT_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define SDP_EXT_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define SDP_EXT_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

#define SDP_ERRORS(X)                                                                                 \
	X(SDP_OK, 0, "sdp: ok")                                                                       \
	X(SDP_ERR_ARG, -1, "sdp: invalid argument")                                                   \
	X(SDP_ERR_TOO_LONG, -2, "sdp: description longer than 64 KiB")                                \
	X(SDP_ERR_LINE_TOO_LONG, -3, "sdp: line longer than 4 KiB")                                   \
	X(SDP_ERR_SYNTAX, -4, "sdp: line is not <type>=<value> or holds control characters")          \
	X(SDP_ERR_VERSION, -5, "sdp: first line is not v=0")                                          \
	X(SDP_ERR_ORIGIN, -6, "sdp: missing or malformed o= line")                                    \
	X(SDP_ERR_SESSION_NAME, -7, "sdp: missing s= line")                                           \
	X(SDP_ERR_MEDIA, -8, "sdp: malformed m= line")                                                \
	X(SDP_ERR_ATTR, -9, "sdp: malformed attribute value")                                         \
	X(SDP_ERR_LIMIT, -10, "sdp: too many items or value too long for the documented limits")      \
	X(SDP_ERR_NOSPACE, -11, "sdp: output buffer too small")                                       \
	X(SDP_ERR_NO_RTCP_MUX, -12, "sdp: offer m-section without a=rtcp-mux (rtcp-mux is required)") \
	X(SDP_ERR_NO_FINGERPRINT, -13, "sdp: offer without a=fingerprint")                            \
	X(SDP_ERR_NO_ICE, -14, "sdp: offer without a=ice-ufrag/a=ice-pwd")                            \
	X(SDP_ERR_SETUP, -15, "sdp: offer a=setup must be actpass or active")                         \
	X(SDP_ERR_NO_BUNDLE, -16, "sdp: offer without a=group:BUNDLE (BUNDLE is required)")           \
	X(SDP_ERR_NO_MEDIA, -17, "sdp: no acceptable m-section (need Opus audio or VP8/H.264 video)") \
	X(SDP_ERR_CONNECTION, -18, "sdp: malformed c= line")                                          \
	X(SDP_ERR_MISMATCH, -19,                                                                      \
	  "sdp: answer does not match our offer (m-sections, mids, directions or payload types)")     \
	X(SDP_ERR_EXTMAP, -20,                                                                        \
	  "sdp: one a=extmap id names two extensions (or one extension two ids) within the BUNDLE group")

enum sdp_err {
#define SDP_X_ENUM(name, val, msg) name = val,
	SDP_ERRORS(SDP_X_ENUM)
#undef SDP_X_ENUM
};

enum sdp_kind { SDP_KIND_OTHER = 0, SDP_KIND_AUDIO, SDP_KIND_VIDEO, SDP_KIND_APPLICATION };
enum sdp_dir { SDP_DIR_NONE = 0, SDP_DIR_SENDRECV, SDP_DIR_SENDONLY, SDP_DIR_RECVONLY, SDP_DIR_INACTIVE };
enum sdp_setup { SDP_SETUP_NONE = 0, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE, SDP_SETUP_HOLDCONN };

/* RTCP feedback kinds kept (a=rtcp-fb, RFC 4585/5104); others are dropped at parse time. */
#define SDP_FB_NACK 0x01
#define SDP_FB_NACK_PLI 0x02
#define SDP_FB_CCM_FIR 0x04
#define SDP_FB_GOOG_REMB 0x08
#define SDP_FB_TRANSPORT_CC 0x10
#define SDP_FB_HANDLED (SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB)

struct sdp_codec {
	uint8_t pt; /* payload type from the m= line */
	bool has_rtpmap;
	char name[32];           /* encoding name as written: "opus", "VP8", "H264", "rtx", "red", "ulpfec" */
	uint32_t clock;          /* clock rate */
	uint8_t channels;        /* 0 if not given */
	char fmtp[SDP_FMTP_MAX]; /* a=fmtp parameters verbatim, "" if none */
	uint32_t fb;             /* SDP_FB_* */
};

struct sdp_extmap {
	uint16_t id;           /* 1..255 */
	enum sdp_dir dir;      /* NONE unless "/sendonly" etc. was given */
	char uri[SDP_URI_MAX]; /* extension attributes after the URI are dropped */
};

struct sdp_fingerprint {
	char alg[16]; /* "sha-256"; "" if absent */
	uint8_t hash[SDP_HASH_MAX];
	uint8_t len;
};

struct sdp_ssrc {
	uint32_t ssrc;
	char cname[SDP_TOKEN_MAX]; /* a=ssrc:<ssrc> cname:<cname>; other ssrc attributes dropped */
};

struct sdp_ssrc_group {
	char semantics[16]; /* "FID", "SIM", ... */
	uint32_t ssrcs[SDP_MAX_GROUP_SSRCS];
	uint8_t count;
};

/* a=candidate (RFC 8839 §5.1); extension attributes (generation, network-id, ...) are dropped. */
struct sdp_candidate {
	char foundation[33];
	uint16_t component;
	char transport[8]; /* "udp" / "tcp" as written */
	uint32_t priority;
	char addr[SDP_ADDR_MAX];
	uint16_t port;
	char type[8];             /* host, srflx, prflx, relay */
	char raddr[SDP_ADDR_MAX]; /* "" if absent */
	uint16_t rport;
};

/* ICE and DTLS parameters; at session level or per m-section (the m-section wins, see sdp_media_*()). */
struct sdp_transport {
	char ice_ufrag[SDP_ICE_MAX];
	char ice_pwd[SDP_ICE_MAX];
	bool ice_trickle; /* a=ice-options:trickle */
	struct sdp_fingerprint fingerprint;
	enum sdp_setup setup;
};

struct sdp_media {
	enum sdp_kind kind;
	char media[16];                /* "audio", "video", "application", ... as written */
	uint16_t port;                 /* 0 = rejected / bundle-only */
	char proto[32];                /* "UDP/TLS/RTP/SAVPF" */
	bool rtp;                      /* proto carries RTP: formats are payload types (codecs[]) */
	char fmt_other[SDP_TOKEN_MAX]; /* formats of a non-RTP proto, verbatim ("webrtc-datachannel") */
	uint8_t n_codecs;
	struct sdp_codec codecs[SDP_MAX_CODECS];
	char conn_addr[SDP_ADDR_MAX]; /* c= address, "" if none */
	bool conn_v6;
	char mid[SDP_TOKEN_MAX];
	enum sdp_dir dir;
	bool rtcp_mux, rtcp_rsize, bundle_only, end_of_candidates;
	struct sdp_transport tr;
	char msid_stream[SDP_TOKEN_MAX], msid_track[SDP_TOKEN_MAX]; /* a=msid */
	uint8_t n_extmaps, n_ssrcs, n_ssrc_groups, n_candidates;
	struct sdp_extmap extmaps[SDP_MAX_EXTMAP];
	struct sdp_ssrc ssrcs[SDP_MAX_SSRC];
	struct sdp_ssrc_group ssrc_groups[SDP_MAX_SSRC_GROUPS];
	struct sdp_candidate candidates[SDP_MAX_CANDIDATES];
};

struct sdp_session {
	char origin_user[SDP_TOKEN_MAX]; /* o= fields */
	char origin_sess_id[32], origin_sess_version[32];
	char origin_addr[SDP_ADDR_MAX];
	bool origin_v6;
	char name[SDP_TOKEN_MAX];     /* s= */
	char conn_addr[SDP_ADDR_MAX]; /* session c=, "" if none */
	bool conn_v6;
	bool ice_lite;
	struct sdp_transport tr; /* session-level ICE/DTLS attributes */
	bool has_bundle;         /* a=group:BUNDLE (first one) */
	uint8_t n_bundle;
	char bundle[SDP_MAX_MEDIA][SDP_TOKEN_MAX];
	uint8_t n_media;
	struct sdp_media media[SDP_MAX_MEDIA];
	unsigned err_line; /* parse failure: 1-based line number, 0 otherwise */
};

/* Parse text (need not be NUL-terminated). Returns SDP_OK or a negative sdp_err; *err gets the message. */
int sdp_session_parse(struct sdp_session *s, const char *text, size_t len, const char **err);
/* Write s as SDP with CRLF line ends, NUL-terminated. Returns the length or a negative sdp_err. */
int sdp_session_serialize(const struct sdp_session *s, char *buf, size_t cap);
const char *sdp_strerror(int code);

/* Effective ICE/DTLS values of an m-section (its own, else the session's). */
const char *sdp_media_ice_ufrag(const struct sdp_session *s, const struct sdp_media *m);
const char *sdp_media_ice_pwd(const struct sdp_session *s, const struct sdp_media *m);
const struct sdp_fingerprint *sdp_media_fingerprint(const struct sdp_session *s, const struct sdp_media *m);
enum sdp_setup sdp_media_setup(const struct sdp_session *s, const struct sdp_media *m);
/* Lookups inside an m-section; NULL / 0 when absent. */
const struct sdp_codec *sdp_media_codec(const struct sdp_media *m, uint8_t pt);
int sdp_media_extmap_id(const struct sdp_media *m, const char *uri);
/* Value of key in a fmtp string ("a=1;b=2"): copies into out, returns true if found and it fit. */
bool sdp_fmtp_get(const char *fmtp, const char *key, char *out, size_t out_len);

/* ---- the server's side of negotiation (sdp_answer.c): answers to browser offers, offers for SFU downstream ---- */

struct sdp_send_track {    /* what the server sends on one m-section */
	uint32_t ssrc;     /* 0: nothing to announce */
	uint32_t rtx_ssrc; /* 0: no RTX (video only) */
	const char *cname, *stream_id, *track_id;
};

enum sdp_video_pref { SDP_PREFER_VP8 = 0, SDP_PREFER_H264 = 1 };

struct sdp_answer_params {
	const char *ice_ufrag, *ice_pwd; /* ours (4..256 and 22..256 chars) */
	const uint8_t *dtls_sha256;      /* SHA-256 of our DTLS certificate, 32 bytes */
	const char *cand_ip;             /* host candidate address, IPv4 or IPv6 literal */
	uint16_t cand_port;              /* UDP port of our media worker */
	const char *session_id;          /* decimal, NULL: "1" */
	enum sdp_video_pref video_pref;
	const struct sdp_send_track *send; /* indexed by m-section index, may be NULL */
	size_t n_send;
	bool quiet_unsent; /* a section with no send track is answered recvonly / inactive */
};

/* Build the ICE-lite answer to offer into ans (see sdp_answer.c for the rules). Returns SDP_OK or an
 * SDP_ERR_NO_* code with *err set; rejected m-sections get port 0 and no error. */
int sdp_answer_build(struct sdp_session *ans, const struct sdp_session *offer, const struct sdp_answer_params *p,
		     const char **err);

/* Extension ids the server uses in its own offers. */
#define SDP_OFFER_EXTID_MID 1
#define SDP_OFFER_EXTID_ABS_SEND_TIME 2 /* video */
#define SDP_OFFER_EXTID_AUDIO_LEVEL 3   /* audio */

struct sdp_offer_section {
	enum sdp_kind kind;         /* SDP_KIND_AUDIO or SDP_KIND_VIDEO */
	const char *mid;            /* unique token, e.g. "0" */
	enum sdp_dir dir;           /* SENDONLY for SFU downstream; NONE is written as sendrecv */
	uint8_t pt;                 /* Opus, VP8 or H.264 payload type (96..127) */
	uint8_t rtx_pt;             /* video RTX payload type, 0: none */
	bool h264;                  /* video: H.264 constrained baseline, packetization-mode=1, instead of VP8 */
	struct sdp_send_track send; /* what we send here; ssrc 0: nothing announced */
};

/* Build the server's offer (ICE-lite, BUNDLE of all sections, rtcp-mux, a=setup:actpass, one host candidate).
 * Local transport comes from p (ICE, DTLS, candidate, session id; p->send and p->video_pref are unused).
 * session_version: decimal, bump it on each re-offer (RFC 8866 §5.2); NULL: "1". */
int sdp_offer_build(struct sdp_session *offer, const struct sdp_answer_params *p, const char *session_version,
		    const struct sdp_offer_section *sections, size_t n_sections, const char **err);
/* Check a peer's answer against the offer we sent (RFC 3264 §6/§7, RFC 8829 §5.10): same m-sections and mids,
 * compatible directions, only offered payload types, BUNDLE, rtcp-mux, ICE credentials, a fingerprint and
 * a=setup:active (the server is the DTLS server). Rejected sections (port 0) are fine. */
int sdp_answer_check(const struct sdp_session *offer, const struct sdp_session *answer, const char **err);

#endif
