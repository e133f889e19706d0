/* sfu.c: the per-call router: fan-out with SSRC/seq/ts rewriting, gates, PLI/FIR/NACK/REMB handling, receiver reports. */
#include "media/sfu.h"

#include <stdlib.h>
#include <string.h>

#include "media/random.h"
#include "media/rtcp.h"
#include "media/srtp.h"

static const uint32_t clock_hz[SFU_KINDS] = {48000, 90000};

/* ---- output batch ---- */

struct sfu_txslot *sfu_txq_slot(struct sfu_txq *q)
{
    if (q->n == q->cap)
        q->flush(q);
    return &q->slots[q->n];
}

void sfu_txq_push(struct sfu_txq *q, const uint8_t *buf, size_t len, const struct ice_addr *to)
{
    if (len > SFU_PKT_MAX || !to)
        return;
    struct sfu_txslot *s = sfu_txq_slot(q);
    memcpy(s->buf, buf, len);
    s->len = (uint16_t)len;
    s->to = *to;
    q->n++;
}

static bool ready(const struct sfu_participant *r)
{
    return r->used && r->tr && transport_state(r->tr) == TRANSPORT_CONNECTED;
}

/* Protect the packet in the next slot (already written, n bytes) and commit it to r. */
static bool commit_to(struct sfu_txq *q, struct sfu_participant *r, size_t n, bool rtcp)
{
    struct sfu_txslot *s = &q->slots[q->n];
    int rc = rtcp ? transport_protect_rtcp(r->tr, s->buf, &n, SFU_PKT_MAX)
                  : transport_protect_rtp(r->tr, s->buf, &n, SFU_PKT_MAX);
    const struct ice_addr *to = transport_remote(r->tr, NULL);
    if (rc || !to)
        return false;
    s->len = (uint16_t)n, s->to = *to;
    q->n++;
    return true;
}

/* ---- call and participants ---- */

void sfu_call_init(struct sfu_call *c, uint64_t id)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->used = true;
}

struct sfu_participant *sfu_participant_find(struct sfu_call *c, uint64_t id)
{
    for (int i = 0; i < SFU_MAX_PARTICIPANTS; i++)
        if (c->p[i].used && c->p[i].id == id)
            return &c->p[i];
    return NULL;
}

/* Take a stream of the plan into a consumer: a new SSRC starts fresh, the same one carries on. */
static void consumer_set(struct sfu_consumer *cs, const struct sfu_stream_params *sp, bool gate)
{
    if (!sp->on) {
        memset(cs, 0, sizeof *cs);
        cs->gate = gate;
        return;
    }
    if (!cs->on || cs->ssrc != sp->ssrc) {
        memset(cs, 0, sizeof *cs);
        cs->ssrc = sp->ssrc;
    }
    if (cs->rtx_ssrc != sp->rtx_ssrc)
        cs->rtx_seq = (uint16_t)(sp->rtx_ssrc >> 16); /* a fresh RTX stream: its own numbering */
    cs->on = true, cs->gate = gate;
    cs->rtx_ssrc = sp->rtx_ssrc, cs->pt = sp->pt, cs->rtx_pt = sp->rtx_pt;
    cs->mid_len = sp->mid_len <= RTP_EXT_MID_MAX ? sp->mid_len : 0;
    memcpy(cs->mid, sp->mid, cs->mid_len);
}

static void plan_apply(struct sfu_participant *p, const struct sfu_participant_params *pp)
{
    int self = (int)(p - p->call->p);
    p->can_send = pp->can_send, p->can_recv = pp->can_recv, p->ext = pp->ext;
    for (int k = 0; k < SFU_KINDS; k++) {
        p->pt[k] = pp->pt[k];
        if (pp->ssrc_in[k] && pp->ssrc_in[k] != p->prod[k].ssrc)
            p->prod[k].ssrc = pp->ssrc_in[k], p->prod[k].seen = false;
    }
    for (int s = 0; s < SFU_MAX_PARTICIPANTS; s++)
        for (int k = 0; k < SFU_KINDS; k++) {
            struct sfu_stream_params off = {0};
            consumer_set(&p->cons[s][k], s == self ? &off : &pp->out[s][k], p->recv_on[k]);
        }
}

