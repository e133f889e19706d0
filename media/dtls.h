/* dtls.h: DTLS 1.2 transport for DTLS-SRTP (RFC 5763/5764) on OpenSSL 3, sans-I/O, one object per peer connection. */
#ifndef SAMVAER_MEDIA_DTLS_H
#define SAMVAER_MEDIA_DTLS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   struct dtls_cert       one ECDSA P-256 self-signed certificate per process (CN "samvaer", ~30 days).
 *   struct dtls_ctx        one per role (server: a=setup:passive, client: the test peer / load generator);
 *                     wraps an SSL_CTX with use_srtp, shares the cert; read-only once built, so the
 *                     media workers can share it.
 *   struct dtls_transport  one per peer connection, owned by one worker thread. The caller feeds it the
 *                     datagrams it received (dtls_feed) and it hands back datagrams to send through
 *                     the send callback, one call per UDP datagram (<= DTLS_MTU bytes). Retransmission
 *                     timers are driven by the caller: dtls_next_timeout_ms / dtls_handle_timeout.
 *
 * Authentication is the SDP a=fingerprint: any peer certificate is accepted during the handshake,
 * then its digest is compared (constant time) with the remote fingerprint; mismatch -> FAILED.
 *
 * Callbacks run synchronously inside dtls_start / dtls_feed / dtls_handle_timeout / dtls_close.
 * They must not free the transport.
 */

#define DTLS_MTU 1200            /* max bytes of one emitted datagram (DTLS records, no IP/UDP) */
#define DTLS_FINGERPRINT_MAX 200 /* fits "sha-512 " + 64*3 hex/colon + NUL */
#define DTLS_DIGEST_MAX 64       /* SHA-512 */
#define DTLS_SRTP_KEY_MAX 32     /* AES-256 master key */
#define DTLS_SRTP_SALT_MAX 14    /* AES-CM master salt (GCM uses 12) */
#define DTLS_SRTP_MASTER_MAX (DTLS_SRTP_KEY_MAX + DTLS_SRTP_SALT_MAX)
#define DTLS_SRTP_MATERIAL_MAX (2 * DTLS_SRTP_MASTER_MAX)
#define DTLS_MAX_RETRANSMITS_DEFAULT 5
#define DTLS_SRTP_PROFILES_DEFAULT "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80" /* GCM preferred */

enum dtls_role {
	DTLS_ROLE_CLIENT = 0, /* a=setup:active: sends the ClientHello */
	DTLS_ROLE_SERVER = 1, /* a=setup:passive: waits for the ClientHello */
};

enum dtls_state {
	DTLS_STATE_NEW = 0,    /* created, nothing sent or received */
	DTLS_STATE_CONNECTING, /* handshake in progress (or done, awaiting the remote fingerprint) */
	DTLS_STATE_CONNECTED,  /* handshake done, fingerprint verified, SRTP keys available */
	DTLS_STATE_FAILED,     /* handshake error, timeout or fingerprint mismatch (see dtls_error) */
	DTLS_STATE_CLOSED,     /* close_notify sent or received */
};

/* SRTP protection profile ids, RFC 5764 §4.1.2 and RFC 7714 §14.2. */
enum dtls_srtp_profile {
	DTLS_SRTP_NONE = 0x0000,
	DTLS_SRTP_AES128_CM_SHA1_80 = 0x0001,
	DTLS_SRTP_AES128_CM_SHA1_32 = 0x0002,
	DTLS_SRTP_AEAD_AES_128_GCM = 0x0007,
	DTLS_SRTP_AEAD_AES_256_GCM = 0x0008,
};

/* Return codes (0 = ok). */
enum {
	DTLS_OK = 0,
	DTLS_ERR_ARG = -1,         /* bad argument (NULL, bad fingerprint string, unknown profile) */
	DTLS_ERR_NOT_DTLS = -2,    /* datagram is not DTLS (RFC 7983 first byte not 20..63, or < 13 bytes) */
	DTLS_ERR_STATE = -3,       /* operation not allowed in this state (dropped) */
	DTLS_ERR_SSL = -4,         /* OpenSSL error; the transport is now FAILED */
	DTLS_ERR_FINGERPRINT = -5, /* peer certificate does not match the remote fingerprint; FAILED */
	DTLS_ERR_NOMEM = -6,
	DTLS_ERR_DROPPED = -7, /* malformed record dropped before OpenSSL saw it; state unchanged */
};

struct dtls_cert;
struct dtls_ctx;
struct dtls_transport;

/* A parsed SDP a=fingerprint value (RFC 8122 §5): hash function + digest bytes. */
struct dtls_fingerprint {
	char hash[16];                   /* lower-case SDP hash name: "sha-256", "sha-1", "sha-384", "sha-512" */
	uint8_t digest[DTLS_DIGEST_MAX]; /* raw digest of the DER certificate */
	size_t len;                      /* digest length in bytes */
};

