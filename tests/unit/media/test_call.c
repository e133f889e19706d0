/* test_call.c: end-to-end on loopback: a media worker relays a call between two media/peer clients over real UDP. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/peer/peer.h"
#include "media/router.h"
#include "media/worker.h"
#include "tests/unit/media/check_media.h"

#define MAXP 3
static struct peer *peers[MAXP];
static int n_peers;
static struct ev_count { /* events seen per participant id (1-based) */
	int n[8];
	struct media_stats last;
} evs[MAXP + 1];

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain_events(void)
{
	struct media_event ev[32];
	size_t n;
	while ((n = media_events_poll(ev, 32)) > 0)
		for (size_t i = 0; i < n; i++) {
			uint64_t id = ev[i].participant_id;
			if (id > MAXP || (unsigned)ev[i].type >= 8)
				continue;
			evs[id].n[ev[i].type]++;
			if (ev[i].type == MEDIA_EV_STATS)
				evs[id].last = ev[i].stats;
		}
}

/* Drive the peers and the event queue for ms milliseconds (or until done() holds). */
static void run(int64_t ms, bool (*done)(void))
{
	int64_t end = now_ms() + ms;
	struct pollfd pf[MAXP + 1];
	while (now_ms() < end) {
		int n = 0;
		for (int i = 0; i < n_peers; i++)
			if (peers[i])
				pf[n].fd = peer_fd(peers[i]), pf[n++].events = POLLIN;
		pf[n].fd = media_events_fd(), pf[n++].events = POLLIN;
		poll(pf, (nfds_t)n, 2);
		for (int i = 0; i < n_peers; i++)
			if (peers[i])
				peer_poll(peers[i], now_ms());
		drain_events();
		if (done && done())
			return;
	}
}

static bool both_connected(void)
{
	return peers[0] && peers[1] && peer_state(peers[0]) == TRANSPORT_CONNECTED &&
	    peer_state(peers[1]) == TRANSPORT_CONNECTED && evs[1].n[MEDIA_EV_CONNECTED] && evs[2].n[MEDIA_EV_CONNECTED];
}

/* The a=ssrc value announced in the section of the given media kind of an answer. */
static uint32_t announced_ssrc(const char *sdp, const char *kind)
{
	const char *m = strstr(sdp, kind);
	const char *s = m ? strstr(m, "a=ssrc:") : NULL;
	return s ? (uint32_t)strtoul(s + 7, NULL, 10) : 0;
}

static struct peer *join(uint64_t call, uint64_t pid, char *answer, size_t cap)
{
	char err[128] = "", offer[8192];
	struct peer_config pc = {.bind_ip = "127.0.0.1", .send_audio = true, .send_video = true, .video_pps = 100};
	struct peer *p = peer_new(&pc, err, sizeof err);
	CHECK(p != NULL, "peer_new: %s", err);
	if (!p)
		return NULL;
	int n = peer_offer(p, offer, sizeof offer);
	CHECK(n > 0, "offer: %d", n);
	const char *serr = NULL;
	int rc = media_participant_add(call, pid, offer, (size_t)n, MEDIA_ROLE_DEFAULT, answer, cap, &serr);
	CHECK(rc == MEDIA_OK, "participant_add: %s (%s)", media_strerror(rc), serr ? serr : "");
	CHECK(peer_set_answer(p, answer, strlen(answer), &serr) == 0, "set_answer: %s", serr ? serr : "");
	return p;
}

/* A renegotiation on the same transport (call.renegotiate): same ICE and DTLS, a new answer. */
static void reoffer(uint64_t call, uint64_t pid, struct peer *p, char *answer, size_t cap)
{
	char offer[8192];
	const char *serr = NULL;
	int n = peer_reoffer(p, 0, offer, sizeof offer);
	CHECK(n > 0, "reoffer: %d", n);
	int rc =
	    n > 0 ? media_participant_add(call, pid, offer, (size_t)n, MEDIA_ROLE_DEFAULT, answer, cap, &serr) : -1;
	CHECK(rc == MEDIA_OK, "renegotiation: %s (%s)", media_strerror(rc), serr ? serr : "");
	CHECK(peer_set_answer(p, answer, strlen(answer), &serr) == 0, "set_answer: %s", serr ? serr : "");
}

