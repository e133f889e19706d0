/* peer.h: the project's own WebRTC client peer (tests, load generator): offer, ICE-controlling, DTLS client, synthetic media. */
#ifndef SAMVAER_TESTS_PEER_H
#define SAMVAER_TESTS_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"
#include "media/transport.h"

/*
 * Model
 *   One peer = one non-blocking UDP socket + one transport in the ICE-controlling / DTLS-client role.
 *   peer_offer() writes a BUNDLE offer (Opus audio, VP8 video with RTX, rtcp-mux, a=setup:actpass) announcing
 *   the peer's SSRCs; peer_set_answer() takes the server's answer (ICE-lite host candidate, a=setup:passive).
 *   peer_poll() does everything due: receive and count, ICE checks, DTLS timers, and sending synthetic media
 *   (Opus-like 20 ms audio frames at 50 pps, VP8-like video packets at video_pps with a key frame every 3 s)
 *   and a sender report per sending stream every second.
 *   Test options: tone_hz sends real Opus (a sine); recv_sections adds recvonly audio + video pairs for further
 *   remote participants, and peer_reoffer() offers again on the same transport (same ICE credentials and DTLS
 *   fingerprint, more sections). track_streams keeps receive state per remote SSRC (struct peer_stream): what
 *   the answer announced for it (msid, mid), the MID header extension its packets carry, RTX (RFC 4588) counted
 *   against the original SSRC, and for audio the tone heard (media/peer_audio.h). hostile_nack sends, every
 *   20 ms, generic NACKs for every recent and future sequence number of every remote SSRC it knows.
 * Thread rules: a peer belongs to one thread; several peers may share one client dtls_ctx.
 */

/* Load generation: the peer hands its datagrams to this instead of sendto() (the caller batches them). */
typedef void (*peer_send_fn)(void *user, int fd, const uint8_t *buf, size_t len, const struct ice_addr *to);
/* Load generation: one delay sample, microseconds from the stamp a sender wrote to the receive time. */
typedef void (*peer_delay_fn)(void *user, int64_t delay_us);

struct peer_config {
	const char *bind_ip;          /* local address, e.g. "127.0.0.1" (port chosen by the kernel) */
	struct dtls_ctx *dtls;        /* client-role ctx to share (with the cert it was built from), or */
	const struct dtls_cert *cert; /* both NULL: the peer makes its own cert and ctx */
	bool send_audio, send_video;
	unsigned video_pps;  /* 0: 100 */
	unsigned video_size; /* payload bytes per video packet, 0: 1000, at most 1188 */
	/* load generation (all optional) */
	peer_send_fn send;      /* NULL: sendto() per datagram */
	void *user;             /* for send and on_delay */
	bool offer_active;      /* offer a=setup:active instead of actpass (RFC 4145 §4; for SFUs that
                                        would otherwise pick the DTLS client role themselves) */
	bool rx_header_only;    /* peer_input(): count video RTP from its header, decrypt audio only */
	peer_delay_fn on_delay; /* peer_input(): per decrypted audio packet, from its send stamp */
	/* tests (all optional) */
	unsigned tone_hz;       /* 0: synthetic Opus-like frames; else real Opus of a sine at this frequency
                                        (mono, or stereo when the answer's fmtp says stereo=1) */
	unsigned recv_sections; /* extra recvonly audio + video pairs in the offer (at most PEER_RECV_MAX) */
	bool track_streams;     /* keep per-SSRC receive state (peer_streams_get) */
	bool send_mid;          /* put the MID header extension (RFC 8843 §15) in what we send, when
                                        the answer negotiated it */
	bool hostile_nack;      /* NACK every known remote SSRC every 20 ms: last seq -100..+300, or
                                        (ssrc >> 16) +-512 when nothing arrived yet (implies track_streams) */
	bool send_level; /* put an RFC 6464 audio level (the id our offer gives it) in every audio packet, as browsers
                                    do: the tone's level, or 127 (silence) for a replayed frame under 8 bytes */
	unsigned audio_loss_pct; /* drop this share of our audio packets before they leave (network loss) */
	bool audio_fec;          /* tone_hz: encode with Opus in-band FEC (for about 10 % loss) */
	bool real_video;         /* send_video: real VP8 of a moving picture at 15 fps (peer_video.h) */
	/* load generation: replay these Opus frames in turn instead of tone_hz (NULL: not used) */
	const uint8_t *const *audio_frames;
	const uint16_t *audio_frame_len;
	unsigned n_audio_frames;
};

#define PEER_RECV_MAX 7     /* 2 + 2 * 7 m-sections = SDP_MAX_MEDIA */
#define PEER_STREAMS_MAX 16 /* remote media SSRCs tracked */
#define PEER_TOKEN_MAX 64

