/* dtls.c: per-connection DTLS 1.2 handshake for DTLS-SRTP (RFC 5764): sans-I/O state machine over OpenSSL 3. */
#include "media/dtls.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>

/*
 * I/O: received datagrams go into a memory BIO (rbio), one datagram at a time, and the BIO is
 * emptied after each step so a bad datagram never lingers. Outgoing records go through a small
 * sink BIO (wbio) that hands each BIO_write - one DTLS datagram, <= DTLS_MTU with
 * SSL_OP_NO_QUERY_MTU + SSL_set_mtu - straight to the send callback, which keeps datagram
 * boundaries (a plain memory BIO would merge a flight's datagrams into one byte stream).
 */

#define DTLS_RECORD_HEADER 13 /* RFC 6347 §4.1: type(1) version(2) epoch(2) seq(6) length(2) */
#define DTLS_RECV_MAX 18432   /* larger datagrams cannot be one DTLS record: dropped */
#define DTLS_TIMEOUT_MIN_MS 20u
#define DTLS_TIMEOUT_MAX_US 60000000u             /* RFC 6347 §4.2.4.1: cap the doubling at 60 s */
#define SRTP_EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 §4.2 */
/* AEAD suites only (what browsers negotiate); record_plausible() relies on their fixed overheads. */
#define CIPHERS "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384"
#define GCM_MIN_CIPHERTEXT 24    /* RFC 5288 §3: explicit nonce 8 + tag 16 */
#define CHACHA_MIN_CIPHERTEXT 16 /* RFC 7905 §2: tag 16, no explicit nonce */
#define GROUPS "X25519:P-256:P-384"

struct dtls_ctx {
	SSL_CTX *ssl_ctx;            /* shared by all transports of this role */
	BIO_METHOD *sink;            /* method of the outgoing-datagram BIO */
	enum dtls_role role;         /* client (active) or server (passive) */
	unsigned initial_timeout_us; /* first retransmission timeout */
	unsigned max_retransmits;    /* per flight; the handshake fails on the next timeout */
};

struct dtls_transport {
	/* passed by argument */
	struct dtls_ctx *ctx;     /* role, SSL_CTX */
	struct dtls_callbacks cb; /* send / state */
	/* allocated by this */
	SSL *ssl;  /* OpenSSL connection; owns rbio and wbio */
	BIO *rbio; /* memory BIO holding the datagram being fed */
	/* others */
	enum dtls_state state;             /* explicit state, see dtls.h */
	int handshake_done;                /* SSL handshake finished (fingerprint may still be pending) */
	int have_fp;                       /* remote_fp is set */
	unsigned retransmits;              /* retransmissions of the current flight */
	struct dtls_fingerprint remote_fp; /* from the remote SDP */
	struct dtls_srtp_keys keys;        /* valid in CONNECTED until taken (dtls__srtp_keys_wipe); wiped on free */
	int keys_wiped;                    /* dtls__srtp_keys_wipe ran: keys is zero, dtls_srtp_keys_get refuses */
	char err[192];                     /* last error, "dtls: ..." */
};

/* SRTP profile -> master key and salt lengths (RFC 5764 §4.1.2, RFC 7714 §12). */
static const struct {
	enum dtls_srtp_profile id;
	size_t key_len, salt_len;
} profile_table[] = {
    {DTLS_SRTP_AES128_CM_SHA1_80, 16, 14},
    {DTLS_SRTP_AES128_CM_SHA1_32, 16, 14},
    {DTLS_SRTP_AEAD_AES_128_GCM, 16, 12},
    {DTLS_SRTP_AEAD_AES_256_GCM, 32, 12},
};

/* ---------------------------------------------------------------- sink BIO */

static int sink_write(BIO *b, const char *buf, int len)
{
	struct dtls_transport *t = BIO_get_data(b);
	if (t != NULL && len > 0)
		t->cb.send(t->cb.user, (const uint8_t *)buf, (size_t)len);
	return len;
}

