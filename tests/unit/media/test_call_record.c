/* test_call_record.c: a call recorded on its worker, end to end on loopback. Three peers speak in turn (440, 660,
 * 880 Hz); then 660 and 880 together with 660 muted by the gate. audio.opus must hold the tones in that order and
 * never the muted one; closing the recording (and ending a call that is still recorded) finishes the files. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <opus/opus.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "media/recorder.h"
#include "media/worker.h"
#include "tests/peer/peer.h"
#include "tests/unit/media/check_media.h"
#include "tests/unit/media/ogg_walk.h"

#define NP 3
static const unsigned tones[NP] = {440, 660, 880};
static struct peer *peers[NP];
static char answers[NP][16384];

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run(int64_t ms)
{
	int64_t end = now_ms() + ms;
	struct pollfd pf[NP];
	struct media_event ev[32];
	while (now_ms() < end) {
		for (int i = 0; i < NP; i++)
			pf[i].fd = peer_fd(peers[i]), pf[i].events = POLLIN;
		poll(pf, NP, 2);
		for (int i = 0; i < NP; i++)
			peer_poll(peers[i], now_ms());
		while (media_events_poll(ev, 32) > 0)
			;
	}
}

static bool offer_answer(uint64_t call, int i, bool again)
{
	char offer[8192];
	const char *serr = NULL;
	int n = again ? peer_reoffer(peers[i], 0, offer, sizeof offer) : peer_offer(peers[i], offer, sizeof offer);
	int rc = n > 0 ? media_participant_add(call, (uint64_t)i + 1, offer, (size_t)n, MEDIA_ROLE_DEFAULT, answers[i],
					       sizeof answers[i], &serr)
		       : -1;
	CHECK(rc == MEDIA_OK, "offer of %d: %s (%s)", i + 1, media_strerror(rc), serr ? serr : "");
	return rc == MEDIA_OK && peer_set_answer(peers[i], answers[i], strlen(answers[i]), &serr) == 0;
}

static void join_all(uint64_t call)
{
	for (int i = 0; i < NP; i++) {
		char err[128] = "";
		struct peer_config pc = {.bind_ip = "127.0.0.1", .send_audio = true, .tone_hz = tones[i]};
		peers[i] = peer_new(&pc, err, sizeof err);
		CHECK(peers[i] != NULL, "peer: %s", err);
		offer_answer(call, i, false);
	}
	uint64_t ids[NP];
	size_t n;
	for (int round = 0; round < 4 && (n = media_call_take_renegotiate(call, ids, NP)); round++)
		for (size_t i = 0; i < n; i++)
			offer_answer(call, (int)ids[i] - 1, true);
}

static void speak_only(int who)
{
	for (int i = 0; i < NP; i++)
		peer_set_sending(peers[i], i == who || (who == -2 && i > 0), false);
}

static _Atomic int done_count;
static struct recording_result results[2];

static void on_done(void *arg, const struct recording_result *res)
{
	results[(intptr_t)arg] = *res;
	atomic_fetch_add(&done_count, 1);
}

static void wait_done(int n)
{
	for (int i = 0; i < 300 && atomic_load(&done_count) < n; i++)
		run(10);
}

struct decoded {
	OpusDecoder *dec;
	int16_t *pcm;
	int samples, cap, eos;
};

static void decoded_page(void *ctx, ogg_page *pg)
{
	struct decoded *d = ctx;
	d->eos |= ogg_page_eos(pg);
}

static void decoded_packet(void *ctx, ogg_packet *op, int index)
{
	struct decoded *d = ctx;
	if (index >= 2 && d->samples + 960 <= d->cap) /* after OpusHead and OpusTags */
		d->samples += opus_decode(d->dec, op->packet, (opus_int32)op->bytes, d->pcm + d->samples, 960, 0);
}

