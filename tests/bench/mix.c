/* mix.c: the mixing bench (bench-mix): calls of several participants, 20 % of them speaking, mixed on one media worker; CPU per participant and the delay mixing adds. */
/*
 * Usage: bench-mix [--calls N] [--size K] [--speaking F] [--warmup S] [--seconds S] [--record DIR]
 *                  [--janus PORT --janus-pid PID]
 * With --record every call is recorded into DIR/call-N (media/recorder.h): worker_cpu then includes the recorder.
 * With --janus the same calls go through Janus's AudioBridge (tests/bench/mix/janus.c) listening on PORT, and the
 * CPU is that process's; per_core then counts served participants from the mix packets they received.
 * One process: the media worker runs pinned to CPU 0 (threads inherit the affinity set before the workers start),
 * the load generator (the project's peer, one per participant, on the main thread) on CPU 1. Every call has K
 * participants, so more than three send and everyone receives the mix (CALL_PLAN_MIX_ABOVE). Each peer replays
 * a 10 s loop of pre-encoded Opus frames, speaking (a 440 Hz tone) for F of it and sending Opus silence for the
 * rest, the speaking turns spread so that F of the call speaks at any time. The worker's CPU is the process CPU
 * minus the main thread's; per_core is the participants it served (frames mixed x K / 50 per second, so a
 * worker starved by other load is not flattered) per core of that CPU. Prints "key value" lines:
 * participants, worker_cpu (cores), per_core, rx_pps (mix
 * packets received per participant per second, 50 expected), encodes_per_call_frame, latency_avg_ms,
 * latency_max_ms, concealed_pct.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <opus.h>
#include <sys/socket.h>
#include <unistd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "media/mixer.h"
#include "media/recorder.h"
#include "media/worker.h"
#include "tests/peer/peer.h"

#define LOOP 500 /* frames in the replayed loop (10 s) */

static struct {
	int calls, size;
	double speaking, warmup, seconds;
	int janus_port, janus_pid;
	const char *record; /* --record DIR: every call is recorded there (the recorder thread's CPU counts too) */
} o = {40, 5, 0.2, 3, 10, 0, 0, NULL};

static uint8_t frames[2][400];
static uint16_t frame_len[2];
static struct peer **peers;
static int n_peers;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double cpu_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One 20 ms Opus frame of a 440 Hz tone ([0]) and of silence ([1]), as a browser would send them. */
static int encode_frames(void)
{
	int err = 0;
	OpusEncoder *e = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	if (!e)
		return -1;
	opus_encoder_ctl(e, OPUS_SET_BITRATE(32000));
	int16_t pcm[960];
	for (int k = 0; k < 2; k++) {
		for (int n = 0; n < 5; n++) { /* a few frames in, so the encoder is past its start */
			for (int i = 0; i < 960; i++)
				pcm[i] = k ? 0 : (int16_t)(9000 * sin(2 * M_PI * 440 * (n * 960 + i) / 48000.0));
			int len = opus_encode(e, pcm, 960, frames[k], sizeof frames[k]);
			frame_len[k] = (uint16_t)(len > 0 ? len : 0);
		}
	}
	opus_encoder_destroy(e);
	return frame_len[0] && frame_len[1] ? 0 : -1;
}

/* The replayed loop of participant k of a call: speaking for o.speaking of it, in its turn. */
static void loop_of(int k, const uint8_t **ptr, uint16_t *len)
{
	int talk = (int)(o.speaking * LOOP), start = (k * talk) % LOOP;
	for (int i = 0; i < LOOP; i++) {
		int s = ((i - start) % LOOP + LOOP) % LOOP < talk ? 0 : 1;
		ptr[i] = frames[s], len[i] = frame_len[s];
	}
}

static int offer_answer(uint64_t call, uint64_t pid, struct peer *p, bool again)
{
	static char offer[8192], answer[16384];
	const char *serr = NULL;
	int n = again ? peer_reoffer(p, 0, offer, sizeof offer) : peer_offer(p, offer, sizeof offer);
	int rc = n > 0
	    ? media_participant_add(call, pid, offer, (size_t)n, MEDIA_ROLE_DEFAULT, answer, sizeof answer, &serr)
	    : -1;
	if (rc != MEDIA_OK) {
		fprintf(stderr, "bench-mix: offer: %s %s\n", rc < 0 ? media_strerror(rc) : "", serr ? serr : "");
		return -1;
	}
	return peer_set_answer(p, answer, strlen(answer), &serr);
}

static void poll_all(int64_t ms)
{
	int64_t end = now_ms() + ms;
	static struct pollfd *pf;
	if (!pf)
		pf = calloc((size_t)(o.calls * o.size), sizeof *pf);
	for (int i = 0; i < n_peers; i++)
		pf[i].fd = peer_fd(peers[i]), pf[i].events = POLLIN;
	do {
		poll(pf, (nfds_t)n_peers, 1);
		int64_t now = now_ms();
		for (int i = 0; i < n_peers; i++)
			peer_poll(peers[i], now);
	} while (now_ms() < end);
}

