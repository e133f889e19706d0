/* test_srtp.c: unit tests for media/srtp: RFC 3711 vectors via an independent OpenSSL model, round trips,
 * tamper and replay detection, outbound index reuse, RFC 5764 key layout and argument errors. */
#include "media/srtp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include "tests/unit/media/check_media.h"

/* ---- Independent model of RFC 3711 AES-CM / KDF and RFC 7714 AES-GCM, on OpenSSL ---- */

static void aes_block(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, out, &n, in, 16);
	EVP_CIPHER_CTX_free(c);
}

/* RFC 3711 §4.1.1: keystream = E(k, IV) || E(k, IV + 1) || ... (128-bit big-endian counter). */
static void aes_cm(const uint8_t key[16], const uint8_t iv0[16], uint8_t *out, size_t n)
{
	uint8_t iv[16], ks[16];
	memcpy(iv, iv0, 16);
	for (size_t off = 0; off < n; off += 16) {
		aes_block(key, iv, ks);
		for (size_t i = 0; i < 16 && off + i < n; i++)
			out[off + i] = ks[i];
		for (int i = 15; i >= 0 && ++iv[i] == 0; i--)
			;
	}
}

/* RFC 3711 §4.3.1 with kdr = 0: x = (label << 48) XOR master_salt; output = AES-CM(master_key, x * 2^16). */
static void kdf(const uint8_t mkey[16], const uint8_t *msalt, size_t salt_len, uint8_t label, uint8_t *out, size_t n)
{
	uint8_t iv[16] = {0};
	memcpy(iv, msalt, salt_len); /* a 96-bit (GCM) salt is zero-extended to 112 bits */
	iv[7] ^= label;
	aes_cm(mkey, iv, out, n);
}

/* Expected SRTP (AES-CM + HMAC-SHA1-80) packet for a 12-byte header, ROC 0. Returns length. */
static size_t model_cm_protect(const uint8_t mkey[16], const uint8_t msalt[14], const uint8_t *pkt, size_t len,
			       uint8_t *out)
{
	uint8_t ke[16], ks[14], ka[20], iv[16] = {0}, stream[1500];
	kdf(mkey, msalt, 14, 0, ke, 16);
	kdf(mkey, msalt, 14, 1, ka, 20);
	kdf(mkey, msalt, 14, 2, ks, 14);
	memcpy(iv, ks, 14);
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= pkt[8 + i];    /* SSRC * 2^64 */
	iv[12] ^= pkt[2], iv[13] ^= pkt[3]; /* index (ROC 0 || SEQ) * 2^16 */
	aes_cm(ke, iv, stream, len - 12);
	memcpy(out, pkt, len);
	for (size_t i = 12; i < len; i++)
		out[i] ^= stream[i - 12];
	uint8_t mac_in[1600], mac[20];
	unsigned ml = 0;
	memcpy(mac_in, out, len);
	memset(mac_in + len, 0, 4); /* ROC */
	HMAC(EVP_sha1(), ka, 20, mac_in, len + 4, mac, &ml);
	memcpy(out + len, mac, 10);
	return len + 10;
}

/* Expected SRTP AEAD_AES_128_GCM packet (RFC 7714 §8), ROC 0. */
static size_t model_gcm_protect(const uint8_t mkey[16], const uint8_t msalt[12], const uint8_t *pkt, size_t len,
				uint8_t *out)
{
	uint8_t ke[16], ks[12], iv[12] = {0};
	kdf(mkey, msalt, 12, 0, ke, 16);
	kdf(mkey, msalt, 12, 2, ks, 12);
	memcpy(iv + 2, pkt + 8, 4); /* 00 00 || SSRC || ROC || SEQ */
	iv[10] = pkt[2], iv[11] = pkt[3];
	for (int i = 0; i < 12; i++)
		iv[i] ^= ks[i];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0;
	EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL);
	EVP_EncryptInit_ex(c, NULL, NULL, ke, iv);
	EVP_EncryptUpdate(c, NULL, &n, pkt, 12); /* AAD: the RTP header */
	memcpy(out, pkt, 12);
	EVP_EncryptUpdate(c, out + 12, &n, pkt + 12, (int)(len - 12));
	EVP_EncryptFinal_ex(c, out + 12 + n, &n);
	EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + len);
	EVP_CIPHER_CTX_free(c);
	return len + 16;
}