static long sink_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	switch (cmd) {
	case BIO_CTRL_FLUSH: return 1;
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_PENDING:
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD: return 0; /* the MTU is set explicitly (DTLS_MTU) */
	default: return 0;
	}
}

static int sink_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *sink_method_new(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "samvaer-dtls-sink");
	if (m == NULL)
		return NULL;
	if (BIO_meth_set_write(m, sink_write) != 1 || BIO_meth_set_ctrl(m, sink_ctrl) != 1 ||
	    BIO_meth_set_create(m, sink_create) != 1) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

/* ---------------------------------------------------------------- context */

/* WebRTC peers use self-signed certificates: the SDP fingerprint check is the authentication. */
static int accept_any_cert(int preverify_ok, X509_STORE_CTX *store)
{
	return 1;
}

static unsigned timer_cb(SSL *ssl, unsigned timer_us)
{
	const struct dtls_transport *t = SSL_get_app_data(ssl);
	if (timer_us == 0)
		return t->ctx->initial_timeout_us;
	return timer_us >= DTLS_TIMEOUT_MAX_US / 2 ? DTLS_TIMEOUT_MAX_US : timer_us * 2;
}

static int ctx_configure(SSL_CTX *c, const struct dtls_cert *cert, const char *profiles)
{
	SSL_CTX_set_options(
	    c, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_cert);
	if (SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) != 1)
		return -1;
	if (SSL_CTX_set_cipher_list(c, CIPHERS) != 1 || SSL_CTX_set1_groups_list(c, GROUPS) != 1)
		return -1;
	if (SSL_CTX_set_tlsext_use_srtp(c, profiles) != 0) /* returns 0 on success */
		return -1;
	return dtls__cert_install(cert, c) == DTLS_OK ? 0 : -1;
}

struct dtls_ctx *dtls_ctx_new(const struct dtls_cert *cert, enum dtls_role role, const char *profiles, char *err,
			      size_t errlen)
{
	struct dtls_ctx *ctx = OPENSSL_zalloc(sizeof *ctx);
	if (ctx == NULL || cert == NULL)
		goto err;
	ERR_clear_error();
	ctx->role = role;
	ctx->initial_timeout_us = 1000000;
	ctx->max_retransmits = DTLS_MAX_RETRANSMITS_DEFAULT;
	ctx->sink = sink_method_new();
	ctx->ssl_ctx = SSL_CTX_new(DTLS_method());
	if (ctx->sink == NULL || ctx->ssl_ctx == NULL)
		goto err;
	if (ctx_configure(ctx->ssl_ctx, cert, profiles ? profiles : DTLS_SRTP_PROFILES_DEFAULT) != 0)
		goto err;
	return ctx;
err:
	if (err != NULL && errlen > 0) {
		unsigned long e = ERR_peek_last_error();
		snprintf(err, errlen, "dtls: context setup failed: %s",
			 e && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "bad argument");
	}
	dtls_ctx_free(ctx);
	return NULL;
}

void dtls_ctx_set_initial_timeout_ms(struct dtls_ctx *ctx, unsigned ms)
{
	if (ctx == NULL)
		return;
	if (ms < DTLS_TIMEOUT_MIN_MS) /* OpenSSL reports < 15 ms left as already expired */
		ms = DTLS_TIMEOUT_MIN_MS;
	ctx->initial_timeout_us = ms >= DTLS_TIMEOUT_MAX_US / 1000 ? DTLS_TIMEOUT_MAX_US : ms * 1000;
}

void dtls_ctx_set_max_retransmits(struct dtls_ctx *ctx, unsigned n)
{
	if (ctx != NULL)
		ctx->max_retransmits = n;
}

void dtls_ctx_free(struct dtls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	BIO_meth_free(ctx->sink);
	OPENSSL_free(ctx);
}

/* ---------------------------------------------------------------- state helpers */

