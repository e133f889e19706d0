/* sfu.h: the per-call router: producers -> consumers fan-out with SSRC/seq/ts rewriting, gates, RTCP feedback. */
#ifndef SAMVAER_MEDIA_SFU_H
#define SAMVAER_MEDIA_SFU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/ice.h"
#include "media/rtp.h"
#include "media/rtp_ext.h"
#include "media/transport.h"

/*
 * Model (after mediasoup's Router): a call holds up to SFU_MAX_PARTICIPANTS participants, each in the slot the
 * control thread's call plan chose (media/call_plan.h). Each has one transport, up to one producer per kind (the
 * audio and video it sends, learned from its SDP SSRCs or from the first packet with the negotiated payload
 * type) and one consumer per (source slot, kind): the stream the server sends it on one m-section of its
 * answer, with the SSRC (and RTX SSRC) that answer announced, the section's MID and payload types, a sequence
 * offset and a timestamp offset, so that gaps made by gates are closed (contiguous sequence numbers,
 * timestamps advanced by wall time). A consumer whose source has no section in the receiver's last answer is
 * off: the receiver could not place its packets, so none are sent until it renegotiates.
 * Header extensions are rewritten per receiver (media/rtp_ext.h): its ids, its MID, nothing it did not negotiate.
 * One gate (may_send in sfu.c) decides every packet that carries a source's media to a receiver: forwarding,
 * NACK retransmission (RTX), sender reports and key-frame requests on its behalf. It is closed while the call is
 * paused, the source is muted or may not send, the receiver may not receive, or the consumer is off.
 * Retransmissions answer only sequence numbers of the consumer's current run (since its last resync), as RFC
 * 4588 RTX on the RTX SSRC with its own sequence numbers, so an SRTP index is never used twice.
 * RTCP: sender reports are forwarded (sender info only, rewritten SSRC/timestamp), PLI/FIR from a receiver go
 * to the source (rate-limited), REMB from receivers is kept, and every SFU_RTCP_INTERVAL_MS each sender gets a
 * receiver report for its streams and a REMB (lowest receiver REMB, else SFU_REMB_DEFAULT_BPS).
 * Output goes to a struct sfu_txq the owner (the worker) flushes with sendmmsg.
 * Thread rules: a call belongs to one worker thread; the per-packet path allocates nothing and takes no lock.
 */

#define SFU_MAX_PARTICIPANTS 8
#define SFU_PKT_MAX 1500             /* datagram buffer; RTP above SFU_PKT_MAX - SRTP overhead is dropped */
#define SFU_RTX_SLOTS 256            /* per video producer, power of two (~0.5-1 s of video) */
#define SFU_RTX_PKT_MAX 1280         /* bigger packets are not kept for retransmission */
#define SFU_RTCP_INTERVAL_MS 1000
#define SFU_PLI_MIN_INTERVAL_MS 300
#define SFU_REMB_DEFAULT_BPS 2000000u

enum sfu_kind { SFU_AUDIO = 0, SFU_VIDEO = 1, SFU_KINDS = 2 };

/* Output batch owned by the worker; flush() sends and empties it (called by sfu_txq_slot when full). */
struct sfu_txslot {
    uint8_t buf[SFU_PKT_MAX];
    uint16_t len;
    struct ice_addr to;
};
struct sfu_txq {
    struct sfu_txslot *slots;
    unsigned n, cap;
    void (*flush)(struct sfu_txq *q);
    void *owner;
};
struct sfu_txslot *sfu_txq_slot(struct sfu_txq *q); /* next free slot (flushes first if full) */
void sfu_txq_push(struct sfu_txq *q, const uint8_t *buf, size_t len, const struct ice_addr *to);

struct sfu_rtx_slot {
    uint16_t seq;                    /* input sequence number */
    uint16_t len;                    /* 0: empty */
    uint8_t buf[SFU_RTX_PKT_MAX];
};

struct sfu_producer {                /* one stream a participant sends */
    uint32_t ssrc;                   /* 0: not known yet */
    bool gate;                       /* false: muted, packets dropped */
    bool seen;
    struct rtp_seq_state seq;        /* for receiver reports */
    uint32_t lsr;                    /* middle 32 bits of the last SR's NTP time */
    int64_t sr_at_ms;
    int64_t last_pli_ms;
    uint8_t fir_seq;
    struct sfu_rtx_slot *rtx;        /* video only (allocated at add), NULL for audio */
};

/* One stream a receiver's answer announced (one m-section): set by the control thread's call plan. */
struct sfu_stream_params {
    bool on;                         /* false: no section carries this source's kind to the receiver */
    uint32_t ssrc, rtx_ssrc;         /* announced SSRCs (rtx 0: no RTX negotiated) */
    uint8_t pt, rtx_pt;              /* the section's payload types */
    uint8_t mid_len;
    char mid[RTP_EXT_MID_MAX];       /* the section's MID */
};

