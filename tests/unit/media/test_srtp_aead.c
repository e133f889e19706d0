/* test_srtp_aead.c: unit tests for media/srtp_aead: RFC 7714 §16-17 vectors; interoperates with libsrtp2's own GCM both ways (RTP across a ROC wrap, CSRCs, extensions, RTCP); tampering, replays, the window, outbound index reuse, stream limits and malformed packets. */
#include "media/srtp.h"
#include "media/srtp_aead.h"

#include <string.h>
#include <srtp2/srtp.h>
#include "tests/unit/media/check_media.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t salt[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

/* An RTP packet of `total` bytes: shape 0 plain, 1 with two CSRCs, 2 with a one-byte-header extension. */
static size_t rtp_packet(uint8_t *b, uint16_t seq, size_t total, int shape, uint32_t ssrc)
{
	static const uint8_t hdr[12] = {0x80, 0x60, 0, 0, 0, 0, 0x10, 0x00};
	memcpy(b, hdr, 12);
	b[2] = (uint8_t)(seq >> 8), b[3] = (uint8_t)seq;
	b[8] = (uint8_t)(ssrc >> 24), b[9] = (uint8_t)(ssrc >> 16), b[10] = (uint8_t)(ssrc >> 8), b[11] = (uint8_t)ssrc;
	size_t h = 12;
	if (shape == 1) {
		b[0] |= 2;
		memset(b + 12, 0x33, 8);
		h = 20;
	} else if (shape == 2) {
		b[0] |= 0x10;
		static const uint8_t ext[12] = {0xbe, 0xde, 0, 2, 0x22, 1, 2, 3, 0x10, 0x55, 0, 0};
		memcpy(b + 12, ext, sizeof ext);
		h = 24;
	}
	for (size_t i = h; i < total; i++)
		b[i] = (uint8_t)(i * 7 + seq);
	return total > h ? total : h;
}

static size_t rtcp_packet(uint8_t *b, uint8_t tag)
{
	static const uint8_t sr[28] = {0x80, 200, 0, 6, 0x12, 0x34, 0x56, 0x78, 1, 2, 3, 4, 5,    6,
				       7,    8,   0, 0, 1,    0,    0,    0,    0, 9, 0, 0, 0x10, 0};
	memcpy(b, sr, sizeof sr);
	b[27] = tag;
	return sizeof sr;
}

/* One side of a pair: ours (srtp_session, GCM is srtp_aead) or libsrtp2's own GCM, made directly. */
struct side {
	bool lib;
	struct srtp_session ours;
	srtp_t libctx;
};

static int side_make(struct side *s, bool lib, bool outbound)
{
	memset(s, 0, sizeof *s);
	s->lib = lib;
	if (!lib)
		return srtp_session_create_raw(&s->ours, SRTP_SESSION_AEAD_AES_128_GCM, key, salt,
					       outbound ? SRTP_SESSION_OUTBOUND : SRTP_SESSION_INBOUND);
	uint8_t master[28];
	memcpy(master, key, 16);
	memcpy(master + 16, salt, 12);
	srtp_policy_t pol;
	memset(&pol, 0, sizeof pol);
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
	srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = master;
	pol.window_size = 1024;
	return srtp_create(&s->libctx, &pol) == srtp_err_status_ok ? 0 : -1;
}

static void side_free(struct side *s)
{
	if (s->lib)
		srtp_dealloc(s->libctx);
	else
		srtp_session_destroy(&s->ours);
}

static int side_protect(struct side *s, uint8_t *b, size_t *len, bool rtcp)
{
	if (!s->lib)
		return rtcp ? srtp_session_protect_rtcp(&s->ours, b, len, 1600)
			    : srtp_session_protect_rtp(&s->ours, b, len, 1600);
	int n = (int)*len;
	srtp_err_status_t st = rtcp ? srtp_protect_rtcp(s->libctx, b, &n) : srtp_protect(s->libctx, b, &n);
	*len = (size_t)n;
	return st == srtp_err_status_ok ? 0 : -1;
}

