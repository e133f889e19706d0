/* peer_audio.h: real Opus audio for media/peer — a sine encoded at 48 kHz, and which tone a received stream carries. */
#ifndef SAMVAER_TESTS_PEER_AUDIO_H
#define SAMVAER_TESTS_PEER_AUDIO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Model
 *   A tone encoder makes one 20 ms Opus frame (960 samples at 48 kHz, mono or stereo) of a sine per call.
 *   A tone analyser decodes the Opus payloads of one received stream (to mono), keeps the last second of
 *   samples and finds the strongest frequency among 300..1200 Hz in 20 Hz steps (Goertzel), with its share
 *   of the window's energy (1.0: a pure sine; speech or noise: well below 0.5).
 * Thread rules: an encoder or analyser belongs to its peer's thread.
 */

#define PEER_AUDIO_RATE 48000
#define PEER_AUDIO_FRAME 960    /* samples per channel in 20 ms */
#define PEER_AUDIO_TONE_MIN 300 /* Hz, analysis candidates: MIN, MIN + STEP, ... MAX */
#define PEER_AUDIO_TONE_MAX 1200
#define PEER_AUDIO_TONE_STEP 20

struct peer_audio_enc;
struct peer_audio_rx;

struct peer_audio_enc *peer_audio_enc_new(unsigned hz, int channels);
/* In-band FEC for the given expected loss (percent); 0 turns it off. */
void peer_audio_enc_fec(struct peer_audio_enc *e, int loss_pct);
void peer_audio_enc_free(struct peer_audio_enc *e);
/* The next 20 ms of the sine as one Opus packet. Returns its length or -1. */
int peer_audio_enc_frame(struct peer_audio_enc *e, uint8_t *out, size_t cap);

struct peer_audio_rx *peer_audio_rx_new(void);
void peer_audio_rx_free(struct peer_audio_rx *r);
/* Decode one Opus payload into the window. Returns 0, or -1 when the payload is not Opus (counted). */
int peer_audio_rx_push(struct peer_audio_rx *r, const uint8_t *payload, size_t len);
/* Strongest candidate frequency over the last second (0 when the window holds under 200 ms or silence) and
 * its share of the window's energy, 0..1. */
void peer_audio_rx_tone(const struct peer_audio_rx *r, unsigned *hz, double *share);
uint64_t peer_audio_rx_errors(const struct peer_audio_rx *r);
/* Share (0..1) of the last second's energy at hz (Goertzel over 100 ms blocks, so a concealed frame's phase
 * jump does not hide a tone): two tones of equal strength give about 0.5 each. */
double peer_audio_rx_share(const struct peer_audio_rx *r, unsigned hz);

#endif
