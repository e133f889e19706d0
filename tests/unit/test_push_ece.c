/* test_push_ece.c: Web Push crypto — base64url, RFC 8291 Appendix A byte for byte, decryption, tampering, and VAPID
 * (the key file, endpoint origins, an ES256 JWT that OpenSSL verifies against the public key, tampered ones refused). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "server/base/base64.h"
#include "server/push/ece.h"
#include "server/push/vapid.h"
#include "tests/unit/check.h"

/* RFC 8291 Appendix A (the values as printed there, base64url). */
#define RFC_PLAINTEXT "When I grow up, I want to be a watermelon"
#define RFC_AS_PRIVATE "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
#define RFC_AS_PUBLIC "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
#define RFC_UA_PRIVATE "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
#define RFC_UA_PUBLIC "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define RFC_SALT "DGv6ra1nlYgDCS1FRnbzlw"
#define RFC_AUTH "BTBZMqHH6r4Tts7J_aSIgg"
#define RFC_BODY                                                           \
	"DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_"                   \
	"c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3" \
	"jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"

static int dec(const char *s, uint8_t *out, size_t cap)
{
	return b64_decode(B64_URL, s, strlen(s), out, cap);
}

/* RFC 4648 §10 vectors (base64url, unpadded), and inputs a strict decoder refuses. */
static void test_b64url(void)
{
	static const struct {
		const char *raw, *enc;
	} ok[] = {{"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
		  {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char out[32];
		uint8_t back[32];
		int n = b64_encode(B64_URL, (const uint8_t *)ok[i].raw, strlen(ok[i].raw), out, sizeof(out));
		CHECK(n == (int)strlen(ok[i].enc) && strcmp(out, ok[i].enc) == 0, ok[i].enc);
		int m = dec(ok[i].enc, back, sizeof(back));
		CHECK(m == (int)strlen(ok[i].raw) && memcmp(back, ok[i].raw, (size_t)m) == 0, ok[i].enc);
	}
	uint8_t b[8];
	CHECK(dec("Zm9v", b, sizeof(b)) == 3, "exact");
	CHECK(dec("Zm8=", b, sizeof(b)) == 2, "padding tolerated");
	CHECK(dec("Z", b, sizeof(b)) == -1, "a single character is no byte");
	CHECK(dec("Zh", b, sizeof(b)) == -1, "non-zero leftover bits refused");
	CHECK(dec("Zm+v", b, sizeof(b)) == -1, "'+' is base64, not base64url");
	CHECK(dec("Zm9vYmFy", b, 5) == -1, "output longer than cap refused");
	char small[4];
	CHECK(b64_encode(B64_URL, (const uint8_t *)"foo", 3, small, sizeof(small)) == -1,
	      "encode needs room for the NUL");
}

static uint8_t ua_public[ECE_POINT_LEN], ua_private[ECE_SCALAR_LEN], as_private[ECE_SCALAR_LEN], salt[ECE_SALT_LEN],
    auth[ECE_AUTH_LEN];

static void test_rfc8291_vector(void)
{
	uint8_t want[256], got[256], as_public[ECE_POINT_LEN];
	CHECK(dec(RFC_UA_PUBLIC, ua_public, sizeof(ua_public)) == ECE_POINT_LEN, "ua public decodes");
	CHECK(dec(RFC_UA_PRIVATE, ua_private, sizeof(ua_private)) == ECE_SCALAR_LEN, "ua private decodes");
	CHECK(dec(RFC_AS_PRIVATE, as_private, sizeof(as_private)) == ECE_SCALAR_LEN, "as private decodes");
	CHECK(dec(RFC_AS_PUBLIC, as_public, sizeof(as_public)) == ECE_POINT_LEN, "as public decodes");
	CHECK(dec(RFC_SALT, salt, sizeof(salt)) == ECE_SALT_LEN, "salt decodes");
	CHECK(dec(RFC_AUTH, auth, sizeof(auth)) == ECE_AUTH_LEN, "auth decodes");
	int wn = dec(RFC_BODY, want, sizeof(want));
	CHECK(wn == (int)strlen(RFC_PLAINTEXT) + ECE_OVERHEAD, "the RFC body is header + plaintext + delimiter + tag");
	int n = ece_encrypt(ua_public, auth, (const uint8_t *)RFC_PLAINTEXT, strlen(RFC_PLAINTEXT), as_private, salt,
			    got, sizeof(got));
	CHECK(n == wn, "encrypted length");
	CHECK(n == wn && memcmp(got, want, (size_t)n) == 0, "RFC 8291 Appendix A body, byte for byte");
	CHECK(memcmp(got + 21, as_public, ECE_POINT_LEN) == 0, "keyid is the sender's public key");
	CHECK(got[16] == 0 && got[17] == 0 && got[18] == 0x10 && got[19] == 0 && got[20] == 65, "rs 4096, idlen 65");

	uint8_t plain[256];
	int pn = ece_decrypt(ua_private, auth, want, (size_t)wn, plain, sizeof(plain));
	CHECK(pn == (int)strlen(RFC_PLAINTEXT) && memcmp(plain, RFC_PLAINTEXT, (size_t)pn) == 0,
	      "the RFC body decrypts to its plaintext");
	CHECK(ece_encrypt(ua_public, auth, plain, 10, as_private, salt, got, 10 + ECE_OVERHEAD - 1) == -1,
	      "encrypt refuses a short output buffer");
}

/* Fresh ephemeral keys and salts: each body differs, each opens, and nothing tampered opens. */
static void test_round_trip(void)
{
	uint8_t msg[ECE_PLAINTEXT_MAX + 1], a[ECE_RECORD_SIZE + ECE_OVERHEAD], b[sizeof(a)], out[sizeof(msg)];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	static const size_t lens[] = {0, 1, 100, ECE_PLAINTEXT_MAX};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];
		int n = ece_encrypt(ua_public, auth, msg, len, NULL, NULL, a, sizeof(a));
		int m = ece_encrypt(ua_public, auth, msg, len, NULL, NULL, b, sizeof(b));
		CHECK(n == (int)(len + ECE_OVERHEAD) && m == n, "round trip: length");
		CHECK(n > 0 && memcmp(a, b, ECE_SALT_LEN) != 0, "round trip: a fresh salt each time");
		CHECK(n > 0 && memcmp(a + 21, b + 21, ECE_POINT_LEN) != 0, "round trip: a fresh key each time");
		int pn = ece_decrypt(ua_private, auth, a, (size_t)n, out, sizeof(out));
		CHECK(pn == (int)len && memcmp(out, msg, len) == 0, "round trip: decrypts");
		a[n - 1] ^= 1;
		CHECK(ece_decrypt(ua_private, auth, a, (size_t)n, out, sizeof(out)) == -1, "round trip: tag tampered");
		a[n - 1] ^= 1, a[3] ^= 0x80;
		CHECK(ece_decrypt(ua_private, auth, a, (size_t)n, out, sizeof(out)) == -1, "round trip: salt tampered");
		a[3] ^= 0x80;
		uint8_t wrong[ECE_AUTH_LEN];
		memcpy(wrong, auth, sizeof(wrong));
		wrong[0] ^= 1;
		CHECK(ece_decrypt(ua_private, wrong, a, (size_t)n, out, sizeof(out)) == -1, "round trip: wrong auth");
	}
	CHECK(ece_encrypt(ua_public, auth, msg, ECE_PLAINTEXT_MAX + 1, NULL, NULL, a, sizeof(a)) == -1,
	      "a payload over one record is refused");
}

