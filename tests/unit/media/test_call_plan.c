/* test_call_plan.c: which source each receiving section carries: sticky by MID, newcomers fill free sections, staleness marks renegotiation. */
#include <stdio.h>
#include <string.h>

#include "media/call_plan.h"
#include "tests/unit/media/check_media.h"

static struct sdp_session offer;
static struct call_plan plan;

/* A BUNDLE offer: one sendrecv (sends=true) or recvonly audio+video pair, then `extra` recvonly pairs. */
static void make_offer(bool sends, unsigned extra, bool video)
{
	static char text[16384];
	size_t n =
	    (size_t)snprintf(text, sizeof text, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE");
	unsigned pairs = 1 + extra, kinds = video ? 2 : 1;
	for (unsigned i = 0; i < pairs * kinds; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, " %u", i);
	n += (size_t)snprintf(text + n, sizeof text - n, "\r\n");
	for (unsigned i = 0; i < pairs * kinds; i++) {
		bool vid = video && i % 2 == 1, mine = i < kinds && sends;
		n += (size_t)snprintf(
		    text + n, sizeof text - n,
		    "m=%s 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\na=mid:%u\r\na=%s\r\na=rtcp-mux\r\n"
		    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\n"
		    "a=fingerprint:sha-256 "
		    "01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:"
		    "20\r\n"
		    "a=rtpmap:%s\r\n%s",
		    vid ? "video" : "audio", vid ? "96 97" : "111", i, mine ? "sendrecv" : "recvonly",
		    vid ? "96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96" : "111 opus/48000/2",
		    mine ? (vid ? "a=ssrc:2002 cname:x\r\n" : "a=ssrc:1001 cname:x\r\n") : "");
	}
	const char *err = NULL;
	CHECK(sdp_session_parse(&offer, text, n, &err) == SDP_OK, "offer parses: %s", err);
}

/* What the member's section mid carries: the source pid, 0 for none. */
static uint64_t carries(const struct plan_member *m, const char *mid)
{
	for (unsigned i = 0; i < m->n_sec; i++)
		if (strcmp(m->sec[i].mid, mid) == 0)
			return m->sec[i].src;
	return 99;
}

/* As worker_api.c does after the answer: the member sends what its offer sends, and others may be stale. */
static struct plan_member *offers(uint64_t pid, bool sends, unsigned extra)
{
	struct plan_member *m = call_plan_member(&plan, pid);
	if (!m)
		m = call_plan_add(&plan, pid, true, true);
	make_offer(sends, extra, true);
	call_plan_assign(&plan, m, &offer);
	bool changed = !m->version || m->sends[ROUTER_AUDIO] != sends;
	m->sends[ROUTER_AUDIO] = m->sends[ROUTER_VIDEO] = sends;
	m->version++;
	if (changed)
		call_plan_changed(&plan, m);
	return m;
}

static size_t take(uint64_t *out)
{
	return call_plan_take_renegotiate(&plan, out, 8);
}

static void test_plan(void)
{
	uint64_t r[8];
	struct plan_member *child = offers(10, true, 0);
	CHECK(carries(child, "0") == 0 && carries(child, "1") == 0, "alone: nothing to carry");
	CHECK(take(r) == 0, "nobody to ask");
	struct plan_member *mum = offers(11, true, 1);
	CHECK(carries(mum, "0") == 10 && carries(mum, "1") == 10 && carries(mum, "2") == 0,
	      "mum: the child on her first pair");
	CHECK(take(r) == 1 && r[0] == 10, "the child is asked to renegotiate");
	CHECK(take(r) == 0, "asked once");
	uint32_t mum_child_audio = mum->sec[0].ssrc;
	child = offers(10, true, 1);
	CHECK(carries(child, "0") == 11 && carries(child, "1") == 11, "the child now carries mum");
	struct plan_member *gran = offers(12, true, 1);
	CHECK(carries(gran, "0") == 10 && carries(gran, "2") == 11, "gran: the child, then mum (join order)");
	CHECK(take(r) == 2, "child and mum are asked");
	mum = offers(11, true, 1);
	CHECK(carries(mum, "0") == 10 && mum->sec[0].ssrc == mum_child_audio, "mum keeps the child, same SSRC");
	CHECK(carries(mum, "2") == 12 && carries(mum, "3") == 12, "gran takes mum's free pair");
	CHECK(mum->sec[3].rtx_ssrc && !mum->sec[2].rtx_ssrc, "video sections get an RTX SSRC, audio none");
	CHECK(mum->sec[2].ssrc != mum->sec[0].ssrc && mum->sec[2].ssrc, "distinct SSRCs");
	child = offers(10, true, 1);
	take(r);
	struct plan_member *sup = offers(20, false, 1);
	CHECK(carries(sup, "0") == 10 && carries(sup, "2") == 11, "the supervisor gets the child and mum first");
	CHECK(take(r) == 0, "a supervisor who sends nothing asks nobody to renegotiate");
	call_plan_remove(&plan, call_plan_member(&plan, 11));
	CHECK(take(r) == 3, "mum leaves: the child, gran and the supervisor carried her");
	child = offers(10, true, 1);
	CHECK(carries(child, "2") == 12 && carries(child, "3") == 12 && carries(child, "0") == 0,
	      "the child: gran stays on her pair, mum's pair is free");
	struct plan_member *none = offers(30, true, 0);
	CHECK(carries(none, "0") == 10, "a section carries at most one source");
	for (unsigned i = 0; i < child->n_sec; i++)
		for (unsigned j = 0; j < i; j++)
			CHECK(!child->sec[i].src || child->sec[i].src != child->sec[j].src ||
				  child->sec[i].kind != child->sec[j].kind,
			      "no source twice for one kind");
}

int main(void)
{
	memset(&plan, 0, sizeof plan);
	test_plan();
	printf("test_call_plan: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
