/* srtp_aead.h: SRTP and SRTCP with AEAD_AES_128_GCM (RFC 7714) on OpenSSL, written here: the media path's own profile, without libsrtp2. */
#ifndef SAMVAER_MEDIA_SRTP_AEAD_H
#define SAMVAER_MEDIA_SRTP_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   One direction of one peer's media under one master key and salt (media/srtp.h picks it for the GCM profile).
 *   Session keys come from the RFC 3711 §4.3 key derivation (AES-CM PRF, key derivation rate 0).
 *   Per SSRC it keeps the packet index (ROC || SEQ, RFC 3711 Appendix A) and a window of indices: inbound the
 *   replay window of SRTP_AEAD_RTP_WINDOW (SRTCP has its own, SRTP_AEAD_RTCP_WINDOW; a stream is created only
 *   by a packet that authenticates), outbound the SRTP_AEAD_OUT_WINDOW indices last sent.
 * Outbound never uses an index twice (one index is one GCM IV): protect refuses, with SRTP_SESSION_ERR_REPLAY,
 *   an SRTP index already sent or SRTP_AEAD_OUT_WINDOW or more below the highest sent, and accepts any fresh
 *   one inside the window (the SFU forwards reordered packets). The ROC is estimated from the highest index sent,
 *   as a receiver does, so a sequence number more than 2^15 behind reads as the next ROC: a fresh index, but one
 *   that puts the stream ahead of what follows. Retransmissions are therefore sent as RFC 4588 RTX on their own
 *   SSRC, never by protecting an old packet again. SRTCP indices are counted here (0, 1, 2, ...) and cannot
 *   repeat; after 2^31 packets on one SSRC protect fails.
 * Wire (RFC 7714):
 *   SRTP   header (AAD) | ciphertext | tag (16)
 *   SRTCP  header + sender SSRC (8, AAD) | ciphertext | tag (16) | E=1 | SRTCP index (31 bits, AAD)
 *   IV     (00 00 | SSRC | ROC | SEQ) or (00 00 | SSRC | 00 00 | 0 | SRTCP index), XOR the session salt.
 * Errors are SRTP_SESSION_ERR_* (media/srtp.h). Nothing here allocates after srtp_aead_new; one thread uses one.
 */

#define SRTP_AEAD_TAG 16
#define SRTP_AEAD_MAX_STREAMS 48  /* SSRCs per direction: 7 senders x (audio, video, rtx) and RTCP, with room */
#define SRTP_AEAD_RTP_WINDOW 1024 /* inbound SRTP replay window, in packets (a power of two) */
#define SRTP_AEAD_OUT_WINDOW 128  /* outbound: indices sent, in packets (a power of two; libsrtp2 keeps 128) */
#define SRTP_AEAD_RTCP_WINDOW 128 /* inbound SRTCP replay window (a power of two) */

struct srtp_aead;

/* key: 16-byte master key; salt: 12-byte master salt. Returns 0, or SRTP_SESSION_ERR_INIT. */
int srtp_aead_new(struct srtp_aead **out, const uint8_t key[16], const uint8_t salt[12], bool outbound);
void srtp_aead_free(struct srtp_aead *a);
/* Shared internal, for tests: a session from a session key and salt used for both SRTP and SRTCP, without the key
 * derivation (RFC 7714 §16-17 test vectors give them so). */
int srtp_aead__new_session(struct srtp_aead **out, const uint8_t key[16], const uint8_t salt[12], bool outbound);
/* Staged prefetch of what the next protect or unprotect reads: depth 0 the session's head and first streams,
 * 1-2 its RTP cipher (aes_gcm_prefetch 0-1). Each depth only after the one before had time to arrive. */
void srtp_aead_prefetch(const struct srtp_aead *a, int depth);

/* In place, as media/srtp.h describes: protect needs cap >= *len + 16 (RTP) or *len + 20 (RTCP). */
int srtp_aead_protect_rtp(struct srtp_aead *a, uint8_t *buf, size_t *len, size_t cap);
int srtp_aead_unprotect_rtp(struct srtp_aead *a, uint8_t *buf, size_t *len);
int srtp_aead_protect_rtcp(struct srtp_aead *a, uint8_t *buf, size_t *len, size_t cap);
int srtp_aead_unprotect_rtcp(struct srtp_aead *a, uint8_t *buf, size_t *len);

#endif
