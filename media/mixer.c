/* mixer.c: the audio mixer of one call: Opus decode per source, mix-minus per receiver, each distinct mix encoded once. */
#include "media/mixer.h"

#include <math.h>
#include <opus.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media/jitter.h"

#define SILENT 127

struct mixer_source {
	OpusDecoder *dec; /* made on the source's first packet */
	struct jitter jb;
	int16_t pcm[MIXER_FRAME];
	bool has_pcm; /* this frame */
	bool talking;
	unsigned hang;        /* frames of hangover left */
	uint8_t level;        /* -dBov of this frame */
	uint8_t ext_level;    /* last RFC 6464 value */
	int64_t ext_at_ms;    /* when it came, 0: never */
	int64_t played_at_ms; /* arrival of the packet this frame came from, 0: concealed */
};

struct mixer_encoder {
	OpusEncoder *enc;
	uint64_t frame; /* the frame pkt was made for (+1), 0: none yet */
	uint16_t len;
	uint8_t pkt[MIXER_PKT_MAX];
};

struct mixer {
	struct mixer_source src[MIXER_SLOTS];
	struct mixer_encoder enc[MIXER_SLOTS + 1][MIXER_PRESETS]; /* [0]: full mix, [1 + s]: all but s */
	int32_t acc[MIXER_FRAME];
	int16_t out_pcm[MIXER_FRAME];
	struct mixer_stats st;
};

struct mixer *mixer_new(void)
{
	return calloc(1, sizeof(struct mixer));
}

void mixer_free(struct mixer *m)
{
	if (!m)
		return;
	for (int s = 0; s < MIXER_SLOTS; s++)
		if (m->src[s].dec)
			opus_decoder_destroy(m->src[s].dec);
	for (int e = 0; e <= MIXER_SLOTS; e++)
		for (int p = 0; p < MIXER_PRESETS; p++)
			if (m->enc[e][p].enc)
				opus_encoder_destroy(m->enc[e][p].enc);
	free(m);
}

void mixer_push(struct mixer *m, unsigned src, uint16_t seq, const uint8_t *payload, size_t len, int64_t now_ms)
{
	if (src >= MIXER_SLOTS)
		return;
	struct mixer_source *s = &m->src[src];
	if (!s->dec) {
		int err = 0;
		s->dec = opus_decoder_create(MIXER_RATE, 1, &err);
		if (err != OPUS_OK)
			s->dec = NULL;
		if (!s->dec)
			return;
	}
	uint64_t late = s->jb.late;
	jitter_push(&s->jb, seq, payload, len, now_ms);
	m->st.late += s->jb.late - late;
}

void mixer_source_level(struct mixer *m, unsigned src, uint8_t dbov, int64_t now_ms)
{
	if (src < MIXER_SLOTS)
		m->src[src].ext_level = dbov & 0x7f, m->src[src].ext_at_ms = now_ms ? now_ms : 1;
}

void mixer_source_stop(struct mixer *m, unsigned src)
{
	if (src >= MIXER_SLOTS)
		return;
	struct mixer_source *s = &m->src[src];
	jitter_reset(&s->jb);
	s->has_pcm = s->talking = false, s->hang = 0, s->level = SILENT;
	if (s->dec)
		opus_decoder_ctl(s->dec, OPUS_RESET_STATE);
}

static uint8_t dbov_of(const int16_t *pcm)
{
	int64_t sum = 0;
	for (int i = 0; i < MIXER_FRAME; i++)
		sum += (int32_t)pcm[i] * pcm[i];
	if (!sum)
		return SILENT;
	double db = -10 * log10((double)sum / MIXER_FRAME / (32768.0 * 32768.0));
	return db >= SILENT ? SILENT : db <= 0 ? 0 : (uint8_t)db;
}

/* Decode this frame of s (or conceal it); false when the source has nothing to play. */
static bool decode(struct mixer *m, struct mixer_source *s, int64_t now)
{
	const struct jitter_slot *slot;
	enum jitter_out o = jitter_pop(&s->jb, &slot);
	bool ext_fresh = s->ext_at_ms && now - s->ext_at_ms <= MIXER_LEVEL_FRESH_MS;
	s->played_at_ms = o == JITTER_FRAME ? slot->at_ms : 0;
	if (o == JITTER_IDLE_OUT || !s->dec)
		return false;
	if (ext_fresh && s->ext_level > MIXER_TALK_DBOV && !s->hang && o == JITTER_FRAME) {
		m->st.skipped_decodes++; /* quiet by its own account: not worth decoding */
		return false;
	}
	int n;
	if (o == JITTER_FRAME)
		n = opus_decode(s->dec, slot->buf, slot->len, s->pcm, MIXER_FRAME, 0), m->st.decodes++;
	else if (o == JITTER_FEC)
		n = opus_decode(s->dec, slot->buf, slot->len, s->pcm, MIXER_FRAME, 1), m->st.fec++;
	else
		n = opus_decode(s->dec, NULL, 0, s->pcm, MIXER_FRAME, 0), m->st.plc++;
	if (n != MIXER_FRAME) { /* a refused packet or another frame size: silence this time */
		memset(s->pcm, 0, sizeof s->pcm);
		return n > 0;
	}
	return true;
}

