/* ece.c: RFC 8291 key derivation (ECDH + HKDF-SHA256 over the auth secret) and RFC 8188 aes128gcm records. */
#include "server/push/ece.h"

#include <string.h>
#include <sys/random.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

/*
 * aes128gcm body (RFC 8188 §2.1):
 *   +-----------+--------+-----------+---------------+
 *   | salt (16) | rs (4) | idlen (1) | keyid (idlen) |   keyid = the sender's ephemeral public key (65)
 *   +-----------+--------+-----------+---------------+
 *   then records of rs bytes: AES-128-GCM(plaintext || 0x02 || zero padding) || tag (16); we send one record.
 */
#define OFF_RS ECE_SALT_LEN
#define OFF_IDLEN (OFF_RS + 4)
#define OFF_KEYID (OFF_IDLEN + 1)

/* P-256 key from a raw private scalar (public point computed) or a raw public point (priv NULL). */
static EVP_PKEY *key_from_raw(const uint8_t *priv, const uint8_t *pub_in)
{
	uint8_t pub[ECE_POINT_LEN];
	EVP_PKEY *key = NULL;
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
	BIGNUM *d = priv ? BN_bin2bn(priv, ECE_SCALAR_LEN, NULL) : NULL;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pt || !b || !ctx || (priv && !d))
		goto out;
	if (priv) {
		if (!EC_POINT_mul(g, pt, d, NULL, NULL, NULL) ||
		    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), NULL) != sizeof(pub))
			goto out;
	} else {
		memcpy(pub, pub_in, sizeof(pub));
		if (!EC_POINT_oct2point(g, pt, pub, sizeof(pub), NULL)) /* checks the point is on the curve */
			goto out;
	}
	if (!OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) ||
	    (d && !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d)) || !(params = OSSL_PARAM_BLD_to_param(b)))
		goto out;
	if (EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	return key;
}

int ece_point_valid(const uint8_t p[ECE_POINT_LEN])
{
	if (p[0] != 0x04)
		return 0;
	EVP_PKEY *k = key_from_raw(NULL, p);
	EVP_PKEY_free(k);
	return k != NULL;
}

static EVP_PKEY *key_generate(void)
{
	return EVP_EC_gen("prime256v1");
}

static int public_raw(EVP_PKEY *k, uint8_t out[ECE_POINT_LEN])
{
	size_t n = 0;
	return EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, out, ECE_POINT_LEN, &n) == 1 &&
		n == ECE_POINT_LEN
	    ? 0
	    : -1;
}

static int ecdh(EVP_PKEY *mine, EVP_PKEY *peer, uint8_t secret[32])
{
	size_t n = 32;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(mine, NULL);
	int ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, peer) > 0 &&
	    EVP_PKEY_derive(ctx, secret, &n) > 0 && n == 32;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* HMAC-SHA-256(key, a || b || c), any part may be empty. */
static int hmac3(const uint8_t *key, size_t klen, const void *a, size_t alen, const void *b, size_t blen, const void *c,
		 size_t clen, uint8_t out[32])
{
	size_t n = 0;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
			       OSSL_PARAM_construct_end()};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *h = mac ? EVP_MAC_CTX_new(mac) : NULL;
	int ok = h && EVP_MAC_init(h, key, klen, params) && (!alen || EVP_MAC_update(h, a, alen)) &&
	    (!blen || EVP_MAC_update(h, b, blen)) && (!clen || EVP_MAC_update(h, c, clen)) &&
	    EVP_MAC_final(h, out, &n, 32) && n == 32;
	EVP_MAC_CTX_free(h);
	EVP_MAC_free(mac);
	return ok ? 0 : -1;
}

/* RFC 8291 §3.4 and RFC 8188 §2.2-2.3: the content encryption key and nonce for (ecdh secret, auth, keys, salt). */
static int derive(const uint8_t secret[32], const uint8_t auth[ECE_AUTH_LEN], const uint8_t ua_public[ECE_POINT_LEN],
		  const uint8_t as_public[ECE_POINT_LEN], const uint8_t salt[ECE_SALT_LEN], uint8_t cek[16],
		  uint8_t nonce[12])
{
	static const char key_label[] = "WebPush: info";               /* written with its 0x00 */
	static const char cek_label[] = "Content-Encoding: aes128gcm"; /* likewise */
	static const char nonce_label[] = "Content-Encoding: nonce";
	static const uint8_t one = 1;
	uint8_t prk_key[32], info[sizeof(key_label) + 2 * ECE_POINT_LEN + 1], ikm[32], prk[32], t[32];
	memcpy(info, key_label, sizeof(key_label));
	memcpy(info + sizeof(key_label), ua_public, ECE_POINT_LEN);
	memcpy(info + sizeof(key_label) + ECE_POINT_LEN, as_public, ECE_POINT_LEN);
	info[sizeof(info) - 1] = one;
	int rc = hmac3(auth, ECE_AUTH_LEN, secret, 32, NULL, 0, NULL, 0, prk_key) || /* HKDF-Extract(auth, ecdh) */
	    hmac3(prk_key, 32, info, sizeof(info), NULL, 0, NULL, 0, ikm) ||         /* HKDF-Expand(.., key_info, 32) */
	    hmac3(salt, ECE_SALT_LEN, ikm, 32, NULL, 0, NULL, 0, prk) ||             /* HKDF-Extract(salt, IKM) */
	    hmac3(prk, 32, cek_label, sizeof(cek_label), &one, 1, NULL, 0, t);
	memcpy(cek, t, 16);
	rc = rc || hmac3(prk, 32, nonce_label, sizeof(nonce_label), &one, 1, NULL, 0, t);
	memcpy(nonce, t, 12);
	OPENSSL_cleanse(prk_key, sizeof(prk_key));
	OPENSSL_cleanse(ikm, sizeof(ikm));
	OPENSSL_cleanse(prk, sizeof(prk));
	OPENSSL_cleanse(t, sizeof(t));
	return rc ? -1 : 0;
}