static void set_state(struct dtls_transport *t, enum dtls_state s)
{
	if (t->state == s)
		return;
	t->state = s;
	if (t->cb.state != NULL)
		t->cb.state(t->cb.user, s);
}

static int fail(struct dtls_transport *t, int code, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;
	if (why != NULL)
		snprintf(t->err, sizeof t->err, "dtls: %s: %s", what, why);
	else
		snprintf(t->err, sizeof t->err, "dtls: %s", what);
	ERR_clear_error();
	set_state(t, DTLS_STATE_FAILED);
	return code;
}

/* ---------------------------------------------------------------- transport */

struct dtls_transport *dtls_transport_new(struct dtls_ctx *ctx, const char *remote_fingerprint,
					  const struct dtls_callbacks *cb)
{
	if (ctx == NULL || cb == NULL || cb->send == NULL)
		return NULL;
	struct dtls_transport *t = OPENSSL_zalloc(sizeof *t);
	if (t == NULL)
		return NULL;
	t->ctx = ctx;
	t->cb = *cb;
	if (remote_fingerprint != NULL && dtls_set_remote_fingerprint(t, remote_fingerprint) != DTLS_OK)
		goto err;
	t->ssl = SSL_new(ctx->ssl_ctx);
	t->rbio = BIO_new(BIO_s_mem());
	BIO *wbio = BIO_new(ctx->sink);
	if (t->ssl == NULL || t->rbio == NULL || wbio == NULL) {
		BIO_free(t->rbio);
		BIO_free(wbio);
		goto err;
	}
	BIO_set_mem_eof_return(t->rbio, -1); /* empty = "want read", not EOF */
	BIO_set_data(wbio, t);
	SSL_set_bio(t->ssl, t->rbio, wbio); /* SSL owns both BIOs now */
	SSL_set_app_data(t->ssl, t);
	SSL_set_options(t->ssl, SSL_OP_NO_QUERY_MTU);
	if (SSL_set_mtu(t->ssl, DTLS_MTU) <= 0) /* returns the MTU set */
		goto err;
	DTLS_set_timer_cb(t->ssl, timer_cb);
	return t;
err:
	dtls_transport_free(t);
	ERR_clear_error();
	return NULL;
}

void dtls_transport_free(struct dtls_transport *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	OPENSSL_cleanse(&t->keys, sizeof t->keys);
	OPENSSL_free(t);
}