static void measure(int64_t ms, struct peer_stats *a, struct peer_stats *b)
{
	run(150, NULL); /* let in-flight packets and commands settle */
	peer_stats_reset(peers[0]);
	peer_stats_reset(peers[1]);
	run(ms, NULL);
	peer_stats_get(peers[0], a);
	peer_stats_get(peers[1], b);
}

static unsigned flushes, flushed;
static void count_flush(struct router_txq *q)
{
	flushes++, flushed += q->n;
	q->n = 0;
}

/* The output batch flushes itself when full (regression: a full batch once called a NULL flush). */
static void test_txq_batches(void)
{
	static struct router_txslot slots[4];
	struct router_txq q = {.slots = slots, .cap = 4, .flush = count_flush};
	struct ice_addr to;
	ice_addr_from_string(&to, "127.0.0.1", 9);
	static const struct {
		unsigned pushes, want_flushes, want_left;
	} cases[] = {{3, 0, 3}, {4, 0, 4}, {5, 1, 1}, {10, 2, 2}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		flushes = flushed = 0, q.n = 0;
		uint8_t pkt[100] = {0x80};
		for (unsigned j = 0; j < cases[i].pushes; j++)
			router_txq_push(&q, pkt, sizeof pkt, &to);
		CHECK(flushes == cases[i].want_flushes && q.n == cases[i].want_left && flushed + q.n == cases[i].pushes,
		      "txq case %zu: %u flushes, %u left", i, flushes, q.n);
	}
	uint8_t big[ROUTER_PKT_MAX + 1] = {0};
	q.n = 0;
	router_txq_push(&q, big, sizeof big, &to);
	CHECK(q.n == 0, "oversized datagram refused");
}

static void test_api_errors(void)
{
	char ans[64];
	static const struct {
		const char *offer;
		int want;
	} cases[] = {{"v=0\r\n", MEDIA_ERR_SDP},
		     {"garbage", MEDIA_ERR_SDP},
		     {"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", MEDIA_ERR_SDP}};
	CHECK(media_call_create(99) >= 0, "create");
	CHECK(media_call_create(99) == MEDIA_ERR_EXISTS, "duplicate call");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = media_participant_add(99, 1, cases[i].offer, strlen(cases[i].offer), MEDIA_ROLE_DEFAULT, ans,
					       sizeof ans, NULL);
		CHECK(rc == cases[i].want, "bad offer %zu: %s", i, media_strerror(rc));
	}
	CHECK(media_participant_add(12345, 1, "v=0", 3, 3, ans, sizeof ans, NULL) == MEDIA_ERR_NO_CALL, "no call");
	CHECK(media_call_pause(12345, true) == MEDIA_ERR_NO_CALL, "pause unknown call");
	CHECK(media_call_end(99) == MEDIA_OK && media_call_end(99) == MEDIA_ERR_NO_CALL, "end twice");
}