/* Participant k of the next call, replaying its loop; NULL on failure. */
static struct peer *new_peer(int k, struct dtls_cert *cert, struct dtls_ctx *ctx)
{
	const uint8_t **ptr = malloc(LOOP * sizeof *ptr);
	uint16_t *len = malloc(LOOP * sizeof *len);
	char err[128] = "";
	if (!ptr || !len)
		return NULL;
	loop_of(k, ptr, len);
	struct peer_config pc = {.bind_ip = "127.0.0.1",
				 .dtls = ctx,
				 .cert = cert,
				 .send_audio = true,
				 .send_level = true,
				 .audio_frames = ptr,
				 .audio_frame_len = len,
				 .n_audio_frames = LOOP,
				 .offer_active = o.janus_port != 0}; /* Janus would take the DTLS client role too */
	struct peer *p = peer_new(&pc, err, sizeof err);
	if (!p)
		fprintf(stderr, "bench-mix: peer: %s\n", err);
	else
		peers[n_peers++] = p;
	return p;
}

#include "tests/bench/calls/ws.c"
#include "tests/bench/mix/janus.c"

static int setup(struct dtls_cert *cert, struct dtls_ctx *ctx)
{
	for (int c = 0; c < o.calls; c++) {
		uint64_t call = 1000 + (uint64_t)c;
		if (media_call_create(call) < 0)
			return -1;
		for (int k = 0; k < o.size; k++) {
			struct peer *p = new_peer(k, cert, ctx);
			if (!p || offer_answer(call, (uint64_t)k + 1, p, false)) {
				fprintf(stderr, "bench-mix: participant %d of call %d: offer\n", k, c);
				return -1;
			}
		}
		uint64_t ids[16];
		size_t n;
		while ((n = media_call_take_renegotiate(call, ids, 16)))
			for (size_t i = 0; i < n; i++)
				if (offer_answer(call, ids[i], peers[n_peers - o.size + (int)ids[i] - 1], true))
					return -1;
		poll_all(20);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-mix [--calls N] [--size K] [--speaking F] [--warmup S] [--seconds S] [--record DIR]\n");
	exit(2);
}

static void parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		const char *a = argv[i], *v = argv[++i];
		if (!strcmp(a, "--calls"))
			o.calls = atoi(v);
		else if (!strcmp(a, "--size"))
			o.size = atoi(v);
		else if (!strcmp(a, "--speaking"))
			o.speaking = atof(v);
		else if (!strcmp(a, "--warmup"))
			o.warmup = atof(v);
		else if (!strcmp(a, "--seconds"))
			o.seconds = atof(v);
		else if (!strcmp(a, "--janus"))
			o.janus_port = atoi(v);
		else if (!strcmp(a, "--janus-pid"))
			o.janus_pid = atoi(v);
		else if (!strcmp(a, "--record"))
			o.record = v;
		else
			usage();
	}
	if (o.calls < 1 || o.size < 4 || o.size > 8 || o.speaking <= 0 || o.speaking > 1 || o.seconds <= 0)
		usage();
}

static void pin(pthread_t th, int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(th, sizeof set, &set);
}

static uint64_t rx_total(void)
{
	uint64_t rx = 0;
	struct peer_stats ps;
	for (int i = 0; i < n_peers; i++)
		peer_stats_get(peers[i], &ps), rx += ps.audio.rx;
	return rx;
}

/* The same scenario against Janus's AudioBridge (already running as o.janus_pid, on CPU 0). */
static int janus_main(struct dtls_cert *cert, struct dtls_ctx *ctx)
{
	pin(pthread_self(), 1);
	if (jn_setup(o.janus_port, cert, ctx)) {
		fprintf(stderr, "bench-mix: janus setup failed\n");
		return 1;
	}
	poll_all((int64_t)(o.warmup * 1000));
	uint64_t rx0 = rx_total();
	double c0 = pid_cpu_s(o.janus_pid);
	int64_t w0 = now_ms();
	poll_all((int64_t)(o.seconds * 1000));
	double wall = (double)(now_ms() - w0) / 1000, cores = (pid_cpu_s(o.janus_pid) - c0) / wall;
	double rx_pps = (double)(rx_total() - rx0) / n_peers / wall;
	printf("participants %d\ncalls %d\nsize %d\nspeaking %.2f\nseconds %.1f\n", n_peers, o.calls, o.size,
	       o.speaking, wall);
	printf("worker_cpu %.3f\nper_core %.0f\nrx_pps %.1f\n", cores, cores > 0 ? n_peers * rx_pps / 50 / cores : 0,
	       rx_pps);
	ws_close(&jws);
	return 0;
}

