/* test_mixer.c: the jitter buffer's playout decisions and the mixer's encode count (one per distinct mix), without a network. */
#include <string.h>

#include "media/jitter.h"
#include "media/mixer.h"
#include "tests/peer/peer_audio.h"
#include "tests/unit/media/check_media.h"

static const uint8_t pkt[3] = {1, 2, 3};

/* Push the packets of `in` (sequence numbers, -1: none this tick) one per tick and pop once per tick. */
static void test_jitter(void)
{
	static const struct {
		const char *name;
		int in[12];
		enum jitter_out want[12];
	} cases[] = {
	    {"in order: two frames held, then one per tick",
	     {10, 11, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1},
	     {JITTER_IDLE_OUT, JITTER_FRAME, JITTER_FRAME, JITTER_FRAME, JITTER_FRAME, JITTER_LOST, JITTER_LOST,
	      JITTER_LOST, JITTER_LOST, JITTER_IDLE_OUT, JITTER_IDLE_OUT, JITTER_IDLE_OUT}},
	    {"a gap with the next packet here: its FEC",
	     {10, 11, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1},
	     {JITTER_IDLE_OUT, JITTER_FRAME, JITTER_FRAME, JITTER_FEC, JITTER_FRAME, JITTER_FRAME, JITTER_FRAME,
	      JITTER_LOST, JITTER_LOST, JITTER_LOST, JITTER_LOST, JITTER_IDLE_OUT}},
	    {"reordered packets play in order",
	     {11, 10, 13, 12, 14, -1, -1, -1, -1, -1, -1, -1},
	     {JITTER_IDLE_OUT, JITTER_FRAME, JITTER_FRAME, JITTER_FRAME, JITTER_FRAME, JITTER_FRAME, JITTER_LOST,
	      JITTER_LOST, JITTER_LOST, JITTER_LOST, JITTER_IDLE_OUT, JITTER_IDLE_OUT}},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct jitter j;
		memset(&j, 0, sizeof j);
		for (int t = 0; t < 12; t++) {
			if (cases[c].in[t] >= 0)
				jitter_push(&j, (uint16_t)cases[c].in[t], pkt, sizeof pkt, t * 20);
			const struct jitter_slot *s;
			enum jitter_out o = jitter_pop(&j, &s);
			CHECK(o == cases[c].want[t], "%s: tick %d gives %d, want %d", cases[c].name, t, o,
			      cases[c].want[t]);
			CHECK((o == JITTER_FRAME || o == JITTER_FEC) == (s != NULL), "%s: tick %d slot", cases[c].name,
			      t);
		}
	}
	struct jitter j;
	memset(&j, 0, sizeof j);
	for (int t = 0; t < 4; t++) { /* playing 100, 101 */
		jitter_push(&j, (uint16_t)(100 + t), pkt, sizeof pkt, 0);
		const struct jitter_slot *s;
		jitter_pop(&j, &s);
	}
	uint16_t next = j.next;
	jitter_push(&j, (uint16_t)(next - 2), pkt, sizeof pkt, 0);
	CHECK(j.late == 1 && j.depth == JITTER_DEPTH + 1, "a late packet is counted and the depth grows: %u", j.depth);
}

/* Three senders of tones and a fourth who only listens; who talks decides how many encodes a frame takes. */
static void test_encodes(void)
{
	struct mixer *m = mixer_new();
	struct peer_audio_enc *tone[3] = {peer_audio_enc_new(440, 1), peer_audio_enc_new(660, 1),
					  peer_audio_enc_new(880, 1)};
	struct peer_audio_enc *quiet = peer_audio_enc_new(440, 1);
	CHECK(m && tone[0] && tone[1] && tone[2] && quiet, "setup");
	bool listen[MIXER_SLOTS] = {true, true, true, true};
	uint8_t preset[MIXER_SLOTS] = {0};
	struct mixer_out out[MIXER_SLOTS];
	uint8_t buf[400];
	int encodes = 0;
	for (int f = 0; f < 30; f++) {
		for (int s = 0; s < 3; s++) {
			int n = peer_audio_enc_frame(tone[s], buf, sizeof buf);
			mixer_push(m, (unsigned)s, (uint16_t)f, buf, (size_t)n, f * 20);
		}
		encodes = mixer_run(m, listen, preset, f * 20, out);
	}
	CHECK(encodes == 4, "three talkers, one listener: three mixes without one talker each, one full: %d", encodes);
	CHECK(out[0].pkt && out[1].pkt && out[3].pkt && out[0].pkt != out[1].pkt, "each talker its own mix");
	for (int s = 0; s < 3; s++)
		CHECK(mixer_talking(m, (unsigned)s) && mixer_level(m, (unsigned)s) < 20, "source %d talks (%u dBov)", s,
		      mixer_level(m, (unsigned)s));
	CHECK(!mixer_talking(m, 3) && mixer_level(m, 3) == 127, "the listener sends nothing");
	mixer_source_stop(m, 1); /* muted */
	mixer_source_stop(m, 2);
	for (int f = 30; f < 60; f++) {
		int n = peer_audio_enc_frame(tone[0], buf, sizeof buf);
		mixer_push(m, 0, (uint16_t)f, buf, (size_t)n, f * 20);
		encodes = mixer_run(m, listen, preset, f * 20, out);
	}
	CHECK(encodes == 2, "one talker: its mix without itself, and one full mix the three others share: %d", encodes);
	CHECK(out[1].pkt == out[2].pkt && out[2].pkt == out[3].pkt && out[0].pkt != out[1].pkt,
	      "the non-talkers share one packet");
	preset[3] = MIXER_PRESET_LOW;
	encodes = mixer_run(m, listen, preset, 60 * 20, out);
	CHECK(encodes == 3 && out[3].pkt != out[1].pkt, "a weak link's preset is one more encode of the full mix: %d",
	      encodes);
	struct mixer_stats st;
	mixer_stats_get(m, &st);
	CHECK(st.frames == 61 && st.decodes > 100, "counters: %llu frames, %llu decodes", (unsigned long long)st.frames,
	      (unsigned long long)st.decodes);
	for (int s = 0; s < 3; s++)
		peer_audio_enc_free(tone[s]);
	peer_audio_enc_free(quiet);
	mixer_free(m);
}

int main(void)
{
	test_jitter();
	test_encodes();
	printf("test_mixer: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
