/* clip.c: video clips — MP4/QuickTime with H.264 (+ AAC) or WebM with VP8/VP9 (+ Opus), remuxed with no metadata
 * (av.c), the first decoded frame as poster and thumbnail (libavcodec + libswscale, then libvips), the duration. */
#include "server/mediaproc/av.h"

#include <libavutil/display.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>

#define POSTER_MAX_PACKETS 600 /* a clip whose first frame does not decode within this many packets is refused */

struct poster {
	const struct mediaproc_job *job;
	struct mediaproc_result *out;
	AVCodecContext *dec;
	AVFrame *frame;
	int rotate; /* clockwise degrees to show the frame upright */
	int done;   /* the poster is stored */
	int fed;    /* packets given to the decoder */
};

static int frame_to_jpegs(struct poster *p)
{
	AVFrame *f = p->frame;
	int w = f->width, h = f->height;
	uint8_t *rgb = malloc((size_t)w * h * 3);
	struct SwsContext *sws =
	    sws_getContext(w, h, f->format, w, h, AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
	int rc = MEDIAPROC_OK;
	if (!rgb || !sws) {
		rc = mediaproc__fail(p->out, MEDIAPROC_ERR_INTERNAL, "poster conversion");
	} else {
		uint8_t *dst[4] = {rgb, NULL, NULL, NULL};
		int stride[4] = {w * 3, 0, 0, 0};
		sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, h, dst, stride);
		rc = mediaproc__frame_jpegs(p->job, rgb, w, h, p->rotate, p->out);
	}
	sws_freeContext(sws);
	free(rgb);
	p->done = 1;
	return rc;
}

/* Feed one packet (NULL: flush); store the poster from the first frame that comes out. */
static int poster_feed(struct poster *p, const AVPacket *pkt)
{
	if (p->done)
		return MEDIAPROC_OK;
	if (++p->fed > POSTER_MAX_PACKETS)
		return mediaproc__fail(p->out, MEDIAPROC_ERR_CORRUPT, "no picture in the first %d packets",
				       POSTER_MAX_PACKETS);
	if (avcodec_send_packet(p->dec, pkt) < 0 && pkt)
		return MEDIAPROC_OK; /* a damaged packet before the first picture: the next one may start it */
	if (avcodec_receive_frame(p->dec, p->frame) < 0)
		return MEDIAPROC_OK;
	return frame_to_jpegs(p);
}

static int on_packet(void *arg, const AVPacket *pkt, int out_index)
{
	return out_index == 0 ? poster_feed(arg, pkt) : MEDIAPROC_OK;
}

static int rotation_of(const AVStream *s)
{
	size_t sz = 0;
	const int32_t *m = (const int32_t *)av_stream_get_side_data(s, AV_PKT_DATA_DISPLAYMATRIX, &sz);
	if (!m || sz < 9 * sizeof(int32_t))
		return 0;
	double theta = -round(av_display_rotation_get(m));
	if (isnan(theta))
		return 0;
	int deg = ((int)theta % 360 + 360) % 360;
	return deg == 90 || deg == 180 || deg == 270 ? deg : 0;
}

/* The video and audio codecs a container may carry here. */
static int codecs_ok(enum sniff_type t, const AVCodecParameters *v, const AVCodecParameters *a)
{
	if (t == SNIFF_WEBM)
		return (v->codec_id == AV_CODEC_ID_VP8 || v->codec_id == AV_CODEC_ID_VP9) &&
		    (!a || a->codec_id == AV_CODEC_ID_OPUS);
	return v->codec_id == AV_CODEC_ID_H264 && (!a || a->codec_id == AV_CODEC_ID_AAC);
}

static int open_decoder(struct poster *p, const AVCodecParameters *par)
{
	const AVCodec *c = avcodec_find_decoder(par->codec_id);
	p->dec = c ? avcodec_alloc_context3(c) : NULL;
	p->frame = av_frame_alloc();
	if (!p->dec || !p->frame || avcodec_parameters_to_context(p->dec, par) < 0)
		return -1;
	p->dec->thread_count = 1;
	return avcodec_open2(p->dec, c, NULL) < 0 ? -1 : 0;
}

static int clip_streams(struct mpav_in *in, enum sniff_type t, const struct mediaproc_limits *lim, int *vi, int *ai,
			struct mediaproc_result *out)
{
	*vi = av_find_best_stream(in->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	*ai = av_find_best_stream(in->fmt, AVMEDIA_TYPE_AUDIO, -1, *vi >= 0 ? *vi : -1, NULL, 0);
	if (*vi < 0)
		return mediaproc__fail(out, *ai >= 0 ? MEDIAPROC_ERR_WRONG_KIND : MEDIAPROC_ERR_CORRUPT,
				       "no video stream");
	if (*ai < 0)
		*ai = -1;
	const AVCodecParameters *v = in->fmt->streams[*vi]->codecpar;
	const AVCodecParameters *a = *ai >= 0 ? in->fmt->streams[*ai]->codecpar : NULL;
	if (!codecs_ok(t, v, a))
		return mediaproc__fail(out, MEDIAPROC_ERR_CODEC, "codecs %s/%s", avcodec_get_name(v->codec_id),
				       a ? avcodec_get_name(a->codec_id) : "-");
	uint64_t w = v->width > 0 ? (uint64_t)v->width : 0, h = v->height > 0 ? (uint64_t)v->height : 0;
	if (!w || !h)
		return mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "video without a size");
	if (w * h > lim->max_pixels || w > lim->max_side || h > lim->max_side)
		return mediaproc__fail(out, MEDIAPROC_ERR_TOO_MANY_PIXELS, "%llux%llu video", (unsigned long long)w,
				       (unsigned long long)h);
	return MEDIAPROC_OK;
}

int mediaproc__clip(const struct mediaproc_job *job, enum sniff_type t, const struct mediaproc_limits *lim,
		    struct mediaproc_result *out)
{
	struct mpav_in in;
	struct poster p = {job, out, NULL, NULL, 0, 0, 0};
	int vi, ai, rc = mpav_in_open(&in, &job->source, t, out);
	if (rc != MEDIAPROC_OK)
		return rc;
	rc = clip_streams(&in, t, lim, &vi, &ai, out);
	if (rc == MEDIAPROC_OK && open_decoder(&p, in.fmt->streams[vi]->codecpar) != 0)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_CODEC, "no decoder for the video");
	if (rc == MEDIAPROC_OK) {
		const AVCodecParameters *v = in.fmt->streams[vi]->codecpar;
		p.rotate = rotation_of(in.fmt->streams[vi]);
		int swap = p.rotate == 90 || p.rotate == 270;
		out->width = (uint32_t)(swap ? v->height : v->width);
		out->height = (uint32_t)(swap ? v->width : v->height);
		struct mpav_remux r = {t == SNIFF_WEBM ? "webm" : "mp4",
				       t == SNIFF_WEBM ? "video/webm" : "video/mp4",
				       {vi, ai},
				       lim->max_duration_ms[MEDIAPROC_VIDEO_CLIP],
				       on_packet,
				       &p};
		rc = mpav_remux(&in, &r, job, out);
	}
	if (rc == MEDIAPROC_OK && !p.done)
		rc = poster_feed(&p, NULL);
	if (rc == MEDIAPROC_OK && !p.done)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "no picture could be decoded");
	av_frame_free(&p.frame);
	avcodec_free_context(&p.dec);
	mpav_in_close(&in);
	return rc;
}
