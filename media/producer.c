/* producer.c: one stream a participant sends: its receive statistics, sender-report state and retransmit buffer. */
#include "media/producer.h"

#include <stdlib.h>
#include <string.h>

bool producer_rtx_alloc(struct producer *pr)
{
	if (!pr->rtx)
		pr->rtx = calloc(PRODUCER_RTX_SLOTS, sizeof *pr->rtx);
	return pr->rtx != NULL;
}

void producer_free(struct producer *pr)
{
	free(pr->rtx);
	pr->rtx = NULL;
}

void producer_account(struct producer *pr, uint16_t seq)
{
	if (!pr->seen) {
		rtp_seq_init(&pr->seq, seq);
		pr->seq.probation = 0;
		pr->seen = true;
	}
	rtp_seq_update(&pr->seq, seq);
}

void producer_keep(struct producer *pr, const uint8_t *buf, size_t len, uint16_t seq)
{
	if (!pr->rtx || len > PRODUCER_RTX_PKT_MAX)
		return;
	struct producer_rtx_slot *s = &pr->rtx[seq & (PRODUCER_RTX_SLOTS - 1)];
	memcpy(s->buf, buf, len);
	s->seq = seq, s->len = (uint16_t)len;
}

const struct producer_rtx_slot *producer_find(const struct producer *pr, uint16_t seq)
{
	const struct producer_rtx_slot *s = pr->rtx ? &pr->rtx[seq & (PRODUCER_RTX_SLOTS - 1)] : NULL;
	return s && s->len && s->seq == seq ? s : NULL;
}
