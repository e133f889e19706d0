/* rec_webm.c: VP8 frames into WebM with libavformat's Matroska muxer: a 1 ms time base, packets flushed as they are
 * written, bit-exact headers with no metadata. */
#include "media/rec_webm.h"

#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec_webm {
	AVFormatContext *oc;
	AVStream *st;
	AVPacket *pkt;
	int64_t last_pts;
	uint64_t frames;
};

static void set_err(char *err, size_t errlen, const char *what, int rc)
{
	char msg[AV_ERROR_MAX_STRING_SIZE] = "";
	if (rc < 0)
		av_strerror(rc, msg, sizeof(msg));
	snprintf(err, errlen, "webm: %s%s%s", what, rc < 0 ? ": " : "", msg);
}

static void free_writer(struct rec_webm *w)
{
	if (w->oc && w->oc->pb)
		avio_closep(&w->oc->pb);
	avformat_free_context(w->oc);
	av_packet_free(&w->pkt);
	free(w);
}

struct rec_webm *rec_webm_open(const char *path, uint16_t width, uint16_t height, char *err, size_t errlen)
{
	struct rec_webm *w = calloc(1, sizeof(*w));
	AVDictionary *opts = NULL;
	int rc;
	if (!w || !width || !height) {
		set_err(err, errlen, "no memory or no picture size", 0);
		free(w);
		return NULL;
	}
	w->last_pts = -1;
	rc = avformat_alloc_output_context2(&w->oc, NULL, "webm", path);
	if (rc < 0 || !(w->pkt = av_packet_alloc()) || !(w->st = avformat_new_stream(w->oc, NULL))) {
		set_err(err, errlen, "muxer", rc);
		free_writer(w);
		return NULL;
	}
	w->oc->flags |= AVFMT_FLAG_BITEXACT | AVFMT_FLAG_FLUSH_PACKETS;
	w->st->time_base = (AVRational){1, 1000};
	w->st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
	w->st->codecpar->codec_id = AV_CODEC_ID_VP8;
	w->st->codecpar->width = width;
	w->st->codecpar->height = height;
	rc = avio_open(&w->oc->pb, path, AVIO_FLAG_WRITE);
	if (rc < 0) {
		set_err(err, errlen, "open", rc);
		free_writer(w);
		return NULL;
	}
	/* A cluster at most every second (and on keyframes), so a crash loses at most the last second. */
	av_dict_set(&opts, "cluster_time_limit", "1000", 0);
	rc = avformat_write_header(w->oc, &opts);
	av_dict_free(&opts);
	if (rc < 0) {
		set_err(err, errlen, "header", rc);
		free_writer(w);
		return NULL;
	}
	avio_flush(w->oc->pb);
	return w;
}

int rec_webm_write(struct rec_webm *w, const uint8_t *frame, size_t len, int64_t pts_ms, bool keyframe)
{
	if (!len || len > INT32_MAX || pts_ms <= w->last_pts)
		return -1;
	if (av_new_packet(w->pkt, (int)len) < 0)
		return -1;
	memcpy(w->pkt->data, frame, len);
	w->pkt->pts = w->pkt->dts = pts_ms;
	w->pkt->stream_index = w->st->index;
	w->pkt->flags = keyframe ? AV_PKT_FLAG_KEY : 0;
	int rc = av_write_frame(w->oc, w->pkt); /* takes the packet's data and resets it */
	av_packet_unref(w->pkt);
	if (rc < 0)
		return -1;
	w->last_pts = pts_ms;
	w->frames++;
	return 0;
}

uint64_t rec_webm_frames(const struct rec_webm *w)
{
	return w->frames;
}

int rec_webm_close(struct rec_webm *w)
{
	if (!w)
		return 0;
	int rc = av_write_trailer(w->oc);
	free_writer(w);
	return rc < 0 ? -1 : 0;
}
