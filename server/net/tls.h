/* tls.h: HTTPS done properly — TLS 1.2 and 1.3 only, AEAD suites only (TLS 1.3 preferred), HSTS, and the certificate
 * and key reloaded on SIGHUP without dropping connections. */
#ifndef SAMVAER_TLS_H
#define SAMVAER_TLS_H

#include <stddef.h>

struct lws_context_creation_info;
struct config;

/* Fill the TLS part of the context settings when the config names a certificate (else nothing). */
void tls_configure(struct lws_context_creation_info *info, const struct config *cfg);
/* lws created the server's SSL_CTX (LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS): keep it, set its floor. */
void tls_context_created(void *ssl_ctx);
/* Load cert (a PEM chain) and key again into the live context: new handshakes use them, open connections keep
 * theirs. Both are checked in a scratch context first, so a bad pair changes nothing. 0, or -1 with err. */
int tls_reload(const char *cert, const char *key, char *err, size_t errlen);
/* 1 when serving HTTPS. */
int tls_enabled(void);

#endif
