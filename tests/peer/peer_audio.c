/* peer_audio.c: real Opus audio for media/peer — sine encoder, decoder and Goertzel tone finder. */
#include "tests/peer/peer_audio.h"

#include <math.h>
#include <opus.h>
#include <stdlib.h>

#define WINDOW PEER_AUDIO_RATE /* one second of mono samples */
#define AMPLITUDE 0.3          /* of full scale: far from clipping, well above Opus's noise floor */

struct peer_audio_enc {
	OpusEncoder *enc;
	int channels;
	double phase, step; /* radians, radians per sample */
};

struct peer_audio_rx {
	OpusDecoder *dec;
	uint64_t errors;    /* payloads opus_decode refused */
	size_t pos, filled; /* next write index in ring, samples held (<= WINDOW) */
	int16_t ring[WINDOW];
};

struct peer_audio_enc *peer_audio_enc_new(unsigned hz, int channels)
{
	int err = 0;
	struct peer_audio_enc *e = calloc(1, sizeof *e);
	if (!e || !hz || (channels != 1 && channels != 2))
		goto fail;
	e->enc = opus_encoder_create(PEER_AUDIO_RATE, channels, OPUS_APPLICATION_AUDIO, &err);
	if (!e->enc || err != OPUS_OK)
		goto fail;
	opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(channels * 32000));
	opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(5)); /* several peers share a small machine */
	e->channels = channels;
	e->step = 2 * M_PI * hz / PEER_AUDIO_RATE;
	return e;
fail:
	peer_audio_enc_free(e);
	return NULL;
}

void peer_audio_enc_fec(struct peer_audio_enc *e, int loss_pct)
{
	opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(loss_pct > 0));
	opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(loss_pct));
}

void peer_audio_enc_free(struct peer_audio_enc *e)
{
	if (!e)
		return;
	if (e->enc)
		opus_encoder_destroy(e->enc);
	free(e);
}

int peer_audio_enc_frame(struct peer_audio_enc *e, uint8_t *out, size_t cap)
{
	int16_t pcm[PEER_AUDIO_FRAME * 2];
	for (int i = 0; i < PEER_AUDIO_FRAME; i++) {
		int16_t v = (int16_t)lrint(AMPLITUDE * 32767 * sin(e->phase));
		e->phase += e->step;
		for (int c = 0; c < e->channels; c++)
			pcm[i * e->channels + c] = v;
	}
	e->phase = fmod(e->phase, 2 * M_PI);
	int n = opus_encode(e->enc, pcm, PEER_AUDIO_FRAME, out, (opus_int32)(cap > 4000 ? 4000 : cap));
	return n > 0 ? n : -1;
}

struct peer_audio_rx *peer_audio_rx_new(void)
{
	int err = 0;
	struct peer_audio_rx *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->dec = opus_decoder_create(PEER_AUDIO_RATE, 1, &err); /* stereo streams are mixed down */
	if (!r->dec || err != OPUS_OK) {
		peer_audio_rx_free(r);
		return NULL;
	}
	return r;
}

void peer_audio_rx_free(struct peer_audio_rx *r)
{
	if (!r)
		return;
	if (r->dec)
		opus_decoder_destroy(r->dec);
	free(r);
}

int peer_audio_rx_push(struct peer_audio_rx *r, const uint8_t *payload, size_t len)
{
	int16_t pcm[5760]; /* 120 ms, the longest Opus packet (RFC 6716 §3.2.1) */
	int n = len ? opus_decode(r->dec, payload, (opus_int32)len, pcm, 5760, 0) : -1;
	if (n <= 0) {
		r->errors++;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		r->ring[r->pos] = pcm[i];
		r->pos = (r->pos + 1) % WINDOW;
	}
	r->filled = r->filled + (size_t)n > WINDOW ? WINDOW : r->filled + (size_t)n;
	return 0;
}

/* Power at hz over x[0..n) (Goertzel), scaled so a full-window sine of amplitude A gives A^2 n^2 / 4. */
static double goertzel(const float *x, size_t n, double hz)
{
	double coeff = 2 * cos(2 * M_PI * hz / PEER_AUDIO_RATE), s1 = 0, s2 = 0;
	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + coeff * s1 - s2;
		s2 = s1, s1 = s0;
	}
	return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/* The window oldest first, as floats in x; returns its energy (0: too short or silent). */
static double window(const struct peer_audio_rx *r, float *x, size_t *n_out)
{
	size_t n = r->filled;
	double energy = 0;
	*n_out = n;
	if (n < PEER_AUDIO_RATE / 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		x[i] = r->ring[(r->pos + WINDOW - n + i) % WINDOW] / 32768.0f;
		energy += (double)x[i] * x[i];
	}
	return energy < 1e-6 * (double)n ? 0 : energy;
}

double peer_audio_rx_share(const struct peer_audio_rx *r, unsigned hz)
{
	static __thread float x[WINDOW];
	size_t n, block = PEER_AUDIO_RATE / 10; /* 100 ms blocks (10 Hz apart): a concealed frame's phase jump
						   costs one block, not the whole second's coherence */
	double energy = window(r, x, &n), at = 0;
	for (size_t off = 0; energy > 0 && off + block <= n; off += block)
		at += 2 * goertzel(x + off, block, hz) / (double)block;
	double share = energy > 0 ? at / energy : 0;
	return share > 1 ? 1 : share;
}

void peer_audio_rx_tone(const struct peer_audio_rx *r, unsigned *hz, double *share)
{
	static __thread float x[WINDOW];
	size_t n;
	*hz = 0, *share = 0;
	double energy = window(r, x, &n);
	if (energy <= 0)
		return; /* too short, or silence */
	double best = 0;
	for (unsigned f = PEER_AUDIO_TONE_MIN; f <= PEER_AUDIO_TONE_MAX; f += PEER_AUDIO_TONE_STEP) {
		double pw = goertzel(x, n, f);
		if (pw > best)
			best = pw, *hz = f;
	}
	*share = 2 * best / ((double)n * energy); /* Parseval: a pure sine at a candidate gives 1 */
	if (*share > 1)
		*share = 1;
}

uint64_t peer_audio_rx_errors(const struct peer_audio_rx *r)
{
	return r->errors;
}