static void test_points(void)
{
	uint8_t p[ECE_POINT_LEN];
	memcpy(p, ua_public, sizeof(p));
	CHECK(ece_point_valid(p), "the RFC's ua key is on the curve");
	p[64] ^= 1;
	CHECK(!ece_point_valid(p), "a changed Y is off the curve");
	memcpy(p, ua_public, sizeof(p));
	p[0] = 0x03;
	CHECK(!ece_point_valid(p), "a compressed prefix is refused");
	memset(p, 0, sizeof(p));
	p[0] = 0x04;
	CHECK(!ece_point_valid(p), "(0,0) is refused");
	uint8_t out[128];
	CHECK(ece_encrypt(p, auth, (const uint8_t *)"x", 1, NULL, NULL, out, sizeof(out)) == -1,
	      "encrypting to an invalid key fails");
}

static void test_origins(void)
{
	static const struct {
		const char *url, *origin;
	} t[] = {
	    {"https://fcm.googleapis.com/fcm/send/abc:def", "https://fcm.googleapis.com"},
	    {"https://Updates.Push.Services.Mozilla.com/wpush/v2/gAAA", "https://updates.push.services.mozilla.com"},
	    {"https://web.push.apple.com:443/QGuQ", "https://web.push.apple.com"},
	    {"http://127.0.0.1:8999/push/1", "http://127.0.0.1:8999"},
	    {"http://[::1]:80/x", "http://[::1]"},
	    {"https://push.example?x=1", "https://push.example"},
	    {"HTTPS://push.example", "https://push.example"},
	    {"https://user@push.example/x", NULL},
	    {"push.example/x", NULL},
	    {"https:///x", NULL},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char o[VAPID_ORIGIN_MAX];
		int rc = vapid_origin(t[i].url, o, sizeof(o));
		CHECK(t[i].origin ? rc == 0 && strcmp(o, t[i].origin) == 0 : rc == -1, t[i].url);
	}
}

