/* call_peer.c: a WebRTC client peer (media/peer.h) for test_calls.py — prints its offer, takes the answer, sends media, reports counts. */
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/peer.h"

/*
 * Line protocol on stdin/stdout, one JSON object per line:
 *   peer -> {"offer": SDP}
 *   test -> {"answer": SDP}
 *   peer -> {"state": transport state, "audio_rx", "video_rx", "audio_tx", "video_tx"} after SECONDS of media
 * Usage: call_peer SECONDS
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

/* Read {"answer": SDP} from stdin and give it to the peer. */
static int take_answer(struct peer *p)
{
	static char line[65536];
	json_error_t jerr;
	const char *err = NULL;
	if (!fgets(line, sizeof(line), stdin))
		return -1;
	json_t *o = json_loads(line, 0, &jerr);
	const char *sdp = o ? json_string_value(json_object_get(o, "answer")) : NULL;
	int rc = sdp ? peer_set_answer(p, sdp, strlen(sdp), &err) : -1;
	if (rc != 0)
		fprintf(stderr, "call_peer: answer refused: %s\n", err ? err : "no answer member");
	json_decref(o);
	return rc;
}

static void run(struct peer *p, int64_t ms)
{
	int64_t end = now_ms() + ms;
	while (now_ms() < end) {
		struct pollfd pf = {.fd = peer_fd(p), .events = POLLIN};
		poll(&pf, 1, 2);
		peer_poll(p, now_ms());
	}
}

int main(int argc, char **argv)
{
	char err[256];
	static char offer[16384];
	int seconds = argc > 1 ? atoi(argv[1]) : 3;
	struct peer_config pc = {.bind_ip = "127.0.0.1", .send_audio = true, .send_video = true, .video_pps = 50};
	struct peer *p = peer_new(&pc, err, sizeof err);
	if (!p || peer_offer(p, offer, sizeof offer) < 0) {
		fprintf(stderr, "call_peer: %s\n", p ? "offer failed" : err);
		return 1;
	}
	if (print_json(json_pack("{s:s}", "offer", offer)) || take_answer(p)) {
		peer_free(p);
		return 1;
	}
	run(p, (int64_t)seconds * 1000);
	struct peer_stats st;
	peer_stats_get(p, &st);
	print_json(json_pack("{s:s,s:I,s:I,s:I,s:I}", "state", transport_state_name(peer_state(p)), "audio_rx",
			     (json_int_t)st.audio.rx, "video_rx", (json_int_t)st.video.rx, "audio_tx",
			     (json_int_t)st.audio.tx, "video_tx", (json_int_t)st.video.tx));
	peer_free(p);
	return 0;
}