int dtls_start(struct dtls_transport *t)
{
	if (t == NULL)
		return DTLS_ERR_ARG;
	if (t->state != DTLS_STATE_NEW)
		return DTLS_ERR_STATE;
	set_state(t, DTLS_STATE_CONNECTING);
	if (t->ctx->role == DTLS_ROLE_SERVER) {
		SSL_set_accept_state(t->ssl);
		return DTLS_OK;
	}
	SSL_set_connect_state(t->ssl);
	ERR_clear_error();
	int r = SSL_do_handshake(t->ssl); /* emits the ClientHello */
	int e = SSL_get_error(t->ssl, r);
	if (r <= 0 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		return fail(t, DTLS_ERR_SSL, "cannot start handshake");
	return DTLS_OK;
}

int dtls_is_dtls(const uint8_t *buf, size_t len)
{
	return buf != NULL && len > 0 && buf[0] >= 20 && buf[0] <= 63; /* RFC 7983 §7 */
}

/* ---------------------------------------------------------------- handshake completion */

static int find_profile(struct dtls_srtp_keys *k, const SRTP_PROTECTION_PROFILE *p)
{
	for (size_t i = 0; i < sizeof profile_table / sizeof profile_table[0]; i++) {
		if ((unsigned long)profile_table[i].id == p->id) {
			k->profile = profile_table[i].id;
			k->profile_name = p->name;
			k->key_len = profile_table[i].key_len;
			k->salt_len = profile_table[i].salt_len;
			return 0;
		}
	}
	return -1;
}

/* RFC 5764 §4.2: client_write_SRTP_master_key | server_..._key | client_..._salt | server_..._salt. */
static void split_material(struct dtls_srtp_keys *k, int local_is_client)
{
	const uint8_t *ckey = k->material, *skey = ckey + k->key_len;
	const uint8_t *csalt = skey + k->key_len, *ssalt = csalt + k->salt_len;
	k->local_is_client = local_is_client;
	k->master_len = k->key_len + k->salt_len;
	memcpy(k->local_master, local_is_client ? ckey : skey, k->key_len);
	memcpy(k->local_master + k->key_len, local_is_client ? csalt : ssalt, k->salt_len);
	memcpy(k->remote_master, local_is_client ? skey : ckey, k->key_len);
	memcpy(k->remote_master + k->key_len, local_is_client ? ssalt : csalt, k->salt_len);
}

static int export_keys(struct dtls_transport *t)
{
	struct dtls_srtp_keys *k = &t->keys;
	const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(t->ssl);
	memset(k, 0, sizeof *k);
	if (p == NULL)
		return fail(t, DTLS_ERR_SSL, "peer negotiated no SRTP profile (use_srtp)");
	if (find_profile(k, p) != 0)
		return fail(t, DTLS_ERR_SSL, "unsupported SRTP profile");
	k->material_len = 2 * (k->key_len + k->salt_len);
	if (SSL_export_keying_material(t->ssl, k->material, k->material_len, SRTP_EXPORTER_LABEL,
				       strlen(SRTP_EXPORTER_LABEL), NULL, 0, 0) != 1)
		return fail(t, DTLS_ERR_SSL, "keying material export failed");
	split_material(k, t->ctx->role == DTLS_ROLE_CLIENT);
	return DTLS_OK;
}

/* Handshake done and remote fingerprint known: authenticate, export keys, CONNECTED. */
static int finish_connect(struct dtls_transport *t)
{
	X509 *peer = SSL_get0_peer_certificate(t->ssl);
	if (peer == NULL)
		return fail(t, DTLS_ERR_FINGERPRINT, "peer sent no certificate");
	if (!dtls__fingerprint_match(&t->remote_fp, peer)) {
		SSL_shutdown(t->ssl); /* tell the peer to stop; it is not who the SDP said */
		ERR_clear_error();
		return fail(t, DTLS_ERR_FINGERPRINT, "peer certificate does not match the SDP fingerprint");
	}
	int rc = export_keys(t);
	if (rc != DTLS_OK)
		return rc;
	set_state(t, DTLS_STATE_CONNECTED);
	return DTLS_OK;
}

int dtls_set_remote_fingerprint(struct dtls_transport *t, const char *sdp_value)
{
	struct dtls_fingerprint fp;
	if (t == NULL || dtls_fingerprint_parse(&fp, sdp_value) != DTLS_OK)
		return DTLS_ERR_ARG;
	if (t->state == DTLS_STATE_CONNECTED || t->state == DTLS_STATE_FAILED || t->state == DTLS_STATE_CLOSED)
		return DTLS_ERR_STATE;
	t->remote_fp = fp;
	t->have_fp = 1;
	return t->handshake_done ? finish_connect(t) : DTLS_OK;
}

/* ---------------------------------------------------------------- feeding */

static int step_handshake(struct dtls_transport *t)
{
	OSSL_HANDSHAKE_STATE before = SSL_get_state(t->ssl);
	int r = SSL_do_handshake(t->ssl);
	if (SSL_get_state(t->ssl) != before)
		t->retransmits = 0; /* the peer's flight got through: a fresh budget per flight */
	if (r == 1) {
		t->handshake_done = 1;
		return t->have_fp ? finish_connect(t) : DTLS_OK;
	}
	int e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return DTLS_OK;
	return fail(t, DTLS_ERR_SSL, "handshake failed");
}

/* After the handshake: lets OpenSSL answer retransmitted flights, notices close_notify,
 * discards application data (unused in WebRTC without data channels). */
static int step_read(struct dtls_transport *t)
{
	uint8_t scratch[2048];
	for (;;) {
		int r = SSL_read(t->ssl, scratch, sizeof scratch);
		if (r > 0)
			continue;
		int e = SSL_get_error(t->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return DTLS_OK;
		if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify: answer it, then CLOSED */
			SSL_shutdown(t->ssl);
			ERR_clear_error();
			snprintf(t->err, sizeof t->err, "dtls: peer closed the session (close_notify)");
			set_state(t, DTLS_STATE_CLOSED);
			return DTLS_OK;
		}
		return fail(t, DTLS_ERR_SSL, "session error");
	}
}

/* Nothing from the peer processed yet: server before its ClientHello, client before the ServerHello. */
static int awaiting_first_flight(const struct dtls_transport *t)
{
	OSSL_HANDSHAKE_STATE st = SSL_get_state(t->ssl);
	return t->ctx->role == DTLS_ROLE_SERVER ? st == TLS_ST_BEFORE : st == TLS_ST_CW_CLNT_HELLO;
}

/* The first flight must start with the expected handshake message (RFC 6347 §4.2.2) or be an
 * alert. A spoofed epoch-0 record with a high sequence number would otherwise move OpenSSL's
 * replay window past the real flight and wedge the handshake. */
static int first_flight_plausible(const struct dtls_transport *t, const uint8_t *buf, size_t len)
{
	unsigned epoch = (unsigned)buf[3] << 8 | buf[4];
	if (epoch != 0)
		return 0;
	if (buf[0] == 21) /* alert */
		return 1;
	if (buf[0] != 22 || len <= DTLS_RECORD_HEADER)
		return 0;
	uint8_t msg = buf[DTLS_RECORD_HEADER];
	if (t->ctx->role == DTLS_ROLE_SERVER)
		return msg == 1;     /* client_hello */
	return msg == 2 || msg == 3; /* server_hello, hello_verify_request */
}

/*
 * RFC 6347 §4.1 record header, records back to back in one datagram:
 *   0: type(1) | 1: version(2) | 3: epoch(2) | 5: sequence_number(6) | 11: length(2) | 13: fragment
 * OpenSSL 3.0 treats an encrypted record (epoch > 0) shorter than the AEAD overhead as a fatal
 * error and sends an alert, so one spoofed 14-byte datagram could kill a live session; drop those.
 */
static int records_plausible(const struct dtls_transport *t, const uint8_t *buf, size_t len)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
	size_t min_ct = (c != NULL && SSL_CIPHER_get_cipher_nid(c) == NID_chacha20_poly1305) ? CHACHA_MIN_CIPHERTEXT
											     : GCM_MIN_CIPHERTEXT;
	if (awaiting_first_flight(t) && !first_flight_plausible(t, buf, len))
		return 0;
	for (size_t off = 0; off + DTLS_RECORD_HEADER <= len;) {
		unsigned epoch = (unsigned)buf[off + 3] << 8 | buf[off + 4];
		size_t rlen = (size_t)buf[off + 11] << 8 | buf[off + 12];
		if (epoch != 0 && rlen > 0 && rlen < min_ct)
			return 0;
		off += DTLS_RECORD_HEADER + rlen;
	}
	return 1;
}

