/* vapid.c: VAPID (RFC 8292) — the server's P-256 key (made once, kept 0600 in the data directory), ES256 JWTs. */
#include "server/push/vapid.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "server/base/log.h"
#include "server/base/base64.h"
#include "server/store/fsdir.h"

struct vapid {
	EVP_PKEY *key;                          /* the private key (read-only after open: shared by threads) */
	uint8_t pub[ECE_POINT_LEN];             /* uncompressed public point */
	char pub_b64[VAPID_PUBLIC_B64_LEN + 1]; /* the same, base64url */
};

static EVP_PKEY *load_key(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		log_warn("push: %s was readable by others; now 0600", path);
		fchmod(fileno(f), 0600);
	}
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	char group[32] = "";
	if (!k || !EVP_PKEY_is_a(k, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) ||
	    strcmp(group, "prime256v1") != 0) {
		snprintf(err, errlen, "push: %s does not hold a P-256 private key", path);
		EVP_PKEY_free(k);
		errno = EINVAL;
		return NULL;
	}
	return k;
}

/* write() all of p to fd (plain write: a power-cut model that wraps write sees it too). */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A new key: written to a temporary name with mode 0600 from the start (never readable by others, even
 * briefly), fsynced, renamed into place and the folder fsynced, so after a power cut the key is either whole
 * or absent (and made again), never an empty file that stops the start. */
static EVP_PKEY *create_key(const char *path, char *err, size_t errlen)
{
	char tmp[1100];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp); /* left by a start that died half-way */
	EVP_PKEY *k = EVP_EC_gen("prime256v1");
	BIO *mem = k ? BIO_new(BIO_s_mem()) : NULL;
	char *pem = NULL;
	long len = mem && PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL) ? BIO_get_mem_data(mem, &pem) : 0;
	int fd = len > 0 ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	int ok = fd >= 0 && write_all(fd, pem, (size_t)len) == 0 && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = 0;
	ok = ok && rename(tmp, path) == 0 && fsdir_sync_parent(path) == 0;
	if (pem)
		OPENSSL_cleanse(pem, (size_t)len);
	BIO_free(mem);
	if (!ok) {
		snprintf(err, errlen, "push: cannot write the VAPID key %s: %s", path, strerror(errno));
		unlink(tmp);
		EVP_PKEY_free(k);
		return NULL;
	}
	log_info("push: generated the VAPID key %s", path);
	return k;
}

struct vapid *vapid_open(const char *data_dir, char *err, size_t errlen)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", data_dir, VAPID_KEY_FILE);
	struct vapid *v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, errlen, "push: out of memory");
		return NULL;
	}
	*err = 0;
	v->key = load_key(path, err, errlen);
	if (!v->key && !*err)
		v->key = create_key(path, err, errlen);
	size_t n = 0;
	if (v->key &&
	    (EVP_PKEY_get_octet_string_param(v->key, OSSL_PKEY_PARAM_PUB_KEY, v->pub, sizeof(v->pub), &n) != 1 ||
	     n != sizeof(v->pub) || v->pub[0] != 0x04)) {
		snprintf(err, errlen, "push: cannot read the VAPID public key");
		EVP_PKEY_free(v->key), v->key = NULL;
	}
	if (!v->key) {
		free(v);
		return NULL;
	}
	b64_encode(B64_URL, v->pub, sizeof(v->pub), v->pub_b64, sizeof(v->pub_b64));
	return v;
}

void vapid_free(struct vapid *v)
{
	if (!v)
		return;
	EVP_PKEY_free(v->key);
	free(v);
}

const uint8_t *vapid_public_raw(const struct vapid *v)
{
	return v->pub;
}

const char *vapid_public_b64(const struct vapid *v)
{
	return v->pub_b64;
}

static int lower_copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n + 1 > cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (char)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
	dst[n] = 0;
	return 0;
}

int vapid_origin(const char *endpoint, char *out, size_t cap)
{
	const char *sep = strstr(endpoint, "://");
	if (!sep || sep == endpoint)
		return -1;
	size_t slen = (size_t)(sep - endpoint), hlen = strcspn(sep + 3, "/?#");
	const char *host = sep + 3;
	if (hlen == 0 || memchr(host, '@', hlen))
		return -1;
	char scheme[8];
	if (lower_copy(scheme, sizeof(scheme), endpoint, slen) != 0 || slen + 3 + hlen + 1 > cap)
		return -1;
	const char *dflt = !strcmp(scheme, "https") ? ":443" : !strcmp(scheme, "http") ? ":80" : NULL;
	if (dflt && hlen > strlen(dflt) && !memcmp(host + hlen - strlen(dflt), dflt, strlen(dflt)))
		hlen -= strlen(dflt);
	memcpy(out, scheme, slen);
	memcpy(out + slen, "://", 3);
	return lower_copy(out + slen + 3, cap - slen - 3, host, hlen);
}

/* JSON string content: the aud and sub come from our URL parser and config; refuse what would need escaping. */
static int json_safe(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* ES256 over data: the DER signature from OpenSSL, turned into JWS's fixed r || s (RFC 7518 §3.4). */
static int sign_es256(EVP_PKEY *key, const char *data, size_t len, uint8_t rs[64])
{
	uint8_t der[80];
	size_t dlen = sizeof(der);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, der, &dlen, (const uint8_t *)data, len) == 1;
	EVP_MD_CTX_free(md);
	const uint8_t *p = der;
	ECDSA_SIG *sig = ok ? d2i_ECDSA_SIG(NULL, &p, (long)dlen) : NULL;
	ok = sig && BN_bn2binpad(ECDSA_SIG_get0_r(sig), rs, 32) == 32 &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), rs + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}

int vapid_jwt(const struct vapid *v, const char *aud, int64_t exp_s, const char *sub, char *out, size_t cap)
{
	static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ES256\"}";
	char claims[768];
	if (!json_safe(aud) || !json_safe(sub))
		return -1;
	int cn = snprintf(claims, sizeof(claims), "{\"aud\":\"%s\",\"exp\":%lld,\"sub\":\"%s\"}", aud, (long long)exp_s,
			  sub);
	if (cn < 0 || (size_t)cn >= sizeof(claims))
		return -1;
	size_t need = B64_LEN(sizeof(header) - 1) + 1 + B64_LEN((size_t)cn) + 1 + B64_LEN(64) + 1;
	if (cap < need)
		return -1;
	int n = b64_encode(B64_URL, (const uint8_t *)header, sizeof(header) - 1, out, cap);
	out[n++] = '.';
	n += b64_encode(B64_URL, (const uint8_t *)claims, (size_t)cn, out + n, cap - (size_t)n);
	uint8_t rs[64];
	if (sign_es256(v->key, out, (size_t)n, rs) != 0)
		return -1;
	out[n++] = '.';
	n += b64_encode(B64_URL, rs, sizeof(rs), out + n, cap - (size_t)n);
	return n;
}

int vapid_authorization(const struct vapid *v, const char *endpoint, const char *sub, int64_t now_s, char *out,
			size_t cap)
{
	char aud[VAPID_ORIGIN_MAX];
	if (vapid_origin(endpoint, aud, sizeof(aud)) != 0 || cap < 16)
		return -1;
	memcpy(out, "vapid t=", 8);
	int n = vapid_jwt(v, aud, now_s + VAPID_TTL_S, sub, out + 8, cap - 8);
	if (n < 0)
		return -1;
	int m = snprintf(out + 8 + n, cap - 8 - (size_t)n, ", k=%s", v->pub_b64);
	return m < 0 || (size_t)m >= cap - 8 - (size_t)n ? -1 : 8 + n + m;
}
