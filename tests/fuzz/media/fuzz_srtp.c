/* fuzz_srtp.c: libFuzzer target for media/srtp_aead: never crash; forged input never authenticates; any packet protect accepts comes back unchanged; outbound never repeats an index. */
#include "media/srtp.h"
#include "media/srtp_aead.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t key[16] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t salt[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
static uint8_t buf[70000], ref[70000];

static int cmp_tag(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* Outbound never uses an index twice: the input, two bytes a packet, is a run of sequence numbers (top bit of the
 * first byte picks one of two SSRCs) protected in that order, each the same 40-byte packet but for SSRC and SEQ.
 * Equal (SSRC, SEQ) under the same index would give the same tag, so any two equal tags among the packets protect
 * accepted mean an index went out twice. */
static void outbound_unique(struct srtp_aead *tx, const uint8_t *data, size_t size)
{
	static uint8_t tags[2048][16];
	size_t n = 0;
	for (size_t i = 0; i + 1 < size && n < 2048; i += 2) {
		uint16_t seq = (uint16_t)((data[i] & 0x7f) << 9 | data[i + 1] << 1); /* 15 bits spread over 0..65534 */
		uint8_t p[40 + 16] = {0x80, 0x60, (uint8_t)(seq >> 8),          (uint8_t)seq, 0, 0, 0, 1, 0,
				      0,    0,    (uint8_t)(1 + (data[i] >> 7))};
		size_t len = 40;
		int rc = srtp_aead_protect_rtp(tx, p, &len, sizeof p);
		if (rc == SRTP_SESSION_OK)
			memcpy(tags[n++], p + 40, 16);
		else if (rc != SRTP_SESSION_ERR_REPLAY)
			abort();
	}
	qsort(tags, n, 16, cmp_tag);
	for (size_t i = 1; i < n; i++)
		if (!memcmp(tags[i - 1], tags[i], 16))
			abort();
}

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
	rc =
	    rtcp ? srtp_aead_protect_rtcp(tx, buf, &len, sizeof buf) : srtp_aead_protect_rtp(tx, buf, &len, sizeof buf);
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
	if (srtp_aead_new(&tx, key, salt, true))
		abort();
	outbound_unique(tx, data, size);
	srtp_aead_free(tx);
	srtp_aead_free(rx);
	return 0;
}
