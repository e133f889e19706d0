/* voice.c: voice notes — Ogg Opus or WebM Opus, audio only: every packet decoded with libopus (a packet that does
 * not decode refuses the note), the duration from the decoded samples, a 64-point waveform of peak levels, and the
 * container remuxed with no tags (av.c). */
#include "server/mediaproc/av.h"

#include <math.h>
#include <opus/opus.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define BLOCK 480 /* 10 ms: the waveform's finest step */
#define MAX_FRAME (RATE * 120 / 1000)

struct voice {
	struct mediaproc_result *out;
	OpusDecoder *dec;
	int channels;
	int64_t samples; /* decoded, per channel */
	int skip;        /* pre-skip samples still to drop */
	float *peaks;    /* one per BLOCK samples */
	size_t npeaks, cap;
	float cur; /* peak of the block being filled */
	int in_block;
	float pcm[MAX_FRAME * 2];
};

static int add_peak(struct voice *v, float peak)
{
	if (v->npeaks == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1024;
		float *n = realloc(v->peaks, cap * sizeof *n);
		if (!n)
			return -1;
		v->peaks = n;
		v->cap = cap;
	}
	v->peaks[v->npeaks++] = peak;
	return 0;
}

static int take_samples(struct voice *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (v->skip > 0) {
			v->skip--;
			continue;
		}
		float s = 0;
		for (int c = 0; c < v->channels; c++) {
			float a = fabsf(v->pcm[i * v->channels + c]);
			s = a > s ? a : s;
		}
		v->cur = s > v->cur ? s : v->cur;
		v->samples++;
		if (++v->in_block == BLOCK) {
			if (add_peak(v, v->cur) != 0)
				return -1;
			v->cur = 0;
			v->in_block = 0;
		}
	}
	return 0;
}

static int on_packet(void *arg, const AVPacket *pkt, int out_index)
{
	struct voice *v = arg;
	if (pkt->size <= 0)
		return MEDIAPROC_OK;
	int n = opus_decode_float(v->dec, pkt->data, pkt->size, v->pcm, MAX_FRAME, 0);
	if (n < 0)
		return mediaproc__fail(v->out, MEDIAPROC_ERR_CORRUPT, "Opus packet: %s", opus_strerror(n));
	if (take_samples(v, n) != 0)
		return mediaproc__fail(v->out, MEDIAPROC_ERR_INTERNAL, "out of memory");
	return MEDIAPROC_OK;
}

/* 64 points: the highest peak in each 1/64 of the note, on a square-root scale (quiet speech stays visible). */
static void waveform(struct voice *v, struct mediaproc_result *out)
{
	if (v->in_block)
		add_peak(v, v->cur);
	for (size_t i = 0; i < MEDIAPROC_WAVEFORM_POINTS; i++) {
		size_t a = i * v->npeaks / MEDIAPROC_WAVEFORM_POINTS,
		       b = (i + 1) * v->npeaks / MEDIAPROC_WAVEFORM_POINTS;
		if (b <= a)
			b = a + 1;
		float peak = 0;
		for (size_t j = a; j < b && j < v->npeaks; j++)
			peak = v->peaks[j] > peak ? v->peaks[j] : peak;
		float level = sqrtf(peak > 1 ? 1 : peak);
		out->waveform[i] = (uint8_t)lrintf(level * 255.0f);
	}
	out->has_waveform = 1;
}

/* Opus head (RFC 7845 5.1) from the stream's extradata: channels and pre-skip. */
static int voice_setup(struct voice *v, const AVCodecParameters *par)
{
	int ch = par->ch_layout.nb_channels;
	if (par->extradata && par->extradata_size >= 19 && !memcmp(par->extradata, "OpusHead", 8)) {
		ch = par->extradata[9];
		v->skip = par->extradata[10] | par->extradata[11] << 8;
		if (par->extradata[18] != 0)
			return -1; /* channel mapping families other than 0 (mono/stereo) */
	}
	if (ch < 1 || ch > 2)
		return -1;
	int err = 0;
	v->channels = ch;
	v->dec = opus_decoder_create(RATE, ch, &err);
	return err == OPUS_OK && v->dec ? 0 : -1;
}

static int voice_streams(struct mpav_in *in, int *ai, struct mediaproc_result *out)
{
	for (unsigned i = 0; i < in->fmt->nb_streams; i++) {
		const AVCodecParameters *par = in->fmt->streams[i]->codecpar;
		if (par->codec_type == AVMEDIA_TYPE_VIDEO &&
		    !(in->fmt->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC))
			return mediaproc__fail(out, MEDIAPROC_ERR_WRONG_KIND, "a voice note with video");
	}
	*ai = av_find_best_stream(in->fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
	if (*ai < 0)
		return mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "no audio stream");
	if (in->fmt->streams[*ai]->codecpar->codec_id != AV_CODEC_ID_OPUS)
		return mediaproc__fail(out, MEDIAPROC_ERR_CODEC, "voice in %s",
				       avcodec_get_name(in->fmt->streams[*ai]->codecpar->codec_id));
	return MEDIAPROC_OK;
}

int mediaproc__voice(const struct mediaproc_job *job, enum sniff_type t, const struct mediaproc_limits *lim,
		     struct mediaproc_result *out)
{
	struct mpav_in in;
	struct voice *v = calloc(1, sizeof *v);
	if (!v)
		return mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "out of memory");
	v->out = out;
	int ai = -1, rc = mpav_in_open(&in, &job->source, t, out);
	if (rc != MEDIAPROC_OK) {
		free(v);
		return rc;
	}
	rc = voice_streams(&in, &ai, out);
	if (rc == MEDIAPROC_OK && voice_setup(v, in.fmt->streams[ai]->codecpar) != 0)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_CODEC, "Opus with more than two channels or a bad header");
	if (rc == MEDIAPROC_OK) {
		struct mpav_remux r = {t == SNIFF_WEBM ? "webm" : "ogg",
				       t == SNIFF_WEBM ? "audio/webm" : "audio/ogg",
				       {ai, -1},
				       lim->max_duration_ms[MEDIAPROC_VOICE_NOTE],
				       on_packet,
				       v};
		rc = mpav_remux(&in, &r, job, out);
	}
	if (rc == MEDIAPROC_OK && v->samples == 0)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "no sound");
	if (rc == MEDIAPROC_OK) {
		out->duration_ms = (uint32_t)(v->samples * 1000 / RATE); /* decoded, not what the container claims */
		if (out->duration_ms > lim->max_duration_ms[MEDIAPROC_VOICE_NOTE])
			rc = mediaproc__fail(out, MEDIAPROC_ERR_TOO_LONG, "%u ms", out->duration_ms);
		else
			waveform(v, out);
	}
	if (v->dec)
		opus_decoder_destroy(v->dec);
	free(v->peaks);
	free(v);
	mpav_in_close(&in);
	return rc;
}