struct sfu_participant *sfu_participant_add(struct sfu_call *c, const struct sfu_participant_params *pp)
{
    if (sfu_participant_find(c, pp->id) || pp->slot >= SFU_MAX_PARTICIPANTS || c->p[pp->slot].used)
        return NULL;
    int i = (int)pp->slot;
    struct sfu_participant *p = &c->p[i];
    memset(p, 0, sizeof *p);
    p->id = pp->id, p->call = c;
    p->rtcp_ssrc = media_random_u32_nonzero();
    for (int k = 0; k < SFU_KINDS; k++) {
        p->prod[k].ssrc = pp->ssrc_in[k];
        p->prod[k].gate = true;
        p->recv_on[k] = true;
    }
    if (pp->pt[SFU_VIDEO] && pp->can_send &&
        !(p->prod[SFU_VIDEO].rtx = calloc(SFU_RTX_SLOTS, sizeof(struct sfu_rtx_slot))))
        return NULL;
    plan_apply(p, pp);
    for (int r = 0; r < SFU_MAX_PARTICIPANTS; r++) /* it as a source: off for the others until they renegotiate */
        if (r != i && c->p[r].used)
            for (int k = 0; k < SFU_KINDS; k++)
                consumer_set(&c->p[r].cons[i][k], &(struct sfu_stream_params){0}, c->p[r].recv_on[k]);
    p->used = true;
    return p;
}

void sfu_participant_update(struct sfu_participant *p, const struct sfu_participant_params *pp)
{
    if (pp->pt[SFU_VIDEO] && pp->can_send && !p->prod[SFU_VIDEO].rtx)
        p->prod[SFU_VIDEO].rtx = calloc(SFU_RTX_SLOTS, sizeof(struct sfu_rtx_slot)); /* NULL: no retransmission */
    plan_apply(p, pp);
}

void sfu_participant_remove(struct sfu_participant *p)
{
    if (!p || !p->used)
        return;
    struct sfu_call *c = p->call;
    int i = (int)(p - c->p);
    for (int k = 0; k < SFU_KINDS; k++)
        free(p->prod[k].rtx);
    memset(p, 0, sizeof *p);
    for (int r = 0; r < SFU_MAX_PARTICIPANTS; r++) /* nobody keeps a stream of the empty slot */
        for (int k = 0; k < SFU_KINDS; k++)
            c->p[r].cons[i][k].on = false;
}

struct sfu_participant *sfu_participant_replace(struct sfu_participant *old, const struct sfu_participant_params *pp)
{
    struct sfu_call *c = old->call;
    int from = (int)(old - c->p);
    struct sfu_consumer saved[SFU_MAX_PARTICIPANTS][SFU_KINDS];
    for (int r = 0; r < SFU_MAX_PARTICIPANTS; r++)
        memcpy(saved[r], c->p[r].cons[from], sizeof saved[r]);
    sfu_participant_remove(old);
    struct sfu_participant *p = sfu_participant_add(c, pp);
    if (!p)
        return NULL;
    int to = (int)(p - c->p);
    for (int r = 0; r < SFU_MAX_PARTICIPANTS; r++) {
        if (r == to || !c->p[r].used)
            continue;
        for (int k = 0; k < SFU_KINDS; k++) {
            struct sfu_consumer *cs = &c->p[r].cons[to][k];
            bool gate = cs->gate;
            *cs = saved[r][k];
            cs->gate = gate;
            cs->resync = cs->started; /* the new streams continue the old ones' numbering */
        }
    }
    return p;
}

static void resync_source(struct sfu_call *c, int src, int kind)
{
    for (int i = 0; i < SFU_MAX_PARTICIPANTS; i++)
        if (c->p[i].cons[src][kind].started)
            c->p[i].cons[src][kind].resync = true;
}

