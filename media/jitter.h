/* jitter.h: a jitter buffer for one audio source of the mixer: packets in by sequence number, 20 ms frames out. */
#ifndef SAMVAER_MEDIA_JITTER_H
#define SAMVAER_MEDIA_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   Packets arrive in any order; the mixer takes one frame per 20 ms tick. Playout starts once `depth` frames
 *   are held (the delay it adds: depth x 20 ms at most), and goes on with the next sequence number each tick.
 *   depth starts at JITTER_DEPTH; each late packet raises it by one (up to JITTER_DEPTH_MAX) and a quiet
 *   JITTER_CALM ticks without one lowers it again, so a steady link keeps the low delay. A tick whose packet is missing asks the decoder to conceal it: with the following
 *   packet's in-band FEC when that one is already here (JITTER_FEC), else by packet-loss concealment
 *   (JITTER_LOST). A packet that comes after its turn was played is dropped (late). When more than
 *   depth + JITTER_SLACK frames wait (the sender's clock runs fast, or a burst after a stall) the
 *   oldest are skipped. When nothing has arrived for JITTER_IDLE ticks the source stops (JITTER_IDLE
 *   frames out) and starts over with the next packet: a sender that went quiet (DTX, a mute) adds no delay.
 * Thread rules: the worker thread of its call; nothing here allocates.
 */

#define JITTER_SLOTS 16 /* power of two, > JITTER_DEPTH + JITTER_SLACK */
#define JITTER_DEPTH 2
#define JITTER_DEPTH_MAX 6
#define JITTER_CALM 500 /* ticks (10 s) without a late packet before depth comes down by one */
#define JITTER_SLACK 4
#define JITTER_IDLE 5          /* missing ticks in a row (100 ms) before the source stops */
#define JITTER_PAYLOAD_MAX 640 /* larger Opus packets (far above voice bitrates) are dropped */

enum jitter_out {
	JITTER_IDLE_OUT = 0, /* nothing to play: not started, or stopped */
	JITTER_FRAME,        /* the packet for this tick */
	JITTER_FEC,          /* missing; the next packet is here: decode its in-band FEC */
	JITTER_LOST,         /* missing: conceal */
};

struct jitter_slot {
	uint16_t seq;
	uint16_t len;  /* 0: empty */
	int64_t at_ms; /* arrival */
	uint8_t buf[JITTER_PAYLOAD_MAX];
};

struct jitter {
	bool playing;
	uint16_t next;                          /* sequence number of the next tick's frame */
	unsigned missed;                        /* ticks in a row without a packet */
	unsigned depth;                         /* frames held before playout starts (0: JITTER_DEPTH) */
	unsigned calm;                          /* ticks since the last late packet */
	uint64_t late, skipped, concealed, fec; /* counters */
	struct jitter_slot s[JITTER_SLOTS];
};

void jitter_reset(struct jitter *j);
/* Keep one payload (its RTP sequence number). */
void jitter_push(struct jitter *j, uint16_t seq, const uint8_t *payload, size_t len, int64_t now_ms);
/* The frame for this tick: *slot points at the packet to decode (JITTER_FRAME) or at the next one whose FEC
 * covers this tick (JITTER_FEC), NULL otherwise. The slot stays valid until the next push. */
enum jitter_out jitter_pop(struct jitter *j, const struct jitter_slot **slot);

#endif
