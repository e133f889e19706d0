/* call_peer.c: a WebRTC client peer (media/peer.h) for the call tests — prints its offer, takes the answer, sends media, reports counts. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/peer/peer.h"

/*
 * Line protocol on stdin/stdout, one JSON object per line:
 *   peer -> {"offer": SDP}
 *   test -> {"answer": SDP}
 *   peer -> {"state": transport state, "audio_rx", "video_rx", "audio_tx", "video_tx"} after SECONDS of media
 *           (with stream options also "rx_bad", "tx_nack", "rx_untracked" and "streams": [STREAM, ...])
 * While media runs the test may send, one per line:
 *   {"report": true}   peer -> the same object as the final one, plus "report": milliseconds since the answer
 *   {"reoffer": N}     peer -> {"offer": SDP} on the same transport with N recvonly pairs; then the test sends
 *                      {"answer": SDP} and the peer says {"answered": true} or {"answer_error": "..."}
 *   {"stop": true}     end now (the final object follows)
 * STREAM: {"ssrc", "kind": "audio"|"video", "announced", "packets", "bytes", "rtx", "rtx_bytes", "rtx_ssrc",
 *          "first_seq", "last_seq", "mid" (MID header extension), "mid_packets", "mid_changes", "sdp_mid", "msid",
 *          "track", "cname", and for audio "tone_hz", "tone_share", "decode_errors"}
 * Usage: call_peer [--tone HZ] [--real-video] [--recv-sections N] [--hostile-nack] [--streams] SECONDS
 *   --tone: real Opus of a sine at HZ; --real-video: real VP8 at 15 fps; --recv-sections: N extra recvonly
 *   audio + video pairs; --hostile-nack:
 *   NACK every recent and future sequence number of every remote SSRC every 20 ms; --streams: report streams
 *   (implied by the others). Without options the output is exactly the original three-line protocol.
 */

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int print_json(json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return -1;
	printf("%s\n", text);
	fflush(stdout);
	free(text);
	return 0;
}

struct control {
	char buf[131072]; /* stdin bytes not yet run as a line */
	size_t len;
	bool eof, stop, streams;
	int64_t t0;
};

/* Give the answer line {"answer": SDP} to the peer. */
static int take_answer(struct peer *p, const char *line)
{
	json_error_t jerr;
	const char *err = NULL;
	json_t *o = json_loads(line, 0, &jerr);
	const char *sdp = o ? json_string_value(json_object_get(o, "answer")) : NULL;
	int rc = sdp ? peer_set_answer(p, sdp, strlen(sdp), &err) : -1;
	if (rc != 0)
		fprintf(stderr, "call_peer: answer refused: %s\n", err ? err : "no answer member");
	json_decref(o);
	return rc;
}

static json_t *stream_json(const struct peer *p, const struct peer_stream *s)
{
	json_t *o = json_pack(
	    "{s:I,s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "ssrc", (json_int_t)s->ssrc,
	    "kind", s->video ? "video" : "audio", "announced", s->announced, "packets", (json_int_t)s->packets, "bytes",
	    (json_int_t)s->bytes, "rtx", (json_int_t)s->rtx, "rtx_bytes", (json_int_t)s->rtx_bytes, "rtx_ssrc",
	    (json_int_t)s->rtx_ssrc, "first_seq", (int)s->first_seq, "last_seq", (int)s->last_seq, "mid", s->mid,
	    "mid_packets", (json_int_t)s->mid_packets, "mid_changes", (json_int_t)s->mid_changes, "sdp_mid", s->sdp_mid,
	    "msid", s->msid, "track", s->track, "cname", s->cname);
	if (o && !s->video)
		json_object_update_new(o,
				       json_pack("{s:i,s:f,s:I}", "tone_hz", (int)s->tone_hz, "tone_share",
						 s->tone_share, "decode_errors", (json_int_t)s->decode_errors));
	if (o && !s->video) { /* a mix holds several tones: the share of each test tone, "440": 0.48, ... */
		json_t *shares = json_object();
		static const unsigned hz[] = {440, 660, 880, 1100};
		for (size_t i = 0; i < sizeof hz / sizeof hz[0]; i++) {
			char k[8];
			snprintf(k, sizeof k, "%u", hz[i]);
			json_object_set_new(shares, k, json_real(peer_stream_tone_share(p, s->ssrc, hz[i])));
		}
		json_object_set_new(o, "shares", shares);
	}
	return o;
}

/* The report object: the original counters, and with streams the per-stream state. */
static json_t *report(struct peer *p, bool streams)
{
	struct peer_stats st;
	peer_stats_get(p, &st);
	json_t *o = json_pack("{s:s,s:I,s:I,s:I,s:I}", "state", transport_state_name(peer_state(p)), "audio_rx",
			      (json_int_t)st.audio.rx, "video_rx", (json_int_t)st.video.rx, "audio_tx",
			      (json_int_t)st.audio.tx, "video_tx", (json_int_t)st.video.tx);
	if (!o || !streams)
		return o;
	struct peer_stream ss[PEER_STREAMS_MAX];
	size_t n = peer_streams_get(p, ss, PEER_STREAMS_MAX);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, stream_json(p, &ss[i]));
	json_object_set_new(o, "streams", arr);
	json_object_update_new(o,
			       json_pack("{s:I,s:I,s:I}", "rx_bad", (json_int_t)st.rx_bad, "tx_nack",
					 (json_int_t)st.tx_nack, "rx_untracked", (json_int_t)st.rx_untracked));
	return o;
}

