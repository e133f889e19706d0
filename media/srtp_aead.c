/* srtp_aead.c: RFC 7714 AEAD_AES_128_GCM SRTP/SRTCP over media/aes_gcm: key derivation, per-SSRC index and replay state, in-place (un)protect. */
#include "media/srtp_aead.h"

#include "media/bytes.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "media/aes_gcm.h"
#include "media/srtp.h"

#define KEY_LEN 16
#define SALT_LEN 12
#define IV_LEN 12
#define RTP_HDR 12 /* fixed RTP header: V P X CC | M PT | SEQ | TS | SSRC */
#define RTCP_HDR 8 /* RTCP header + sender SSRC: authenticated, not encrypted */
#define ESRTCP 4   /* E flag | 31-bit SRTCP index */
#define E_FLAG 0x80000000u
#define INDEX_MAX UINT64_C(0xffffffffffff) /* 48-bit SRTP packet index: ROC (32) || SEQ (16) */
#define RTCP_INDEX_MAX 0x7fffffffu

/* RFC 3711 §4.3.1 labels. */
enum { LABEL_RTP_KEY = 0, LABEL_RTP_SALT = 2, LABEL_RTCP_KEY = 3, LABEL_RTCP_SALT = 5 };

struct stream {
	uint64_t top;             /* highest SRTP index seen (inbound: authenticated; outbound: sent) */
	uint32_t rtcp_top;        /* inbound: highest SRTCP index; outbound: next SRTCP index to use */
	bool have_rtp, have_rtcp; /* top / rtcp_top hold a value */
	uint64_t out_seen[SRTP_AEAD_OUT_WINDOW / 64];   /* outbound: bit (index mod window) set = sent; beside top,
							   so the packet path touches one cache line of the stream */
	uint64_t rtp_seen[SRTP_AEAD_RTP_WINDOW / 64];   /* inbound: bit (index mod window) set = received */
	uint64_t rtcp_seen[SRTP_AEAD_RTCP_WINDOW / 64]; /* inbound only: outbound SRTCP indices only count up */
};

struct srtp_aead {
	/* allocated by this */
	struct aes_gcm *rtp, *rtcp; /* AES-128-GCM keyed with the session keys, one direction */
	/* others */
	uint8_t rtp_salt[SALT_LEN], rtcp_salt[SALT_LEN];
	unsigned n;                           /* streams in use */
	uint32_t ssrc[SRTP_AEAD_MAX_STREAMS]; /* compact, for the lookup */
	struct stream st[SRTP_AEAD_MAX_STREAMS];
};

void srtp_aead_prefetch(const struct srtp_aead *a, int depth)
{
	if (depth == 0) {
		for (size_t off = 0; off < offsetof(struct srtp_aead, st); off += 64)
			__builtin_prefetch((const char *)a + off);
		__builtin_prefetch(&a->st[0]);
		__builtin_prefetch(&a->st[1]);
	} else if (a->rtp) {
		aes_gcm_prefetch(a->rtp, depth - 1);
	}
}

/* Big-endian fields, as the other media codecs read them (each keeps its own static copy). */

/* ---- keys ---- */

/* RFC 3711 §4.3.1 with kdr = 0: AES-CM keystream under the master key from IV = (salt XOR label << 48) * 2^16.
 * The 96-bit GCM salt is the high 96 bits of the 112-bit x, its low 16 bits zero (RFC 7714 §11, as libsrtp2). */
static int derive(const uint8_t key[KEY_LEN], const uint8_t salt[SALT_LEN], uint8_t label, uint8_t *out, int n)
{
	uint8_t iv[16] = {0}, zero[KEY_LEN] = {0}; /* n <= KEY_LEN */
	int done = 0;
	memcpy(iv, salt, SALT_LEN);
	iv[7] ^= label;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) &&
	    EVP_EncryptUpdate(c, out, &done, zero, n) && done == n;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* A session from session keys and salts (derived, or given by a test vector). */
