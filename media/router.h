/* router.h: one call (mediasoup's Router): participants, fan-out from producers to consumers, RTCP feedback and reports. */
#ifndef SAMVAER_MEDIA_ROUTER_H
#define SAMVAER_MEDIA_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/ice.h"
#include "media/rtp.h"
#include "media/consumer.h"
#include "media/mixer.h"
#include "media/producer.h"
#include "media/rtp_ext.h"
#include "media/transport.h"

/*
 * Model (after mediasoup: worker -> router -> transport -> producer / consumer): a call holds up to
 * ROUTER_MAX_PARTICIPANTS participants, each in the slot the control thread's call plan chose
 * (media/call_plan.h). Each has one transport (media/transport.h), up to one producer per kind (the audio and
 * video it sends, learned from its SDP SSRCs or from the first packet with the negotiated payload type;
 * media/producer.h) and one consumer per (source slot, kind): the stream the server sends it on one m-section of
 * its answer (media/consumer.h). A consumer whose source has no section in the receiver's last answer is off:
 * the receiver could not place its packets, so none are sent until it renegotiates.
 * Every packet that carries a source's media to a receiver (forwarding, NACK retransmission as RTX, sender
 * reports, key-frame requests on its behalf) passes one gate, consumer_may_send, with the call's pause, the
 * source's role and mute, and the receiver's role and transport as the router sees them (may_send).
 * RTCP: sender reports are forwarded (sender info only, rewritten SSRC/timestamp), PLI/FIR from a receiver go
 * to the source (rate-limited), REMB from receivers is kept, and every ROUTER_RTCP_INTERVAL_MS each sender gets a
 * receiver report for its streams and a REMB (lowest receiver REMB, else ROUTER_REMB_DEFAULT_BPS).
 * Mixing (media/mixer.h): a participant whose plan says `mixed` gets no one's audio on its own but one stream,
 * the mix without its own voice (its plan's `mix` section), made every 20 ms by router_call_mix; its preset
 * follows the loss it reports for that stream and its REMB. The call has a mixer while anyone is mixed or a
 * sender's audio carries no RFC 6464 level (then levels come from decoding). Sources enter the mixer after
 * the same gates as forwarding (pause, mute, role), so a muted participant is in nobody's mix.
 * Output goes to a struct router_txq the owner (the worker) flushes with sendmmsg.
 * Thread rules: a call belongs to one worker thread; the per-packet path allocates nothing and takes no lock.
 */

#define ROUTER_MAX_PARTICIPANTS 8
#define ROUTER_PKT_MAX 1500 /* datagram buffer; RTP above ROUTER_PKT_MAX - SRTP overhead is dropped */
#define ROUTER_RTCP_INTERVAL_MS 1000
#define ROUTER_PLI_MIN_INTERVAL_MS 300
#define ROUTER_REMB_DEFAULT_BPS 2000000u

enum router_kind { ROUTER_AUDIO = 0, ROUTER_VIDEO = 1, ROUTER_KINDS = 2 };

/* Output batch owned by the worker; flush() sends and empties it (called by router_txq_slot when full). */
struct router_txslot {
	uint8_t buf[ROUTER_PKT_MAX];
	uint16_t len;
	struct ice_addr to;
};
struct router_txq {
	struct router_txslot *slots;
	unsigned n, cap;
	void (*flush)(struct router_txq *q);
	void *owner;
};
struct router_txslot *router_txq_slot(struct router_txq *q); /* next free slot (flushes first if full) */
void router_txq_push(struct router_txq *q, const uint8_t *buf, size_t len, const struct ice_addr *to);

struct router_stats {
	uint64_t rx_rtp, rx_rtcp;   /* received from this participant */
	uint64_t relayed;           /* its packets sent on to others (one per receiver) */
	uint64_t dropped;           /* its packets dropped (gates, pause, unknown payload type, no receiver) */
	uint64_t tx_rtp;            /* packets sent to it */
	uint64_t nack_rtx, pli_fwd; /* retransmissions sent to it, PLI/FIR forwarded from it */
};

struct router_participant {
	bool used;
	uint64_t id;
	struct router_call *call;
	struct transport *tr;       /* owned (created/freed by the worker) */
	bool can_send, can_recv;    /* role */
	uint8_t pt[ROUTER_KINDS];   /* payload type it sends per kind, 0: kind not negotiated */
	struct rtp_extmap ext;      /* its extension ids (BUNDLE: one map for every section, both directions) */
	uint32_t rtcp_ssrc;         /* our sender SSRC for RTCP to it */
	uint32_t remb_bps;          /* last REMB it sent, 0: none */
	bool recv_on[ROUTER_KINDS]; /* receive gate per kind (copied into new consumers) */
	struct producer prod[ROUTER_KINDS];
	struct consumer cons[ROUTER_MAX_PARTICIPANTS][ROUTER_KINDS]; /* indexed by source slot */
	struct router_stats st;
	bool mixed;                /* receives the call's mix instead of everyone's audio */
	struct consumer mixc;      /* the mix stream it receives (its plan's mix section) */
	uint8_t mix_preset;        /* MIXER_PRESET_* */
	unsigned mix_good;         /* reports in a row with little loss (to step back up) */
	uint8_t level;             /* last RFC 6464 level of its audio (-dBov), 127: none */
	bool level_voice;          /* its V flag */
	int64_t level_at_ms;       /* when that level came, 0: never */
	bool first_media;          /* something of its media was relayed */
	bool first_media_reported; /* for the owner's event */
	struct ice_addr hashed;    /* address registered in the worker's lookup table */
	uint32_t hashed_gen;
	void *owner; /* free for the worker */
};