/* One command line from the test (see the protocol above). */
static void command(struct peer *p, struct control *c, const char *line)
{
	static char offer[32768];
	json_error_t jerr;
	json_t *o = json_loads(line, 0, &jerr);
	json_t *v;
	const char *err = NULL;
	if (!o) {
		fprintf(stderr, "call_peer: bad command line: %s\n", jerr.text);
	} else if (json_is_true(json_object_get(o, "report"))) {
		json_t *r = report(p, c->streams);
		json_object_set_new(r, "report", json_integer(now_ms() - c->t0));
		print_json(r);
	} else if (json_is_integer(v = json_object_get(o, "reoffer"))) {
		int n = peer_reoffer(p, (unsigned)json_integer_value(v), offer, sizeof offer);
		print_json(n < 0 ? json_pack("{s:s}", "offer_error", "peer: re-offer failed")
				 : json_pack("{s:s}", "offer", offer));
	} else if (json_is_string(v = json_object_get(o, "answer"))) {
		const char *sdp = json_string_value(v);
		int rc = peer_set_answer(p, sdp, strlen(sdp), &err);
		print_json(rc ? json_pack("{s:s}", "answer_error", err ? err : "peer: answer refused")
			      : json_pack("{s:b}", "answered", 1));
	} else if (json_is_true(json_object_get(o, "stop"))) {
		c->stop = true;
	}
	json_decref(o);
}

/* Append what stdin has (blocking or not, as fd 0 is set); false on EOF, error or nothing new. */
static bool fill(struct control *c)
{
	if (c->len == sizeof c->buf - 1)
		c->len = 0; /* a line longer than any SDP: drop it */
	ssize_t n = read(0, c->buf + c->len, sizeof c->buf - 1 - c->len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		c->eof = true;
	if (n <= 0)
		return false;
	c->len += (size_t)n;
	return true;
}

/* Moves the first complete line into line (NUL-terminated, without the newline); false if none. */
static bool next_line(struct control *c, char *line, size_t cap)
{
	char *nl = memchr(c->buf, '\n', c->len);
	if (!nl)
		return false;
	size_t n = (size_t)(nl - c->buf), keep = n < cap ? n : cap - 1;
	memcpy(line, c->buf, keep);
	line[keep] = 0;
	c->len -= n + 1;
	memmove(c->buf, nl + 1, c->len);
	return true;
}

/* Runs every complete command line the test has written. */
static void read_commands(struct peer *p, struct control *c)
{
	static char line[sizeof c->buf];
	while (fill(c))
		;
	while (next_line(c, line, sizeof line))
		command(p, c, line);
}

static void run(struct peer *p, struct control *c, int64_t ms)
{
	int64_t end = now_ms() + ms;
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	read_commands(p, c); /* lines that came with the answer */
	while (now_ms() < end && !c->stop) {
		struct pollfd pf[2] = {{.fd = peer_fd(p), .events = POLLIN}, {.fd = 0, .events = POLLIN}};
		poll(pf, c->eof ? 1 : 2, 2);
		peer_poll(p, now_ms());
		if (!c->eof && (pf[1].revents & (POLLIN | POLLHUP)))
			read_commands(p, c);
	}
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: call_peer [--tone HZ] [--real-video] [--recv-sections N] [--hostile-nack] [--streams] SECONDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char err[256];
	static char offer[32768];
	static struct control ctl;
	int seconds = 3;
	struct peer_config pc = {.bind_ip = "127.0.0.1", .send_audio = true, .send_video = true, .video_pps = 50};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tone") == 0 && i + 1 < argc)
			pc.tone_hz = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--recv-sections") == 0 && i + 1 < argc)
			pc.recv_sections = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--hostile-nack") == 0)
			pc.hostile_nack = true;
		else if (strcmp(argv[i], "--real-video") == 0)
			pc.real_video = true;
		else if (strcmp(argv[i], "--streams") == 0)
			pc.track_streams = true;
		else if (argv[i][0] == '-')
			usage();
		else
			seconds = atoi(argv[i]);
	}
	ctl.streams = pc.track_streams = pc.track_streams || pc.tone_hz || pc.recv_sections || pc.hostile_nack;
	pc.send_mid = ctl.streams; /* like a browser: our packets name our mid */
	struct peer *p = peer_new(&pc, err, sizeof err);
	if (!p || peer_offer(p, offer, sizeof offer) < 0) {
		fprintf(stderr, "call_peer: %s\n", p ? "offer failed" : err);
		return 1;
	}
	static char line[sizeof ctl.buf];
	if (print_json(json_pack("{s:s}", "offer", offer)))
		return 1;
	while (!next_line(&ctl, line, sizeof line) && !ctl.eof)
		fill(&ctl);
	if (!line[0] || take_answer(p, line)) {
		peer_free(p);
		return 1;
	}
	ctl.t0 = now_ms();
	run(p, &ctl, (int64_t)seconds * 1000);
	print_json(report(p, ctl.streams));
	peer_free(p);
	return 0;
}
