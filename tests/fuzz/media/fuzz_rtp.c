/* fuzz_rtp.c: libFuzzer target for the RTP parser: never crash; accepted packets re-serialize to identical bytes. */
#include "media/rtp.h"

#include <stdlib.h>
#include <string.h>

static uint8_t out[70000], copy[70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtp_header h;
	bool is = rtp_is_rtp(data, size);
	int rc = rtp_header_parse(&h, data, size);
	if (rc != RTP_OK) {
		if (rc > 0 || rc < RTP_ERR_ARG)
			abort();
		return 0;
	}
	if (!is && (data[1] < 192 || data[1] > 223))
		abort(); /* a parsed v2 packet that is not RTCP-range must pass the demux */
	if (h.header_len + h.payload_len + h.padding_len != size || h.ext_count > RTP_EXT_MAX)
		abort();
	if (size > sizeof(out))
		return 0;
	int w = rtp_header_serialize(&h, out, sizeof(out));
	if (w != (int)size || memcmp(out, data, size) != 0)
		abort();
	/* Every element lies inside the header; rewriting with its own value leaves the bytes unchanged. */
	memcpy(copy, data, size);
	struct rtp_header hc;
	if (rtp_header_parse(&hc, copy, size) != RTP_OK)
		abort();
	for (unsigned i = 0; i < hc.ext_count; i++) {
		const struct rtp_ext_elem *e = &hc.ext[i];
		if (e->val < copy || e->val + e->len > copy + hc.header_len)
			abort();
		size_t fl = 0;
		const uint8_t *f = rtp_header_ext_find(&hc, e->id, &fl);
		if (!f)
			abort();
		if (rtp_header_ext_rewrite(&hc, copy, e->id, f, fl) != RTP_OK)
			abort();
	}
	rtp_set_seq(copy, h.seq);
	rtp_set_ts(copy, h.ts);
	rtp_set_ssrc(copy, h.ssrc);
	rtp_set_marker(copy, h.marker);
	rtp_set_pt(copy, h.pt);
	if (memcmp(copy, data, size) != 0)
		abort();
	/* Sequence tracking over the payload bytes as a stream of seqs. */
	struct rtp_seq_state s;
	rtp_seq_init(&s, h.seq);
	for (size_t i = 0; i + 1 < h.payload_len; i += 2) {
		uint16_t q = (uint16_t)(h.payload[i] << 8 | h.payload[i + 1]);
		rtp_seq_update(&s, q);
		rtp_seq_jitter_update(&s, q * 90u, h.ts);
		(void)rtp_seq_extend(rtp_seq_ext_max(&s), q);
	}
	(void)rtp_seq_cumulative_lost(&s);
	(void)rtp_seq_fraction_lost(&s);
	return 0;
}