/* Decode audio.opus; for each 500 ms window, the strongest of the three tones and its share of their energy. */
static int windows(const char *path, unsigned *tone, double *share, int max, int *eos)
{
	static int16_t pcm[48000 * 30];
	int err;
	struct decoded d = {.dec = opus_decoder_create(48000, 1, &err), .pcm = pcm, .cap = 48000 * 30};
	static const struct ogg_walk_cb cb = {decoded_page, decoded_packet};
	int walked = ogg_walk(path, &cb, &d);
	opus_decoder_destroy(d.dec);
	*eos = d.eos;
	if (walked < 0)
		return -1;
	int samples = d.samples;
	int n = 0;
	for (int at = 0; at + 24000 <= samples && n < max; at += 24000, n++) {
		double e[NP], sum = 0;
		for (int t = 0; t < NP; t++) {
			double k = 2 * cos(2 * M_PI * tones[t] / 48000), s1 = 0, s2 = 0;
			for (int i = 0; i < 24000; i++) {
				double s = pcm[at + i] / 32768.0 + k * s1 - s2;
				s2 = s1, s1 = s;
			}
			e[t] = s1 * s1 + s2 * s2 - k * s1 * s2;
			sum += e[t];
		}
		int best = 0;
		for (int t = 1; t < NP; t++)
			if (e[t] > e[best])
				best = t;
		tone[n] = sum > 1e-3 ? tones[best] : 0;
		share[n] = sum > 0 ? e[best] / sum : 0;
	}
	return n;
}

int main(void)
{
	char err[256] = "", dir[] = "/tmp/samvaer-callrec-XXXXXX", path[320];
	struct media_config cfg = {.n_workers = 1, .bind_ip = "127.0.0.1", .stats_interval_ms = 1000};
	int rc = media_workers_start(&cfg, err, sizeof err);
	CHECK(rc == MEDIA_OK, "workers start: %s %s", media_strerror(rc), err);
	struct recorder *r = recorder_start(err, sizeof err);
	CHECK(r && mkdtemp(dir), "recorder: %s", err);
	if (rc != MEDIA_OK || !r)
		return 1;
	uint64_t call = 31;
	CHECK(media_call_create(call) >= 0, "create");
	join_all(call);
	speak_only(-1);
	run(1000);

	snprintf(path, sizeof path, "%s/a", dir);
	struct recording *rec = recording_open(r, path);
	CHECK(rec && media_call_record(call, rec, on_done, (void *)0) == MEDIA_OK, "recording starts");
	for (int who = 0; who < NP; who++) {
		speak_only(who);
		run(2000);
	}
	media_call_set_gate(call, 2, false, true); /* the supervisor mutes 660 Hz */
	speak_only(-2);                            /* 660 and 880 both send */
	run(2000);
	CHECK(media_call_record(call, NULL, NULL, NULL) == MEDIA_OK, "recording stops");
	wait_done(1);
	CHECK(atomic_load(&done_count) == 1 && results[0].err == 0, "the recording finished without error");
	CHECK(results[0].audio_ms >= 7500 && results[0].audio_ms <= 8600, "about 8 s of audio (%llu ms)",
	      (unsigned long long)results[0].audio_ms);

	unsigned tone[16];
	double share[16];
	int eos;
	snprintf(path, sizeof path, "%s/a/audio.opus", dir);
	int n = windows(path, tone, share, 16, &eos);
	CHECK(n >= 15 && eos, "audio.opus decodes (%d windows), and ends its stream", n);
	/* 2 s turns of 4 windows: 440, 660, 880, then 880 alone (660 muted). Windows at the turns are mixed. */
	for (int w = 0; w < n; w++)
		printf("window %d: %u Hz (%.2f)\n", w, tone[w], share[w]);
	static const int expect_at[] = {1, 2, 5, 6, 9, 10, 13, 14};
	static const unsigned expect_tone[] = {440, 440, 660, 660, 880, 880, 880, 880};
	for (size_t k = 0; k < sizeof expect_at / sizeof expect_at[0]; k++) {
		int w = expect_at[k];
		CHECK(w < n && tone[w] == expect_tone[k] && share[w] > 0.9, "window %d: %u Hz (%.2f), expected %u Hz",
		      w, w < n ? tone[w] : 0, w < n ? share[w] : 0, expect_tone[k]);
	}
	unlink(path);

	/* A recording still running when the call ends is finished by the worker. */
	media_call_set_gate(call, 2, true, true);
	snprintf(path, sizeof path, "%s/b", dir);
	rec = recording_open(r, path);
	CHECK(rec && media_call_record(call, rec, on_done, (void *)1) == MEDIA_OK, "second recording starts");
	run(1200);
	media_call_end(call);
	wait_done(2);
	CHECK(atomic_load(&done_count) == 2 && results[1].err == 0 && results[1].audio_ms >= 800,
	      "ending the call finished the recording (%llu ms)", (unsigned long long)results[1].audio_ms);
	snprintf(path, sizeof path, "%s/b/audio.opus", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/b", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/a", dir);
	rmdir(path);
	rmdir(dir);
	for (int i = 0; i < NP; i++)
		peer_free(peers[i]);
	recorder_stop(r);
	media_workers_stop();
	printf("test_call_record: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