static int side_unprotect(struct side *s, uint8_t *b, size_t *len, bool rtcp)
{
	if (!s->lib)
		return rtcp ? srtp_session_unprotect_rtcp(&s->ours, b, len)
			    : srtp_session_unprotect_rtp(&s->ours, b, len);
	int n = (int)*len;
	srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp(s->libctx, b, &n) : srtp_unprotect(s->libctx, b, &n);
	*len = (size_t)n;
	return st == srtp_err_status_ok ? 0 : -1;
}

/* n RTP packets from seq0 (crossing 65535 -> 0 moves the ROC), every shape and size, then RTCP. */
static void cross(const char *name, bool tx_lib, bool rx_lib, uint16_t seq0, int n)
{
	struct side tx, rx;
	CHECK(side_make(&tx, tx_lib, true) == 0 && side_make(&rx, rx_lib, false) == 0, "%s: sessions", name);
	uint8_t b[1600], ref[1600];
	int bad = 0;
	for (int i = 0; i < n; i++) {
		static const size_t sizes[] = {12, 13, 100, 1200, 24, 31};
		size_t len = rtp_packet(b, (uint16_t)(seq0 + i), sizes[i % 6], i % 3, 0x12345678), orig = len;
		memcpy(ref, b, len);
		if (side_protect(&tx, b, &len, false) || len != orig + 16 || side_unprotect(&rx, b, &len, false) ||
		    len != orig || memcmp(b, ref, len))
			bad++;
	}
	CHECK(bad == 0, "%s: %d of %d RTP packets did not round-trip", name, bad, n);
	for (int i = 0; i < 3; i++) {
		size_t len = rtcp_packet(b, (uint8_t)i), orig = len;
		memcpy(ref, b, len);
		int rc = side_protect(&tx, b, &len, true);
		CHECK(rc == 0 && len == orig + 20, "%s: RTCP protect rc %d len %zu", name, rc, len);
		rc = side_unprotect(&rx, b, &len, true);
		CHECK(rc == 0 && len == orig && !memcmp(b, ref, len), "%s: RTCP unprotect rc %d", name, rc);
	}
	side_free(&tx);
	side_free(&rx);
}

static struct srtp_aead *aead(bool outbound)
{
	struct srtp_aead *a = NULL;
	CHECK(srtp_aead_new(&a, key, salt, outbound) == SRTP_SESSION_OK && a, "srtp_aead_new");
	return a;
}

static void test_tamper(void)
{
	struct srtp_aead *tx = aead(true), *rx = aead(false);
	static const struct {
		const char *name;
		size_t at;
	} cases[] = {{"header", 5}, {"ssrc", 9}, {"payload", 40}, {"tag", 1205}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t b[1600];
		size_t len = rtp_packet(b, (uint16_t)(100 + i), 1200, 0, 0x12345678);
		srtp_aead_protect_rtp(tx, b, &len, sizeof b);
		b[cases[i].at] ^= 0x01;
		CHECK(srtp_aead_unprotect_rtp(rx, b, &len) == SRTP_SESSION_ERR_AUTH, "tampered %s accepted",
		      cases[i].name);
	}
	static const struct {
		const char *name;
		size_t at;
	} rtcp_cases[] = {{"rtcp header", 1}, {"rtcp body", 12}, {"rtcp tag", 30}, {"srtcp index", 47}};
	for (size_t i = 0; i < sizeof rtcp_cases / sizeof rtcp_cases[0]; i++) {
		uint8_t b[100];
		size_t len = rtcp_packet(b, 0);
		srtp_aead_protect_rtcp(tx, b, &len, sizeof b);
		CHECK(len == 48, "SRTCP length %zu", len);
		b[rtcp_cases[i].at] ^= 0x01;
		CHECK(srtp_aead_unprotect_rtcp(rx, b, &len) == SRTP_SESSION_ERR_AUTH, "tampered %s accepted",
		      rtcp_cases[i].name);
	}
	/* The forgeries above made no stream: all SRTP_AEAD_MAX_STREAMS slots still take genuine SSRCs (each from
     * a fresh sender, whose own table would fill too), and one more is refused. */
	int made = 0, refused = 0;
	for (uint32_t s = 0; s <= SRTP_AEAD_MAX_STREAMS; s++) {
		struct srtp_aead *one = aead(true);
		uint8_t b[100];
		size_t len = rtp_packet(b, 1, 60, 0, 0x50000000 + s);
		srtp_aead_protect_rtp(one, b, &len, sizeof b);
		int rc = srtp_aead_unprotect_rtp(rx, b, &len);
		made += rc == SRTP_SESSION_OK, refused += rc == SRTP_SESSION_ERR_FAIL;
		srtp_aead_free(one);
	}
	CHECK(made == SRTP_AEAD_MAX_STREAMS && refused == 1, "SSRC table: %d made, %d refused", made, refused);
	srtp_aead_free(tx);
	srtp_aead_free(rx);
}

