/* producer.h: one stream a participant sends: its receive statistics, sender-report state and retransmit buffer. */
#ifndef SAMVAER_MEDIA_PRODUCER_H
#define SAMVAER_MEDIA_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtp.h"

/*
 * Model (after mediasoup's Producer): what the router knows of one incoming stream. Its sequence state feeds
 * the receiver reports the server sends the sender; its retransmit buffer keeps the last PRODUCER_RTX_SLOTS
 * packets that passed the source's gates (never one a mute or pause held back), for NACKs answered by the
 * consumers (media/consumer.h).
 * Thread rules: the worker thread of its call; keep and find allocate nothing.
 */

#define PRODUCER_RTX_SLOTS 256    /* power of two (~0.5-1 s of video) */
#define PRODUCER_RTX_PKT_MAX 1280 /* bigger packets are not kept */

struct producer_rtx_slot {
	uint16_t seq; /* input sequence number */
	uint16_t len; /* 0: empty */
	uint8_t buf[PRODUCER_RTX_PKT_MAX];
};

struct producer {
	uint32_t ssrc; /* 0: not known yet */
	bool gate;     /* false: muted, packets dropped */
	bool seen;
	struct rtp_seq_state seq; /* for receiver reports */
	uint32_t lsr;             /* middle 32 bits of the last SR's NTP time */
	int64_t sr_at_ms;
	int64_t last_pli_ms;
	struct producer_rtx_slot *rtx; /* video only, NULL: no retransmissions */
};

/* The retransmit buffer (video). Returns false when out of memory (the producer then retransmits nothing). */
bool producer_rtx_alloc(struct producer *pr);
void producer_free(struct producer *pr);
/* Count a received packet for the receiver reports. */
void producer_account(struct producer *pr, uint16_t seq);
/* Keep a packet that passed the source's gates. */
void producer_keep(struct producer *pr, const uint8_t *buf, size_t len, uint16_t seq);
/* The kept packet with input sequence number seq, or NULL. */
const struct producer_rtx_slot *producer_find(const struct producer *pr, uint16_t seq);

#endif