int dtls_feed(struct dtls_transport *t, const uint8_t *buf, size_t len)
{
	if (t == NULL || buf == NULL)
		return DTLS_ERR_ARG;
	if (!dtls_is_dtls(buf, len) || len < DTLS_RECORD_HEADER || len > DTLS_RECV_MAX)
		return DTLS_ERR_NOT_DTLS;
	if (t->state == DTLS_STATE_NEW) {
		int rc = dtls_start(t);
		if (rc != DTLS_OK)
			return rc;
	}
	if (t->state != DTLS_STATE_CONNECTING && t->state != DTLS_STATE_CONNECTED)
		return DTLS_ERR_STATE;
	if (!records_plausible(t, buf, len))
		return DTLS_ERR_DROPPED;
	ERR_clear_error();
	if (BIO_write(t->rbio, buf, (int)len) != (int)len)
		return DTLS_ERR_NOMEM;
	int rc = t->handshake_done ? step_read(t) : step_handshake(t);
	(void)BIO_reset(t->rbio); /* never carry bytes into the next datagram */
	return rc;
}

/* ---------------------------------------------------------------- timers, close, accessors */

int64_t dtls_next_timeout_ms(const struct dtls_transport *t, int64_t now_ms)
{
	struct timeval tv;
	if (t == NULL || (t->state != DTLS_STATE_CONNECTING && t->state != DTLS_STATE_CONNECTED))
		return -1;
	if (DTLSv1_get_timeout(t->ssl, &tv) != 1)
		return -1;
	return now_ms + (int64_t)tv.tv_sec * 1000 + ((int64_t)tv.tv_usec + 999) / 1000;
}