static void test_call_flow(void)
{
	static char ans_a[16384], ans_b[16384];
	const uint64_t call = 7;
	CHECK(media_call_create(call) >= 0, "create call");
	peers[0] = join(call, 1, ans_a, sizeof ans_a);
	peers[1] = join(call, 2, ans_b, sizeof ans_b);
	n_peers = 2;
	if (!peers[0] || !peers[1])
		return;
	CHECK(!strstr(ans_a, "a=ssrc:"), "A joined alone: its answer announces no stream");
	CHECK(strstr(ans_b, "a=msid:samvaer-1 audio-1") && strstr(ans_b, "a=msid:samvaer-1 video-1"),
	      "B's answer names A as the source of both its sections");
	uint64_t again[4];
	size_t n_again = media_call_take_renegotiate(call, again, 4);
	CHECK(n_again == 1 && again[0] == 1, "B's arrival asks A (only) to renegotiate: %zu", n_again);
	CHECK(media_call_take_renegotiate(call, again, 4) == 0, "asked once");
	reoffer(call, 1, peers[0], ans_a, sizeof ans_a);
	CHECK(strstr(ans_a, "a=msid:samvaer-2 audio-2") && strstr(ans_a, "a=ssrc-group:FID"),
	      "A's new answer names B, with an RTX SSRC for video");
	CHECK(media_call_take_renegotiate(call, again, 4) == 0, "A's renegotiation asks nobody else");
	CHECK(strstr(ans_a, "a=ice-lite") && strstr(ans_a, "a=setup:passive") && strstr(ans_a, "typ host"),
	      "answer is ICE-lite, passive, with a host candidate");
	run(5000, both_connected);
	CHECK(both_connected(), "ICE+DTLS up: A %s, B %s", transport_state_name(peer_state(peers[0])),
	      transport_state_name(peer_state(peers[1])));

	struct peer_stats a, b;
	measure(1000, &a, &b);
	CHECK(a.audio.rx >= 35 && b.audio.rx >= 35, "audio relayed both ways: A got %llu, B got %llu",
	      (unsigned long long)a.audio.rx, (unsigned long long)b.audio.rx);
	CHECK(a.video.rx >= 70 && b.video.rx >= 70, "video relayed both ways: A got %llu, B got %llu",
	      (unsigned long long)a.video.rx, (unsigned long long)b.video.rx);
	CHECK(a.audio.lost == 0 && a.video.lost == 0 && b.video.lost == 0, "no loss on loopback");
	CHECK(a.audio.last_ssrc == announced_ssrc(ans_a, "m=audio") && a.audio.last_ssrc != peer_ssrc(peers[1], false),
	      "A receives audio with the SSRC its answer announced (%u), not B's (%u)", a.audio.last_ssrc,
	      peer_ssrc(peers[1], false));
	CHECK(b.video.last_ssrc == announced_ssrc(ans_b, "m=video") && b.video.last_ssrc != peer_ssrc(peers[0], true),
	      "B receives video with its announced SSRC");
	CHECK(evs[1].n[MEDIA_EV_FIRST_MEDIA] == 1 && evs[2].n[MEDIA_EV_FIRST_MEDIA] == 1, "first-media events");
	CHECK(a.rx_remb > 0 && a.rx_rr > 0 && a.last_remb_bps > 0, "server sends RR + REMB to a sender");
	CHECK(a.rx_sr > 0 && (a.last_sr_ssrc == a.audio.last_ssrc || a.last_sr_ssrc == a.video.last_ssrc),
	      "B's sender reports reach A in A's SSRC space (%llu, ssrc %u)", (unsigned long long)a.rx_sr,
	      a.last_sr_ssrc);

	/* pause: nothing flows */
	media_call_pause(call, true);
	measure(500, &a, &b);
	CHECK(a.audio.rx + a.video.rx + b.audio.rx + b.video.rx == 0, "paused: nothing relayed (%llu %llu %llu %llu)",
	      (unsigned long long)a.audio.rx, (unsigned long long)a.video.rx, (unsigned long long)b.audio.rx,
	      (unsigned long long)b.video.rx);
	uint64_t pli_before = b.rx_pli;
	media_call_pause(call, false);
	run(100, NULL);
	peer_stats_reset(peers[0]);
	run(500, NULL);
	peer_stats_get(peers[0], &a);
	peer_stats_get(peers[1], &b);
	CHECK(a.audio.rx >= 15 && a.video.rx >= 30, "resumed: media flows again");
	CHECK(a.audio.lost == 0 && a.video.lost == 0, "no sequence gap after the pause (lost %llu/%llu)",
	      (unsigned long long)a.audio.lost, (unsigned long long)a.video.lost);
	CHECK(b.rx_pli > pli_before, "key frame requested from the sender after the pause");

	/* mute B's video: A still gets B's audio, B still gets A's video */
	media_call_set_gate(call, 2, true, false);
	measure(500, &a, &b);
	CHECK(a.video.rx == 0 && a.audio.rx >= 15, "B video muted: A gets audio %llu, video %llu",
	      (unsigned long long)a.audio.rx, (unsigned long long)a.video.rx);
	CHECK(b.video.rx >= 30, "A's video still reaches B");
	media_call_set_gate(call, 2, true, true);

	/* receive gate: A gets no audio */
	media_call_set_recv_gate(call, 1, false, true);
	measure(400, &a, &b);
	CHECK(a.audio.rx == 0 && a.video.rx >= 20 && b.audio.rx >= 10, "A's receive gate for audio");
	media_call_set_recv_gate(call, 1, true, true);

	/* feedback: PLI from A reaches B; NACK from A is answered from the retransmit buffer */
	run(200, NULL);
	peer_stats_get(peers[1], &b);
	pli_before = b.rx_pli;
	CHECK(peer_send_pli(peers[0]) == 0, "A sends PLI");
	CHECK(peer_send_nack(peers[0], (uint16_t)(peer_last_video_seq(peers[0]) - 3)) == 0, "A sends NACK");
	run(600, NULL);
	peer_stats_get(peers[1], &b);
	CHECK(b.rx_pli > pli_before, "PLI forwarded to B");
	CHECK(evs[1].last.nack_rtx >= 1 && evs[1].last.pli_fwd >= 1, "NACK answered (%llu rtx), PLI counted",
	      (unsigned long long)evs[1].last.nack_rtx);
	CHECK(evs[2].last.relayed > 100 && evs[2].last.dropped > 0, "stats events: relayed %llu dropped %llu",
	      (unsigned long long)evs[2].last.relayed, (unsigned long long)evs[2].last.dropped);

	/* end: nothing more */
	media_call_end(call);
	measure(500, &a, &b);
	CHECK(a.audio.rx + a.video.rx + b.audio.rx + b.video.rx == 0, "ended: no media");
	CHECK(peer_state(peers[0]) == TRANSPORT_CLOSED, "close_notify reached A: %s",
	      transport_state_name(peer_state(peers[0])));
	peer_free(peers[0]);
	peer_free(peers[1]);
	peers[0] = peers[1] = NULL;
}