static int send_recv(struct srtp_aead *tx, struct srtp_aead *rx, uint16_t seq, uint8_t *copy, size_t *clen)
{
	uint8_t b[200];
	size_t len = rtp_packet(b, seq, 80, 0, 0x0a0b0c0d);
	if (srtp_aead_protect_rtp(tx, b, &len, sizeof b))
		return -100;
	if (copy)
		memcpy(copy, b, len), *clen = len;
	return srtp_aead_unprotect_rtp(rx, b, &len);
}

static void test_replay_window(void)
{
	struct srtp_aead *tx = aead(true), *rx = aead(false);
	uint8_t copy[200], again[200];
	size_t clen = 0, alen;
	CHECK(send_recv(tx, rx, 5000, copy, &clen) == 0, "first packet");
	alen = clen, memcpy(again, copy, clen);
	CHECK(srtp_aead_unprotect_rtp(rx, again, &alen) == SRTP_SESSION_ERR_REPLAY, "same packet twice");
	/* Out of order within the window: 5010 first, then 5003..5009 late. */
	uint8_t late[8][200];
	size_t ll[8];
	for (int i = 0; i < 7; i++) {
		size_t len = rtp_packet(late[i], (uint16_t)(5003 + i), 80, 0, 0x0a0b0c0d);
		srtp_aead_protect_rtp(tx, late[i], &len, sizeof late[i]);
		ll[i] = len;
	}
	CHECK(send_recv(tx, rx, 5010, NULL, NULL) == 0, "jump ahead");
	int ok = 0;
	for (int i = 0; i < 7; i++)
		ok += srtp_aead_unprotect_rtp(rx, late[i], &ll[i]) == 0;
	CHECK(ok == 7, "late packets inside the window accepted: %d of 7", ok);
	/* A copy of a sent packet is taken once (outbound would refuse to make a second; test_outbound_reuse). */
	uint8_t b1[200], b2[200];
	size_t l1 = rtp_packet(b1, 5011, 80, 0, 0x0a0b0c0d), l2;
	CHECK(srtp_aead_protect_rtp(tx, b1, &l1, sizeof b1) == 0, "5011");
	memcpy(b2, b1, l1), l2 = l1;
	CHECK(srtp_aead_unprotect_rtp(rx, b1, &l1) == 0 &&
		  srtp_aead_unprotect_rtp(rx, b2, &l2) == SRTP_SESSION_ERR_REPLAY,
	      "inbound takes the first copy only");
	/* Older than the window: 2000 packets on, 5012 arrives. */
	size_t len = rtp_packet(b1, 5012, 80, 0, 0x0a0b0c0d);
	srtp_aead_protect_rtp(tx, b1, &len, sizeof b1);
	CHECK(send_recv(tx, rx, 7012, NULL, NULL) == 0, "far ahead");
	CHECK(srtp_aead_unprotect_rtp(rx, b1, &len) == SRTP_SESSION_ERR_REPLAY, "older than the window");
	/* The window after a jump larger than itself holds nothing old. */
	CHECK(send_recv(tx, rx, 7011, NULL, NULL) == 0, "just behind after a far jump");
	/* SRTCP replay */
	uint8_t r[100], rcopy[100];
	size_t rl = rtcp_packet(r, 1);
	srtp_aead_protect_rtcp(tx, r, &rl, sizeof r);
	memcpy(rcopy, r, rl);
	size_t rcl = rl;
	CHECK(srtp_aead_unprotect_rtcp(rx, r, &rl) == 0, "SRTCP");
	CHECK(srtp_aead_unprotect_rtcp(rx, rcopy, &rcl) == SRTP_SESSION_ERR_REPLAY, "SRTCP replay");
	srtp_aead_free(tx);
	srtp_aead_free(rx);
}