/* Frame, level and talking state of every source; sums the talkers into acc. */
static void gather(struct mixer *m, int64_t now)
{
	memset(m->acc, 0, sizeof m->acc);
	for (int i = 0; i < MIXER_SLOTS; i++) {
		struct mixer_source *s = &m->src[i];
		bool ext_fresh = s->ext_at_ms && now - s->ext_at_ms <= MIXER_LEVEL_FRESH_MS;
		s->has_pcm = decode(m, s, now);
		s->level = ext_fresh ? s->ext_level : s->has_pcm ? dbov_of(s->pcm) : SILENT;
		if (s->level <= MIXER_TALK_DBOV && (s->has_pcm || ext_fresh))
			s->hang = MIXER_HANGOVER;
		else if (s->hang)
			s->hang--;
		s->talking = s->hang > 0 && s->has_pcm;
		if (s->talking)
			for (int k = 0; k < MIXER_FRAME; k++)
				m->acc[k] += s->pcm[k];
	}
}

static OpusEncoder *encoder_make(int preset)
{
	int err = 0;
	OpusEncoder *e = opus_encoder_create(MIXER_RATE, 1, OPUS_APPLICATION_VOIP, &err);
	if (!e || err != OPUS_OK)
		return NULL;
	bool low = preset == MIXER_PRESET_LOW;
	opus_encoder_ctl(e, OPUS_SET_BITRATE(low ? 16000 : 32000));
	opus_encoder_ctl(e,
			 OPUS_SET_COMPLEXITY(2)); /* speech at 16-32 kbit/s: little to gain above, half the cost of 5 */
	opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(low ? 1 : 0));
	opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(low ? 15 : 0));
	opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	return e;
}

/* The packet of mix `minus` (-1: full) at preset p for this frame, encoded on first demand. */
static const struct mixer_encoder *encoded(struct mixer *m, int minus, int p)
{
	struct mixer_encoder *e = &m->enc[minus + 1][p];
	if (e->frame == m->st.frames)
		return e->len ? e : NULL;
	e->frame = m->st.frames, e->len = 0;
	if (!e->enc && !(e->enc = encoder_make(p)))
		return NULL;
	const int16_t *own = minus >= 0 ? m->src[minus].pcm : NULL;
	for (int k = 0; k < MIXER_FRAME; k++) {
		int32_t v = m->acc[k] - (own ? own[k] : 0);
		m->out_pcm[k] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
	int n = opus_encode(e->enc, m->out_pcm, MIXER_FRAME, e->pkt, MIXER_PKT_MAX);
	e->len = n > 0 ? (uint16_t)n : 0;
	m->st.encodes++;
	return e->len ? e : NULL;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int mixer_run(struct mixer *m, const bool listen[MIXER_SLOTS], const uint8_t preset[MIXER_SLOTS], int64_t now_ms,
	      struct mixer_out out[MIXER_SLOTS])
{
	uint64_t before = m->st.encodes;
	m->st.frames++;
	gather(m, now_ms);
	for (int r = 0; r < MIXER_SLOTS; r++) {
		out[r] = (struct mixer_out){0};
		if (!listen[r])
			continue;
		int p = preset[r] < MIXER_PRESETS ? preset[r] : MIXER_PRESET_NORMAL;
		const struct mixer_encoder *e = encoded(m, m->src[r].talking ? r : -1, p);
		if (e)
			out[r] = (struct mixer_out){.pkt = e->pkt, .len = e->len};
	}
	int64_t done = mono_us();
	for (int i = 0; i < MIXER_SLOTS; i++) {
		const struct mixer_source *s = &m->src[i];
		if (!s->played_at_ms || m->st.encodes == before)
			continue;
		int64_t lat = done - s->played_at_ms * 1000;
		m->st.latency_n++, m->st.latency_sum_us += lat;
		if (lat > m->st.latency_max_us)
			m->st.latency_max_us = lat;
	}
	return (int)(m->st.encodes - before);
}

uint8_t mixer_level(const struct mixer *m, unsigned src)
{
	return src < MIXER_SLOTS ? m->src[src].level : SILENT;
}

bool mixer_talking(const struct mixer *m, unsigned src)
{
	return src < MIXER_SLOTS && m->src[src].talking;
}

void mixer_stats_get(const struct mixer *m, struct mixer_stats *out)
{
	*out = m->st;
}

const uint8_t *mixer_full(struct mixer *m, enum mixer_preset p, uint16_t *len)
{
	const struct mixer_encoder *e = p < MIXER_PRESETS ? encoded(m, -1, p) : NULL;
	*len = e ? e->len : 0;
	return e ? e->pkt : NULL;
}