int dtls_handle_timeout(struct dtls_transport *t)
{
	if (t == NULL)
		return DTLS_ERR_ARG;
	if (t->state != DTLS_STATE_CONNECTING && t->state != DTLS_STATE_CONNECTED)
		return DTLS_ERR_STATE;
	ERR_clear_error();
	struct timeval tv;
	if (DTLSv1_get_timeout(t->ssl, &tv) != 1 || tv.tv_sec > 0 || tv.tv_usec > 0)
		return DTLS_OK; /* no timer, or not expired yet */
	if (t->retransmits >= t->ctx->max_retransmits)
		return fail(t, DTLS_ERR_SSL, "handshake timed out");
	if (DTLSv1_handle_timeout(t->ssl) < 0)
		return fail(t, DTLS_ERR_SSL, "handshake timed out");
	t->retransmits++;
	return DTLS_OK;
}

int dtls_close(struct dtls_transport *t)
{
	if (t == NULL)
		return DTLS_ERR_ARG;
	if (t->state == DTLS_STATE_CLOSED || t->state == DTLS_STATE_FAILED)
		return DTLS_ERR_STATE;
	if (t->handshake_done) {
		SSL_shutdown(t->ssl); /* sends close_notify; we do not wait for the peer's */
		ERR_clear_error();
	}
	snprintf(t->err, sizeof t->err, "dtls: closed locally");
	set_state(t, DTLS_STATE_CLOSED);
	return DTLS_OK;
}

enum dtls_state dtls_state(const struct dtls_transport *t)
{
	return t ? t->state : DTLS_STATE_FAILED;
}

enum dtls_role dtls_role(const struct dtls_transport *t)
{
	return t ? t->ctx->role : DTLS_ROLE_SERVER;
}

const char *dtls_state_name(enum dtls_state s)
{
	static const char *const names[] = {"new", "connecting", "connected", "failed", "closed"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

const char *dtls_error(const struct dtls_transport *t)
{
	return t ? t->err : "dtls: no transport";
}

int dtls_srtp_keys_get(const struct dtls_transport *t, struct dtls_srtp_keys *out)
{
	if (t == NULL || out == NULL)
		return DTLS_ERR_ARG;
	if (t->state != DTLS_STATE_CONNECTED || t->keys_wiped)
		return DTLS_ERR_STATE;
	*out = t->keys;
	return DTLS_OK;
}

/* Shared internal (media/transport.c): the SRTP sessions are keyed, so this copy of the exported material goes now
 * rather than at free; dtls_srtp_keys_get refuses from then on. */
void dtls__srtp_keys_wipe(struct dtls_transport *t)
{
	if (t == NULL)
		return;
	OPENSSL_cleanse(&t->keys, sizeof t->keys);
	t->keys_wiped = 1;
}