/* One remote stream, keyed by its media SSRC (track_streams). */
struct peer_stream {
	uint32_t ssrc;
	bool video;                   /* kind: from the answer, else from the payload type */
	bool announced;               /* the last answer names this SSRC (a=ssrc) */
	uint64_t packets, bytes;      /* RTP on this SSRC (payload bytes) */
	uint64_t rtx, rtx_bytes;      /* RFC 4588 retransmissions of it (RTX payload type, its RTX SSRC) */
	uint64_t mid_packets;         /* packets that carried the MID header extension */
	uint64_t mid_changes;         /* times that MID differed from the one before */
	uint64_t decode_errors;       /* audio payloads libopus refused */
	uint16_t first_seq, last_seq; /* first and highest sequence number received */
	uint32_t rtx_ssrc;            /* from a=ssrc-group:FID (RTX on an SSRC no answer paired: rx_untracked) */
	char mid[PEER_TOKEN_MAX];     /* MID header extension of its last packet, "" if none */
	char sdp_mid[PEER_TOKEN_MAX]; /* mid of the answer section that announced it */
	char msid[PEER_TOKEN_MAX];    /* a=msid stream id of that section */
	char track[PEER_TOKEN_MAX];   /* a=msid track id */
	char cname[PEER_TOKEN_MAX];   /* a=ssrc cname */
	unsigned tone_hz;             /* audio: strongest frequency over the last second, 0: none */
	double tone_share;            /* its share of the energy, 0..1 */
};

struct peer_kind_stats {
	uint64_t tx, rx;    /* RTP packets sent / received (incl. retransmissions) */
	uint64_t lost;      /* expected - received (RFC 3550 A.3), from the receive sequence state */
	uint32_t last_ssrc; /* SSRC of the last packet received */
	uint32_t ssrc_changes;
};

struct peer_stats {
	struct peer_kind_stats audio, video;
	uint64_t rx_rtcp, rx_pli, rx_nack, rx_remb, rx_rr, rx_sr;
	uint32_t last_sr_ssrc; /* sender SSRC of the last SR received */
	uint64_t rx_bad;       /* datagrams the transport rejected */
	uint32_t last_remb_bps;
	uint64_t tx_nack;      /* NACK packets sent (hostile_nack) */
	uint64_t rx_untracked; /* RTP of remote SSRCs beyond PEER_STREAMS_MAX or of unknown payload type */
};

struct peer;

struct peer *peer_new(const struct peer_config *cfg, char *err, size_t errlen);
void peer_free(struct peer *p);
/* Writes the offer (NUL-terminated). Returns its length or a negative sdp_err. */
int peer_offer(struct peer *p, char *buf, size_t cap);
/* Takes the server's answer; starts ICE checks to its first host candidate. 0 or a negative error.
 * After peer_reoffer(): takes the answer to it, which must keep the transport (same ICE credentials and DTLS
 * fingerprint, same m-sections as offered); the transport runs on untouched. */
int peer_set_answer(struct peer *p, const char *sdp, size_t len, const char **err);
/* Re-offer on the same transport with recv_sections extra recvonly pairs (same SSRCs, session version + 1).
 * Returns the offer length or a negative sdp_err; the next peer_set_answer() takes the answer. */
int peer_reoffer(struct peer *p, unsigned recv_sections, char *buf, size_t cap);
/* Answerer role (an SFU that offers, e.g. a Janus subscriber): takes the remote offer, writes our answer
 * (full ICE, a=setup:active) to buf and starts ICE checks. Returns the answer length or a negative sdp_err. */
int peer_answer(struct peer *p, const char *offer, size_t len, char *buf, size_t cap, const char **err);
/* Receive everything pending, run timers, send media that is due. now_ms: monotonic milliseconds. */
void peer_poll(struct peer *p, int64_t now_ms);
/* Load generation: peer_poll() split in two, for callers that receive in batches themselves.
 * peer_input: one datagram read from peer_fd(); rx_us: its receive time (CLOCK_REALTIME microseconds, e.g.
 * from SO_TIMESTAMPNS), compared with the send stamp every media packet carries (CLOCK_REALTIME, payload
 * bytes 2..9). peer_tick: timers and media that is due, without reading the socket. */
void peer_input(struct peer *p, uint8_t *buf, size_t len, const struct ice_addr *from, int64_t now_ms, int64_t rx_us);
void peer_tick(struct peer *p, int64_t now_ms);
void peer_set_sending(struct peer *p, bool audio, bool video);
/* Feedback to the server about the video it receives (media SSRC = last received video SSRC). */
int peer_send_pli(struct peer *p);
int peer_send_nack(struct peer *p, uint16_t seq);
/* Highest video sequence number received (for NACK tests). */
uint16_t peer_last_video_seq(const struct peer *p);
void peer_stats_get(const struct peer *p, struct peer_stats *out);
/* track_streams: copies up to max remote streams (in order of first sight) with their tone analysed now.
 * Returns how many. */
size_t peer_streams_get(const struct peer *p, struct peer_stream *out, size_t max);
void peer_stats_reset(struct peer *p);
/* track_streams: the share (0..1) of the last second of the remote audio stream ssrc's energy at hz (a tone
 * in a mix of several), 0 for an unknown stream. */
double peer_stream_tone_share(const struct peer *p, uint32_t ssrc, unsigned hz);
enum transport_state peer_state(const struct peer *p);
int peer_fd(const struct peer *p);
uint32_t peer_ssrc(const struct peer *p, bool video);

#endif
