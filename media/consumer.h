/* consumer.h: one stream a receiver gets from one source: the gate every packet passes, numbering runs, RTX. */
#ifndef SAMVAER_MEDIA_CONSUMER_H
#define SAMVAER_MEDIA_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/producer.h"
#include "media/rtp_ext.h"

/*
 * Model (after mediasoup's Consumer): the stream one receiver's answer announced on one m-section, carrying one
 * source's audio or video. It owns:
 *   - the gate: consumer_may_send is the only check a packet of the source passes on its way to this receiver,
 *     whether forwarded, retransmitted, a sender report or a key-frame request made on its behalf;
 *   - the numbering: SSRC, sequence and timestamp offsets, in runs. A gate closing starts a new run at the next
 *     packet (next sequence number, timestamp advanced by wall time), so receivers see no gap and no jump;
 *   - retransmission: a NACKed sequence number is answered only inside the current run (where the mapping back
 *     to the source packet is the one used when it was sent), and only as RFC 4588 RTX on its own SSRC and
 *     sequence numbers, so no SRTP index is ever used twice;
 *   - the packet as the receiver negotiated it: its payload type, its header-extension ids, its MID.
 * Thread rules: the worker thread of its call; nothing here allocates.
 */

/* One stream a receiver's answer announced (one m-section): set by the control thread's call plan. */
struct consumer_params {
	bool on;                 /* false: no section carries this source's kind to the receiver */
	uint32_t ssrc, rtx_ssrc; /* announced SSRCs (rtx 0: no RTX negotiated) */
	uint8_t pt, rtx_pt;      /* the section's payload types */
	uint8_t mid_len;
	char mid[RTP_EXT_MID_MAX]; /* the section's MID */
};

struct consumer {
	uint32_t ssrc;        /* SSRC we send with */
	bool on;              /* announced in the receiver's answer */
	bool gate;            /* false: the receiver takes none of this kind */
	bool started, resync; /* resync: a gate closed, the next packet starts a new run */
	uint16_t seq_off, last_out_seq;
	uint16_t run_first; /* first output seq of the current run */
	uint32_t ts_off, last_out_ts;
	int64_t last_out_ms;
	uint32_t rtx_ssrc; /* 0: no retransmissions */
	uint16_t rtx_seq;  /* next RTX sequence number */
	uint8_t pt, rtx_pt;
	uint8_t mid_len;
	char mid[RTP_EXT_MID_MAX];
};

/* What the gate looks at besides the consumer, gathered by the router for one (source, kind, receiver). */
struct consumer_gate {
	bool call_paused;       /* a supervised call waiting for its supervisor */
	bool source_sends;      /* the source is in the call and its role may send */
	bool source_unmuted;    /* its producer of this kind is not muted */
	bool receiver_receives; /* the receiver's role may receive */
	bool receiver_ready;    /* its transport is connected */
};

/* Take a stream of the plan: a new SSRC starts fresh, the same one carries on (numbering kept). */
void consumer_set(struct consumer *c, const struct consumer_params *sp, bool gate);
/* The one gate. */
bool consumer_may_send(const struct consumer *c, const struct consumer_gate *g);
/* Close the current run (a gate closed): the next packet starts a new one. */
void consumer_gap(struct consumer *c);
/* Output numbering for an input packet (clock_hz of its kind). False for a late packet that would land before
 * the current run (its numbers may have been used). */
bool consumer_number(struct consumer *c, uint16_t seq, uint32_t ts, uint32_t clock_hz, int64_t now, uint16_t *oseq,
		     uint32_t *ots);
/* Write a packet for the receiver into out (cap bytes): its extensions (from: the sender's ids, to: the
 * receiver's), numbering, SSRC and payload type; with rtx, as an RTX packet. Returns the length or 0. */
size_t consumer_build(struct consumer *c, const struct rtp_extmap *from, const struct rtp_extmap *to,
		      const uint8_t *buf, size_t len, uint16_t oseq, uint32_t ots, bool rtx, uint8_t *out, size_t cap);
/* The producer packet a NACK for output seq out_seq asks for, if it may be retransmitted now (RTX negotiated,
 * inside the current run, still kept), else NULL. */
const struct producer_rtx_slot *consumer_rtx_find(const struct consumer *c, const struct producer *pr,
						  uint16_t out_seq);

#endif
