/* router.c: one call (mediasoup's Router): participants, fan-out from producers to consumers, RTCP feedback and reports. */
#include "media/router.h"
#include "media/router_internal.h"

#include <stdlib.h>
#include <string.h>

#include "media/bytes.h"
#include "media/random.h"
#include "media/rtcp.h"
#include "media/srtp.h"

static const uint32_t clock_hz[ROUTER_KINDS] = {48000, 90000};
#define TX_RTP_CAP (ROUTER_PKT_MAX - SRTP_SESSION_RTP_OVERHEAD) /* room for the SRTP tag after a packet */

/* ---- output batch ---- */

struct router_txslot *router_txq_slot(struct router_txq *q)
{
	if (q->n == q->cap)
		q->flush(q);
	return &q->slots[q->n];
}

void router_txq_push(struct router_txq *q, const uint8_t *buf, size_t len, const struct ice_addr *to)
{
	if (len > ROUTER_PKT_MAX || !to)
		return;
	struct router_txslot *s = router_txq_slot(q);
	memcpy(s->buf, buf, len);
	s->len = (uint16_t)len;
	s->to = *to;
	q->n++;
}

bool router__ready(const struct router_participant *r)
{
	return r->used && r->tr && transport_state(r->tr) == TRANSPORT_CONNECTED;
}

bool router__commit_to(struct router_txq *q, struct router_participant *r, size_t n, bool rtcp)
{
	struct router_txslot *s = &q->slots[q->n];
	int rc = rtcp ? transport_protect_rtcp(r->tr, s->buf, &n, ROUTER_PKT_MAX)
		      : transport_protect_rtp(r->tr, s->buf, &n, ROUTER_PKT_MAX);
	const struct ice_addr *to = transport_remote(r->tr, NULL);
	if (rc || !to)
		return false;
	s->len = (uint16_t)n, s->to = *to;
	q->n++;
	return true;
}

/* ---- call and participants ---- */

void router_call_init(struct router_call *c, uint64_t id)
{
	memset(c, 0, sizeof *c);
	c->id = id;
	c->used = true;
}

struct router_participant *router_participant_find(struct router_call *c, uint64_t id)
{
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		if (c->p[i].used && c->p[i].id == id)
			return &c->p[i];
	return NULL;
}

static void plan_apply(struct router_participant *p, const struct router_participant_params *pp)
{
	int self = (int)(p - p->call->p);
	p->can_send = pp->can_send, p->can_recv = pp->can_recv, p->ext = pp->ext;
	for (int k = 0; k < ROUTER_KINDS; k++) {
		p->pt[k] = pp->pt[k];
		if (pp->ssrc_in[k] && pp->ssrc_in[k] != p->prod[k].ssrc)
			p->prod[k].ssrc = pp->ssrc_in[k], p->prod[k].seen = false;
	}
	for (int s = 0; s < ROUTER_MAX_PARTICIPANTS; s++)
		for (int k = 0; k < ROUTER_KINDS; k++) {
			struct consumer_params off = {0};
			consumer_set(&p->cons[s][k], s == self ? &off : &pp->out[s][k], p->recv_on[k]);
		}
	struct consumer_params off = {0};
	p->mixed = pp->mixed;
	consumer_set(&p->mixc, pp->mixed ? &pp->mix : &off, p->recv_on[ROUTER_AUDIO]);
}

