/* jitter.c: a jitter buffer for one audio source of the mixer: packets in by sequence number, 20 ms frames out. */
#include "media/jitter.h"

#include <string.h>

#include "media/rtp.h"

static struct jitter_slot *slot_of(struct jitter *j, uint16_t seq)
{
	return &j->s[seq & (JITTER_SLOTS - 1)];
}

static bool holds(struct jitter *j, uint16_t seq)
{
	const struct jitter_slot *s = slot_of(j, seq);
	return s->len && s->seq == seq;
}

/* Frames waiting from next on (the newest held one decides). */
static int waiting(const struct jitter *j)
{
	int n = 0;
	for (int i = 0; i < JITTER_SLOTS; i++) {
		const struct jitter_slot *s = &j->s[i];
		int d = s->len ? rtp_seq_diff(s->seq, j->next) + 1 : 0;
		if (d > n)
			n = d;
	}
	return n;
}

void jitter_reset(struct jitter *j)
{
	uint64_t late = j->late, skipped = j->skipped, concealed = j->concealed, fec = j->fec;
	unsigned depth = j->depth;
	memset(j, 0, sizeof *j);
	j->late = late, j->skipped = skipped, j->concealed = concealed, j->fec = fec, j->depth = depth;
}

void jitter_push(struct jitter *j, uint16_t seq, const uint8_t *payload, size_t len, int64_t now_ms)
{
	if (!len || len > JITTER_PAYLOAD_MAX)
		return;
	if (!j->depth)
		j->depth = JITTER_DEPTH;
	if (j->playing && rtp_seq_diff(seq, j->next) < 0) {
		j->late++, j->calm = 0;
		if (j->depth < JITTER_DEPTH_MAX) /* one frame more delay from now on: this one plays after all */
			j->depth++, j->next--;
		if (rtp_seq_diff(seq, j->next) < 0)
			return;
	}
	if (!j->playing && (!waiting(j) || rtp_seq_diff(seq, j->next) < 0))
		j->next = seq; /* the first (or an earlier) packet of a new start */
	if (j->playing && rtp_seq_diff(seq, j->next) >= JITTER_SLOTS) { /* far ahead: a jump, start over there */
		jitter_reset(j);
		j->next = seq;
	}
	struct jitter_slot *s = slot_of(j, seq);
	s->seq = seq, s->len = (uint16_t)len, s->at_ms = now_ms;
	memcpy(s->buf, payload, len);
	j->missed = 0;
}

enum jitter_out jitter_pop(struct jitter *j, const struct jitter_slot **slot)
{
	*slot = NULL;
	int w = waiting(j);
	unsigned depth = j->depth ? j->depth : JITTER_DEPTH;
	if (!j->playing) {
		if (w < (int)depth)
			return JITTER_IDLE_OUT;
		j->playing = true;
	}
	if (++j->calm >= JITTER_CALM && depth > JITTER_DEPTH)
		j->depth = depth - 1, j->calm = 0;
	for (; w > (int)(depth + JITTER_SLACK); w--) { /* too far behind: skip the oldest */
		slot_of(j, j->next)->len = 0;
		j->next++, j->skipped++;
	}
	uint16_t seq = j->next++;
	if (holds(j, seq)) {
		*slot = slot_of(j, seq);
		return JITTER_FRAME;
	}
	if (w <= 0 && ++j->missed >= JITTER_IDLE) {
		jitter_reset(j);
		return JITTER_IDLE_OUT;
	}
	j->concealed++;
	if (holds(j, j->next)) {
		j->fec++;
		*slot = slot_of(j, j->next);
		return JITTER_FEC;
	}
	return JITTER_LOST;
}