void sfu_call_pause(struct sfu_call *c, bool paused)
{
    if (paused && !c->paused)
        for (int s = 0; s < SFU_MAX_PARTICIPANTS; s++)
            for (int k = 0; k < SFU_KINDS; k++)
                resync_source(c, s, k);
    c->paused = paused;
}

void sfu_participant_set_gate(struct sfu_participant *p, bool audio_on, bool video_on)
{
    int src = (int)(p - p->call->p);
    bool on[SFU_KINDS] = {audio_on, video_on};
    for (int k = 0; k < SFU_KINDS; k++) {
        if (p->prod[k].gate && !on[k])
            resync_source(p->call, src, k); /* a new run after the gap: nothing before it can be asked for */
        p->prod[k].gate = on[k];
    }
}

void sfu_participant_set_recv_gate(struct sfu_participant *p, bool audio_on, bool video_on)
{
    p->recv_on[SFU_AUDIO] = audio_on, p->recv_on[SFU_VIDEO] = video_on;
    for (int s = 0; s < SFU_MAX_PARTICIPANTS; s++)
        for (int k = 0; k < SFU_KINDS; k++) {
            struct sfu_consumer *cs = &p->cons[s][k];
            cs->gate = p->recv_on[k];
            cs->resync = cs->resync || (!cs->gate && cs->started);
        }
}

/* The one gate: may media of source src, kind k reach receiver r now (forwarding, RTX, SR, PLI on its behalf)? */
static bool may_send(const struct sfu_participant *src, int k, const struct sfu_participant *r)
{
    const struct sfu_consumer *cs = &r->cons[src - src->call->p][k];
    return !src->call->paused && src->used && src->can_send && src->prod[k].gate && r->can_recv && cs->on &&
           cs->gate && ready(r);
}

/* ---- RTCP we originate ---- */

static void send_pli(struct sfu_participant *src, struct sfu_producer *pr, int64_t now, struct sfu_txq *q)
{
    if (!pr->ssrc || !ready(src) || now - pr->last_pli_ms < SFU_PLI_MIN_INTERVAL_MS)
        return;
    pr->last_pli_ms = now;
    struct rtcp_fb fb = {.sender_ssrc = src->rtcp_ssrc, .media_ssrc = pr->ssrc};
    struct sfu_txslot *s = sfu_txq_slot(q);
    int n = rtcp_pli_build(s->buf, SFU_PKT_MAX - SRTP_SESSION_RTCP_OVERHEAD, &fb);
    if (n > 0)
        commit_to(q, src, (size_t)n, true);
}

/* ---- RTP fan-out ---- */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Output numbering for an input packet: starts, and after a gap (resync) continues, the consumer's run.
 * Returns false for a late packet that would land before the current run (its numbers may be used). */