/* Keying material of one connection (RFC 5764 §4.2), ready for two libsrtp2 sessions. */
struct dtls_srtp_keys {
	enum dtls_srtp_profile profile;              /* negotiated protection profile */
	const char *profile_name;                    /* OpenSSL name, e.g. "SRTP_AEAD_AES_128_GCM" (static string) */
	size_t key_len;                              /* master key bytes: 16 (AES-128) or 32 (AES-256) */
	size_t salt_len;                             /* master salt bytes: 14 (AES-CM) or 12 (AEAD GCM, RFC 7714) */
	uint8_t material[DTLS_SRTP_MATERIAL_MAX];    /* client_key | server_key | client_salt | server_salt */
	size_t material_len;                         /* 2 * (key_len + salt_len) */
	int local_is_client;                         /* 1: local half is the client_* half (we are DTLS client) */
	uint8_t local_master[DTLS_SRTP_MASTER_MAX];  /* our write key || salt: protect what we send */
	uint8_t remote_master[DTLS_SRTP_MASTER_MAX]; /* peer's write key || salt: unprotect what we receive */
	size_t master_len;                           /* key_len + salt_len */
};

/* Transport callbacks; `user` is passed back unchanged. */
struct dtls_callbacks {
	void (*send)(void *user, const uint8_t *buf, size_t len); /* required: one datagram to send */
	void (*state)(void *user, enum dtls_state state);         /* optional: state changed */
	void *user;
};

/* ---- certificate and fingerprints (dtls_cert.c) ---- */

/* Generates the process certificate (ECDSA P-256, random serial, CN "samvaer", 30 days). */
int dtls_cert_generate(struct dtls_cert **out, char *err, size_t errlen);
void dtls_cert_free(struct dtls_cert *cert);
/* SDP form of the certificate's SHA-256 fingerprint: "sha-256 AB:CD:...". Valid while cert lives. */
const char *dtls_cert_fingerprint(const struct dtls_cert *cert);

/* Parses an SDP fingerprint ("sha-256 AB:CD:..."); hex is case-insensitive. */
int dtls_fingerprint_parse(struct dtls_fingerprint *out, const char *sdp_value);

/* ---- contexts and transports (dtls.c) ---- */

/* profiles: OpenSSL use_srtp list, NULL = DTLS_SRTP_PROFILES_DEFAULT. The cert must outlive the ctx. */
struct dtls_ctx *dtls_ctx_new(const struct dtls_cert *cert, enum dtls_role role, const char *profiles, char *err,
			      size_t errlen);
/* First retransmission timeout (default 1000 ms, RFC 6347 §4.2.4.1, min 20 ms); doubles up to 60 s. */
void dtls_ctx_set_initial_timeout_ms(struct dtls_ctx *ctx, unsigned ms);
/* Retransmissions of one flight before the handshake fails (default DTLS_MAX_RETRANSMITS_DEFAULT:
 * with the 1 s initial timeout, FAILED 63 s after the last progress). */
void dtls_ctx_set_max_retransmits(struct dtls_ctx *ctx, unsigned n);
void dtls_ctx_free(struct dtls_ctx *ctx); /* after all its transports are freed */

/* remote_fingerprint: SDP value, or NULL to set it later with dtls_set_remote_fingerprint. */
struct dtls_transport *dtls_transport_new(struct dtls_ctx *ctx, const char *remote_fingerprint,
					  const struct dtls_callbacks *cb);
void dtls_transport_free(struct dtls_transport *t); /* no close_notify: call dtls_close first for a clean close */

/* Sets/replaces the remote fingerprint; if the handshake already finished, verifies now. */
int dtls_set_remote_fingerprint(struct dtls_transport *t, const char *sdp_value);

/* NEW -> CONNECTING. The client sends its ClientHello; the server just starts waiting. */
int dtls_start(struct dtls_transport *t);

/* RFC 7983 demultiplexing: first byte in [20, 63] is DTLS. */
int dtls_is_dtls(const uint8_t *buf, size_t len);

/* Feeds one received datagram. Starts a NEW transport implicitly. Returns DTLS_OK or a DTLS_ERR_*;
 * garbage and stray records are dropped with an error code and never break a connected session. */
int dtls_feed(struct dtls_transport *t, const uint8_t *buf, size_t len);

/* Absolute time (same clock as now_ms) when dtls_handle_timeout should run, or -1 if no timer. */
int64_t dtls_next_timeout_ms(const struct dtls_transport *t, int64_t now_ms);
/* Retransmits the last flight if the timer expired; fails the transport after too many timeouts. */
int dtls_handle_timeout(struct dtls_transport *t);

/* Sends close_notify (if the session got that far) and moves to CLOSED. */
int dtls_close(struct dtls_transport *t);

enum dtls_state dtls_state(const struct dtls_transport *t);
enum dtls_role dtls_role(const struct dtls_transport *t);
const char *dtls_state_name(enum dtls_state s);
/* Last error as a stable "dtls: ..." message ("" if none). */
const char *dtls_error(const struct dtls_transport *t);
/* Copies the SRTP keys; DTLS_ERR_STATE unless CONNECTED. */
int dtls_srtp_keys_get(const struct dtls_transport *t, struct dtls_srtp_keys *out);
/* Wipe the connection's copy of the keys once the SRTP sessions hold them (OPENSSL_cleanse); dtls_srtp_keys_get
 * refuses afterwards. For media/transport.c. */
void dtls__srtp_keys_wipe(struct dtls_transport *t);

/* ---- shared internals between dtls.c and dtls_cert.c; not for other modules ---- */
struct ssl_ctx_st;
struct x509_st;
int dtls__cert_install(const struct dtls_cert *cert, struct ssl_ctx_st *ssl_ctx);
int dtls__fingerprint_match(const struct dtls_fingerprint *fp, struct x509_st *peer);

#endif
