/* router_rec.c: the router's side of recording: a recorded call keeps its mixer running for the mix (router_mix.c)
 * and hands every gated video packet to the recording; a loss in the recording asks the sender for a keyframe. */
#include "media/recorder.h"
#include "media/router_internal.h"

void router_call_record(struct router_call *c, struct recording *rec,
			void (*done)(void *arg, const struct recording_result *res), void *arg)
{
	if (c->rec)
		recording_close(c->rec, c->rec_done, c->rec_arg);
	c->rec = rec;
	c->rec_done = done;
	c->rec_arg = arg;
	router__mix_refresh(c);
}

void router__record_video(struct router_participant *p, const uint8_t *buf, size_t len, int64_t now,
			  struct router_txq *q)
{
	recording_video(p->call->rec, p->id, buf, len, now);
	if (recording_keyframe_wanted(p->call->rec, p->id))
		router__send_pli(p, now, q);
}