static bool rewrite_numbers(struct sfu_consumer *c, uint16_t seq, uint32_t ts, int kind, int64_t now,
                            uint16_t *oseq, uint32_t *ots)
{
    if (!c->started) {
        c->seq_off = (uint16_t)((c->ssrc >> 16) - seq);
        c->ts_off = c->ssrc * 2654435761u - ts;
        c->started = true;
        c->run_first = (uint16_t)(seq + c->seq_off);
        c->last_out_seq = (uint16_t)(c->run_first - 1);
    } else if (c->resync) { /* close the gap a gate made: next seq, ts advanced by wall time */
        uint32_t adv = (uint32_t)((now - c->last_out_ms) * (int64_t)clock_hz[kind] / 1000);
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

/* Write src's packet for receiver r into the next slot: its header extensions, numbering, SSRC and payload
 * type. rtx: as an RFC 4588 retransmission (RTX SSRC, own seq, original seq first in the payload). Returns the
 * length, or 0 to drop. */
static size_t build_for(struct sfu_participant *r, const struct sfu_participant *src, struct sfu_consumer *c,
                        const uint8_t *buf, size_t len, uint16_t oseq, uint32_t ots, bool rtx, uint8_t *out)
{
    size_t off, cap = SFU_PKT_MAX - SRTP_SESSION_RTP_OVERHEAD - (rtx ? 2 : 0);
    int n = rtp_ext_translate(out, cap, buf, len, &src->ext, &r->ext, (const uint8_t *)c->mid, c->mid_len, &off);
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

static int kind_of(const struct sfu_participant *p, uint8_t pt)
{
    if (p->pt[SFU_AUDIO] && pt == p->pt[SFU_AUDIO])
        return SFU_AUDIO;
    if (p->pt[SFU_VIDEO] && pt == p->pt[SFU_VIDEO])
        return SFU_VIDEO;
    return -1;
}

static void account(struct sfu_producer *pr, uint16_t seq)
{
    if (!pr->seen) {
        rtp_seq_init(&pr->seq, seq);
        pr->seq.probation = 0;
        pr->seen = true;
    }
    rtp_seq_update(&pr->seq, seq);
}

/* Keep a packet that passed the source's gates for retransmission (never one the gates held back). */
static void keep_for_rtx(struct sfu_producer *pr, const uint8_t *buf, size_t len, uint16_t seq)
{
    if (pr->rtx && len <= SFU_RTX_PKT_MAX) {
        struct sfu_rtx_slot *s = &pr->rtx[seq & (SFU_RTX_SLOTS - 1)];
        memcpy(s->buf, buf, len);
        s->seq = seq, s->len = (uint16_t)len;
    }
}

static bool fan_one(struct sfu_participant *r, struct sfu_participant *src, int kind, const uint8_t *buf,
                    size_t len, int64_t now, struct sfu_txq *q)
{
    struct sfu_consumer *c = &r->cons[src - src->call->p][kind];
    if (!may_send(src, kind, r)) {
        c->resync = c->resync || c->started;
        return false;
    }
    bool was_resync = c->resync;
    uint16_t oseq;
    uint32_t ots;
    if (!rewrite_numbers(c, rd16(buf + 2), rd32(buf + 4), kind, now, &oseq, &ots))
        return false;
    struct sfu_txslot *s = sfu_txq_slot(q);
    size_t n = build_for(r, src, c, buf, len, oseq, ots, false, s->buf);
    if (!n || !commit_to(q, r, n, false))
        return false;
    r->st.tx_rtp++;
    if (was_resync && kind == SFU_VIDEO) /* the receiver needs a key frame after a gap */
        send_pli(src, &src->prod[SFU_VIDEO], now, q);
    return true;
}

void sfu_prefetch(const struct sfu_participant *p, int depth)
{
    if (p->tr)
        transport_prefetch(p->tr, false, depth);
    const struct sfu_call *c = p->call;
    for (int j = 0; c && j < SFU_MAX_PARTICIPANTS; j++) {
        const struct sfu_participant *r = &c->p[j];
        if (r != p && r->used && r->tr)
            transport_prefetch(r->tr, true, depth);
    }
}

int sfu_on_rtp(struct sfu_participant *p, const uint8_t *buf, size_t len, int64_t now_ms, struct sfu_txq *q)
{
    p->st.rx_rtp++;
    int kind = len >= RTP_HEADER_MIN && (buf[0] >> 6) == 2 ? kind_of(p, buf[1] & 0x7f) : -1;
    uint32_t ssrc = len >= RTP_HEADER_MIN ? rd32(buf + 8) : 0;
    struct sfu_producer *pr = kind >= 0 ? &p->prod[kind] : NULL;
    if (pr && !pr->ssrc)
        pr->ssrc = ssrc; /* learned from the first packet */
    if (!pr || pr->ssrc != ssrc || len > SFU_PKT_MAX - SRTP_SESSION_RTP_OVERHEAD) {
        p->st.dropped++;
        return 0;
    }
    uint16_t seq = rd16(buf + 2);
    account(pr, seq);
    struct sfu_call *call = p->call;
    int src = (int)(p - call->p), sent = 0;
    if (call->paused || !pr->gate || !p->can_send) {
        resync_source(call, src, kind);
        p->st.dropped++;
        return 0;
    }
    keep_for_rtx(pr, buf, len, seq);
    for (int i = 0; i < SFU_MAX_PARTICIPANTS; i++) {
        struct sfu_participant *r = &call->p[i];
        if (i != src && r->used)
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
static struct sfu_consumer *consumer_by_ssrc(struct sfu_participant *r, uint32_t ssrc, int *src, int *kind)
{
    for (int s = 0; s < SFU_MAX_PARTICIPANTS; s++)
        for (int k = 0; k < SFU_KINDS; k++)
            if (r->cons[s][k].ssrc == ssrc && r->cons[s][k].on && r->cons[s][k].started && r->call->p[s].used) {
                *src = s, *kind = k;
                return &r->cons[s][k];
            }
    return NULL;
}

/* Answer one NACKed output seq with an RTX packet, only inside the consumer's current run: those numbers were
 * sent with this run's offsets, so the mapping back to the source packet is the one used then. */
static void retransmit(struct sfu_participant *r, struct sfu_participant *src, int kind, uint16_t out_seq,
                       struct sfu_txq *q)
{
    struct sfu_consumer *c = &r->cons[src - src->call->p][kind];
    struct sfu_producer *pr = &src->prod[kind];
    if (!c->rtx_ssrc || !c->rtx_pt || !pr->rtx || c->resync || !may_send(src, kind, r))
        return;
    if (rtp_seq_diff(out_seq, c->run_first) < 0 || rtp_seq_diff(out_seq, c->last_out_seq) > 0)
        return;
    uint16_t in_seq = (uint16_t)(out_seq - c->seq_off);
    struct sfu_rtx_slot *slot = &pr->rtx[in_seq & (SFU_RTX_SLOTS - 1)];
    if (!slot->len || slot->seq != in_seq)
        return;
    struct sfu_txslot *s = sfu_txq_slot(q);
    size_t n = build_for(r, src, c, slot->buf, slot->len, out_seq, rd32(slot->buf + 4) + c->ts_off, true, s->buf);
    if (n && commit_to(q, r, n, false))
        r->st.nack_rtx++;
}

static void on_nack(struct sfu_participant *r, const struct rtcp_packet *pk, struct sfu_txq *q)
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

static void on_keyframe_request(struct sfu_participant *r, uint32_t media_ssrc, int64_t now, struct sfu_txq *q)
{
    int src, kind;
    if (!consumer_by_ssrc(r, media_ssrc, &src, &kind) || kind != SFU_VIDEO || !may_send(&r->call->p[src], kind, r))
        return;
    r->st.pli_fwd++;
    send_pli(&r->call->p[src], &r->call->p[src].prod[SFU_VIDEO], now, q);
}

static void on_psfb(struct sfu_participant *r, const struct rtcp_packet *pk, int64_t now, struct sfu_txq *q)
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
static void forward_sr(struct sfu_participant *p, int kind, const uint8_t *d, struct sfu_txq *q)
{
    struct sfu_call *call = p->call;
    int src = (int)(p - call->p);
    for (int i = 0; i < SFU_MAX_PARTICIPANTS; i++) {
        struct sfu_participant *r = &call->p[i];
        struct sfu_consumer *c = &r->cons[src][kind];
        if (i == src || !c->started || c->resync || !may_send(p, kind, r))
            continue;
        struct sfu_txslot *s = sfu_txq_slot(q);
        memcpy(s->buf, d, 28);
        s->buf[0] = 0x80, s->buf[2] = 0, s->buf[3] = 6; /* RC 0, 7 words */
        rtcp_set_sender_ssrc(s->buf, 28, c->ssrc);
        uint32_t ts = rd32(d + 16) + c->ts_off;
        s->buf[16] = (uint8_t)(ts >> 24), s->buf[17] = (uint8_t)(ts >> 16), s->buf[18] = (uint8_t)(ts >> 8);
        s->buf[19] = (uint8_t)ts;
        commit_to(q, r, 28, true);
    }
}

static void on_sr(struct sfu_participant *p, const struct rtcp_packet *pk, int64_t now, struct sfu_txq *q)
{
    if (pk->len < 28)
        return;
    const uint8_t *d = pk->data;
    uint32_t ssrc = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
    for (int k = 0; k < SFU_KINDS; k++)
        if (p->prod[k].ssrc == ssrc) {
            p->prod[k].lsr = (uint32_t)d[10] << 24 | (uint32_t)d[11] << 16 | (uint32_t)d[12] << 8 | d[13];
            p->prod[k].sr_at_ms = now;
            forward_sr(p, k, d, q);
        }
}

void sfu_on_rtcp(struct sfu_participant *p, const uint8_t *buf, size_t len, int64_t now_ms, struct sfu_txq *q)
{
    struct rtcp_iter it;
    struct rtcp_packet pk;
    p->st.rx_rtcp++;
    rtcp_iter_init(&it, buf, len);
    while (rtcp_iter_next(&it, &pk) == 1) {
        if (pk.pt == RTCP_PT_SR)
            on_sr(p, &pk, now_ms, q);
        else if (pk.pt == RTCP_PT_RTPFB && pk.count == RTCP_FMT_NACK)
            on_nack(p, &pk, q);
        else if (pk.pt == RTCP_PT_PSFB)
            on_psfb(p, &pk, now_ms, q);
    }
}

/* ---- periodic RTCP to senders: RR for their streams + REMB ---- */

static uint32_t remb_for(const struct sfu_call *c, int src)
{
    uint32_t bps = 0;
    for (int i = 0; i < SFU_MAX_PARTICIPANTS; i++) {
        const struct sfu_participant *r = &c->p[i];
        if (i != src && r->used && r->can_recv && r->remb_bps && (!bps || r->remb_bps < bps))
            bps = r->remb_bps;
    }
    return bps ? bps : SFU_REMB_DEFAULT_BPS;
}

static void report_to(struct sfu_participant *p, int64_t now, struct sfu_txq *q)
{
    static __thread struct rtcp_rr rr;
    static __thread struct rtcp_remb remb;
    memset(&rr, 0, sizeof rr);
    rr.ssrc = p->rtcp_ssrc;
    for (int k = 0; k < SFU_KINDS; k++) {
        struct sfu_producer *pr = &p->prod[k];
        if (pr->seen)
            rtcp_report_block_from_stats(&rr.blocks[rr.block_count++], pr->ssrc, &pr->seq, pr->lsr,
                                         (uint64_t)(now - pr->sr_at_ms) * 1000);
    }
    if (!rr.block_count)
        return;
    struct sfu_txslot *s = sfu_txq_slot(q);
    size_t cap = SFU_PKT_MAX - SRTP_SESSION_RTCP_OVERHEAD;
    int n = rtcp_rr_build(s->buf, cap, &rr);
    if (n <= 0)
        return;
    if (p->prod[SFU_VIDEO].seen) {
        remb.sender_ssrc = p->rtcp_ssrc, remb.ssrc_count = 1, remb.ssrcs[0] = p->prod[SFU_VIDEO].ssrc;
        remb.bitrate = remb_for(p->call, (int)(p - p->call->p));
        int m = rtcp_remb_build(s->buf + n, cap - (size_t)n, &remb);
        n += m > 0 ? m : 0;
    }
    commit_to(q, p, (size_t)n, true);
}

void sfu_call_tick(struct sfu_call *c, int64_t now_ms, struct sfu_txq *q)
{
    if (now_ms < c->next_rtcp_ms)
        return;
    c->next_rtcp_ms = now_ms + SFU_RTCP_INTERVAL_MS;
    for (int i = 0; i < SFU_MAX_PARTICIPANTS; i++)
        if (ready(&c->p[i]))
            report_to(&c->p[i], now_ms, q);
}
