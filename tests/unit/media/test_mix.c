/* test_mix.c: mixing end to end on loopback: peers sending 440/660/880 Hz hear, in their one mixed stream, the others and not themselves. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/worker.h"
#include "tests/peer/peer.h"
#include "tests/unit/media/check_media.h"

#define MAXP 4
#define HEARD 0.15  /* share of a mix's energy at a tone that counts as hearing it (two tones: ~0.5 each) */
#define ABSENT 0.03 /* share below which a tone is not there */

static const unsigned tones[MAXP] = {440, 660, 880, 1100};
static struct peer *peers[MAXP];
static char answers[MAXP][16384];
static int n_peers;
static struct media_level last_levels[MAXP + 1]; /* by participant id (1-based) */
static unsigned level_events;
static int64_t first_level_ms, last_level_ms;

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
			if (ev[i].type != MEDIA_EV_LEVELS)
				continue;
			level_events++;
			if (!first_level_ms)
				first_level_ms = now_ms();
			last_level_ms = now_ms();
			for (unsigned k = 0; k < ev[i].n_levels; k++)
				if (ev[i].levels[k].participant_id <= MAXP)
					last_levels[ev[i].levels[k].participant_id] = ev[i].levels[k];
		}
}

static void run(int64_t ms)
{
	int64_t end = now_ms() + ms;
	struct pollfd pf[MAXP + 1];
	while (now_ms() < end) {
		int n = 0;
		for (int i = 0; i < n_peers; i++)
			pf[n].fd = peer_fd(peers[i]), pf[n++].events = POLLIN;
		pf[n].fd = media_events_fd(), pf[n++].events = POLLIN;
		poll(pf, (nfds_t)n, 2);
		for (int i = 0; i < n_peers; i++)
			peer_poll(peers[i], now_ms());
		drain_events();
	}
}

static bool offer_answer(uint64_t call, int i, bool again)
{
	char offer[8192];
	const char *serr = NULL;
	int n = again ? peer_reoffer(peers[i], 2, offer, sizeof offer) : peer_offer(peers[i], offer, sizeof offer);
	int rc = n > 0 ? media_participant_add(call, (uint64_t)i + 1, offer, (size_t)n, MEDIA_ROLE_DEFAULT, answers[i],
					       sizeof answers[i], &serr)
		       : -1;
	CHECK(rc == MEDIA_OK, "offer of %d: %s (%s)", i + 1, media_strerror(rc), serr ? serr : "");
	return rc == MEDIA_OK && peer_set_answer(peers[i], answers[i], strlen(answers[i]), &serr) == 0;
}

/* Answer every call.renegotiate the server asks for until nobody is asked. */
static void renegotiate(uint64_t call)
{
	uint64_t ids[MAXP];
	size_t n;
	for (int round = 0; round < 4 && (n = media_call_take_renegotiate(call, ids, MAXP)); round++)
		for (size_t i = 0; i < n; i++)
			offer_answer(call, (int)ids[i] - 1, true);
}

static bool with_levels; /* peers put RFC 6464 levels in their audio (as browsers do) */

static void join_all(uint64_t call, int count, unsigned loss_pct)
{
	for (int i = 0; i < count; i++) {
		char err[128] = "";
		struct peer_config pc = {.bind_ip = "127.0.0.1",
					 .send_audio = true,
					 .tone_hz = tones[i],
					 .recv_sections = 2,
					 .track_streams = true,
					 .audio_loss_pct = loss_pct,
					 .audio_fec = loss_pct > 0,
					 .send_level = with_levels};
		peers[i] = peer_new(&pc, err, sizeof err);
		CHECK(peers[i] != NULL, "peer: %s", err);
		n_peers = i + 1;
		offer_answer(call, i, false);
		renegotiate(call);
	}
	run(1500);
}

/* The stream the answer announced as the mix, or NULL. */
static const struct peer_stream *mix_stream(int i, struct peer_stream *buf, size_t *n_audio_live)
{
	size_t n = peer_streams_get(peers[i], buf, PEER_STREAMS_MAX);
	const struct peer_stream *mix = NULL;
	*n_audio_live = 0;
	for (size_t k = 0; k < n; k++) {
		if (buf[k].video || !buf[k].announced)
			continue;
		if (strcmp(buf[k].msid, "samvaer-mix") == 0)
			mix = &buf[k];
		else
			(*n_audio_live)++;
	}
	return mix;
}

/* Each of the first `count` peers hears the tone of every peer in `want` (mask) and no other in its mix. */
static void check_hearing(int count, unsigned want, const char *when)
{
	static struct peer_stream st[PEER_STREAMS_MAX];
	for (int i = 0; i < count; i++) {
		size_t others = 0;
		const struct peer_stream *mix = mix_stream(i, st, &others);
		CHECK(mix != NULL && others == 0, "%s: peer %d has one audio stream, the mix (%s; %zu other announced)",
		      when, i + 1, mix ? "found" : "missing", others);
		if (!mix)
			continue;
		for (int j = 0; j < count; j++) {
			double share = peer_stream_tone_share(peers[i], mix->ssrc, tones[j]);
			bool should = j != i && (want >> j & 1);
			if (should)
				CHECK(share >= HEARD, "%s: peer %d hears %u Hz (share %.3f)", when, i + 1, tones[j],
				      share);
			else
				CHECK(share < ABSENT, "%s: peer %d does not hear %u Hz (%s; share %.3f)", when, i + 1,
				      tones[j], j == i ? "itself" : "muted", share);
		}
	}
}