static int make(struct srtp_aead **out, const uint8_t rtp_key[KEY_LEN], const uint8_t rtp_salt[SALT_LEN],
		const uint8_t rtcp_key[KEY_LEN], const uint8_t rtcp_salt[SALT_LEN], bool outbound)
{
	struct srtp_aead *a = calloc(1, sizeof *a);
	*out = NULL;
	if (!a)
		return SRTP_SESSION_ERR_INIT;
	memcpy(a->rtp_salt, rtp_salt, SALT_LEN);
	memcpy(a->rtcp_salt, rtcp_salt, SALT_LEN);
	a->rtp = aes_gcm_new(rtp_key, outbound, AES_GCM_AUTO);
	a->rtcp = aes_gcm_new(rtcp_key, outbound, AES_GCM_AUTO);
	if (!a->rtp || !a->rtcp) {
		srtp_aead_free(a);
		return SRTP_SESSION_ERR_INIT;
	}
	*out = a;
	return SRTP_SESSION_OK;
}

int srtp_aead_new(struct srtp_aead **out, const uint8_t key[16], const uint8_t salt[12], bool outbound)
{
	uint8_t rtp_key[KEY_LEN], rtcp_key[KEY_LEN], rtp_salt[SALT_LEN], rtcp_salt[SALT_LEN];
	int rc = SRTP_SESSION_ERR_INIT;
	*out = NULL;
	if (!derive(key, salt, LABEL_RTP_KEY, rtp_key, KEY_LEN) &&
	    !derive(key, salt, LABEL_RTP_SALT, rtp_salt, SALT_LEN) &&
	    !derive(key, salt, LABEL_RTCP_KEY, rtcp_key, KEY_LEN) &&
	    !derive(key, salt, LABEL_RTCP_SALT, rtcp_salt, SALT_LEN))
		rc = make(out, rtp_key, rtp_salt, rtcp_key, rtcp_salt, outbound);
	OPENSSL_cleanse(rtp_key, sizeof rtp_key);
	OPENSSL_cleanse(rtcp_key, sizeof rtcp_key);
	OPENSSL_cleanse(rtp_salt, sizeof rtp_salt);
	OPENSSL_cleanse(rtcp_salt, sizeof rtcp_salt);
	return rc;
}

int srtp_aead__new_session(struct srtp_aead **out, const uint8_t key[16], const uint8_t salt[12], bool outbound)
{
	return make(out, key, salt, key, salt, outbound);
}

void srtp_aead_free(struct srtp_aead *a)
{
	if (!a)
		return;
	aes_gcm_free(a->rtp);
	aes_gcm_free(a->rtcp);
	OPENSSL_cleanse(a, sizeof *a);
	free(a);
}

/* ---- streams and indices ---- */

static int stream_find(const struct srtp_aead *a, uint32_t ssrc)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->ssrc[i] == ssrc)
			return (int)i;
	return -1;
}

/* The stream for ssrc, made if new (outbound, or inbound once a packet has authenticated); NULL when full. */
static struct stream *stream_get(struct srtp_aead *a, uint32_t ssrc)
{
	int i = stream_find(a, ssrc);
	if (i >= 0)
		return &a->st[i];
	if (a->n == SRTP_AEAD_MAX_STREAMS)
		return NULL;
	a->ssrc[a->n] = ssrc;
	memset(&a->st[a->n], 0, sizeof a->st[a->n]);
	return &a->st[a->n++];
}

/* RFC 3711 Appendix A: the index of seq nearest the highest index so far. -1: before index 0 or past 2^48. */
static int64_t estimate_index(const struct stream *s, uint16_t seq)
{
	if (!s || !s->have_rtp)
		return seq; /* a new stream starts with ROC 0 */
	uint32_t roc = (uint32_t)(s->top >> 16), sl = (uint32_t)(s->top & 0xffff);
	int64_t v = roc;
	if (sl < 32768 && seq > sl + 32768)
		v = (int64_t)roc - 1;
	else if (sl >= 32768 && seq < sl - 32768)
		v = (int64_t)roc + 1;
	int64_t idx = v * 65536 + seq;
	return idx < 0 || (uint64_t)idx > INDEX_MAX ? -1 : idx;
}

/* Replay window, one bit per index modulo the window size, relative to top. */
static bool window_seen(const uint64_t *seen, unsigned size, bool have, uint64_t top, uint64_t idx)
{
	if (!have || idx > top)
		return false;
	if (top - idx >= size)
		return true; /* too old to judge: treated as a replay */
	unsigned b = (unsigned)(idx & (size - 1));
	return seen[b / 64] >> (b % 64) & 1;
}

