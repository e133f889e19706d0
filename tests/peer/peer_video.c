/* peer_video.c: VP8 frames of a moving picture from libvpx through libavcodec, for the project's test peer. */
#include "tests/peer/peer_video.h"

#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

struct peer_video_enc {
	AVCodecContext *c;
	AVFrame *f;
	AVPacket *pkt;
	int64_t n;
	bool want_key;
};

struct peer_video_enc *peer_video_enc_new(void)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libvpx");
	struct peer_video_enc *e = codec ? calloc(1, sizeof(*e)) : NULL;
	if (!e)
		return NULL;
	e->c = avcodec_alloc_context3(codec);
	e->f = av_frame_alloc();
	e->pkt = av_packet_alloc();
	if (!e->c || !e->f || !e->pkt)
		goto fail;
	e->c->width = PEER_VIDEO_W, e->c->height = PEER_VIDEO_H;
	e->c->pix_fmt = AV_PIX_FMT_YUV420P;
	e->c->time_base = (AVRational){1, PEER_VIDEO_FPS};
	e->c->gop_size = PEER_VIDEO_GOP;
	e->c->bit_rate = 300000;
	av_opt_set(e->c->priv_data, "deadline", "realtime", 0);
	av_opt_set(e->c->priv_data, "lag-in-frames", "0", 0);
	av_opt_set(e->c->priv_data, "cpu-used", "8", 0);
	e->f->format = e->c->pix_fmt, e->f->width = PEER_VIDEO_W, e->f->height = PEER_VIDEO_H;
	if (avcodec_open2(e->c, codec, NULL) < 0 || av_frame_get_buffer(e->f, 0) < 0)
		goto fail;
	return e;
fail:
	peer_video_enc_free(e);
	return NULL;
}

void peer_video_enc_free(struct peer_video_enc *e)
{
	if (!e)
		return;
	avcodec_free_context(&e->c);
	av_frame_free(&e->f);
	av_packet_free(&e->pkt);
	free(e);
}

void peer_video_enc_key(struct peer_video_enc *e)
{
	e->want_key = true;
}

int peer_video_enc_frame(struct peer_video_enc *e, const uint8_t **data, bool *key)
{
	AVFrame *f = e->f;
	int x0 = (int)(e->n * 4 % (PEER_VIDEO_W - 40));
	if (av_frame_make_writable(f) < 0)
		return -1;
	for (int y = 0; y < PEER_VIDEO_H; y++)
		for (int x = 0; x < PEER_VIDEO_W; x++) {
			int sq = x >= x0 && x < x0 + 40 && y >= 100 && y < 140;
			f->data[0][y * f->linesize[0] + x] = (uint8_t)(sq ? 235 : 16 + x / 3);
		}
	for (int y = 0; y < PEER_VIDEO_H / 2; y++) {
		memset(f->data[1] + y * f->linesize[1], 128, PEER_VIDEO_W / 2);
		memset(f->data[2] + y * f->linesize[2], 128, PEER_VIDEO_W / 2);
	}
	f->pts = e->n++;
	f->pict_type = e->want_key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	e->want_key = false;
	av_packet_unref(e->pkt);
	if (avcodec_send_frame(e->c, f) < 0 || avcodec_receive_packet(e->c, e->pkt) < 0)
		return -1;
	*data = e->pkt->data;
	*key = !(e->pkt->data[0] & 1);
	return e->pkt->size;
}
