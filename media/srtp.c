/* srtp.c: SRTP sessions from DTLS-SRTP keying material: GCM on media/srtp_aead, AES-CM on libsrtp2 (in-place (un)protect, error mapping). */
#include "media/srtp.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "media/aes_gcm.h"
#include "media/srtp_aead.h"

#define KEY_LEN 16
#define SALT_CM 14
#define SALT_GCM 12

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_status = SRTP_SESSION_ERR_INIT;
static bool gcm_own = true; /* GCM sessions are media/srtp_aead's, not libsrtp2's */

/* Debian's libsrtp2 opens an NSS context per cipher and shuts NSS down when the last one goes, so a session
 * made while no other is open loads and unloads NSS (~7 ms). One AES-CM session kept for the process holds
 * NSS open. */
static void nss_keepalive(void)
{
	static srtp_t keep;
	uint8_t master[KEY_LEN + SALT_CM] = {1};
	srtp_policy_t pol;
	memset(&pol, 0, sizeof pol);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	pol.ssrc.type = ssrc_any_outbound;
	pol.key = master;
	if (!keep && srtp_create(&keep, &pol) != srtp_err_status_ok)
		keep = NULL;
}

static void lib_init_once(void)
{
	lib_status = srtp_init() == srtp_err_status_ok ? SRTP_SESSION_OK : SRTP_SESSION_ERR_INIT;
	const char *gcm = getenv("SAMVAER_SRTP_GCM");
	gcm_own = !(gcm && !strcmp(gcm, "libsrtp2"));
	if (gcm_own)
		aes_gcm_self_test(); /* at start-up, not on a worker's first packet; falls back to EVP if need be */
	if (lib_status == SRTP_SESSION_OK)
		nss_keepalive();
}

bool srtp_session_gcm_own(void)
{
	srtp_session_lib_init();
	return gcm_own;
}

int srtp_session_lib_init(void)
{
	pthread_once(&lib_once, lib_init_once);
	return lib_status;
}

static size_t salt_len(enum srtp_session_profile profile)
{
	switch (profile) {
	case SRTP_SESSION_AES128_CM_SHA1_80: return SALT_CM;
	case SRTP_SESSION_AEAD_AES_128_GCM: return SALT_GCM;
	}
	return 0;
}

size_t srtp_session_km_len(enum srtp_session_profile profile)
{
	size_t s = salt_len(profile);
	return s ? 2 * (KEY_LEN + s) : 0;
}

static int map_err(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok: return SRTP_SESSION_OK;
	case srtp_err_status_auth_fail: return SRTP_SESSION_ERR_AUTH;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
	case srtp_err_status_pkt_idx_old: return SRTP_SESSION_ERR_REPLAY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err: return SRTP_SESSION_ERR_PARSE;
	default: return SRTP_SESSION_ERR_FAIL;
	}
}

int srtp_session_create_raw(struct srtp_session *s, enum srtp_session_profile profile, const uint8_t *key,
			    const uint8_t *salt, enum srtp_session_dir dir)
{
	size_t sl = salt_len(profile);
	if (!s || !key || !salt || !sl || (dir != SRTP_SESSION_INBOUND && dir != SRTP_SESSION_OUTBOUND))
		return SRTP_SESSION_ERR_ARG;
	s->ctx = NULL, s->aead = NULL, s->profile = profile, s->dir = dir;
	if (srtp_session_lib_init() != SRTP_SESSION_OK)
		return SRTP_SESSION_ERR_INIT;
	if (profile == SRTP_SESSION_AEAD_AES_128_GCM && gcm_own)
		return srtp_aead_new(&s->aead, key, salt, dir == SRTP_SESSION_OUTBOUND);
	uint8_t master[KEY_LEN + SALT_CM];
	memcpy(master, key, KEY_LEN);
	memcpy(master + KEY_LEN, salt, sl);
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	if (profile == SRTP_SESSION_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	}
	pol.ssrc.type = dir == SRTP_SESSION_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = master;
	pol.window_size = SRTP_SESSION_REPLAY_WINDOW;
	/* allow_repeat_tx stays 0: an outbound index is never used twice (AES-CM keystream, like a GCM IV, must not
     * repeat); retransmissions go out as RTX on their own SSRC. */
	pol.allow_repeat_tx = 0;
	srtp_t ctx = NULL;
	srtp_err_status_t st = srtp_create(&ctx, &pol);
	OPENSSL_cleanse(master, sizeof master);
	if (st != srtp_err_status_ok)
		return SRTP_SESSION_ERR_INIT;
	s->ctx = ctx;
	return SRTP_SESSION_OK;
}