struct router_participant *router_participant_add(struct router_call *c, const struct router_participant_params *pp)
{
	if (router_participant_find(c, pp->id) || pp->slot >= ROUTER_MAX_PARTICIPANTS || c->p[pp->slot].used)
		return NULL;
	int i = (int)pp->slot;
	struct router_participant *p = &c->p[i];
	memset(p, 0, sizeof *p);
	p->id = pp->id, p->call = c;
	p->rtcp_ssrc = media_random_u32_nonzero();
	for (int k = 0; k < ROUTER_KINDS; k++) {
		p->prod[k].ssrc = pp->ssrc_in[k];
		p->prod[k].gate = true;
		p->recv_on[k] = true;
	}
	if (pp->pt[ROUTER_VIDEO] && pp->can_send && !producer_rtx_alloc(&p->prod[ROUTER_VIDEO]))
		return NULL;
	p->level = 127;
	plan_apply(p, pp);
	for (int r = 0; r < ROUTER_MAX_PARTICIPANTS;
	     r++) /* it as a source: off for the others until they renegotiate */
		if (r != i && c->p[r].used)
			for (int k = 0; k < ROUTER_KINDS; k++)
				consumer_set(&c->p[r].cons[i][k], &(struct consumer_params){0}, c->p[r].recv_on[k]);
	p->used = true;
	router__mix_refresh(c);
	return p;
}

void router_participant_update(struct router_participant *p, const struct router_participant_params *pp)
{
	if (pp->pt[ROUTER_VIDEO] && pp->can_send)
		producer_rtx_alloc(&p->prod[ROUTER_VIDEO]); /* false: no retransmissions */
	plan_apply(p, pp);
	router__mix_refresh(p->call);
}

void router_participant_remove(struct router_participant *p)
{
	if (!p || !p->used)
		return;
	struct router_call *c = p->call;
	int i = (int)(p - c->p);
	for (int k = 0; k < ROUTER_KINDS; k++)
		producer_free(&p->prod[k]);
	memset(p, 0, sizeof *p);
	for (int r = 0; r < ROUTER_MAX_PARTICIPANTS; r++) /* nobody keeps a stream of the empty slot */
		for (int k = 0; k < ROUTER_KINDS; k++)
			c->p[r].cons[i][k].on = false;
	if (c->mix)
		mixer_source_stop(c->mix, (unsigned)i);
	router__mix_refresh(c);
}

struct router_participant *router_participant_replace(struct router_participant *old,
						      const struct router_participant_params *pp)
{
	struct router_call *c = old->call;
	int from = (int)(old - c->p);
	struct consumer saved[ROUTER_MAX_PARTICIPANTS][ROUTER_KINDS];
	for (int r = 0; r < ROUTER_MAX_PARTICIPANTS; r++)
		memcpy(saved[r], c->p[r].cons[from], sizeof saved[r]);
	router_participant_remove(old);
	struct router_participant *p = router_participant_add(c, pp);
	if (!p)
		return NULL;
	int to = (int)(p - c->p);
	for (int r = 0; r < ROUTER_MAX_PARTICIPANTS; r++) {
		if (r == to || !c->p[r].used)
			continue;
		for (int k = 0; k < ROUTER_KINDS; k++) {
			struct consumer *cs = &c->p[r].cons[to][k];
			bool gate = cs->gate;
			*cs = saved[r][k];
			cs->gate = gate;
			cs->resync = cs->started; /* the new streams continue the old ones' numbering */
		}
	}
	return p;
}

static void resync_source(struct router_call *c, int src, int kind)
{
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		consumer_gap(&c->p[i].cons[src][kind]);
	if (kind == ROUTER_AUDIO && c->mix) /* a muted or paused source leaves every mix at once */
		mixer_source_stop(c->mix, (unsigned)src);
}

void router_call_pause(struct router_call *c, bool paused)
{
	if (paused && !c->paused)
		for (int s = 0; s < ROUTER_MAX_PARTICIPANTS; s++)
			for (int k = 0; k < ROUTER_KINDS; k++)
				resync_source(c, s, k);
	c->paused = paused;
}

void router_participant_set_gate(struct router_participant *p, bool audio_on, bool video_on)
{
	int src = (int)(p - p->call->p);
	bool on[ROUTER_KINDS] = {audio_on, video_on};
	for (int k = 0; k < ROUTER_KINDS; k++) {
		if (p->prod[k].gate && !on[k])
			resync_source(p->call, src,
				      k); /* a new run after the gap: nothing before it can be asked for */
		p->prod[k].gate = on[k];
	}
}

