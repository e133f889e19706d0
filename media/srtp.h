/* srtp.h: SRTP/SRTCP sessions keyed from DTLS-SRTP exported keying material (RFC 5764): AES-GCM ours, AES-CM on libsrtp2. */
#ifndef SAMVAER_MEDIA_SRTP_H
#define SAMVAER_MEDIA_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Thread rules:
 *  - srtp_session_lib_init() initialises libsrtp once per process (pthread_once); it is also called by
 *    srtp_session_create, so callers need not call it, but the control thread may call it at start-up
 *    to surface an init failure early.
 *  - A session belongs to one media worker thread. libsrtp sessions are not thread-safe and are never
 *    shared between threads; create, use and destroy a session on the worker that owns the call
 *    (creation from the control thread before hand-off is fine if the hand-off is a queue with a
 *    memory barrier).
 *  - protect/unprotect allocate nothing for a known SSRC. GCM sessions (media/srtp_aead.h) never allocate
 *    after creation; on AES-CM the first packet of a new SSRC makes libsrtp clone its template stream (one
 *    allocation per SSRC, not per packet).
 */

enum srtp_session_profile {
	SRTP_SESSION_AES128_CM_SHA1_80 = 1, /* RFC 5764 SRTP_AES128_CM_HMAC_SHA1_80 (0x0001) */
	SRTP_SESSION_AEAD_AES_128_GCM = 7,  /* RFC 7714 SRTP_AEAD_AES_128_GCM (0x0007), preferred */
};

enum srtp_session_dir {
	SRTP_SESSION_INBOUND,  /* unprotect what the peer sent */
	SRTP_SESSION_OUTBOUND, /* protect what we send */
};

enum srtp_session_role {
	SRTP_SESSION_DTLS_CLIENT,
	SRTP_SESSION_DTLS_SERVER,
};

enum srtp_session_err {
	SRTP_SESSION_OK = 0,
	SRTP_SESSION_ERR_ARG = -1,     /* bad profile, direction or pointer */
	SRTP_SESSION_ERR_KEY_LEN = -2, /* keying material length does not match the profile */
	SRTP_SESSION_ERR_INIT = -3,    /* srtp_init, srtp_create or a cipher context failed */
	SRTP_SESSION_ERR_NOSPACE = -4, /* caller buffer has no room for the tag / SRTCP trailer */
	SRTP_SESSION_ERR_AUTH = -5,    /* authentication (tag) failure: tampered or wrong key */
	SRTP_SESSION_ERR_REPLAY = -6,  /* replayed or too old packet index */
	SRTP_SESSION_ERR_PARSE = -7,   /* too short or not a valid (S)RTP/(S)RTCP packet */
	SRTP_SESSION_ERR_FAIL = -8,    /* any other failure: cipher, index used up, no room for another SSRC */
};

/* Room the caller must leave after the packet: SRTP tag, or SRTCP E-flag/index plus tag (and MKI). */
#define SRTP_SESSION_RTP_OVERHEAD 16
#define SRTP_SESSION_RTCP_OVERHEAD 20
/* Bytes of exported keying material needed: 2 * (key + salt). */
#define SRTP_SESSION_KM_LEN_CM 60  /* 2 * (16 + 14) */
#define SRTP_SESSION_KM_LEN_GCM 56 /* 2 * (16 + 12) */
/* Index window in packets (libsrtp maximum is 2^15): inbound replay check, outbound reuse check. Large enough
 * for reordering and NACK retransmission delay. */
#define SRTP_SESSION_REPLAY_WINDOW 1024

struct srtp_ctx_t_;
struct srtp_aead;
struct srtp_session {
	struct srtp_ctx_t_ *ctx; /* AES128_CM_SHA1_80 (or GCM with SAMVAER_SRTP_GCM=libsrtp2): libsrtp2 */
	struct srtp_aead *aead;  /* AEAD_AES_128_GCM: media/srtp_aead.h */
	enum srtp_session_profile profile;
	enum srtp_session_dir dir;
};

/* Initialise libsrtp once. Returns SRTP_SESSION_OK or SRTP_SESSION_ERR_INIT. */
int srtp_session_lib_init(void);

/* True when AEAD_AES_128_GCM sessions are media/srtp_aead.h's (the default); false when the environment says
 * SAMVAER_SRTP_GCM=libsrtp2, which runs them on libsrtp2's own (NSS) GCM instead, to compare the two. */
bool srtp_session_gcm_own(void);
/* Keying material length for a profile, or 0 if unknown. */
size_t srtp_session_km_len(enum srtp_session_profile profile);

/* Create a session from RFC 5764 §4.2 material: client key | server key | client salt | server salt.
 * Inbound uses the peer's (write) key, outbound ours: a DTLS server sends with the server key. */
int srtp_session_create(struct srtp_session *s, enum srtp_session_profile profile, const uint8_t *km, size_t km_len,
			enum srtp_session_role role, enum srtp_session_dir dir);

/* Create from an explicit master key (16 bytes) and salt (14 bytes CM, 12 bytes GCM). */
int srtp_session_create_raw(struct srtp_session *s, enum srtp_session_profile profile, const uint8_t *key,
			    const uint8_t *salt, enum srtp_session_dir dir);

void srtp_session_destroy(struct srtp_session *s);
/* Staged prefetch of an AEAD session's per-packet state (srtp_aead_prefetch); nothing for libsrtp2 sessions. */
void srtp_session_prefetch(const struct srtp_session *s, int depth);

/* In place. *len is the packet length in and out; cap is the buffer size, which must be at least
 * *len + SRTP_SESSION_RTP_OVERHEAD (RTP) or *len + SRTP_SESSION_RTCP_OVERHEAD (RTCP) for protect. */
int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap);
int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len);
int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap);
int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len);

/* Static name of an error code, for logs. */
const char *srtp_session_strerror(int err);

#endif