/* RFC 3711 Appendix B.2 (AES-CM keystream) and B.3 (key derivation) vectors against the model. */
static void test_rfc3711_vectors(void)
{
	uint8_t key[16], iv[16], ks[16], want[16];
	unhex("2B7E151628AED2A6ABF7158809CF4F3C", key);
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv);
	static const struct {
		unsigned block;
		const char *ks;
	} b2[] = {
	    {0x0000, "E03EAD0935C95E80E166B16DD92B4EB4"}, {0x0001, "D23513162B02D0F72A43A2FE4A5F97AB"},
	    {0x0002, "41E95B3BB0A2E8DD477901E4FCA894C0"}, {0xFEFF, "EC8CDF7398607CB0F2D21675EA9EA1E4"},
	    {0xFF00, "362B7C3C6773516318A077D7FC5073AE"}, {0xFF01, "6A2CC3787889374FBEB4C81B17BA6C44"},
	};
	for (size_t i = 0; i < sizeof(b2) / sizeof(b2[0]); i++) {
		uint8_t ivb[16];
		memcpy(ivb, iv, 16);
		ivb[14] = (uint8_t)(b2[i].block >> 8), ivb[15] = (uint8_t)b2[i].block;
		aes_cm(key, ivb, ks, 16);
		unhex(b2[i].ks, want);
		CHECK(memcmp(ks, want, 16) == 0, "RFC 3711 B.2 keystream block %04x", b2[i].block);
	}
	uint8_t mk[16], ms[14], out[20], w[20];
	unhex("E1F97A0D3E018BE0D64FA32C06DE4139", mk);
	unhex("0EC675AD498AFEEBB6960B3AABE6", ms);
	static const struct {
		uint8_t label;
		size_t n;
		const char *want;
	} b3[] = {
	    {0, 16, "C61E7A93744F39EE10734AFE3FF7A087"},
	    {2, 14, "30CBBC08863D8C85D49DB34A9AE1"},
	    {1, 20, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"},
	};
	for (size_t i = 0; i < sizeof(b3) / sizeof(b3[0]); i++) {
		kdf(mk, ms, 14, b3[i].label, out, b3[i].n);
		unhex(b3[i].want, w);
		CHECK(memcmp(out, w, b3[i].n) == 0, "RFC 3711 B.3 derived key, label %u", b3[i].label);
	}
}

/* libsrtp output equals the independent model, for both profiles, with the B.3 master key. */
static void test_known_answer(void)
{
	uint8_t mk[16], ms[14], pkt[64], buf[128], want[128];
	unhex("E1F97A0D3E018BE0D64FA32C06DE4139", mk);
	unhex("0EC675AD498AFEEBB6960B3AABE6", ms);
	size_t n = unhex("80 6f 1234 | 00003039 | cafebabe | 000102030405060708090a0b0c0d0e0f1011121314", pkt);
	static const struct {
		enum srtp_session_profile prof;
		const char *name;
	} t[] = {
	    {SRTP_SESSION_AES128_CM_SHA1_80, "AES-CM"},
	    {SRTP_SESSION_AEAD_AES_128_GCM, "GCM"},
	};
	for (size_t i = 0; i < 2; i++) {
		struct srtp_session s;
		CHECK(srtp_session_create_raw(&s, t[i].prof, mk, ms, SRTP_SESSION_OUTBOUND) == SRTP_SESSION_OK,
		      "%s create", t[i].name);
		memcpy(buf, pkt, n);
		size_t len = n;
		int rc = srtp_session_protect_rtp(&s, buf, &len, sizeof(buf));
		size_t wn = t[i].prof == SRTP_SESSION_AEAD_AES_128_GCM ? model_gcm_protect(mk, ms, pkt, n, want)
								       : model_cm_protect(mk, ms, pkt, n, want);
		CHECK(rc == SRTP_SESSION_OK && len == wn && memcmp(buf, want, wn) == 0,
		      "%s: libsrtp output equals the independent RFC model (rc %d, len %zu/%zu)", t[i].name, rc, len,
		      wn);
		srtp_session_destroy(&s);
	}
}