void router_participant_set_recv_gate(struct router_participant *p, bool audio_on, bool video_on)
{
	p->recv_on[ROUTER_AUDIO] = audio_on, p->recv_on[ROUTER_VIDEO] = video_on;
	for (int s = 0; s < ROUTER_MAX_PARTICIPANTS; s++)
		for (int k = 0; k < ROUTER_KINDS; k++) {
			struct consumer *cs = &p->cons[s][k];
			cs->gate = p->recv_on[k];
			if (!cs->gate)
				consumer_gap(cs);
		}
	p->mixc.gate = audio_on;
	if (!audio_on)
		consumer_gap(&p->mixc);
}

/* The one gate (consumer_may_send): may media of source src, kind k reach receiver r now? Forwarding, RTX,
 * sender reports and key-frame requests on r's behalf all ask. */
static bool may_send(const struct router_participant *src, int k, const struct router_participant *r)
{
	struct consumer_gate g = {.call_paused = src->call->paused,
				  .source_sends = src->used && src->can_send,
				  .source_unmuted = src->prod[k].gate,
				  .receiver_receives = r->can_recv,
				  .receiver_ready = router__ready(r)};
	return consumer_may_send(&r->cons[src - src->call->p][k], &g);
}

/* ---- RTCP we originate ---- */

static void send_pli(struct router_participant *src, struct producer *pr, int64_t now, struct router_txq *q)
{
	if (!pr->ssrc || !router__ready(src) || now - pr->last_pli_ms < ROUTER_PLI_MIN_INTERVAL_MS)
		return;
	pr->last_pli_ms = now;
	struct rtcp_fb fb = {.sender_ssrc = src->rtcp_ssrc, .media_ssrc = pr->ssrc};
	struct router_txslot *s = router_txq_slot(q);
	int n = rtcp_pli_build(s->buf, ROUTER_PKT_MAX - SRTP_SESSION_RTCP_OVERHEAD, &fb);
	if (n > 0)
		router__commit_to(q, src, (size_t)n, true);
}

void router__send_pli(struct router_participant *src, int64_t now, struct router_txq *q)
{
	send_pli(src, &src->prod[ROUTER_VIDEO], now, q);
}

/* ---- RTP fan-out ---- */

static int kind_of(const struct router_participant *p, uint8_t pt)
{
	if (p->pt[ROUTER_AUDIO] && pt == p->pt[ROUTER_AUDIO])
		return ROUTER_AUDIO;
	if (p->pt[ROUTER_VIDEO] && pt == p->pt[ROUTER_VIDEO])
		return ROUTER_VIDEO;
	return -1;
}

static bool fan_one(struct router_participant *r, struct router_participant *src, int kind, const uint8_t *buf,
		    size_t len, int64_t now, struct router_txq *q)
{
	struct consumer *c = &r->cons[src - src->call->p][kind];
	if (!may_send(src, kind, r)) {
		consumer_gap(c);
		return false;
	}
	bool was_resync = c->resync;
	uint16_t oseq;
	uint32_t ots;
	if (!consumer_number(c, rd16(buf + 2), rd32(buf + 4), clock_hz[kind], now, &oseq, &ots))
		return false;
	struct router_txslot *s = router_txq_slot(q);
	size_t n = consumer_build(c, &src->ext, &r->ext, buf, len, oseq, ots, false, s->buf, TX_RTP_CAP);
	if (!n || !router__commit_to(q, r, n, false))
		return false;
	r->st.tx_rtp++;
	if (was_resync && kind == ROUTER_VIDEO) /* the receiver needs a key frame after a gap */
		send_pli(src, &src->prod[ROUTER_VIDEO], now, q);
	return true;
}

