/* router_internal.h: what router.c and router_mix.c share inside the router; not public. */
#ifndef SAMVAER_MEDIA_ROUTER_INTERNAL_H
#define SAMVAER_MEDIA_ROUTER_INTERNAL_H

#include "media/rtcp.h"
#include "media/router.h"

bool router__ready(const struct router_participant *r);
/* Protect the packet written in q's next slot (n bytes) and commit it to r. */
bool router__commit_to(struct router_txq *q, struct router_participant *r, size_t n, bool rtcp);
/* Make or free the call's mixer after a change of who is mixed or what senders carry. */
void router__mix_refresh(struct router_call *c);
/* A video packet of p that passed the gates, for the call's recording (router_rec.c); asks p for a keyframe when the
 * recording lost some. */
void router__record_video(struct router_participant *p, const uint8_t *buf, size_t len, int64_t now,
			  struct router_txq *q);
void router__send_pli(struct router_participant *src, int64_t now, struct router_txq *q);
/* An audio packet of p that passed the source gates: its level (RFC 6464) and, with a mixer, its payload.
 * Returns the mixed receivers it will reach. */
int router__audio_in(struct router_participant *p, const uint8_t *buf, size_t len, int64_t now);
/* A report block r sent (RR or SR): the loss of its mix stream picks its preset. */
void router__mix_report(struct router_participant *r, const struct rtcp_report_block *b);

#endif