/* Sessions for both directions from one RFC 5764 block: DTLS client outbound -> server inbound. */
static int make_pair(enum srtp_session_profile prof, struct srtp_session *out, struct srtp_session *in)
{
	uint8_t km[64];
	for (size_t i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)(i * 7 + 3);
	size_t kl = srtp_session_km_len(prof);
	int a = srtp_session_create(out, prof, km, kl, SRTP_SESSION_DTLS_CLIENT, SRTP_SESSION_OUTBOUND);
	int b = srtp_session_create(in, prof, km, kl, SRTP_SESSION_DTLS_SERVER, SRTP_SESSION_INBOUND);
	return a == SRTP_SESSION_OK && b == SRTP_SESSION_OK;
}

static size_t rtp_packet(uint8_t *b, uint16_t seq, size_t payload)
{
	static const uint8_t hdr[12] = {0x80, 0x6f, 0, 0, 0, 0, 0x03, 0xc0, 0x11, 0x22, 0x33, 0x44};
	memcpy(b, hdr, 12);
	b[2] = (uint8_t)(seq >> 8), b[3] = (uint8_t)seq;
	for (size_t i = 0; i < payload; i++)
		b[12 + i] = (uint8_t)(i ^ seq);
	return 12 + payload;
}

static void test_round_trip(enum srtp_session_profile prof, const char *name, size_t tag)
{
	struct srtp_session out, in;
	CHECK(make_pair(prof, &out, &in), "%s: create pair", name);
	uint8_t b[1300], orig[1300];
	for (uint16_t seq = 65530; seq != 10; seq++) { /* crosses the ROC boundary */
		size_t n = rtp_packet(orig, seq, 1000), len = n;
		memcpy(b, orig, n);
		int rc = srtp_session_protect_rtp(&out, b, &len, sizeof(b));
		CHECK(rc == SRTP_SESSION_OK && len == n + tag && memcmp(b + 12, orig + 12, 16) != 0,
		      "%s: protect seq %u", name, seq);
		rc = srtp_session_unprotect_rtp(&in, b, &len);
		CHECK(rc == SRTP_SESSION_OK && len == n && memcmp(b, orig, n) == 0, "%s: unprotect seq %u rc %d", name,
		      seq, rc);
	}
	/* Protect writes nothing past the documented overhead (libsrtp says it may use SRTP_MAX_TRAILER_LEN). */
	uint8_t big[1400];
	memset(big, 0xee, sizeof(big));
	size_t bn = rtp_packet(big, 20, 1000), blen = bn;
	CHECK(srtp_session_protect_rtp(&out, big, &blen, bn + SRTP_SESSION_RTP_OVERHEAD) == SRTP_SESSION_OK,
	      "%s: protect with exact room", name);
	bool clean = true;
	for (size_t i = bn + SRTP_SESSION_RTP_OVERHEAD; i < sizeof(big); i++)
		clean = clean && big[i] == 0xee;
	CHECK(clean && blen <= bn + SRTP_SESSION_RTP_OVERHEAD, "%s: RTP canary intact", name);
	blen = 8;
	memset(big, 0xee, sizeof(big));
	memcpy(big, "\x80\xc9\x00\x01\x11\x22\x33\x44", 8);
	CHECK(srtp_session_protect_rtcp(&out, big, &blen, 8 + SRTP_SESSION_RTCP_OVERHEAD) == SRTP_SESSION_OK,
	      "%s: protect RTCP with exact room", name);
	clean = true;
	for (size_t i = 8 + SRTP_SESSION_RTCP_OVERHEAD; i < 64; i++)
		clean = clean && big[i] == 0xee;
	CHECK(clean && blen <= 8 + SRTP_SESSION_RTCP_OVERHEAD, "%s: RTCP canary intact", name);
	/* Tamper: flip one bit in payload, header, and tag. */
	static const size_t flip_at[] = {20, 3, 1012 + 2};
	for (size_t i = 0; i < 3; i++) {
		size_t n = rtp_packet(b, (uint16_t)(100 + i), 1000), len = n;
		srtp_session_protect_rtp(&out, b, &len, sizeof(b));
		b[flip_at[i]] ^= 0x01;
		int rc = srtp_session_unprotect_rtp(&in, b, &len);
		CHECK(rc == SRTP_SESSION_ERR_AUTH, "%s: tamper at %zu detected (rc %d)", name, flip_at[i], rc);
	}
	/* Replay: the same protected packet twice. */
	size_t n = rtp_packet(b, 200, 100), len = n;
	srtp_session_protect_rtp(&out, b, &len, sizeof(b));
	uint8_t copy[200];
	memcpy(copy, b, len);
	size_t clen = len;
	CHECK(srtp_session_unprotect_rtp(&in, b, &len) == SRTP_SESSION_OK, "%s: first copy accepted", name);
	int rc = srtp_session_unprotect_rtp(&in, copy, &clen);
	CHECK(rc == SRTP_SESSION_ERR_REPLAY, "%s: replay detected (rc %d)", name, rc);
	/* RTCP round trip, tamper and replay. */
	uint8_t rr[64] = {0x80, 0xc9, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
	len = 8;
	CHECK(srtp_session_protect_rtcp(&out, rr, &len, sizeof(rr)) == SRTP_SESSION_OK && len == 8 + 4 + tag,
	      "%s: protect RTCP len %zu", name, len);
	memcpy(copy, rr, len);
	clen = len;
	CHECK(srtp_session_unprotect_rtcp(&in, rr, &len) == SRTP_SESSION_OK && len == 8 && rr[4] == 0x11,
	      "%s: unprotect RTCP", name);
	CHECK(srtp_session_unprotect_rtcp(&in, copy, &clen) == SRTP_SESSION_ERR_REPLAY, "%s: RTCP replay", name);
	uint8_t rr2[64] = {0x80, 0xc9, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
	len = 8;
	srtp_session_protect_rtcp(&out, rr2, &len, sizeof(rr2));
	rr2[6] ^= 0x80;
	CHECK(srtp_session_unprotect_rtcp(&in, rr2, &len) == SRTP_SESSION_ERR_AUTH, "%s: RTCP tamper", name);
	srtp_session_destroy(&out);
	srtp_session_destroy(&in);
}

/* Outbound never protects one index twice, on either profile and either GCM (SAMVAER_SRTP_GCM=libsrtp2 runs this
 * on libsrtp2's, where it holds only because allow_repeat_tx is off); fresh reordered indices still go out. */
static void test_outbound_reuse(enum srtp_session_profile prof, const char *name)
{
	struct srtp_session out, in;
	if (!make_pair(prof, &out, &in)) {
		CHECK(0, "%s: pair", name);
		return;
	}
	uint8_t b[200];
	int rc[6];
	static const uint16_t seqs[6] = {300, 300, 303, 301, 302, 301};
	for (int i = 0; i < 6; i++) {
		size_t len = rtp_packet(b, seqs[i], 50);
		rc[i] = srtp_session_protect_rtp(&out, b, &len, sizeof b);
	}
	CHECK(rc[0] == 0 && rc[1] == SRTP_SESSION_ERR_REPLAY, "%s: same index twice: %d %d", name, rc[0], rc[1]);
	CHECK(rc[2] == 0 && rc[3] == 0 && rc[4] == 0, "%s: reordered fresh indices: %d %d %d", name, rc[2], rc[3],
	      rc[4]);
	CHECK(rc[5] == SRTP_SESSION_ERR_REPLAY, "%s: a reordered one again: %d", name, rc[5]);
	srtp_session_destroy(&out);
	srtp_session_destroy(&in);
}

static void test_errors(void)
{
	uint8_t km[60] = {1}, b[64];
	struct srtp_session s, in;
	CHECK(srtp_session_km_len(SRTP_SESSION_AES128_CM_SHA1_80) == SRTP_SESSION_KM_LEN_CM &&
		  srtp_session_km_len(SRTP_SESSION_AEAD_AES_128_GCM) == SRTP_SESSION_KM_LEN_GCM &&
		  srtp_session_km_len((enum srtp_session_profile)3) == 0,
	      "km lengths");
	CHECK(srtp_session_create(&s, SRTP_SESSION_AEAD_AES_128_GCM, km, 60, SRTP_SESSION_DTLS_SERVER,
				  SRTP_SESSION_OUTBOUND) == SRTP_SESSION_ERR_KEY_LEN,
	      "GCM with 60 bytes");
	CHECK(srtp_session_create(&s, SRTP_SESSION_AES128_CM_SHA1_80, km, 56, SRTP_SESSION_DTLS_SERVER,
				  SRTP_SESSION_OUTBOUND) == SRTP_SESSION_ERR_KEY_LEN,
	      "CM with 56 bytes");
	CHECK(srtp_session_create(&s, (enum srtp_session_profile)2, km, 60, SRTP_SESSION_DTLS_SERVER,
				  SRTP_SESSION_OUTBOUND) == SRTP_SESSION_ERR_ARG,
	      "unknown profile");
	CHECK(make_pair(SRTP_SESSION_AES128_CM_SHA1_80, &s, &in), "pair");
	size_t n = rtp_packet(b, 1, 20), len = n;
	CHECK(srtp_session_protect_rtp(&s, b, &len, n + 15) == SRTP_SESSION_ERR_NOSPACE, "no room for tag");
	CHECK(srtp_session_protect_rtp(&in, b, &len, sizeof(b)) == SRTP_SESSION_ERR_ARG, "protect on inbound");
	CHECK(srtp_session_unprotect_rtp(&s, b, &len) == SRTP_SESSION_ERR_ARG, "unprotect on outbound");
	len = 11;
	CHECK(srtp_session_protect_rtp(&s, b, &len, sizeof(b)) == SRTP_SESSION_ERR_PARSE, "11-byte RTP");
	len = 7;
	CHECK(srtp_session_unprotect_rtcp(&in, b, &len) == SRTP_SESSION_ERR_PARSE, "7-byte RTCP");
	len = n;
	srtp_session_protect_rtp(&s, b, &len, sizeof(b));
	len = 14; /* header + 2 bytes: shorter than the tag */
	int rc = srtp_session_unprotect_rtp(&in, b, &len);
	CHECK(rc == SRTP_SESSION_ERR_PARSE || rc == SRTP_SESSION_ERR_AUTH, "truncated SRTP rejected (%d)", rc);
	/* Wrong direction of the key layout: client outbound vs client inbound uses the other key. */
	struct srtp_session wrong;
	uint8_t k2[60];
	for (size_t i = 0; i < 60; i++)
		k2[i] = (uint8_t)(i * 7 + 3);
	CHECK(srtp_session_create(&wrong, SRTP_SESSION_AES128_CM_SHA1_80, k2, 60, SRTP_SESSION_DTLS_CLIENT,
				  SRTP_SESSION_INBOUND) == SRTP_SESSION_OK,
	      "client inbound");
	n = rtp_packet(b, 2, 20), len = n;
	srtp_session_protect_rtp(&s, b, &len, sizeof(b));
	CHECK(srtp_session_unprotect_rtp(&wrong, b, &len) == SRTP_SESSION_ERR_AUTH, "client-inbound key differs");
	CHECK(strcmp(srtp_session_strerror(SRTP_SESSION_ERR_REPLAY), "replayed or too old packet") == 0, "strerror");
	srtp_session_destroy(&wrong);
	srtp_session_destroy(&s);
	srtp_session_destroy(&in);
}

int main(void)
{
	CHECK(srtp_session_lib_init() == SRTP_SESSION_OK, "lib init");
	test_rfc3711_vectors();
	test_known_answer();
	test_round_trip(SRTP_SESSION_AEAD_AES_128_GCM, "GCM", 16);
	test_round_trip(SRTP_SESSION_AES128_CM_SHA1_80, "AES-CM", 10);
	test_outbound_reuse(SRTP_SESSION_AEAD_AES_128_GCM, "GCM");
	test_outbound_reuse(SRTP_SESSION_AES128_CM_SHA1_80, "AES-CM");
	test_errors();
	printf("test_srtp: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