void router_prefetch(const struct router_participant *p, int depth)
{
	if (p->tr)
		transport_prefetch(p->tr, false, depth);
	const struct router_call *c = p->call;
	for (int j = 0; c && j < ROUTER_MAX_PARTICIPANTS; j++) {
		const struct router_participant *r = &c->p[j];
		if (r != p && r->used && r->tr)
			transport_prefetch(r->tr, true, depth);
	}
}

int router_on_rtp(struct router_participant *p, const uint8_t *buf, size_t len, int64_t now_ms, struct router_txq *q)
{
	p->st.rx_rtp++;
	int kind = len >= RTP_HEADER_MIN && (buf[0] >> 6) == 2 ? kind_of(p, buf[1] & 0x7f) : -1;
	uint32_t ssrc = len >= RTP_HEADER_MIN ? rd32(buf + 8) : 0;
	struct producer *pr = kind >= 0 ? &p->prod[kind] : NULL;
	if (pr && !pr->ssrc)
		pr->ssrc = ssrc; /* learned from the first packet */
	if (!pr || pr->ssrc != ssrc || len > ROUTER_PKT_MAX - SRTP_SESSION_RTP_OVERHEAD) {
		p->st.dropped++;
		return 0;
	}
	uint16_t seq = rd16(buf + 2);
	producer_account(pr, seq);
	struct router_call *call = p->call;
	int src = (int)(p - call->p), sent = 0;
	if (call->paused || !pr->gate || !p->can_send) {
		resync_source(call, src, kind);
		p->st.dropped++;
		return 0;
	}
	producer_keep(pr, buf, len, seq);
	if (kind == ROUTER_AUDIO)
		sent += router__audio_in(p, buf, len, now_ms);
	else if (call->rec)
		router__record_video(p, buf, len, now_ms, q);
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++) {
		struct router_participant *r = &call->p[i];
		if (i != src && r->used && !(kind == ROUTER_AUDIO && r->mixed))
			sent += fan_one(r, p, kind, buf, len, now_ms, q);
	}
	p->st.relayed += (uint64_t)sent;
	if (!sent)
		p->st.dropped++;
	else
		p->first_media = true;
	return sent;
}

/* ---- RTCP from a participant ---- */

/* The consumer of r whose SSRC is ssrc: sets *src and *kind. */
static struct consumer *consumer_by_ssrc(struct router_participant *r, uint32_t ssrc, int *src, int *kind)
{
	for (int s = 0; s < ROUTER_MAX_PARTICIPANTS; s++)
		for (int k = 0; k < ROUTER_KINDS; k++)
			if (r->cons[s][k].ssrc == ssrc && r->cons[s][k].on && r->cons[s][k].started &&
			    r->call->p[s].used) {
				*src = s, *kind = k;
				return &r->cons[s][k];
			}
	return NULL;
}

/* Answer one NACKed output seq with an RTX packet (consumer_rtx_find says whether it may be). */
static void retransmit(struct router_participant *r, struct router_participant *src, int kind, uint16_t out_seq,
		       struct router_txq *q)
{
	struct consumer *c = &r->cons[src - src->call->p][kind];
	const struct producer_rtx_slot *slot =
	    may_send(src, kind, r) ? consumer_rtx_find(c, &src->prod[kind], out_seq) : NULL;
	if (!slot)
		return;
	struct router_txslot *s = router_txq_slot(q);
	size_t n = consumer_build(c, &src->ext, &r->ext, slot->buf, slot->len, out_seq, rd32(slot->buf + 4) + c->ts_off,
				  true, s->buf, TX_RTP_CAP);
	if (n && router__commit_to(q, r, n, false))
		r->st.nack_rtx++;
}