/* An EVP public key from the raw point (what a push service does with k=). */
static EVP_PKEY *public_key(const uint8_t *pt)
{
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0),
			       OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pt, ECE_POINT_LEN),
			       OSSL_PARAM_construct_end()};
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* Verify a compact JWS ES256 token: r || s converted to DER, checked with OpenSSL. 1 = valid. */
static int jwt_verifies(const char *jwt, const uint8_t *pub)
{
	const char *dot2 = strrchr(jwt, '.');
	uint8_t rs[80];
	if (!dot2 || b64_decode(B64_URL, dot2 + 1, strlen(dot2 + 1), rs, sizeof(rs)) != 64)
		return 0;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	ECDSA_SIG_set0(sig, BN_bin2bn(rs, 32, NULL), BN_bin2bn(rs + 32, 32, NULL));
	uint8_t *der = NULL;
	int dlen = i2d_ECDSA_SIG(sig, &der);
	EVP_PKEY *k = public_key(pub);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = k && dlen > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestVerify(md, der, (size_t)dlen, (const uint8_t *)jwt, (size_t)(dot2 - jwt)) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return ok;
}

static json_t *jwt_part(const char *jwt, int index)
{
	const char *p = jwt;
	for (int i = 0; i < index; i++)
		p = strchr(p, '.') + 1;
	size_t len = strcspn(p, ".");
	uint8_t raw[1024];
	int n = b64_decode(B64_URL, p, len, raw, sizeof(raw));
	return n < 0 ? NULL : json_loadb((const char *)raw, (size_t)n, 0, NULL);
}

