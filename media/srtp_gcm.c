/* srtp_gcm.c: an AES-128-GCM cipher type for libsrtp2 on OpenSSL EVP, replacing Debian's NSS-backed one (the per-packet cost). */
#include "media/srtp_gcm.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

/*
 * Why: Debian builds libsrtp2 on NSS, whose AES-GCM makes a PKCS#11 context per packet (PK11_Encrypt /
 * PK11_Decrypt: ~6 allocations, a dozen mutex operations and ~9,000 instructions per 1,200-byte packet,
 * measured with callgrind in the media worker). libsrtp2 lets an application replace a cipher type in its
 * crypto kernel (srtp_replace_cipher_type, cipher.h); SRTP framing, key derivation, ROC, replay windows and
 * RTCP stay libsrtp2's. This type keeps one EVP_CIPHER_CTX per libsrtp cipher (per stream and direction),
 * keyed once; each packet only sets the IV.
 *
 * The call sequence libsrtp2 2.5 makes (srtp.c, AEAD paths):
 *   protect:   set_iv(encrypt), set_aad(header) [, set_aad(SRTCP trailer)], encrypt(payload), get_tag()
 *   unprotect: set_iv(decrypt), set_aad(...), decrypt(payload || tag) -> checks the tag, shortens the length
 * Same contract as libsrtp2's own aes_gcm_ossl.c (which Debian does not build).
 */

#define GCM_KEY_LEN 16
#define GCM_IV_LEN 12
#define GCM_TAG_MAX 16

struct gcm_state {
    EVP_CIPHER_CTX *ctx;
    int tag_len;                     /* 16 (or 8) */
    int dir;                         /* srtp_cipher_direction_t of the current packet */
};

static const srtp_cipher_type_t gcm_type;

static srtp_err_status_t gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
    if (key_len != SRTP_AES_GCM_128_KEY_LEN_WSALT || (tag_len != 16 && tag_len != 8))
        return srtp_err_status_bad_param;
    srtp_cipher_t *c = calloc(1, sizeof *c);
    struct gcm_state *g = calloc(1, sizeof *g);
    if (!c || !g || !(g->ctx = EVP_CIPHER_CTX_new())) {
        free(c);
        free(g);
        return srtp_err_status_alloc_fail;
    }
    g->tag_len = tag_len;
    c->type = &gcm_type, c->state = g, c->key_len = key_len, c->algorithm = SRTP_AES_GCM_128;
    *cp = c;
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_dealloc(srtp_cipher_pointer_t c)
{
    struct gcm_state *g = c->state;
    EVP_CIPHER_CTX_free(g->ctx);
    free(g);
    free(c);
    return srtp_err_status_ok;
}

/* key: the 16-byte session key (libsrtp keeps the salt and builds the IV itself). */
static srtp_err_status_t gcm_init(void *cv, const uint8_t *key)
{
    struct gcm_state *g = cv;
    g->dir = srtp_direction_any;
    if (!EVP_CipherInit_ex(g->ctx, EVP_aes_128_gcm(), NULL, key, NULL, 1) ||
        !EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_LEN, NULL))
        return srtp_err_status_init_fail;
    return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_iv(void *cv, uint8_t *iv, srtp_cipher_direction_t dir)
{
    struct gcm_state *g = cv;
    if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
        return srtp_err_status_bad_param;
    g->dir = dir;
    return EVP_CipherInit_ex(g->ctx, NULL, NULL, NULL, iv, dir == srtp_direction_encrypt) ? srtp_err_status_ok
                                                                                          : srtp_err_status_init_fail;
}

static srtp_err_status_t gcm_set_aad(void *cv, const uint8_t *aad, uint32_t len)
{
    struct gcm_state *g = cv;
    int out = 0;
    if (g->dir == srtp_direction_any)
        return srtp_err_status_bad_param;
    return EVP_CipherUpdate(g->ctx, NULL, &out, aad, (int)len) ? srtp_err_status_ok : srtp_err_status_algo_fail;
}

static srtp_err_status_t gcm_encrypt(void *cv, uint8_t *buf, unsigned int *len)
{
    struct gcm_state *g = cv;
    int out = 0;
    if (g->dir != srtp_direction_encrypt)
        return srtp_err_status_bad_param;
    return EVP_CipherUpdate(g->ctx, buf, &out, buf, (int)*len) ? srtp_err_status_ok : srtp_err_status_algo_fail;
}

static srtp_err_status_t gcm_get_tag(void *cv, uint8_t *tag, uint32_t *len)
{
    struct gcm_state *g = cv;
    int out = 0;
    uint8_t none[GCM_TAG_MAX];
    if (g->dir != srtp_direction_encrypt || !EVP_CipherFinal_ex(g->ctx, none, &out) ||
        !EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, g->tag_len, tag))
        return srtp_err_status_algo_fail;
    *len = (uint32_t)g->tag_len;
    return srtp_err_status_ok;
}

/* buf holds ciphertext || tag; on success *len loses the tag. */
static srtp_err_status_t gcm_decrypt(void *cv, uint8_t *buf, unsigned int *len)
{
    struct gcm_state *g = cv;
    int out = 0;
    uint8_t none[GCM_TAG_MAX];
    if (g->dir != srtp_direction_decrypt || *len < (unsigned)g->tag_len)
        return srtp_err_status_bad_param;
    unsigned n = *len - (unsigned)g->tag_len;
    if (!EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, g->tag_len, buf + n) ||
        !EVP_CipherUpdate(g->ctx, buf, &out, buf, (int)n))
        return srtp_err_status_algo_fail;
    if (!EVP_CipherFinal_ex(g->ctx, none, &out))
        return srtp_err_status_auth_fail;
    *len = n;
    return srtp_err_status_ok;
}

/* The GCM specification's test case 4 (McGrew & Viega), as libsrtp2's own self test uses it: key || 12-byte
 * salt (unused by the cipher), IV, AAD, plaintext, ciphertext || tag. Loading the type runs it. */
static const uint8_t tc_key[SRTP_AES_GCM_128_KEY_LEN_WSALT] = {
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83, 0x08,
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14};
static uint8_t tc_iv[GCM_IV_LEN] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
static const uint8_t tc_aad[20] = {0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xed,
                                   0xfa, 0xce, 0xde, 0xad, 0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2};
static const uint8_t tc_pt[60] = {
    0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a,
    0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31, 0x8a, 0x72,
    0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49, 0xa6, 0xb5, 0x25,
    0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39};
static const uint8_t tc_ct[76] = {
    0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4, 0x9c,
    0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac, 0xa1, 0x2e,
    0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac, 0x84, 0xaa, 0x05,
    0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91, 0x5b, 0xc9, 0x4f, 0xbc,
    0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a, 0x47};
static const srtp_cipher_test_case_t gcm_test = {
    SRTP_AES_GCM_128_KEY_LEN_WSALT, tc_key, tc_iv, sizeof tc_pt, tc_pt, sizeof tc_ct, tc_ct,
    sizeof tc_aad, tc_aad, 16, NULL};

static const srtp_cipher_type_t gcm_type = {
    gcm_alloc, gcm_dealloc, gcm_init, gcm_set_aad, gcm_encrypt, gcm_decrypt, gcm_set_iv, gcm_get_tag,
    "AES-128 GCM using OpenSSL EVP (samvaer)", &gcm_test, SRTP_AES_GCM_128};

int srtp_gcm_openssl_install(void)
{
    return srtp_replace_cipher_type(&gcm_type, SRTP_AES_GCM_128) == srtp_err_status_ok ? 0 : -1;
}