/* AES-128-GCM one shot; enc 1 encrypts in -> out || tag, enc 0 checks tag (after in) and decrypts. */
static int gcm(int enc, const uint8_t key[16], const uint8_t nonce[12], const uint8_t *in, size_t len, uint8_t *out)
{
	int n = 0, m = 0;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok = c && EVP_CipherInit_ex(c, EVP_aes_128_gcm(), NULL, key, nonce, enc) &&
	    (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, ECE_TAG_LEN, (void *)(in + len))) &&
	    EVP_CipherUpdate(c, out, &n, in, (int)len) && EVP_CipherFinal_ex(c, out + n, &m) &&
	    (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, ECE_TAG_LEN, out + len));
	EVP_CIPHER_CTX_free(c);
	return ok && (size_t)(n + m) == len ? 0 : -1;
}

int ece_encrypt(const uint8_t ua_public[ECE_POINT_LEN], const uint8_t auth[ECE_AUTH_LEN], const uint8_t *plain,
		size_t len, const uint8_t *as_private, const uint8_t *salt, uint8_t *out, size_t cap)
{
	if (len > ECE_PLAINTEXT_MAX || cap < len + ECE_OVERHEAD)
		return -1;
	uint8_t secret[32], cek[16], nonce[12], record[ECE_RECORD_SIZE];
	int rc = -1;
	EVP_PKEY *ua = key_from_raw(NULL, ua_public);
	EVP_PKEY *as = as_private ? key_from_raw(as_private, NULL) : key_generate();
	if (!ua || !as || public_raw(as, out + OFF_KEYID) != 0 || ecdh(as, ua, secret) != 0)
		goto out;
	if (salt)
		memcpy(out, salt, ECE_SALT_LEN);
	else if (getrandom(out, ECE_SALT_LEN, 0) != ECE_SALT_LEN)
		goto out;
	out[OFF_RS] = (uint8_t)(ECE_RECORD_SIZE >> 24), out[OFF_RS + 1] = (uint8_t)(ECE_RECORD_SIZE >> 16);
	out[OFF_RS + 2] = (uint8_t)(ECE_RECORD_SIZE >> 8), out[OFF_RS + 3] = (uint8_t)ECE_RECORD_SIZE;
	out[OFF_IDLEN] = ECE_POINT_LEN;
	if (derive(secret, auth, ua_public, out + OFF_KEYID, out, cek, nonce) != 0)
		goto out;
	memcpy(record, plain, len);
	record[len] = 0x02; /* the last (and only) record's delimiter; no padding */
	if (gcm(1, cek, nonce, record, len + 1, out + ECE_HEADER_LEN) == 0)
		rc = (int)(len + ECE_OVERHEAD);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(cek, sizeof(cek));
	OPENSSL_cleanse(record, sizeof(record));
	EVP_PKEY_free(ua);
	EVP_PKEY_free(as);
	return rc;
}

int ece_decrypt(const uint8_t ua_private[ECE_SCALAR_LEN], const uint8_t auth[ECE_AUTH_LEN], const uint8_t *body,
		size_t len, uint8_t *out, size_t cap)
{
	if (len < ECE_OVERHEAD || body[OFF_IDLEN] != ECE_POINT_LEN)
		return -1;
	uint32_t rs = (uint32_t)body[OFF_RS] << 24 | (uint32_t)body[OFF_RS + 1] << 16 |
	    (uint32_t)body[OFF_RS + 2] << 8 | body[OFF_RS + 3];
	size_t clen = len - ECE_HEADER_LEN; /* one record: ciphertext || tag */
	if (rs < 18 || clen > rs || clen < ECE_TAG_LEN + 1)
		return -1;
	uint8_t secret[32], cek[16], nonce[12], ua_public[ECE_POINT_LEN], record[ECE_RECORD_SIZE];
	int rc = -1;
	EVP_PKEY *ua = key_from_raw(ua_private, NULL);
	EVP_PKEY *as = key_from_raw(NULL, body + OFF_KEYID);
	if (!ua || !as || public_raw(ua, ua_public) != 0 || ecdh(ua, as, secret) != 0 ||
	    derive(secret, auth, ua_public, body + OFF_KEYID, body, cek, nonce) != 0 ||
	    gcm(0, cek, nonce, body + ECE_HEADER_LEN, clen - ECE_TAG_LEN, record) != 0)
		goto out;
	size_t n = clen - ECE_TAG_LEN;
	while (n > 0 && record[n - 1] == 0)
		n--; /* padding */
	if (n == 0 || record[n - 1] != 0x02 || n - 1 > cap)
		goto out; /* a single record must be the last one */
	memcpy(out, record, n - 1);
	rc = (int)(n - 1);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(cek, sizeof(cek));
	OPENSSL_cleanse(record, sizeof(record));
	EVP_PKEY_free(ua);
	EVP_PKEY_free(as);
	return rc;
}
