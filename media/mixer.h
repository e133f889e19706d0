/* mixer.h: the audio mixer of one call: Opus decode per source, mix-minus per receiver, each distinct mix encoded once. */
#ifndef SAMVAER_MEDIA_MIXER_H
#define SAMVAER_MEDIA_MIXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   Sources and receivers are the call's participant slots (0..MIXER_SLOTS-1). Each source has a jitter
 *   buffer (media/jitter.h) and an Opus decoder (48 kHz mono); mixer_run() makes one 20 ms frame: every
 *   playing source gives a frame (decoded, recovered from the next packet's in-band FEC, or concealed),
 *   its level (-dBov, as RFC 6464) from the RFC 6464 value its packets carried when fresh, else from the
 *   decoded signal, and whether it talks (louder than MIXER_TALK_DBOV, held MIXER_HANGOVER frames).
 *   A quiet source carrying RFC 6464 levels is not decoded at all.
 *   The mix is the sum of the talking sources. A receiver that talks gets the mix without itself; every
 *   other receiver gets the full mix: one encoder per (talker, preset) plus one per preset for the full mix,
 *   so encodes follow the talkers, not the receivers. Presets (MIXER_PRESET_*) are chosen per receiver by
 *   the router from its reports. Encoders are made on first use and kept for the call.
 * Thread rules: the worker thread of its call. mixer_push and mixer_run allocate nothing once an encoder of
 * that (talker, preset) exists.
 */

#define MIXER_SLOTS 8
#define MIXER_RATE 48000
#define MIXER_FRAME 960 /* samples in 20 ms */
#define MIXER_FRAME_MS 20
#define MIXER_TALK_DBOV 50 /* louder than -50 dBov talks */
#define MIXER_HANGOVER 15  /* frames (300 ms) a talker stays one after its last loud frame */
#define MIXER_LEVEL_FRESH_MS 100
#define MIXER_PKT_MAX 400

enum mixer_preset {
	MIXER_PRESET_NORMAL = 0, /* 32 kbit/s, no FEC */
	MIXER_PRESET_LOW,        /* 16 kbit/s, in-band FEC for ~15 % loss: a weak link */
	MIXER_PRESETS
};

struct mixer_out {
	const uint8_t *pkt; /* NULL: nothing for this receiver this frame */
	uint16_t len;
};

struct mixer_stats {
	uint64_t frames, decodes, fec, plc, encodes, skipped_decodes, late;
	uint64_t latency_n;                     /* frames played that came from a received packet */
	int64_t latency_sum_us, latency_max_us; /* arrival to encoded output, per such frame */
};

struct mixer;

struct mixer *mixer_new(void);
void mixer_free(struct mixer *m);
/* An Opus payload from source src (its RTP sequence number). */
void mixer_push(struct mixer *m, unsigned src, uint16_t seq, const uint8_t *payload, size_t len, int64_t now_ms);
/* The RFC 6464 level (0 loudest .. 127 silent) the source's packet carried. */
void mixer_source_level(struct mixer *m, unsigned src, uint8_t dbov, int64_t now_ms);
/* The source left or was muted: its buffer is dropped, it is silent until its next packet. */
void mixer_source_stop(struct mixer *m, unsigned src);
/* One 20 ms frame. listen[r]: receiver r takes a mix, at preset[r]; out[r] gets its packet (valid until the
 * next run). Returns the number of encodes. */
int mixer_run(struct mixer *m, const bool listen[MIXER_SLOTS], const uint8_t preset[MIXER_SLOTS], int64_t now_ms,
	      struct mixer_out out[MIXER_SLOTS]);
/* Level of src (-dBov, 127: silent or no source) and whether it talks, as of the last run. */
uint8_t mixer_level(const struct mixer *m, unsigned src);
bool mixer_talking(const struct mixer *m, unsigned src);
void mixer_stats_get(const struct mixer *m, struct mixer_stats *out);
/* The full mix (everyone who talks) of the last mixer_run at preset p, encoded now if no receiver needed it: what a
 * recording keeps. NULL when the encode failed; the packet is valid until the next run. */
const uint8_t *mixer_full(struct mixer *m, enum mixer_preset p, uint16_t *len);

#endif
