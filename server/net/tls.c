/* tls.c: TLS settings for the lws context, HSTS, and reloading the certificate (tls.h). */
#include "server/net/tls.h"

#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>

#include "server/base/config.h"
#include "server/base/log.h"

/* TLS 1.2: ECDHE with AES-GCM or ChaCha20-Poly1305 only (forward secrecy, AEAD). TLS 1.3: its three AEAD suites. */
#define TLS12_SUITES                                                                               \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

static SSL_CTX *live;
static int enabled;

/* Every response of the vhost (files and the API) carries HSTS: browsers keep to HTTPS for a year. */
static const struct lws_protocol_vhost_options hsts = {NULL, NULL, "strict-transport-security:", "max-age=31536000"};

void tls_configure(struct lws_context_creation_info *info, const struct config *cfg)
{
	if (!cfg->tls_cert[0])
		return;
	enabled = 1;
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info->ssl_cert_filepath = cfg->tls_cert;
	info->ssl_private_key_filepath = cfg->tls_key;
	info->ssl_cipher_list = TLS12_SUITES;
	info->tls1_3_plus_cipher_list = TLS13_SUITES;
	info->ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE;
	info->headers = &hsts;
}

void tls_context_created(void *ssl_ctx)
{
	live = ssl_ctx;
	if (live && !SSL_CTX_set_min_proto_version(live, TLS1_2_VERSION))
		log_warn("tls: could not set TLS 1.2 as the lowest version");
}

int tls_enabled(void)
{
	return enabled;
}

static int load_pair(SSL_CTX *ctx, const char *cert, const char *key, char *err, size_t errlen)
{
	ERR_clear_error();
	const char *what = SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ? "certificate"
	    : SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1    ? "private key"
	    : SSL_CTX_check_private_key(ctx) != 1                             ? "key does not match the certificate"
									      : NULL;
	if (!what)
		return 0;
	char why[160];
	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	snprintf(err, errlen, "tls: %s (%s, %s): %s", what, cert, key, why);
	return -1;
}

int tls_reload(const char *cert, const char *key, char *err, size_t errlen)
{
	if (!live) {
		snprintf(err, errlen, "tls: not serving HTTPS");
		return -1;
	}
	SSL_CTX *scratch = SSL_CTX_new(TLS_server_method());
	int rc = scratch ? load_pair(scratch, cert, key, err, errlen) : -1;
	SSL_CTX_free(scratch);
	if (rc == 0)
		rc = load_pair(live, cert, key, err, errlen);
	return rc;
}