struct recording;
struct recording_result;

struct router_call {
	uint64_t id;
	bool paused;
	bool used;
	struct router_participant p[ROUTER_MAX_PARTICIPANTS];
	int64_t next_rtcp_ms;
	struct mixer *mix;   /* NULL: nobody mixed and every sender carries levels */
	int64_t next_mix_ms; /* next 20 ms frame */
	uint16_t mix_seq;    /* input numbering of the mix (each receiver's consumer maps it) */
	uint32_t mix_ts;
	bool talked;           /* for the owner: its last levels event had a talker */
	struct recording *rec; /* NULL: not recorded (media/recorder.h) */
	void (*rec_done)(void *arg, const struct recording_result *res);
	void *rec_arg;
};

struct router_participant_params {
	uint64_t id;
	unsigned slot; /* chosen by the call plan, < ROUTER_MAX_PARTICIPANTS */
	bool can_send, can_recv;
	uint8_t pt[ROUTER_KINDS];       /* what it sends */
	uint32_t ssrc_in[ROUTER_KINDS]; /* SSRCs from its offer, 0: learn from the first packet */
	struct rtp_extmap ext;
	struct consumer_params out[ROUTER_MAX_PARTICIPANTS][ROUTER_KINDS]; /* what it receives, by source slot */
	bool mixed; /* receives the mix (mix: its section) instead of out[*][ROUTER_AUDIO] */
	struct consumer_params mix;
};

/* One participant's audio level for talking indicators. */
struct router_level {
	uint64_t id;
	uint8_t level; /* -dBov (RFC 6464): 0 loudest, 127 silent */
	bool talking;
};

void router_call_init(struct router_call *c, uint64_t id);
/* Start recording the call into rec (its mix, and the VP8 video of every sender, past the gates), or with rec NULL
 * stop: the recording in progress is closed and its done(arg, result) runs on the recorder thread. */
void router_call_record(struct router_call *c, struct recording *rec,
			void (*done)(void *arg, const struct recording_result *res), void *arg);
/* Returns the participant or NULL (slot taken, or id present). Allocates the video retransmit buffer. tr may be
 * set later. The others' consumers of it start off until their plans announce it. */
struct router_participant *router_participant_add(struct router_call *c, const struct router_participant_params *pp);
/* A renegotiation on the same transport: new payload types, extension ids and announced streams. A stream
 * whose SSRC stays the same carries on (numbering kept); a new one starts fresh. */
void router_participant_update(struct router_participant *p, const struct router_participant_params *pp);
struct router_participant *router_participant_find(struct router_call *c, uint64_t id);
/* Frees the buffers; the caller frees the transport first. */
void router_participant_remove(struct router_participant *p);
/* A new offer from the same participant: remove old (its transport already freed) and add it again from pp.
 * Receivers keep their streams of it: same SSRCs, sequence numbers and timestamps carry on after the gap, so a
 * browser on the other side does not drop the new packets as old ones. Returns the new slot or NULL. */
struct router_participant *router_participant_replace(struct router_participant *old,
						      const struct router_participant_params *pp);
void router_call_pause(struct router_call *c, bool paused);
void router_participant_set_gate(struct router_participant *p, bool audio_on, bool video_on);      /* what it sends */
void router_participant_set_recv_gate(struct router_participant *p, bool audio_on, bool video_on); /* what it gets */

/* A decrypted RTP packet from p (buf holds len bytes). Fans out into q. Returns receivers reached. */
/* Staged prefetch for a datagram from p: depth 0-3 of its inbound transport and of every receiver's outbound one
 * (transport_prefetch). No effect on results. */
void router_prefetch(const struct router_participant *p, int depth);
int router_on_rtp(struct router_participant *p, const uint8_t *buf, size_t len, int64_t now_ms, struct router_txq *q);
/* A decrypted RTCP compound packet from p. */
void router_on_rtcp(struct router_participant *p, const uint8_t *buf, size_t len, int64_t now_ms, struct router_txq *q);
/* Periodic RTCP (RR + REMB to senders); call often, it keeps its own schedule. */
void router_call_tick(struct router_call *c, int64_t now_ms, struct router_txq *q);
/* The mixer's 20 ms frames that are due (none without a mixer); call at least every 10 ms while c->mix. */
void router_call_mix(struct router_call *c, int64_t now_ms, struct router_txq *q);
/* Levels of the participants that send audio (at most ROUTER_MAX_PARTICIPANTS). Returns how many. */
size_t router_call_levels(const struct router_call *c, int64_t now_ms, struct router_level *out);
/* Frees the mixer (the worker calls it when the call ends). */
void router_call_free(struct router_call *c);

#endif
