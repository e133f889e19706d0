/* router_mix.c: the router's side of mixing: the call's mixer, the mix stream to each mixed receiver, presets, levels. */
#include "media/router_internal.h"

#include <stdlib.h>
#include <string.h>

#include "media/bytes.h"
#include "media/recorder.h"
#include "media/srtp.h"

#define TX_RTP_CAP (ROUTER_PKT_MAX - SRTP_SESSION_RTP_OVERHEAD)
#define LEVEL_FRESH_MS 300  /* an RFC 6464 level older than this says nothing */
#define LOSS_LOW 13         /* fraction lost (/256) above 5 %: the weak-link preset */
#define LOSS_GOOD 5         /* under 2 %: a good report */
#define GOOD_REPORTS_UP 5   /* good reports in a row (about 5 s) before stepping back up */
#define REMB_LOW_BPS 64000u /* a receiver estimating less than this gets the weak-link preset */

static bool wants_mixer(const struct router_call *c)
{
	if (c->rec)
		return true; /* a recording keeps the mix */
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		if (c->p[i].used && c->p[i].mixed)
			return true;
	return false;
}

void router__mix_refresh(struct router_call *c)
{
	bool want = wants_mixer(c);
	if (want && !c->mix) {
		c->mix = mixer_new(); /* NULL: out of memory, mixed receivers get nothing */
		c->next_mix_ms = 0;
	} else if (!want && c->mix) {
		mixer_free(c->mix);
		c->mix = NULL;
	}
}

void router_call_free(struct router_call *c)
{
	router_call_record(c, NULL, NULL, NULL);
	mixer_free(c->mix);
	c->mix = NULL;
}

/* RFC 6464 §3: one byte, V flag then the level in -dBov. */
static void take_level(struct router_participant *p, const struct rtp_header *h, int64_t now)
{
	size_t n = 0;
	const uint8_t *v =
	    p->ext.id[RTP_EXT_AUDIO_LEVEL] ? rtp_header_ext_find(h, p->ext.id[RTP_EXT_AUDIO_LEVEL], &n) : NULL;
	if (!v || n < 1)
		return;
	p->level = v[0] & 0x7f, p->level_voice = (v[0] & 0x80) != 0, p->level_at_ms = now ? now : 1;
	if (p->call->mix)
		mixer_source_level(p->call->mix, (unsigned)(p - p->call->p), p->level, now);
}

int router__audio_in(struct router_participant *p, const uint8_t *buf, size_t len, int64_t now)
{
	struct router_call *c = p->call;
	if (!c->mix && !p->ext.id[RTP_EXT_AUDIO_LEVEL])
		return 0;
	struct rtp_header h;
	if (rtp_header_parse(&h, buf, len) != RTP_OK)
		return 0;
	take_level(p, &h, now);
	if (!c->mix)
		return 0;
	mixer_push(c->mix, (unsigned)(p - c->p), h.seq, h.payload, h.payload_len, now);
	int n = 0;
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		n += &c->p[i] != p && c->p[i].used && c->p[i].mixed && c->p[i].mixc.on && router__ready(&c->p[i]);
	return n;
}

void router__mix_report(struct router_participant *r, const struct rtcp_report_block *b)
{
	if (!r->mixed || !r->mixc.on || b->ssrc != r->mixc.ssrc)
		return;
	bool remb_low = r->remb_bps && r->remb_bps < REMB_LOW_BPS;
	if (b->fraction_lost > LOSS_LOW || remb_low) {
		r->mix_preset = MIXER_PRESET_LOW, r->mix_good = 0;
	} else if (b->fraction_lost < LOSS_GOOD && ++r->mix_good >= GOOD_REPORTS_UP) {
		r->mix_preset = MIXER_PRESET_NORMAL;
	}
}

static bool listens(struct router_participant *r)
{
	bool on =
	    r->used && r->mixed && r->can_recv && !r->call->paused && r->mixc.on && r->mixc.gate && router__ready(r);
	if (!on)
		consumer_gap(&r->mixc);
	return on;
}

/* One mix packet to r: the mix stream's numbering, its payload type, MID and SSRC. */
static void send_mix(struct router_call *c, struct router_participant *r, const struct mixer_out *o, int64_t now,
		     struct router_txq *q)
{
	static const struct rtp_extmap none = {{0}};
	uint8_t in[RTP_HEADER_MIN + MIXER_PKT_MAX];
	uint16_t oseq;
	uint32_t ots;
	if (!consumer_number(&r->mixc, c->mix_seq, c->mix_ts, MIXER_RATE, now, &oseq, &ots))
		return;
	memset(in, 0, RTP_HEADER_MIN);
	in[0] = 0x80;
	memcpy(in + RTP_HEADER_MIN, o->pkt, o->len);
	struct router_txslot *s = router_txq_slot(q);
	size_t n =
	    consumer_build(&r->mixc, &none, &r->ext, in, RTP_HEADER_MIN + o->len, oseq, ots, false, s->buf, TX_RTP_CAP);
	if (n && router__commit_to(q, r, n, false))
		r->st.tx_rtp++;
}

static void mix_frame(struct router_call *c, int64_t now, struct router_txq *q)
{
	bool listen[MIXER_SLOTS];
	uint8_t preset[MIXER_SLOTS];
	struct mixer_out out[MIXER_SLOTS];
	for (int i = 0; i < MIXER_SLOTS; i++)
		listen[i] = listens(&c->p[i]), preset[i] = c->p[i].mix_preset;
	mixer_run(c->mix, listen, preset, now, out);
	if (c->rec) {
		uint16_t len;
		const uint8_t *pkt = mixer_full(c->mix, MIXER_PRESET_NORMAL, &len);
		if (pkt)
			recording_audio(c->rec, pkt, len, now);
	}
	for (int i = 0; i < MIXER_SLOTS; i++)
		if (out[i].pkt)
			send_mix(c, &c->p[i], &out[i], now, q);
	c->mix_seq++, c->mix_ts += MIXER_FRAME;
}

void router_call_mix(struct router_call *c, int64_t now_ms, struct router_txq *q)
{
	if (!c->mix)
		return;
	if (!c->next_mix_ms || now_ms - c->next_mix_ms > 5 * MIXER_FRAME_MS) /* first frame, or a stall */
		c->next_mix_ms = now_ms;
	while (now_ms >= c->next_mix_ms) {
		mix_frame(c, now_ms, q);
		c->next_mix_ms += MIXER_FRAME_MS;
	}
}

size_t router_call_levels(const struct router_call *c, int64_t now_ms, struct router_level *out)
{
	size_t n = 0;
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++) {
		const struct router_participant *p = &c->p[i];
		if (!p->used || !p->can_send || !p->pt[ROUTER_AUDIO])
			continue;
		bool fresh = p->level_at_ms && now_ms - p->level_at_ms <= LEVEL_FRESH_MS &&
		    p->prod[ROUTER_AUDIO].gate && !c->paused;
		struct router_level l = {.id = p->id, .level = 127};
		if (c->mix) {
			l.level = mixer_level(c->mix, (unsigned)i), l.talking = mixer_talking(c->mix, (unsigned)i);
		} else if (fresh) {
			l.level = p->level, l.talking = p->level <= MIXER_TALK_DBOV;
		}
		out[n++] = l;
	}
	return n;
}