static void window_add(uint64_t *seen, unsigned size, bool have, uint64_t *top, uint64_t idx)
{
	if (!have || idx > *top) {
		if (!have || idx - *top >= size)
			memset(seen, 0, size / 8);
		else
			for (uint64_t i = *top + 1; i < idx; i++) /* indices skipped over: not received */
				seen[(i & (size - 1)) / 64] &= ~(UINT64_C(1) << (i & (size - 1)) % 64);
		*top = idx;
	}
	unsigned b = (unsigned)(idx & (size - 1));
	seen[b / 64] |= UINT64_C(1) << (b % 64);
}

/* ---- AEAD ---- */

static void make_iv(uint8_t iv[IV_LEN], const uint8_t salt[SALT_LEN], uint32_t ssrc, uint32_t hi, uint32_t lo)
{
	iv[0] = iv[1] = 0;
	wr32(iv + 2, ssrc);
	wr32(iv + 6, hi);                                  /* RTP: ROC; RTCP: 0 */
	iv[10] = (uint8_t)(lo >> 8), iv[11] = (uint8_t)lo; /* RTP: SEQ */
	for (int i = 0; i < IV_LEN; i++)
		iv[i] ^= salt[i];
}

static void make_rtcp_iv(uint8_t iv[IV_LEN], const uint8_t salt[SALT_LEN], uint32_t ssrc, uint32_t index)
{
	iv[0] = iv[1] = 0;
	wr32(iv + 2, ssrc);
	iv[6] = iv[7] = 0;
	wr32(iv + 8, index);
	for (int i = 0; i < IV_LEN; i++)
		iv[i] ^= salt[i];
}

/* ---- SRTP ---- */

/* Length of the RTP header (fixed part, CSRCs, extension), or 0 if it does not fit in len. */
static size_t rtp_header_len(const uint8_t *b, size_t len)
{
	if (len < RTP_HDR || (b[0] >> 6) != 2)
		return 0;
	size_t h = RTP_HDR + 4u * (b[0] & 0x0f);
	if (b[0] & 0x10) {
		if (h + 4 > len)
			return 0;
		h += 4 + 4u * rd16(b + h + 2);
	}
	return h <= len ? h : 0;
}

int srtp_aead_protect_rtp(struct srtp_aead *a, uint8_t *buf, size_t *len, size_t cap)
{
	size_t h = rtp_header_len(buf, *len);
	if (!h)
		return SRTP_SESSION_ERR_PARSE;
	if (cap < *len + SRTP_AEAD_TAG)
		return SRTP_SESSION_ERR_NOSPACE;
	struct stream *s = stream_get(a, rd32(buf + 8));
	if (!s)
		return SRTP_SESSION_ERR_FAIL;
	/* One (SSRC, index) is one GCM IV, and GCM must never see an IV twice under a key (NIST SP 800-38D §8): an
     * index already sent, or too old to tell, is refused, as libsrtp2 does without allow_repeat_tx. */
	int64_t idx = estimate_index(s, rd16(buf + 2));
	if (idx < 0 || window_seen(s->out_seen, SRTP_AEAD_OUT_WINDOW, s->have_rtp, s->top, (uint64_t)idx))
		return SRTP_SESSION_ERR_REPLAY;
	uint8_t iv[IV_LEN];
	make_iv(iv, a->rtp_salt, rd32(buf + 8), (uint32_t)((uint64_t)idx >> 16), (uint32_t)idx & 0xffff);
	if (aes_gcm_seal(a->rtp, iv, buf, h, NULL, 0, buf + h, *len - h, buf + *len))
		return SRTP_SESSION_ERR_FAIL;
	window_add(s->out_seen, SRTP_AEAD_OUT_WINDOW, s->have_rtp, &s->top, (uint64_t)idx);
	s->have_rtp = true;
	*len += SRTP_AEAD_TAG;
	return SRTP_SESSION_OK;
}