static void leave_all(uint64_t call)
{
	media_call_end(call);
	for (int i = 0; i < n_peers; i++)
		peer_free(peers[i]), peers[i] = NULL;
	n_peers = 0;
}

static void test_mix_minus_and_mute(void)
{
	const uint64_t call = 21;
	CHECK(media_call_create(call) >= 0, "create");
	join_all(call, 3, 0);
	CHECK(!media_call_is_mixed(call, 1), "three people: forwarded, not mixed");
	for (uint64_t id = 1; id <= 3; id++)
		CHECK(media_call_set_mix(call, id, true) == MEDIA_OK, "call.mix on for %llu", (unsigned long long)id);
	CHECK(media_call_set_mix(call, 9, true) == MEDIA_ERR_ARG, "call.mix for someone not in the call");
	renegotiate(call);
	for (int i = 0; i < 3; i++) {
		CHECK(media_call_is_mixed(call, (uint64_t)i + 1), "peer %d mixed after renegotiating", i + 1);
		CHECK(strstr(answers[i], "a=msid:samvaer-mix audio-mix") != NULL, "answer %d announces the mix", i + 1);
	}
	run(1500);
	check_hearing(3, 0x7, "mixed");
	CHECK(level_events > 0 && last_levels[1].talking && last_levels[2].talking && last_levels[3].talking,
	      "levels: all three talk (%u events)", level_events);
	CHECK(last_levels[2].level < 30, "a 0.3 full-scale tone is about -13 dBov: %u", last_levels[2].level);
	double secs = (double)(last_level_ms - first_level_ms) / 1000;
	CHECK(secs > 1 && (level_events - 1) / secs <= 5.2, "levels at most 5 a second: %u in %.1f s", level_events,
	      secs);

	CHECK(media_call_set_gate(call, 2, false, true) == MEDIA_OK, "mute 2");
	run(1300); /* the analysis window is one second */
	check_hearing(3, 0x5, "2 muted");
	CHECK(!last_levels[2].talking && last_levels[1].talking, "levels: the muted one stops talking");
	media_call_set_gate(call, 2, true, true);
	run(1300);
	check_hearing(3, 0x7, "2 unmuted");

	CHECK(media_call_set_mix(call, 1, false) == MEDIA_OK, "call.mix off for 1");
	renegotiate(call);
	CHECK(!media_call_is_mixed(call, 1), "1 forwarded again");
	run(1300);
	static struct peer_stream st[PEER_STREAMS_MAX];
	size_t n = peer_streams_get(peers[0], st, PEER_STREAMS_MAX), per_person = 0;
	for (size_t k = 0; k < n; k++)
		if (!st[k].video && st[k].announced && strncmp(st[k].msid, "samvaer-mix", 11) != 0 &&
		    st[k].tone_hz != 0)
			per_person++;
	CHECK(per_person == 2, "1 gets the two others on their own streams again: %zu", per_person);
	leave_all(call);
}

static void test_loss(void)
{
	const uint64_t call = 22;
	CHECK(media_call_create(call) >= 0, "create");
	join_all(call, 3, 10);
	for (uint64_t id = 1; id <= 3; id++)
		media_call_set_mix(call, id, true);
	renegotiate(call);
	run(2000);
	check_hearing(3, 0x7, "10 % loss");
	leave_all(call);
}

static void test_four_mix_by_themselves(void)
{
	const uint64_t call = 23;
	CHECK(media_call_create(call) >= 0, "create");
	with_levels = true; /* levels from the header extension this time, not from decoding */
	join_all(call, 4, 0);
	for (int i = 0; i < 4; i++)
		CHECK(media_call_is_mixed(call, (uint64_t)i + 1), "four senders: %d mixed without asking", i + 1);
	run(500);
	check_hearing(4, 0xf, "four");
	for (int i = 1; i <= 4; i++)
		CHECK(last_levels[i].talking && last_levels[i].level == 13,
		      "four: %d talks at the -13 dBov it reports (%u)", i, last_levels[i].level);
	with_levels = false;
	leave_all(call);
}

int main(void)
{
	char err[256] = "";
	struct media_config cfg = {.n_workers = 1, .bind_ip = "127.0.0.1", .stats_interval_ms = 1000};
	int rc = media_workers_start(&cfg, err, sizeof err);
	CHECK(rc == MEDIA_OK, "workers start: %s %s", media_strerror(rc), err);
	if (rc != MEDIA_OK)
		return 1;
	test_mix_minus_and_mute();
	test_loss();
	test_four_mix_by_themselves();
	media_workers_stop();
	printf("test_mix: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