struct sfu_consumer {                /* one stream a participant receives from one source */
    uint32_t ssrc;                   /* SSRC we send with */
    bool on;                         /* announced in the receiver's answer */
    bool gate;                       /* false: this receiver gets none of this kind */
    bool started, resync;
    uint16_t seq_off, last_out_seq;
    uint16_t run_first;              /* first output seq since the last resync: NACKs are answered from here on */
    uint32_t ts_off, last_out_ts;
    int64_t last_out_ms;
    uint32_t rtx_ssrc;               /* 0: no retransmissions */
    uint16_t rtx_seq;                /* next RTX sequence number */
    uint8_t pt, rtx_pt;
    uint8_t mid_len;
    char mid[RTP_EXT_MID_MAX];
};

struct sfu_stats {
    uint64_t rx_rtp, rx_rtcp;        /* received from this participant */
    uint64_t relayed;                /* its packets sent on to others (one per receiver) */
    uint64_t dropped;                /* its packets dropped (gates, pause, unknown payload type, no receiver) */
    uint64_t tx_rtp;                 /* packets sent to it */
    uint64_t nack_rtx, pli_fwd;      /* retransmissions sent to it, PLI/FIR forwarded from it */
};

struct sfu_participant {
    bool used;
    uint64_t id;
    struct sfu_call *call;
    struct transport *tr;            /* owned (created/freed by the worker) */
    bool can_send, can_recv;         /* role */
    uint8_t pt[SFU_KINDS];           /* payload type it sends per kind, 0: kind not negotiated */
    struct rtp_extmap ext;           /* its extension ids (BUNDLE: one map for every section, both directions) */
    uint32_t rtcp_ssrc;              /* our sender SSRC for RTCP to it */
    uint32_t remb_bps;               /* last REMB it sent, 0: none */
    bool recv_on[SFU_KINDS];         /* receive gate per kind (copied into new consumers) */
    struct sfu_producer prod[SFU_KINDS];
    struct sfu_consumer cons[SFU_MAX_PARTICIPANTS][SFU_KINDS]; /* indexed by source slot */
    struct sfu_stats st;
    bool first_media;                /* something of its media was relayed */
    bool first_media_reported;       /* for the owner's event */
    struct ice_addr hashed;          /* address registered in the worker's lookup table */
    uint32_t hashed_gen;
    void *owner;                     /* free for the worker */
};

struct sfu_call {
    uint64_t id;
    bool paused;
    bool used;
    struct sfu_participant p[SFU_MAX_PARTICIPANTS];
    int64_t next_rtcp_ms;
};

struct sfu_participant_params {
    uint64_t id;
    unsigned slot;                   /* chosen by the call plan, < SFU_MAX_PARTICIPANTS */
    bool can_send, can_recv;
    uint8_t pt[SFU_KINDS];           /* what it sends */
    uint32_t ssrc_in[SFU_KINDS];     /* SSRCs from its offer, 0: learn from the first packet */
    struct rtp_extmap ext;
    struct sfu_stream_params out[SFU_MAX_PARTICIPANTS][SFU_KINDS]; /* what it receives, by source slot */
};

void sfu_call_init(struct sfu_call *c, uint64_t id);
/* Returns the participant or NULL (slot taken, or id present). Allocates the video retransmit buffer. tr may be
 * set later. The others' consumers of it start off until their plans announce it. */
struct sfu_participant *sfu_participant_add(struct sfu_call *c, const struct sfu_participant_params *pp);
/* A renegotiation on the same transport: new payload types, extension ids and announced streams. A stream
 * whose SSRC stays the same carries on (numbering kept); a new one starts fresh. */
void sfu_participant_update(struct sfu_participant *p, const struct sfu_participant_params *pp);
struct sfu_participant *sfu_participant_find(struct sfu_call *c, uint64_t id);
/* Frees the buffers; the caller frees the transport first. */
void sfu_participant_remove(struct sfu_participant *p);
/* A new offer from the same participant: remove old (its transport already freed) and add it again from pp.
 * Receivers keep their streams of it: same SSRCs, sequence numbers and timestamps carry on after the gap, so a
 * browser on the other side does not drop the new packets as old ones. Returns the new slot or NULL. */
struct sfu_participant *sfu_participant_replace(struct sfu_participant *old, const struct sfu_participant_params *pp);
void sfu_call_pause(struct sfu_call *c, bool paused);
void sfu_participant_set_gate(struct sfu_participant *p, bool audio_on, bool video_on);      /* what it sends */
void sfu_participant_set_recv_gate(struct sfu_participant *p, bool audio_on, bool video_on); /* what it gets */

/* A decrypted RTP packet from p (buf holds len bytes). Fans out into q. Returns receivers reached. */
/* Staged prefetch for a datagram from p: depth 0-3 of its inbound transport and of every receiver's outbound one
 * (transport_prefetch). No effect on results. */
void sfu_prefetch(const struct sfu_participant *p, int depth);
int sfu_on_rtp(struct sfu_participant *p, const uint8_t *buf, size_t len, int64_t now_ms, struct sfu_txq *q);
/* A decrypted RTCP compound packet from p. */
void sfu_on_rtcp(struct sfu_participant *p, const uint8_t *buf, size_t len, int64_t now_ms, struct sfu_txq *q);
/* Periodic RTCP (RR + REMB to senders); call often, it keeps its own schedule. */
void sfu_call_tick(struct sfu_call *c, int64_t now_ms, struct sfu_txq *q);

#endif
