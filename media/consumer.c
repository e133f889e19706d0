/* consumer.c: one stream a receiver gets from one source: the gate every packet passes, numbering runs, RTX. */
#include "media/consumer.h"

#include <string.h>

void consumer_set(struct consumer *c, const struct consumer_params *sp, bool gate)
{
	if (!sp->on) {
		memset(c, 0, sizeof *c);
		c->gate = gate;
		return;
	}
	if (!c->on || c->ssrc != sp->ssrc) {
		memset(c, 0, sizeof *c);
		c->ssrc = sp->ssrc;
	}
	if (c->rtx_ssrc != sp->rtx_ssrc)
		c->rtx_seq = (uint16_t)(sp->rtx_ssrc >> 16); /* a fresh RTX stream: its own numbering */
	c->on = true, c->gate = gate;
	c->rtx_ssrc = sp->rtx_ssrc, c->pt = sp->pt, c->rtx_pt = sp->rtx_pt;
	c->mid_len = sp->mid_len <= RTP_EXT_MID_MAX ? sp->mid_len : 0;
	memcpy(c->mid, sp->mid, c->mid_len);
}

bool consumer_may_send(const struct consumer *c, const struct consumer_gate *g)
{
	return !g->call_paused && g->source_sends && g->source_unmuted && g->receiver_receives && g->receiver_ready &&
	    c->on && c->gate;
}

void consumer_gap(struct consumer *c)
{
	c->resync = c->resync || c->started;
}

bool consumer_number(struct consumer *c, uint16_t seq, uint32_t ts, uint32_t clock_hz, int64_t now, uint16_t *oseq,
		     uint32_t *ots)
{
	if (!c->started) {
		c->seq_off = (uint16_t)((c->ssrc >> 16) - seq);
		c->ts_off = c->ssrc * 2654435761u - ts;
		c->started = true;
		c->run_first = (uint16_t)(seq + c->seq_off);
		c->last_out_seq = (uint16_t)(c->run_first - 1);
	} else if (c->resync) { /* close the gap: next seq, ts advanced by wall time */
		uint32_t adv = (uint32_t)((now - c->last_out_ms) * (int64_t)clock_hz / 1000);
		c->seq_off = (uint16_t)(c->last_out_seq + 1 - seq);
		c->ts_off = c->last_out_ts + (adv ? adv : 1) - ts;
		c->run_first = (uint16_t)(c->last_out_seq + 1);
	}
	c->resync = false;
	*oseq = (uint16_t)(seq + c->seq_off);
	*ots = ts + c->ts_off;
	if (rtp_seq_diff(*oseq, c->run_first) < 0)
		return false;
	if (rtp_seq_newer(*oseq, c->last_out_seq) || c->last_out_ms == 0)
		c->last_out_seq = *oseq, c->last_out_ts = *ots, c->last_out_ms = now ? now : 1;
	return true;
}

size_t consumer_build(struct consumer *c, const struct rtp_extmap *from, const struct rtp_extmap *to,
		      const uint8_t *buf, size_t len, uint16_t oseq, uint32_t ots, bool rtx, uint8_t *out, size_t cap)
{
	size_t off;
	int n =
	    rtp_ext_translate(out, cap - (rtx ? 2 : 0), buf, len, from, to, (const uint8_t *)c->mid, c->mid_len, &off);
	if (n <= 0)
		return 0;
	rtp_set_ts(out, ots);
	if (!rtx) {
		rtp_set_ssrc(out, c->ssrc), rtp_set_seq(out, oseq), rtp_set_pt(out, c->pt);
		return (size_t)n;
	}
	memmove(out + off + 2, out + off, (size_t)n - off); /* RFC 4588 §4: OSN, then the original payload */
	out[off] = (uint8_t)(oseq >> 8), out[off + 1] = (uint8_t)oseq;
	rtp_set_ssrc(out, c->rtx_ssrc), rtp_set_seq(out, c->rtx_seq++), rtp_set_pt(out, c->rtx_pt);
	return (size_t)n + 2;
}

const struct producer_rtx_slot *consumer_rtx_find(const struct consumer *c, const struct producer *pr, uint16_t out_seq)
{
	if (!c->rtx_ssrc || !c->rtx_pt || !c->started || c->resync)
		return NULL;
	if (rtp_seq_diff(out_seq, c->run_first) < 0 || rtp_seq_diff(out_seq, c->last_out_seq) > 0)
		return NULL; /* outside the current run */
	return producer_find(pr, (uint16_t)(out_seq - c->seq_off));
}