/* Protect one 80-byte packet (SSRC 0x0a0b0c0d unless ssrc); its SRTP_SESSION_* code. On refusal the packet must
 * be left as it was. */
static int send_one(struct srtp_aead *tx, uint16_t seq, uint32_t ssrc)
{
	uint8_t b[200], ref[200];
	size_t len = rtp_packet(b, seq, 80, 0, ssrc ? ssrc : 0x0a0b0c0d), orig = len;
	memcpy(ref, b, len);
	int rc = srtp_aead_protect_rtp(tx, b, &len, sizeof b);
	if (rc && (len != orig || memcmp(b, ref, len)))
		return -100;
	return rc;
}

/* Outbound never uses an SRTP index twice: repeats and indices at or past the window are refused; fresh indices
 * inside the window, in any order, are not; SSRCs are separate; SRTCP indices count up. */
static void test_outbound_reuse(void)
{
	struct srtp_aead *tx = aead(true);
	CHECK(send_one(tx, 100, 0) == 0, "first");
	CHECK(send_one(tx, 100, 0) == SRTP_SESSION_ERR_REPLAY, "same index again refused");
	CHECK(send_one(tx, 100, 0x0a0b0c0e) == 0, "same sequence number on another SSRC");
	/* Reordered: 105 first, then 101..104 (fresh, inside the window), then each of them again. */
	CHECK(send_one(tx, 105, 0) == 0, "105");
	int fresh = 0, again = 0;
	for (uint16_t q = 104; q >= 101; q--)
		fresh += send_one(tx, q, 0) == 0;
	for (uint16_t q = 100; q <= 105; q++)
		again += send_one(tx, q, 0) == SRTP_SESSION_ERR_REPLAY;
	CHECK(fresh == 4, "late but fresh indices accepted: %d of 4", fresh);
	CHECK(again == 6, "every sent index refused again: %d of 6", again);
	/* The window's edge: highest 2000 (a jump from 105); 2000 - 1024 is refused though never sent, 2000 - 1023 not. */
	CHECK(send_one(tx, 2000, 0) == 0, "jump to 2000");
	CHECK(send_one(tx, 2000 - SRTP_AEAD_OUT_WINDOW, 0) == SRTP_SESSION_ERR_REPLAY, "at the window's edge: refused");
	CHECK(send_one(tx, 2000 - SRTP_AEAD_OUT_WINDOW + 1, 0) == 0, "just inside the window: fresh, accepted");
	CHECK(send_one(tx, 1999, 0) == 0 && send_one(tx, 1999, 0) == SRTP_SESSION_ERR_REPLAY,
	      "skipped over, then sent");
	/* Across the ROC: 65535 then 0 (ROC 1); 65535 again is (0, 65535), already sent; 65534 is fresh. */
	struct srtp_aead *w = aead(true);
	CHECK(send_one(w, 65535, 0) == 0 && send_one(w, 0, 0) == 0, "wrap");
	CHECK(send_one(w, 65535, 0) == SRTP_SESSION_ERR_REPLAY, "pre-wrap index again refused");
	CHECK(send_one(w, 0, 0) == SRTP_SESSION_ERR_REPLAY, "post-wrap index again refused");
	CHECK(send_one(w, 65534, 0) == 0, "fresh pre-wrap index inside the window accepted");
	/* A sequence number more than 2^15 behind reads as the next ROC (as at the receiver): fresh, but what follows
     * the old run is then too old. Nothing repeats either way. */
	struct srtp_aead *st = aead(true);
	CHECK(send_one(st, 40000, 0) == 0 && send_one(st, 5000, 0) == 0, "stale sequence number: a fresh index");
	CHECK(send_one(st, 40001, 0) == SRTP_SESSION_ERR_REPLAY && send_one(st, 5000, 0) == SRTP_SESSION_ERR_REPLAY,
	      "after it, the old run and the stale packet are refused");
	/* SRTCP: the index is the session's counter, 0, 1, 2, whatever the packet. */
	uint32_t idx[3];
	for (int i = 0; i < 3; i++) {
		uint8_t r[100];
		size_t rl = rtcp_packet(r, 7);
		CHECK(srtp_aead_protect_rtcp(tx, r, &rl, sizeof r) == 0, "SRTCP %d", i);
		idx[i] =
		    ((uint32_t)r[rl - 4] << 24 | (uint32_t)r[rl - 3] << 16 | (uint32_t)r[rl - 2] << 8 | r[rl - 1]) &
		    0x7fffffff;
	}
	CHECK(idx[0] == 0 && idx[1] == 1 && idx[2] == 2, "SRTCP indices %u %u %u", idx[0], idx[1], idx[2]);
	srtp_aead_free(st);
	srtp_aead_free(w);
	srtp_aead_free(tx);
}

