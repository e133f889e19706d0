/* test_consumer.c: the consumer's gate, numbering runs and RTX: a gap starts a new run, NACKs are answered only inside it. */
#include <stdio.h>
#include <string.h>

#include "media/consumer.h"
#include "tests/unit/media/check_media.h"

static const struct consumer_params VIDEO = {
    .on = true, .ssrc = 0x11110000, .rtx_ssrc = 0x22220000, .pt = 96, .rtx_pt = 97, .mid_len = 1, .mid = "1"};
static const struct consumer_gate OPEN = {false, true, true, true, true};

static void test_gate(void)
{
	struct consumer c = {0};
	consumer_set(&c, &VIDEO, true);
	CHECK(consumer_may_send(&c, &OPEN), "all open");
	static const char *const names[] = {"paused", "source may not send", "muted", "receiver may not receive",
					    "receiver not connected"};
	for (int i = 0; i < 5; i++) {
		struct consumer_gate g = OPEN;
		bool *f[] = {&g.call_paused, &g.source_sends, &g.source_unmuted, &g.receiver_receives,
			     &g.receiver_ready};
		*f[i] = !*f[i];
		CHECK(!consumer_may_send(&c, &g), "closed: %s", names[i]);
	}
	c.gate = false;
	CHECK(!consumer_may_send(&c, &OPEN), "closed: the receiver's own gate");
	struct consumer off = {0};
	consumer_set(&off, &(struct consumer_params){0}, true);
	CHECK(!consumer_may_send(&off, &OPEN), "closed: not announced");
}

static void test_runs_and_rtx(void)
{
	static struct producer pr;
	CHECK(producer_rtx_alloc(&pr), "buffer");
	struct consumer c = {0};
	consumer_set(&c, &VIDEO, true);
	uint16_t o, first = 0;
	uint32_t ts;
	uint8_t pkt[32] = {0x80, 96};
	for (uint16_t s = 100; s < 110; s++) { /* ten packets, kept as they pass */
		CHECK(consumer_number(&c, s, 9000u * s, 90000, 1000 + s, &o, &ts), "number %u", s);
		pkt[2] = (uint8_t)(s >> 8), pkt[3] = (uint8_t)s;
		producer_keep(&pr, pkt, sizeof pkt, s);
		if (s == 100)
			first = o;
	}
	CHECK(first == 0x1111 && o == (uint16_t)(first + 9), "the run starts at ssrc >> 16 and is contiguous");
	CHECK(consumer_rtx_find(&c, &pr, (uint16_t)(first + 3)) == producer_find(&pr, 103), "NACK inside the run");
	CHECK(!consumer_rtx_find(&c, &pr, (uint16_t)(first + 10)), "a future sequence number is not answered");
	CHECK(!consumer_rtx_find(&c, &pr, (uint16_t)(first - 1)), "before the run: not answered");
	consumer_gap(&c); /* muted */
	CHECK(!consumer_rtx_find(&c, &pr, (uint16_t)(first + 3)), "nothing answered while a gap is pending");
	for (uint16_t s = 110; s < 150; s++)
		producer_keep(&pr, pkt, sizeof pkt,
			      s); /* what a muted source sent is never kept in the router, but try */
	CHECK(consumer_number(&c, 150, 9000u * 150, 90000, 3000, &o, &ts), "after the gap");
	CHECK(o == (uint16_t)(first + 10) && c.run_first == o, "a new run continues the numbering");
	CHECK(!consumer_rtx_find(&c, &pr, (uint16_t)(first + 3)), "the old run is not answered any more");
	CHECK(!consumer_number(&c, 149, 9000u * 149, 90000, 3001, &o, &ts), "a late packet before the run is dropped");
	uint8_t out[64];
	size_t n = consumer_build(&c, &(struct rtp_extmap){{0}}, &(struct rtp_extmap){{0}}, pkt, sizeof pkt,
				  (uint16_t)(first + 10), 1234, true, out, sizeof out);
	CHECK(n == sizeof pkt + 2, "RTX: two bytes longer");
	CHECK(out[1] == 97 && out[8] == 0x22 && out[9] == 0x22 && out[2] == 0x22 && out[3] == 0x22,
	      "RTX payload type, SSRC and its own numbering");
	CHECK(out[12] == (uint8_t)((first + 10) >> 8) && out[13] == (uint8_t)(first + 10), "OSN first in the payload");
	n = consumer_build(&c, &(struct rtp_extmap){{0}}, &(struct rtp_extmap){{0}}, pkt, sizeof pkt, 7, 1234, true,
			   out, sizeof out);
	CHECK(out[3] == 0x23, "each RTX packet takes the next RTX sequence number");
	struct consumer_params again = VIDEO;
	again.mid[0] = '5';
	consumer_set(&c, &again, true);
	CHECK(c.started && c.mid[0] == '5' && c.rtx_seq == 0x2224, "the same SSRC carries on after a renegotiation");
	again.ssrc = 0x33330000;
	consumer_set(&c, &again, true);
	CHECK(!c.started && c.ssrc == 0x33330000, "a new SSRC starts fresh");
	producer_free(&pr);
}

int main(void)
{
	test_gate();
	test_runs_and_rtx();
	printf("test_consumer: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
