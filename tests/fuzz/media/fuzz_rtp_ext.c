/* fuzz_rtp_ext.c: libFuzzer target for the per-receiver extension translation: never crash, never write past the
 * buffer; for an input that parses, the output parses as RTP, carries only the receiver's ids with its MID first, and keeps the payload. */
#include "media/rtp.h"
#include "media/rtp_ext.h"

#include <stdlib.h>
#include <string.h>

static uint8_t out[1600];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	/* first 8 bytes: sender ids (3), receiver ids (3, kept to 0..14), MID length, output room */
	struct rtp_extmap from = {{data[0], data[1], data[2]}}, to = {{data[3] % 15, data[4] % 15, data[5] % 15}};
	size_t mid_len = 1 + data[6] % RTP_EXT_MID_MAX, cap = 12 + data[7] * 6u;
	const uint8_t *pkt = data + 8, mid[RTP_EXT_MID_MAX] = "0123456789abcdef";
	size_t len = size - 8, off = 0;
	if (cap > sizeof out)
		cap = sizeof out;
	for (int t = 1; t < RTP_EXT_TYPES; t++) /* an answer never gives one id two meanings (sdp_answer.c) */
		for (int u = 0; u < t; u++)
			if (to.id[t] == to.id[u])
				to.id[t] = 0;
	int n = rtp_ext_translate(out, cap, pkt, len, &from, &to, mid, mid_len, &off);
	if (n < 0)
		return n < RTP_ERR_ARG ? (abort(), 0) : 0;
	struct rtp_header h;
	if ((size_t)n > cap || off > (size_t)n)
		abort();
	if (rtp_header_parse(&h, pkt, len) != RTP_OK)
		return 0; /* e.g. bad padding: the payload is copied as it came, so the output is as bad */
	if (rtp_header_parse(&h, out, (size_t)n) != RTP_OK || h.header_len != off)
		abort();
	if (h.ext_count > RTP_EXT_TYPES)
		abort(); /* each extension at most once */
	for (unsigned i = 0; i < h.ext_count; i++) {
		bool ours = false;
		for (int t = 0; t < RTP_EXT_TYPES; t++)
			ours = ours || (to.id[t] && h.ext[i].id == to.id[t]);
		if (!ours)
			abort();
	}
	if (to.id[RTP_EXT_MID] &&
	    (!h.ext_count || h.ext[0].id != to.id[RTP_EXT_MID] || h.ext[0].len != mid_len ||
	     memcmp(h.ext[0].val, mid, mid_len) != 0))
		abort();
	size_t tail = (size_t)n - off; /* the payload (with padding) is the input's, byte for byte */
	if (tail > len || memcmp(out + off, pkt + len - tail, tail) != 0)
		abort();
	return 0;
}