static void on_nack(struct router_participant *r, const struct rtcp_packet *pk, struct router_txq *q)
{
	struct rtcp_fb fb;
	uint16_t seqs[64];
	size_t n = 0;
	int src, kind;
	int rc = rtcp_nack_parse(pk, &fb, seqs, 64, &n);
	if (rc != RTCP_OK && rc != RTCP_ERR_NOSPACE)
		return;
	if (!consumer_by_ssrc(r, fb.media_ssrc, &src, &kind))
		return;
	for (size_t i = 0; i < n; i++)
		retransmit(r, &r->call->p[src], kind, seqs[i], q);
}

static void on_keyframe_request(struct router_participant *r, uint32_t media_ssrc, int64_t now, struct router_txq *q)
{
	int src, kind;
	if (!consumer_by_ssrc(r, media_ssrc, &src, &kind) || kind != ROUTER_VIDEO ||
	    !may_send(&r->call->p[src], kind, r))
		return;
	r->st.pli_fwd++;
	send_pli(&r->call->p[src], &r->call->p[src].prod[ROUTER_VIDEO], now, q);
}

static void on_psfb(struct router_participant *r, const struct rtcp_packet *pk, int64_t now, struct router_txq *q)
{
	struct rtcp_fb fb;
	if (pk->count == RTCP_FMT_PLI && rtcp_pli_parse(pk, &fb) == RTCP_OK) {
		on_keyframe_request(r, fb.media_ssrc, now, q);
	} else if (pk->count == RTCP_FMT_FIR) {
		struct rtcp_fir_entry e[4];
		size_t n = 0;
		if (rtcp_fir_parse(pk, &fb, e, 4, &n) == RTCP_OK && n)
			on_keyframe_request(r, e[0].ssrc, now, q);
	} else if (pk->count == RTCP_FMT_AFB) {
		static __thread struct rtcp_remb remb; /* ~1 KB: kept off the stack */
		if (rtcp_remb_parse(pk, &remb) == RTCP_OK)
			r->remb_bps = remb.bitrate > 0xffffffffu ? 0xffffffffu : (uint32_t)remb.bitrate;
	}
}

/* Forward the sender info of an SR (RFC 3550 §6.4.1) to each receiver of that stream, in its SSRC and timestamp
 * space, without report blocks: receivers need it for lip sync. */
static void forward_sr(struct router_participant *p, int kind, const uint8_t *d, struct router_txq *q)
{
	struct router_call *call = p->call;
	int src = (int)(p - call->p);
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++) {
		struct router_participant *r = &call->p[i];
		struct consumer *c = &r->cons[src][kind];
		if (i == src || !c->started || c->resync || !may_send(p, kind, r))
			continue;
		struct router_txslot *s = router_txq_slot(q);
		memcpy(s->buf, d, 28);
		s->buf[0] = 0x80, s->buf[2] = 0, s->buf[3] = 6; /* RC 0, 7 words */
		rtcp_set_sender_ssrc(s->buf, 28, c->ssrc);
		uint32_t ts = rd32(d + 16) + c->ts_off;
		s->buf[16] = (uint8_t)(ts >> 24), s->buf[17] = (uint8_t)(ts >> 16), s->buf[18] = (uint8_t)(ts >> 8);
		s->buf[19] = (uint8_t)ts;
		router__commit_to(q, r, 28, true);
	}
}

static void on_sr(struct router_participant *p, const struct rtcp_packet *pk, int64_t now, struct router_txq *q)
{
	if (pk->len < 28)
		return;
	const uint8_t *d = pk->data;
	uint32_t ssrc = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
	for (int k = 0; k < ROUTER_KINDS; k++)
		if (p->prod[k].ssrc == ssrc) {
			p->prod[k].lsr = (uint32_t)d[10] << 24 | (uint32_t)d[11] << 16 | (uint32_t)d[12] << 8 | d[13];
			p->prod[k].sr_at_ms = now;
			forward_sr(p, k, d, q);
		}
}