/* RFC 7714 §16.1 (SRTP) and §17.1 (SRTCP), AEAD_AES_128_GCM: session key 000102..0f and salt "Quid pro quo",
 * given directly (no key derivation), for SRTP and SRTCP alike. §17.3 (E = 0, authenticated only) is refused: this
 * code never sends or takes unencrypted SRTCP. */
static void test_rfc7714(void)
{
	static const char *const key_hex = "000102030405060708090a0b0c0d0e0f",
				 *const salt_hex = "517569642070726f2071756f";
	static const char *const rtp_plain = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
					     "69736120 696e2070 61727465 73207472 6573";
	static const char *const rtp_prot =
	    "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
	    "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce";
	static const char *const rtcp_plain = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
					      "deadbeef deadbeef deadbeef deadbeef deadbeef";
	static const char *const rtcp_prot = "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
					     "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
					     "45d9eade 800005d4";
	static const char *const rtcp_auth_only =
	    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
	    "deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790"
	    "125f62b3 000005d4";
	uint8_t key16[16], salt12[12], plain[100], prot[100], b[200];
	CHECK(unhex(key_hex, key16) == 16 && unhex(salt_hex, salt12) == 12, "vector key and salt");
	struct srtp_aead *tx = NULL, *rx = NULL;
	CHECK(srtp_aead__new_session(&tx, key16, salt12, true) == 0 &&
		  srtp_aead__new_session(&rx, key16, salt12, false) == 0,
	      "sessions from the vector's session key");
	if (!tx || !rx)
		return;
	/* §16.1.1 / 16.1.2: ROC 0, SEQ 0xf17b, SSRC 0x5501a0b2; IV 51753c6580c2726f20718414. */
	size_t pl = unhex(rtp_plain, plain), ql = unhex(rtp_prot, prot), len = pl;
	CHECK(pl == 50 && ql == 66, "SRTP vector lengths %zu %zu", pl, ql);
	memcpy(b, plain, pl);
	CHECK(srtp_aead_protect_rtp(tx, b, &len, sizeof b) == 0 && len == ql && !memcmp(b, prot, ql),
	      "RFC 7714 16.1.1: SRTP encryption");
	memcpy(b, prot, ql), len = ql;
	CHECK(srtp_aead_unprotect_rtp(rx, b, &len) == 0 && len == pl && !memcmp(b, plain, pl),
	      "RFC 7714 16.1.2: SRTP decryption");
	/* §17.1.1 / 17.1.2: SSRC "Mars", SRTCP index 0x5d4 (outbound counts from 0: the 0x5d5th packet carries it). */
	pl = unhex(rtcp_plain, plain), ql = unhex(rtcp_prot, prot);
	CHECK(pl == 52 && ql == 72, "SRTCP vector lengths %zu %zu", pl, ql);
	int ok = 0;
	for (unsigned i = 0; i <= 0x5d4; i++) {
		memcpy(b, plain, pl), len = pl;
		ok += srtp_aead_protect_rtcp(tx, b, &len, sizeof b) == 0;
	}
	CHECK(ok == 0x5d5 && len == ql && !memcmp(b, prot, ql), "RFC 7714 17.1.1: SRTCP encryption (index 0x5d4)");
	memcpy(b, prot, ql), len = ql;
	CHECK(srtp_aead_unprotect_rtcp(rx, b, &len) == 0 && len == pl && !memcmp(b, plain, pl),
	      "RFC 7714 17.1.2: SRTCP decryption");
	len = unhex(rtcp_auth_only, b);
	CHECK(len == 72 && srtp_aead_unprotect_rtcp(rx, b, &len) == SRTP_SESSION_ERR_PARSE,
	      "RFC 7714 17.3 (E = 0) refused");
	srtp_aead_free(tx);
	srtp_aead_free(rx);
}

