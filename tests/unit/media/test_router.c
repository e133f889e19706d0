/* test_router.c: the router without sockets: plans announce streams, replacing a participant keeps the others' streams, gates and runs. */
#include <stdio.h>
#include <string.h>

#include "media/router.h"
#include "tests/unit/media/check_media.h"

static struct consumer_params stream(uint32_t ssrc, uint32_t rtx, const char *mid)
{
	struct consumer_params sp = {.on = true,
				     .ssrc = ssrc,
				     .rtx_ssrc = rtx,
				     .pt = 96,
				     .rtx_pt = rtx ? 97 : 0,
				     .mid_len = (uint8_t)strlen(mid)};
	memcpy(sp.mid, mid, sp.mid_len);
	return sp;
}

/* Receivers' consumers of a replaced source: same SSRC and numbering state, marked to resync after the gap. */
static void test_replace_keeps_streams(void)
{
	static struct router_call c;
	router_call_init(&c, 7);
	struct router_participant_params a = {.id = 1, .slot = 0, .can_send = true, .can_recv = true, .pt = {111, 96}};
	struct router_participant_params b = {.id = 2, .slot = 1, .can_send = true, .can_recv = true, .pt = {111, 96}};
	b.out[0][ROUTER_AUDIO] = stream(0x3333, 0, "0");
	b.out[0][ROUTER_VIDEO] = stream(0x4444, 0x4545, "1");
	struct router_participant *pa = router_participant_add(&c, &a), *pb = router_participant_add(&c, &b);
	CHECK(pa && pb && pa == &c.p[0] && pb == &c.p[1], "two participants in the plan's slots");
	if (!pa || !pb)
		return;
	CHECK(!pa->cons[1][ROUTER_AUDIO].on, "a's plan does not announce b yet: off");
	CHECK(pb->cons[0][ROUTER_AUDIO].on && pb->cons[0][ROUTER_AUDIO].ssrc == 0x3333,
	      "b gets a's audio as announced");
	CHECK(pb->cons[0][ROUTER_VIDEO].rtx_ssrc == 0x4545 && pb->cons[0][ROUTER_VIDEO].mid_len == 1 &&
		  pb->cons[0][ROUTER_VIDEO].mid[0] == '1',
	      "b's video of a: RTX SSRC and MID");
	struct consumer *audio = &pb->cons[0][ROUTER_AUDIO], *video = &pb->cons[0][ROUTER_VIDEO];
	audio->started = true, audio->last_out_seq = 4000, audio->last_out_ts = 960000, audio->last_out_ms = 5000;
	video->started = true, video->last_out_seq = 9000, video->last_out_ts = 90000, video->last_out_ms = 5000;
	pb->cons[0][ROUTER_VIDEO].gate = false; /* b chose not to get a's video */
	struct router_participant_params a2 = a;
	a2.pt[ROUTER_VIDEO] = 0; /* a's new offer: sound only */
	struct router_participant *na = router_participant_replace(pa, &a2);
	CHECK(na != NULL && na->id == 1 && router_participant_find(&c, 1) == na, "a is back");
	if (!na)
		return;
	struct consumer *ca = &c.p[1].cons[0][ROUTER_AUDIO], *cv = &c.p[1].cons[0][ROUTER_VIDEO];
	CHECK(ca->ssrc == 0x3333 && ca->started && ca->resync && ca->on, "b's audio of a: same SSRC, resyncs");
	CHECK(ca->last_out_seq == 4000 && ca->last_out_ts == 960000 && ca->last_out_ms == 5000, "audio numbering kept");
	CHECK(cv->ssrc == 0x4444 && cv->last_out_seq == 9000 && cv->resync, "video numbering kept");
	CHECK(cv->gate == c.p[1].recv_on[ROUTER_VIDEO], "the receiver's gate comes from its own setting");
	CHECK(na->pt[ROUTER_VIDEO] == 0, "a's new parameters");
	/* b renegotiates: the same SSRC carries on, a changed one starts fresh */
	struct router_participant_params b2 = b;
	b2.out[0][ROUTER_VIDEO] = stream(0x7777, 0, "3");
	router_participant_update(&c.p[1], &b2);
	CHECK(ca->started && ca->last_out_seq == 4000, "renegotiation keeps an unchanged stream's numbering");
	CHECK(cv->ssrc == 0x7777 && !cv->started && cv->mid[0] == '3' && !cv->rtx_ssrc, "a new SSRC starts fresh");
	struct router_participant_params c3 = {.id = 3, .slot = 2, .can_send = true, .can_recv = true, .pt = {111, 96}};
	struct router_participant *pc = router_participant_add(&c, &c3);
	CHECK(pc && !pc->cons[0][ROUTER_AUDIO].on && !c.p[1].cons[2][ROUTER_AUDIO].on,
	      "a newcomer is off both ways until announced");
	CHECK(router_participant_add(&c, &c3) == NULL, "the same id twice is refused");
	struct router_participant_params d = {.id = 4, .slot = 2};
	CHECK(router_participant_add(&c, &d) == NULL, "a taken slot is refused");
	router_participant_remove(na);
	CHECK(!c.p[1].cons[0][ROUTER_AUDIO].on, "a removed source is off for every receiver");
	router_participant_remove(pc);
	router_participant_remove(&c.p[1]);
}

int main(void)
{
	test_replace_keeps_streams();
	printf("test_router: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