/* Report blocks of an SR or RR from p: the mix stream's loss picks its preset. */
static void on_blocks(struct router_participant *p, const struct rtcp_packet *pk)
{
	static __thread struct rtcp_sr sr; /* ~800 B each: kept off the stack */
	static __thread struct rtcp_rr rr;
	const struct rtcp_report_block *b = NULL;
	size_t n = 0;
	if (pk->pt == RTCP_PT_SR && rtcp_sr_parse(pk, &sr) == RTCP_OK)
		b = sr.blocks, n = sr.block_count;
	else if (pk->pt == RTCP_PT_RR && rtcp_rr_parse(pk, &rr) == RTCP_OK)
		b = rr.blocks, n = rr.block_count;
	for (size_t i = 0; i < n; i++)
		router__mix_report(p, &b[i]);
}

void router_on_rtcp(struct router_participant *p, const uint8_t *buf, size_t len, int64_t now_ms, struct router_txq *q)
{
	struct rtcp_iter it;
	struct rtcp_packet pk;
	p->st.rx_rtcp++;
	rtcp_iter_init(&it, buf, len);
	while (rtcp_iter_next(&it, &pk) == 1) {
		if (p->mixed && (pk.pt == RTCP_PT_SR || pk.pt == RTCP_PT_RR))
			on_blocks(p, &pk);
		if (pk.pt == RTCP_PT_SR)
			on_sr(p, &pk, now_ms, q);
		else if (pk.pt == RTCP_PT_RTPFB && pk.count == RTCP_FMT_NACK)
			on_nack(p, &pk, q);
		else if (pk.pt == RTCP_PT_PSFB)
			on_psfb(p, &pk, now_ms, q);
	}
}

/* ---- periodic RTCP to senders: RR for their streams + REMB ---- */

static uint32_t remb_for(const struct router_call *c, int src)
{
	uint32_t bps = 0;
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++) {
		const struct router_participant *r = &c->p[i];
		if (i != src && r->used && r->can_recv && r->remb_bps && (!bps || r->remb_bps < bps))
			bps = r->remb_bps;
	}
	return bps ? bps : ROUTER_REMB_DEFAULT_BPS;
}

static void report_to(struct router_participant *p, int64_t now, struct router_txq *q)
{
	static __thread struct rtcp_rr rr;
	static __thread struct rtcp_remb remb;
	memset(&rr, 0, sizeof rr);
	rr.ssrc = p->rtcp_ssrc;
	for (int k = 0; k < ROUTER_KINDS; k++) {
		struct producer *pr = &p->prod[k];
		if (pr->seen)
			rtcp_report_block_from_stats(&rr.blocks[rr.block_count++], pr->ssrc, &pr->seq, pr->lsr,
						     (uint64_t)(now - pr->sr_at_ms) * 1000);
	}
	if (!rr.block_count)
		return;
	struct router_txslot *s = router_txq_slot(q);
	size_t cap = ROUTER_PKT_MAX - SRTP_SESSION_RTCP_OVERHEAD;
	int n = rtcp_rr_build(s->buf, cap, &rr);
	if (n <= 0)
		return;
	if (p->prod[ROUTER_VIDEO].seen) {
		remb.sender_ssrc = p->rtcp_ssrc, remb.ssrc_count = 1, remb.ssrcs[0] = p->prod[ROUTER_VIDEO].ssrc;
		remb.bitrate = remb_for(p->call, (int)(p - p->call->p));
		int m = rtcp_remb_build(s->buf + n, cap - (size_t)n, &remb);
		n += m > 0 ? m : 0;
	}
	router__commit_to(q, p, (size_t)n, true);
}

void router_call_tick(struct router_call *c, int64_t now_ms, struct router_txq *q)
{
	if (now_ms < c->next_rtcp_ms)
		return;
	c->next_rtcp_ms = now_ms + ROUTER_RTCP_INTERVAL_MS;
	for (int i = 0; i < ROUTER_MAX_PARTICIPANTS; i++)
		if (router__ready(&c->p[i]))
			report_to(&c->p[i], now_ms, q);
}
