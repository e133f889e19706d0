/* fuzz_srtp.c: libFuzzer target for media/srtp_aead: never crash; forged input never authenticates; any packet protect accepts comes back unchanged. */
#include "media/srtp.h"
#include "media/srtp_aead.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t key[16] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t salt[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
static uint8_t buf[70000], ref[70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > sizeof buf - 64)
        return 0;
    bool rtcp = data[0] & 1;
    data++, size--;
    struct srtp_aead *tx = NULL, *rx = NULL;
    if (srtp_aead_new(&tx, key, salt, true) || srtp_aead_new(&rx, key, salt, false))
        abort();
    /* As received: random bytes are a forgery, whatever they parse as. */
    size_t len = size;
    memcpy(buf, data, size);
    int rc = rtcp ? srtp_aead_unprotect_rtcp(rx, buf, &len) : srtp_aead_unprotect_rtp(rx, buf, &len);
    if (rc == SRTP_SESSION_OK || rc > 0 || rc < SRTP_SESSION_ERR_FAIL)
        abort();
    /* As sent: what protect takes, unprotect gives back byte for byte. */
    len = size;
    memcpy(buf, data, size);
    memcpy(ref, data, size);
    rc = rtcp ? srtp_aead_protect_rtcp(tx, buf, &len, sizeof buf) : srtp_aead_protect_rtp(tx, buf, &len, sizeof buf);
    if (rc == SRTP_SESSION_OK) {
        if (len != size + (rtcp ? 20u : 16u))
            abort();
        rc = rtcp ? srtp_aead_unprotect_rtcp(rx, buf, &len) : srtp_aead_unprotect_rtp(rx, buf, &len);
        if (rc != SRTP_SESSION_OK || len != size || memcmp(buf, ref, size) != 0)
            abort();
    } else if (rc != SRTP_SESSION_ERR_PARSE) {
        abort();
    }
    srtp_aead_free(tx);
    srtp_aead_free(rx);
    return 0;
}