int srtp_session_create(struct srtp_session *s, enum srtp_session_profile profile, const uint8_t *km, size_t km_len,
			enum srtp_session_role role, enum srtp_session_dir dir)
{
	size_t sl = salt_len(profile);
	if (!s || !km || !sl)
		return SRTP_SESSION_ERR_ARG;
	if (km_len != 2 * (KEY_LEN + sl))
		return SRTP_SESSION_ERR_KEY_LEN;
	/* RFC 5764 §4.2: client_write_key | server_write_key | client_write_salt | server_write_salt. */
	const uint8_t *client_key = km, *server_key = km + KEY_LEN;
	const uint8_t *client_salt = km + 2 * KEY_LEN, *server_salt = client_salt + sl;
	bool use_client = (role == SRTP_SESSION_DTLS_CLIENT) == (dir == SRTP_SESSION_OUTBOUND);
	if (role != SRTP_SESSION_DTLS_CLIENT && role != SRTP_SESSION_DTLS_SERVER)
		return SRTP_SESSION_ERR_ARG;
	return srtp_session_create_raw(s, profile, use_client ? client_key : server_key,
				       use_client ? client_salt : server_salt, dir);
}

void srtp_session_destroy(struct srtp_session *s)
{
	if (!s)
		return;
	if (s->ctx)
		srtp_dealloc((srtp_t)s->ctx);
	srtp_aead_free(s->aead);
	s->ctx = NULL, s->aead = NULL;
}

static int check(const struct srtp_session *s, enum srtp_session_dir dir, const uint8_t *buf, size_t *len, size_t min)
{
	if (!s || (!s->ctx && !s->aead) || !buf || !len || s->dir != dir)
		return SRTP_SESSION_ERR_ARG;
	if (*len < min || *len > INT_MAX - 64)
		return SRTP_SESSION_ERR_PARSE;
	return SRTP_SESSION_OK;
}

void srtp_session_prefetch(const struct srtp_session *s, int depth)
{
	if (s->aead)
		srtp_aead_prefetch(s->aead, depth);
}

int srtp_session_protect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap)
{
	int rc = check(s, SRTP_SESSION_OUTBOUND, buf, len, 12);
	if (rc != SRTP_SESSION_OK)
		return rc;
	if (cap < *len + SRTP_SESSION_RTP_OVERHEAD)
		return SRTP_SESSION_ERR_NOSPACE;
	if (s->aead)
		return srtp_aead_protect_rtp(s->aead, buf, len, cap);
	int n = (int)*len;
	rc = map_err(srtp_protect((srtp_t)s->ctx, buf, &n));
	if (rc == SRTP_SESSION_OK)
		*len = (size_t)n;
	return rc;
}

int srtp_session_unprotect_rtp(struct srtp_session *s, uint8_t *buf, size_t *len)
{
	int rc = check(s, SRTP_SESSION_INBOUND, buf, len, 12);
	if (rc != SRTP_SESSION_OK)
		return rc;
	if (s->aead)
		return srtp_aead_unprotect_rtp(s->aead, buf, len);
	int n = (int)*len;
	rc = map_err(srtp_unprotect((srtp_t)s->ctx, buf, &n));
	if (rc == SRTP_SESSION_OK)
		*len = (size_t)n;
	return rc;
}

int srtp_session_protect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len, size_t cap)
{
	int rc = check(s, SRTP_SESSION_OUTBOUND, buf, len, 8);
	if (rc != SRTP_SESSION_OK)
		return rc;
	if (cap < *len + SRTP_SESSION_RTCP_OVERHEAD)
		return SRTP_SESSION_ERR_NOSPACE;
	if (s->aead)
		return srtp_aead_protect_rtcp(s->aead, buf, len, cap);
	int n = (int)*len;
	rc = map_err(srtp_protect_rtcp((srtp_t)s->ctx, buf, &n));
	if (rc == SRTP_SESSION_OK)
		*len = (size_t)n;
	return rc;
}

int srtp_session_unprotect_rtcp(struct srtp_session *s, uint8_t *buf, size_t *len)
{
	int rc = check(s, SRTP_SESSION_INBOUND, buf, len, 8);
	if (rc != SRTP_SESSION_OK)
		return rc;
	if (s->aead)
		return srtp_aead_unprotect_rtcp(s->aead, buf, len);
	int n = (int)*len;
	rc = map_err(srtp_unprotect_rtcp((srtp_t)s->ctx, buf, &n));
	if (rc == SRTP_SESSION_OK)
		*len = (size_t)n;
	return rc;
}

const char *srtp_session_strerror(int err)
{
	switch (err) {
	case SRTP_SESSION_OK: return "ok";
	case SRTP_SESSION_ERR_ARG: return "invalid argument";
	case SRTP_SESSION_ERR_KEY_LEN: return "keying material length does not match the profile";
	case SRTP_SESSION_ERR_INIT: return "SRTP initialisation or session creation failed";
	case SRTP_SESSION_ERR_NOSPACE: return "no room for the SRTP trailer";
	case SRTP_SESSION_ERR_AUTH: return "authentication failure";
	case SRTP_SESSION_ERR_REPLAY: return "replayed or too old packet";
	case SRTP_SESSION_ERR_PARSE: return "malformed packet";
	case SRTP_SESSION_ERR_FAIL: return "SRTP failure (cipher, or no room for another SSRC)";
	}
	return "unknown error";
}