static void test_malformed(void)
{
	struct srtp_aead *tx = aead(true), *rx = aead(false);
	uint8_t b[200];
	size_t len = rtp_packet(b, 1, 40, 0, 1);
	b[0] = 0x40; /* version 1 */
	CHECK(srtp_aead_protect_rtp(tx, b, &len, sizeof b) == SRTP_SESSION_ERR_PARSE, "RTP version 1");
	len = rtp_packet(b, 1, 24, 2, 1);
	b[15] = 40; /* extension longer than the packet */
	CHECK(srtp_aead_protect_rtp(tx, b, &len, sizeof b) == SRTP_SESSION_ERR_PARSE, "extension past the end");
	size_t l2 = len + 16;
	CHECK(srtp_aead_unprotect_rtp(rx, b, &l2) == SRTP_SESSION_ERR_PARSE, "inbound: extension past the end");
	len = 27;
	CHECK(srtp_aead_unprotect_rtp(rx, b, &len) == SRTP_SESSION_ERR_PARSE, "shorter than header + tag");
	len = rtp_packet(b, 1, 40, 0, 1);
	CHECK(srtp_aead_protect_rtp(tx, b, &len, len + 15) == SRTP_SESSION_ERR_NOSPACE, "no room for the tag");
	len = rtcp_packet(b, 0);
	srtp_aead_protect_rtcp(tx, b, &len, sizeof b);
	b[len - 4] &= 0x7f; /* E = 0 */
	CHECK(srtp_aead_unprotect_rtcp(rx, b, &len) == SRTP_SESSION_ERR_PARSE, "unencrypted SRTCP refused");
	len = 27;
	CHECK(srtp_aead_unprotect_rtcp(rx, b, &len) == SRTP_SESSION_ERR_PARSE, "short SRTCP");
	srtp_aead_free(tx);
	srtp_aead_free(rx);
}

int main(void)
{
	CHECK(srtp_session_lib_init() == SRTP_SESSION_OK, "libsrtp init");
	CHECK(srtp_session_gcm_own(), "GCM sessions are srtp_aead's by default");
	cross("ours -> ours", false, false, 65000, 1200);
	cross("ours -> libsrtp2", false, true, 65400, 400);
	cross("libsrtp2 -> ours", true, false, 65400, 400);
	test_rfc7714();
	test_tamper();
	test_replay_window();
	test_outbound_reuse();
	test_malformed();
	printf("srtp_aead: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
