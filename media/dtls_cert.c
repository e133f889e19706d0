/* dtls_cert.c: the process DTLS certificate (ECDSA P-256, self-signed) and SDP fingerprints (RFC 8122). */
#include "media/dtls.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define CERT_CN "samvaer"
#define CERT_DAYS 30
#define CERT_BACKDATE_S (60 * 60) /* tolerate a peer clock an hour behind */

struct dtls_cert {
	EVP_PKEY *key;                          /* ECDSA P-256 private key */
	X509 *x509;                             /* self-signed certificate */
	char fingerprint[DTLS_FINGERPRINT_MAX]; /* "sha-256 AB:CD:..." */
};

/* SDP hash names (RFC 8122 §5, IANA "Hash Function Textual Names") and their OpenSSL digests. */
static const struct {
	const char *sdp;
	const char *ossl;
} hash_table[] = {
    {"sha-1", "SHA1"}, {"sha-224", "SHA224"}, {"sha-256", "SHA256"}, {"sha-384", "SHA384"}, {"sha-512", "SHA512"},
};

static void set_err(char *err, size_t errlen, const char *what)
{
	if (err == NULL || errlen == 0)
		return;
	unsigned long e = ERR_peek_last_error();
	if (e != 0)
		snprintf(err, errlen, "dtls: %s: %s", what,
			 ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
	else
		snprintf(err, errlen, "dtls: %s", what);
}

static void format_fingerprint(char *out, size_t cap, const char *hash, const uint8_t *d, size_t n)
{
	size_t off = (size_t)snprintf(out, cap, "%s ", hash);
	for (size_t i = 0; i < n && off + 3 < cap; i++)
		off += (size_t)snprintf(out + off, cap - off, i + 1 < n ? "%02X:" : "%02X", d[i]);
}

/* Positive random 63-bit serial (RFC 5280 §4.1.2.2: positive, at most 20 octets). */
static int set_random_serial(X509 *x)
{
	uint8_t raw[8];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return -1;
	raw[0] &= 0x7f;
	raw[0] |= 0x01; /* never zero */
	BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
	if (bn == NULL)
		return -1;
	ASN1_INTEGER *serial = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	return serial ? 0 : -1;
}

static int build_x509(X509 *x, EVP_PKEY *key)
{
	X509_NAME *name = X509_get_subject_name(x);
	if (X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) != 0)
		return -1;
	if (X509_gmtime_adj(X509_getm_notBefore(x), -CERT_BACKDATE_S) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 24 * 60 * 60) == NULL)
		return -1;
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)CERT_CN, -1, -1, 0) != 1)
		return -1;
	if (X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, key) != 1)
		return -1;
	return X509_sign(x, key, EVP_sha256()) > 0 ? 0 : -1;
}

int dtls_cert_generate(struct dtls_cert **out, char *err, size_t errlen)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	struct dtls_cert *c = OPENSSL_zalloc(sizeof *c);
	if (out == NULL || c == NULL)
		goto err;
	ERR_clear_error();
	c->key = EVP_EC_gen("P-256");
	c->x509 = X509_new();
	if (c->key == NULL || c->x509 == NULL || build_x509(c->x509, c->key) != 0)
		goto err;
	if (X509_digest(c->x509, EVP_sha256(), d, &n) != 1)
		goto err;
	format_fingerprint(c->fingerprint, sizeof c->fingerprint, "sha-256", d, n);
	*out = c;
	return DTLS_OK;
err:
	set_err(err, errlen, "certificate generation failed");
	dtls_cert_free(c);
	return DTLS_ERR_SSL;
}

void dtls_cert_free(struct dtls_cert *cert)
{
	if (cert == NULL)
		return;
	EVP_PKEY_free(cert->key);
	X509_free(cert->x509);
	OPENSSL_free(cert);
}

const char *dtls_cert_fingerprint(const struct dtls_cert *cert)
{
	return cert ? cert->fingerprint : "";
}

static int hex_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10 : -1;
}

static const char *hash_to_ossl(const char *sdp_hash)
{
	for (size_t i = 0; i < sizeof hash_table / sizeof hash_table[0]; i++)
		if (strcmp(hash_table[i].sdp, sdp_hash) == 0)
			return hash_table[i].ossl;
	return NULL;
}

/* fingerprint-attribute = hash-func SP fingerprint; fingerprint = 2UHEX *(":" 2UHEX) (RFC 8122 §5). */
static int parse_digest(struct dtls_fingerprint *out, const char *p)
{
	out->len = 0;
	for (;;) {
		int hi = hex_value((unsigned char)p[0]), lo = hi < 0 ? -1 : hex_value((unsigned char)p[1]);
		if (hi < 0 || lo < 0 || out->len == DTLS_DIGEST_MAX)
			return DTLS_ERR_ARG;
		out->digest[out->len++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (*p == '\0' || *p == '\r' || *p == '\n' || *p == ' ')
			break;
		if (*p++ != ':')
			return DTLS_ERR_ARG;
	}
	const EVP_MD *md = EVP_get_digestbyname(hash_to_ossl(out->hash));
	return (md != NULL && (size_t)EVP_MD_get_size(md) == out->len) ? DTLS_OK : DTLS_ERR_ARG;
}

int dtls_fingerprint_parse(struct dtls_fingerprint *out, const char *sdp_value)
{
	size_t n = 0;
	if (out == NULL || sdp_value == NULL)
		return DTLS_ERR_ARG;
	memset(out, 0, sizeof *out);
	while (*sdp_value == ' ')
		sdp_value++;
	while (sdp_value[n] != '\0' && sdp_value[n] != ' ') {
		if (n + 1 >= sizeof out->hash)
			return DTLS_ERR_ARG;
		out->hash[n] = (char)tolower((unsigned char)sdp_value[n]);
		n++;
	}
	if (sdp_value[n] != ' ' || hash_to_ossl(out->hash) == NULL)
		return DTLS_ERR_ARG;
	while (sdp_value[n] == ' ')
		n++;
	return parse_digest(out, sdp_value + n);
}

/* 1 if the peer certificate's digest equals fp (constant-time over the digest), else 0. */
int dtls__fingerprint_match(const struct dtls_fingerprint *fp, X509 *peer)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	const char *name = hash_to_ossl(fp->hash);
	const EVP_MD *md = name ? EVP_get_digestbyname(name) : NULL;
	if (md == NULL || peer == NULL || X509_digest(peer, md, d, &n) != 1 || n != fp->len)
		return 0;
	return CRYPTO_memcmp(d, fp->digest, n) == 0;
}

int dtls__cert_install(const struct dtls_cert *cert, SSL_CTX *ssl_ctx)
{
	if (SSL_CTX_use_certificate(ssl_ctx, cert->x509) != 1 || SSL_CTX_use_PrivateKey(ssl_ctx, cert->key) != 1)
		return DTLS_ERR_SSL;
	return SSL_CTX_check_private_key(ssl_ctx) == 1 ? DTLS_OK : DTLS_ERR_SSL;
}