int main(int argc, char **argv)
{
	char err[256] = "";
	parse(argc, argv);
	struct rlimit rl = {65536, 65536};
	setrlimit(RLIMIT_NOFILE, &rl);
	struct dtls_cert *cert = NULL;
	struct dtls_ctx *ctx = NULL;
	if (encode_frames() || dtls_cert_generate(&cert, err, sizeof err) ||
	    !(ctx = dtls_ctx_new(cert, DTLS_ROLE_CLIENT, NULL, err, sizeof err))) {
		fprintf(stderr, "bench-mix: setup: %s\n", err);
		return 1;
	}
	peers = calloc((size_t)(o.calls * o.size), sizeof *peers);
	if (o.janus_port)
		return janus_main(cert, ctx);
	pin(pthread_self(), 0); /* the worker thread inherits CPU 0 */
	struct media_config cfg = {.n_workers = 1, .bind_ip = "127.0.0.1"};
	if (media_workers_start(&cfg, err, sizeof err) != MEDIA_OK) {
		fprintf(stderr, "bench-mix: workers: %s\n", err);
		return 1;
	}
	pin(pthread_self(), 1);
	if (setup(cert, ctx))
		return 1;
	struct recorder *rec = o.record ? recorder_start(err, sizeof err) : NULL;
	for (int c = 0; rec && c < o.calls; c++) { /* each call's mix (and video, none here) to DIR/call-N */
		char dir[512];
		snprintf(dir, sizeof dir, "%s/call-%d", o.record, c);
		struct recording *r = recording_open(rec, dir);
		if (!r || media_call_record(1000 + (uint64_t)c, r, NULL, NULL) != MEDIA_OK) {
			fprintf(stderr, "bench-mix: recording of call %d did not start\n", c);
			return 1;
		}
	}
	if (o.record && !rec) {
		fprintf(stderr, "bench-mix: recorder: %s\n", err);
		return 1;
	}
	poll_all((int64_t)(o.warmup * 1000));
	struct mixer_stats m0, m1;
	struct peer_stats ps;
	uint64_t rx0 = 0, rx1 = 0;
	for (int i = 0; i < n_peers; i++)
		peer_stats_get(peers[i], &ps), rx0 += ps.audio.rx;
	media_worker_mix_stats(0, &m0);
	double p0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID), t0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
	int64_t w0 = now_ms();
	poll_all((int64_t)(o.seconds * 1000));
	double wall = (double)(now_ms() - w0) / 1000;
	double worker = (cpu_s(CLOCK_PROCESS_CPUTIME_ID) - p0) - (cpu_s(CLOCK_THREAD_CPUTIME_ID) - t0);
	poll_all(250); /* the next 200 ms summary of the mixer counters */
	media_worker_mix_stats(0, &m1);
	for (int i = 0; i < n_peers; i++)
		peer_stats_get(peers[i], &ps), rx1 += ps.audio.rx;
	double cores = worker / wall, n_frames = (double)(m1.frames - m0.frames);
	double dec = (double)(m1.decodes + m1.fec + m1.plc - m0.decodes - m0.fec - m0.plc);
	uint64_t lat_n = m1.latency_n - m0.latency_n;
	printf("participants %d\ncalls %d\nsize %d\nspeaking %.2f\nseconds %.1f\n", n_peers, o.calls, o.size,
	       o.speaking, wall);
	/* participants served per core: the frames actually mixed (a starved worker drops some) per 50 a second */
	double served = n_frames * o.size / wall / 50;
	printf("worker_cpu %.3f\nper_core %.0f\n", cores, cores > 0 ? served / cores : 0);
	printf("rx_pps %.1f\n", (double)(rx1 - rx0) / n_peers / wall);
	printf("mix_fps %.1f\n", n_frames / o.calls / wall);
	int up = 0;
	for (int i = 0; i < n_peers; i++)
		up += peer_state(peers[i]) == TRANSPORT_CONNECTED;
	printf("connected %d\n", up);
	printf("encodes_per_call_frame %.2f\n", n_frames > 0 ? (double)(m1.encodes - m0.encodes) / n_frames : 0);
	printf("latency_avg_ms %.1f\nlatency_max_ms %.1f\n",
	       lat_n ? (double)(m1.latency_sum_us - m0.latency_sum_us) / (double)lat_n / 1000 : 0,
	       (double)m1.latency_max_us / 1000);
	printf("concealed_pct %.2f\n", dec > 0 ? 100.0 * (double)(m1.plc + m1.fec - m0.plc - m0.fec) / dec : 0);
	for (int i = 0; i < n_peers; i++)
		peer_free(peers[i]);
	media_workers_stop(); /* ends the calls: the worker closes their recordings */
	recorder_stop(rec);   /* and this waits for the files */
	return 0;
}
