/* transport.h: one WebRTC peer connection (ICE + DTLS-SRTP + SRTP in/out), datagram demux per RFC 7983. */
#ifndef SAMVAER_MEDIA_TRANSPORT_H
#define SAMVAER_MEDIA_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "media/dtls.h"
#include "media/ice.h"

/*
 * Model
 *   A transport is an ice_agent + a dtls_transport + two SRTP sessions (inbound, outbound), like mediasoup's
 *   WebRtcTransport. The owner (a media worker, or media/peer) feeds it every datagram from its remote side
 *   (transport_recv) and drives its timers (transport_tick). Control traffic it emits (STUN replies, checks,
 *   DTLS flights) goes out through the send callback; media the owner protects in place and sends itself.
 *   Demux (RFC 7983): first byte 0..3 STUN, 20..63 DTLS, 128..191 RTP/RTCP (RFC 5761 by the second byte).
 *   RTP/RTCP is dropped until the state is CONNECTED and from any address but the selected one.
 * Thread rules: a transport belongs to one thread. transport_new/free allocate; recv/protect/tick do not
 * (except libsrtp cloning a stream the first time it sees an SSRC, and the index check below).
 * Keys: the DTLS-exported SRTP material is wiped (here and in the DTLS object) once both sessions are keyed.
 * Index check: with SAMVAER_SRTP_INDEX_CHECK=1 (or =abort) in the environment, every index a successful protect
 *   used is recorded per transport, (SSRC, SRTP or SRTCP, full index); a repeat logs "srtp: index reused ssrc=...
 *   index=..." to stderr, counts in transport_index_repeats(), and with =abort aborts. It watches the packets,
 *   not the SRTP code, so it also catches a session that would allow repeats. Memory: about 1 MiB per transport
 *   at most (older indices are then forgotten, see transport.c); exact for test-length runs.
 */

enum transport_state {
	TRANSPORT_NEW = 0,      /* waiting for ICE */
	TRANSPORT_DTLS,         /* ICE selected an address; DTLS handshake running */
	TRANSPORT_CONNECTED,    /* DTLS done, SRTP keyed: media flows */
	TRANSPORT_DISCONNECTED, /* consent freshness lost (RFC 7675) */
	TRANSPORT_FAILED,       /* DTLS failed (timeout, fingerprint, SRTP keying) */
	TRANSPORT_CLOSED,       /* transport_close called or close_notify received */
};

/* transport_recv results (>= 0), errors are negative. */
enum transport_rx {
	TRANSPORT_RX_CONSUMED = 0, /* STUN or DTLS: handled inside */
	TRANSPORT_RX_RTP = 1,      /* buf now holds the decrypted RTP packet, *len updated */
	TRANSPORT_RX_RTCP = 2,     /* buf now holds the decrypted RTCP compound packet */
};
#define TRANSPORT_ERR_DEMUX -1 /* first byte matches no protocol */
#define TRANSPORT_ERR_STATE -2 /* media before CONNECTED, or from an unselected address */
#define TRANSPORT_ERR_SRTP -3  /* unprotect failed (auth, replay, parse) */
#define TRANSPORT_ERR_STUN -4  /* STUN not for us / failed integrity */
#define TRANSPORT_ERR_DTLS -5  /* DTLS record dropped */
#define TRANSPORT_ERR_ARG -6

typedef void (*transport_send_fn)(void *user, const uint8_t *buf, size_t len, const struct ice_addr *to);
typedef void (*transport_state_fn)(void *user, enum transport_state st);

struct transport_params {
	struct dtls_ctx *dtls;  /* server ctx (ICE-lite side) or client ctx (controlling side) */
	enum ice_role ice_role; /* LITE: DTLS server; CONTROLLING: DTLS client */
	const char *local_ufrag, *local_pwd, *remote_ufrag, *remote_pwd;
	const char *remote_fingerprint;     /* SDP value "sha-256 AB:CD:..." */
	const struct ice_addr *remote_cand; /* controlling only */
	uint32_t consent_timeout_ms;        /* 0: ICE_CONSENT_TIMEOUT_MS */
	transport_send_fn send;             /* required */
	transport_state_fn on_state;        /* optional */
	void *user;
};

struct transport;

struct transport *transport_new(const struct transport_params *p);
void transport_free(struct transport *t);
/* Send close_notify and move to CLOSED. */
void transport_close(struct transport *t);

/* One received datagram (buf writable, *len in/out). Returns enum transport_rx or a TRANSPORT_ERR_*. */
int transport_recv(struct transport *t, uint8_t *buf, size_t *len, const struct ice_addr *from, int64_t now_ms);
/* Timers: ICE checks/consent, DTLS retransmission. */
void transport_tick(struct transport *t, int64_t now_ms);
/* Staged prefetch of what receiving (inbound) or protecting (outbound) the next packet reads: depth 0 the
 * transport, 1-3 its SRTP session (srtp_session_prefetch 0-2). The worker runs each depth over a whole batch
 * of datagrams before the next, so the cache misses of many legs overlap. No effect on results. */
void transport_prefetch(const struct transport *t, bool outbound, int depth);
/* Earliest time transport_tick has work (DTLS retransmit or controlling check), or -1. */
int64_t transport_next_timeout_ms(const struct transport *t, int64_t now_ms);

/* In place; cap >= *len + SRTP_SESSION_RTP_OVERHEAD / RTCP_OVERHEAD. 0 or TRANSPORT_ERR_STATE/_SRTP. */
int transport_protect_rtp(struct transport *t, uint8_t *buf, size_t *len, size_t cap);
int transport_protect_rtcp(struct transport *t, uint8_t *buf, size_t *len, size_t cap);

/* SRTP index check, for tests (see SAMVAER_SRTP_INDEX_CHECK in the model above): the number of repeats seen by
 * every transport of the process so far. */
unsigned long transport_index_repeats(void);
/* What transport_protect_rtp/_rtcp do after each packet they protect: record (SSRC, SRTP or SRTCP, index) for t;
 * true when that index was recorded before (then logged, counted, and with =abort fatal). Tests call it directly
 * to show the check works; false without the check. */
bool transport_index_record(struct transport *t, uint32_t ssrc, bool rtcp, uint64_t index);

enum transport_state transport_state(const struct transport *t);
const char *transport_state_name(enum transport_state s);
/* Selected remote address (NULL before ICE); *gen (may be NULL) changes whenever the address changes. */
const struct ice_addr *transport_remote(const struct transport *t, uint32_t *gen);
const char *transport_local_ufrag(const struct transport *t);
const char *transport_error(const struct transport *t); /* DTLS error text or "" */
void *transport_user(const struct transport *t);
const char *transport_srtp_profile(const struct transport *t); /* e.g. "SRTP_AEAD_AES_128_GCM", "" before keying */

#endif