static bool c_disconnected(void)
{
	return evs[3].n[MEDIA_EV_DISCONNECTED] > 0;
}

static void test_consent_lost(void)
{
	static char ans[16384];
	CHECK(media_call_create(8) >= 0, "create call 8");
	peers[2] = join(8, 3, ans, sizeof ans);
	n_peers = 3;
	run(3000, NULL);
	CHECK(evs[3].n[MEDIA_EV_CONNECTED] == 1, "C connected");
	peer_free(peers[2]); /* C vanishes: no more consent checks */
	peers[2] = NULL;
	run(5000, c_disconnected);
	CHECK(c_disconnected(), "consent freshness lost -> disconnected event");
	media_call_end(8);
}

int main(void)
{
	char err[256] = "";
	struct media_config cfg = {.n_workers = 1,
				   .bind_ip = "127.0.0.1",
				   .port_base = 0,
				   .consent_timeout_ms = 2500,
				   .stats_interval_ms = 200};
	int rc = media_workers_start(&cfg, err, sizeof err);
	CHECK(rc == MEDIA_OK && media_worker_port(0) > 0, "workers start: %s %s", media_strerror(rc), err);
	if (rc != MEDIA_OK)
		return 1;
	CHECK(media_workers_start(&cfg, err, sizeof err) == MEDIA_ERR_STATE, "second start refused");
	test_txq_batches();
	test_api_errors();
	test_call_flow();
	test_consent_lost();
	media_workers_stop();
	printf("test_call: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
