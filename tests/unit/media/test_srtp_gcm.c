/* test_srtp_gcm.c: unit tests for media/srtp_gcm: our OpenSSL AES-GCM type is installed and interoperates with libsrtp2's own (NSS) type, both ways, RTP and RTCP, across a ROC wrap; tampering is caught. */
#include "media/srtp.h"
#include "media/srtp_gcm.h"

#include <string.h>
#include <srtp2/cipher.h>
#include "tests/unit/media/check_media.h"

extern const srtp_cipher_type_t srtp_aes_gcm_128; /* libsrtp2's own type (exported, not declared in its headers) */

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t salt[12] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

static size_t rtp_packet(uint8_t *b, uint16_t seq, size_t total)
{
    static const uint8_t hdr[12] = {0x80, 0x60, 0, 0, 0, 0, 0x10, 0x00, 0x12, 0x34, 0x56, 0x78};
    memcpy(b, hdr, 12);
    b[2] = (uint8_t)(seq >> 8), b[3] = (uint8_t)seq;
    for (size_t i = 12; i < total; i++)
        b[i] = (uint8_t)(i * 7 + seq);
    return total;
}

static size_t rtcp_packet(uint8_t *b)
{
    static const uint8_t sr[28] = {0x80, 200, 0, 6, 0x12, 0x34, 0x56, 0x78, 1, 2, 3, 4, 5, 6, 7, 8,
                                   0, 0, 1, 0, 0, 0, 0, 9, 0, 0, 0x10, 0};
    memcpy(b, sr, sizeof sr);
    return sizeof sr;
}

/* Sessions: tx made while `tx_type` is loaded, rx while `rx_type` is; streams keep the type they were made with. */
struct pair {
    struct srtp_session tx, rx;
};

static int make_pair(struct pair *p, const srtp_cipher_type_t *tx_type, const srtp_cipher_type_t *rx_type)
{
    if (tx_type && srtp_replace_cipher_type(tx_type, SRTP_AES_GCM_128) != srtp_err_status_ok)
        return -1;
    if (srtp_session_create_raw(&p->tx, SRTP_SESSION_AEAD_AES_128_GCM, key, salt, SRTP_SESSION_OUTBOUND))
        return -1;
    if (rx_type && srtp_replace_cipher_type(rx_type, SRTP_AES_GCM_128) != srtp_err_status_ok)
        return -1;
    return srtp_session_create_raw(&p->rx, SRTP_SESSION_AEAD_AES_128_GCM, key, salt, SRTP_SESSION_INBOUND);
}

static void free_pair(struct pair *p)
{
    srtp_session_destroy(&p->tx);
    srtp_session_destroy(&p->rx);
}

/* n RTP packets from seq0 (crossing 65535 -> 0 makes the ROC move), then RTCP; every one must come back. */
static void cross(const char *name, struct pair *p, uint16_t seq0, int n)
{
    uint8_t b[1600], ref[1600];
    int bad = 0;
    for (int i = 0; i < n; i++) {
        size_t sizes[] = {12, 13, 100, 1200};
        size_t len = rtp_packet(b, (uint16_t)(seq0 + i), sizes[i % 4]), orig = len;
        memcpy(ref, b, len);
        if (srtp_session_protect_rtp(&p->tx, b, &len, sizeof b) || len != orig + 16 ||
            srtp_session_unprotect_rtp(&p->rx, b, &len) || len != orig || memcmp(b, ref, len))
            bad++;
    }
    CHECK(bad == 0, "%s: %d of %d RTP packets did not round-trip", name, bad, n);
    for (int i = 0; i < 3; i++) {
        size_t len = rtcp_packet(b), orig = len;
        memcpy(ref, b, len);
        int rc = srtp_session_protect_rtcp(&p->tx, b, &len, sizeof b);
        CHECK(rc == 0 && len == orig + 20, "%s: RTCP protect rc %d len %zu", name, rc, len);
        rc = srtp_session_unprotect_rtcp(&p->rx, b, &len);
        CHECK(rc == 0 && len == orig && !memcmp(b, ref, len), "%s: RTCP unprotect rc %d", name, rc);
    }
}

static void tamper(struct pair *p)
{
    static const struct {
        const char *name;
        size_t at;                   /* byte flipped: header (AAD), payload, tag */
    } cases[] = {{"header", 5}, {"payload", 40}, {"tag", 1205}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[1600];
        size_t len = rtp_packet(b, (uint16_t)(2000 + i), 1200); /* after cross(): not a replay */
        srtp_session_protect_rtp(&p->tx, b, &len, sizeof b);
        b[cases[i].at] ^= 0x01;
        CHECK(srtp_session_unprotect_rtp(&p->rx, b, &len) == SRTP_SESSION_ERR_AUTH, "tampered %s accepted",
              cases[i].name);
    }
}

int main(void)
{
    CHECK(srtp_session_lib_init() == SRTP_SESSION_OK, "libsrtp init");
    CHECK(srtp_session_gcm_openssl(), "our AES-GCM type was not installed (self test failed?)");
    struct pair p;
    CHECK(make_pair(&p, NULL, NULL) == 0, "ours -> ours: sessions");
    cross("ours -> ours", &p, 65000, 1200);
    tamper(&p);
    free_pair(&p);
    /* ours -> libsrtp2: tx made with ours loaded, rx with libsrtp2's (streams keep the type they were made with) */
    CHECK(make_pair(&p, NULL, &srtp_aes_gcm_128) == 0, "ours -> libsrtp2: sessions");
    cross("ours -> libsrtp2", &p, 65400, 400);
    free_pair(&p);
    /* libsrtp2 -> ours (libsrtp2's type is loaded now) */
    CHECK(srtp_session_create_raw(&p.tx, SRTP_SESSION_AEAD_AES_128_GCM, key, salt, SRTP_SESSION_OUTBOUND) == 0,
          "libsrtp2 tx");
    CHECK(srtp_gcm_openssl_install() == 0, "re-install ours");
    CHECK(srtp_session_create_raw(&p.rx, SRTP_SESSION_AEAD_AES_128_GCM, key, salt, SRTP_SESSION_INBOUND) == 0,
          "ours rx");
    cross("libsrtp2 -> ours", &p, 65400, 400);
    tamper(&p);
    free_pair(&p);
    printf("srtp_gcm: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