static void test_vapid(void)
{
	char dir[] = "/tmp/samvaer-vapid-XXXXXX", err[256], path[128];
	CHECK(mkdtemp(dir) != NULL, "temp dir");
	struct vapid *v = vapid_open(dir, err, sizeof(err));
	CHECK(v != NULL, "vapid_open creates a key");
	if (!v)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, VAPID_KEY_FILE);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the key file is mode 0600");
	CHECK(strlen(vapid_public_b64(v)) == VAPID_PUBLIC_B64_LEN && vapid_public_raw(v)[0] == 0x04,
	      "public key: 87 base64url characters of an uncompressed point");
	CHECK(ece_point_valid(vapid_public_raw(v)), "the public key is on P-256");
	struct vapid *again = vapid_open(dir, err, sizeof(err));
	CHECK(again && strcmp(vapid_public_b64(again), vapid_public_b64(v)) == 0, "the key is kept across restarts");
	vapid_free(again);

	char jwt[1024], auth_hdr[VAPID_AUTH_MAX];
	int n = vapid_jwt(v, "https://push.example.net", 1700000000 + VAPID_TTL_S, "mailto:operator@localhost", jwt,
			  sizeof(jwt));
	CHECK(n > 0 && (size_t)n == strlen(jwt), "jwt length");
	CHECK(jwt_verifies(jwt, vapid_public_raw(v)), "the JWT's ES256 signature verifies with the public key");
	json_t *h = jwt_part(jwt, 0), *c = jwt_part(jwt, 1);
	CHECK(h && !strcmp(json_string_value(json_object_get(h, "alg")), "ES256"), "header alg ES256");
	CHECK(c && !strcmp(json_string_value(json_object_get(c, "aud")), "https://push.example.net"), "claim aud");
	CHECK(c && json_integer_value(json_object_get(c, "exp")) == 1700000000 + VAPID_TTL_S, "claim exp");
	CHECK(c && !strcmp(json_string_value(json_object_get(c, "sub")), "mailto:operator@localhost"), "claim sub");
	json_decref(h), json_decref(c);

	char bad[1024];
	snprintf(bad, sizeof(bad), "%s", jwt);
	char *claims = strchr(bad, '.') + 1;
	claims[2] = claims[2] == 'A' ? 'B' : 'A'; /* another audience or expiry, same signature */
	CHECK(!jwt_verifies(bad, vapid_public_raw(v)), "a tampered claim fails verification");
	snprintf(bad, sizeof(bad), "%s", jwt);
	char *sig = strrchr(bad, '.') + 1;
	sig[5] = sig[5] == 'A' ? 'B' : 'A';
	CHECK(!jwt_verifies(bad, vapid_public_raw(v)), "a tampered signature fails verification");
	uint8_t other[ECE_POINT_LEN];
	memcpy(other, ua_public, sizeof(other));
	CHECK(!jwt_verifies(jwt, other), "another key does not verify it");
	CHECK(vapid_jwt(v, "https://x\"y", 1, "mailto:a@b", jwt, sizeof(jwt)) == -1, "a quote in aud is refused");

	n = vapid_authorization(v, "https://push.example.net:443/send/abc", "mailto:a@b", 1700000000, auth_hdr,
				sizeof(auth_hdr));
	CHECK(n > 0 && !strncmp(auth_hdr, "vapid t=", 8), "Authorization starts with vapid t=");
	char want_k[128];
	snprintf(want_k, sizeof(want_k), ", k=%s", vapid_public_b64(v));
	CHECK(n > 0 && strstr(auth_hdr, want_k) && !strcmp(strstr(auth_hdr, want_k), want_k), "ends with , k=KEY");
	if (n > 0) {
		*strstr(auth_hdr, ", k=") = 0;
		c = jwt_part(auth_hdr + 8, 1);
		CHECK(c && !strcmp(json_string_value(json_object_get(c, "aud")), "https://push.example.net"),
		      "aud is the endpoint's origin");
		int64_t exp = c ? json_integer_value(json_object_get(c, "exp")) : 0;
		CHECK(exp > 1700000000 && exp <= 1700000000 + 24 * 3600, "exp within 24 h");
		CHECK(jwt_verifies(auth_hdr + 8, vapid_public_raw(v)), "the header's token verifies");
		json_decref(c);
	}
	vapid_free(v);

	FILE *f = fopen(path, "w");
	fputs("not a key\n", f);
	fclose(f);
	CHECK(vapid_open(dir, err, sizeof(err)) == NULL && strstr(err, "P-256"), "a damaged key file is an error");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_b64url();
	test_rfc8291_vector();
	test_round_trip();
	test_points();
	test_origins();
	test_vapid();
	return check_done("push_ece");
}