int srtp_aead_unprotect_rtp(struct srtp_aead *a, uint8_t *buf, size_t *len)
{
	if (*len < RTP_HDR + SRTP_AEAD_TAG)
		return SRTP_SESSION_ERR_PARSE;
	size_t body = *len - SRTP_AEAD_TAG, h = rtp_header_len(buf, body);
	if (!h)
		return SRTP_SESSION_ERR_PARSE;
	uint32_t ssrc = rd32(buf + 8);
	int i = stream_find(a, ssrc);
	struct stream *s = i >= 0 ? &a->st[i] : NULL;
	int64_t idx = estimate_index(s, rd16(buf + 2));
	if (idx < 0 || (s && window_seen(s->rtp_seen, SRTP_AEAD_RTP_WINDOW, s->have_rtp, s->top, (uint64_t)idx)))
		return SRTP_SESSION_ERR_REPLAY;
	uint8_t iv[IV_LEN];
	make_iv(iv, a->rtp_salt, ssrc, (uint32_t)((uint64_t)idx >> 16), (uint32_t)idx & 0xffff);
	int rc = aes_gcm_open(a->rtp, iv, buf, h, NULL, 0, buf + h, body - h, buf + body);
	if (rc)
		return rc > 0 ? SRTP_SESSION_ERR_AUTH : SRTP_SESSION_ERR_FAIL;
	if (!s && !(s = stream_get(a, ssrc)))
		return SRTP_SESSION_ERR_FAIL; /* authentic, but more SSRCs than a peer needs */
	window_add(s->rtp_seen, SRTP_AEAD_RTP_WINDOW, s->have_rtp, &s->top, (uint64_t)idx);
	s->have_rtp = true;
	*len = body;
	return SRTP_SESSION_OK;
}

/* ---- SRTCP ---- */

int srtp_aead_protect_rtcp(struct srtp_aead *a, uint8_t *buf, size_t *len, size_t cap)
{
	if (*len < RTCP_HDR)
		return SRTP_SESSION_ERR_PARSE;
	if (cap < *len + SRTP_AEAD_TAG + ESRTCP)
		return SRTP_SESSION_ERR_NOSPACE;
	uint32_t ssrc = rd32(buf + 4);
	struct stream *s = stream_get(a, ssrc);
	if (!s || s->rtcp_top > RTCP_INDEX_MAX)
		return SRTP_SESSION_ERR_FAIL; /* no room, or the SRTCP index is used up (2^31 packets) */
	uint32_t index = s->rtcp_top;
	uint8_t iv[IV_LEN], word[ESRTCP];
	wr32(word, E_FLAG | index);
	make_rtcp_iv(iv, a->rtcp_salt, ssrc, index);
	if (aes_gcm_seal(a->rtcp, iv, buf, RTCP_HDR, word, ESRTCP, buf + RTCP_HDR, *len - RTCP_HDR, buf + *len))
		return SRTP_SESSION_ERR_FAIL;
	memcpy(buf + *len + SRTP_AEAD_TAG, word, ESRTCP);
	s->rtcp_top = index + 1;
	*len += SRTP_AEAD_TAG + ESRTCP;
	return SRTP_SESSION_OK;
}

int srtp_aead_unprotect_rtcp(struct srtp_aead *a, uint8_t *buf, size_t *len)
{
	if (*len < RTCP_HDR + SRTP_AEAD_TAG + ESRTCP)
		return SRTP_SESSION_ERR_PARSE;
	size_t body = *len - SRTP_AEAD_TAG - ESRTCP;
	uint32_t word = rd32(buf + *len - ESRTCP), index = word & RTCP_INDEX_MAX, ssrc = rd32(buf + 4);
	if (!(word & E_FLAG))
		return SRTP_SESSION_ERR_PARSE; /* unencrypted SRTCP: WebRTC peers always encrypt */
	int i = stream_find(a, ssrc);
	struct stream *s = i >= 0 ? &a->st[i] : NULL;
	uint64_t top = s ? s->rtcp_top : 0;
	if (s && window_seen(s->rtcp_seen, SRTP_AEAD_RTCP_WINDOW, s->have_rtcp, top, index))
		return SRTP_SESSION_ERR_REPLAY;
	uint8_t iv[IV_LEN];
	make_rtcp_iv(iv, a->rtcp_salt, ssrc, index);
	int rc = aes_gcm_open(a->rtcp, iv, buf, RTCP_HDR, buf + *len - ESRTCP, ESRTCP, buf + RTCP_HDR, body - RTCP_HDR,
			      buf + body);
	if (rc)
		return rc > 0 ? SRTP_SESSION_ERR_AUTH : SRTP_SESSION_ERR_FAIL;
	if (!s && !(s = stream_get(a, ssrc)))
		return SRTP_SESSION_ERR_FAIL;
	top = s->rtcp_top;
	window_add(s->rtcp_seen, SRTP_AEAD_RTCP_WINDOW, s->have_rtcp, &top, index);
	s->rtcp_top = (uint32_t)top, s->have_rtcp = true;
	*len = body;
	return SRTP_SESSION_OK;
}
