/* av.c: libavformat over a mediaproc source: reads through the pread callback, the demuxer chosen from the sniffed
 * type, and a remux of the kept streams to a new file with no metadata (no tags, chapters, creation time, location,
 * encoder name or data tracks: only the codec parameters and the rotation of the video are carried over). */
#include "server/mediaproc/av.h"

#include <libavutil/display.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/mediaproc/blobsink.h"

#define IO_BUF 65536

const char *mpav_errtext(int averr, char *buf, size_t cap)
{
	av_strerror(averr, buf, cap);
	return buf;
}

static int io_read(void *opaque, uint8_t *buf, int size)
{
	struct mpav_in *in = opaque;
	if (in->pos >= in->src->size)
		return AVERROR_EOF;
	ssize_t k = in->src->pread(in->src->ctx, buf, (size_t)size, in->pos);
	if (k < 0)
		return AVERROR(EIO);
	if (k == 0)
		return AVERROR_EOF;
	in->pos += (uint64_t)k;
	return (int)k;
}

static int64_t io_seek(void *opaque, int64_t off, int whence)
{
	struct mpav_in *in = opaque;
	int64_t base = 0;
	switch (whence & ~AVSEEK_FORCE) {
	case AVSEEK_SIZE: return (int64_t)in->src->size;
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)in->pos; break;
	case SEEK_END: base = (int64_t)in->src->size; break;
	default: return AVERROR(EINVAL);
	}
	if (base + off < 0)
		return AVERROR(EINVAL);
	in->pos = (uint64_t)(base + off);
	return base + off;
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void quiet(void)
{
	av_log_set_level(AV_LOG_QUIET); /* refusals come back as codes with a detail line; nothing on stderr */
}

int mpav_in_open(struct mpav_in *in, const struct mediaproc_source *src, enum sniff_type t,
		 struct mediaproc_result *out)
{
	char e[128];
	pthread_once(&quiet_once, quiet);
	memset(in, 0, sizeof *in);
	in->src = src;
	const char *demuxer = t == SNIFF_OGG_OPUS ? "ogg" : t == SNIFF_WEBM ? "matroska" : "mov";
	const AVInputFormat *ifmt = av_find_input_format(demuxer);
	uint8_t *buf = av_malloc(IO_BUF);
	in->fmt = avformat_alloc_context();
	in->io = buf ? avio_alloc_context(buf, IO_BUF, 0, in, io_read, NULL, io_seek) : NULL;
	if (!ifmt || !in->fmt || !in->io) {
		if (!in->io)
			av_free(buf);
		mpav_in_close(in);
		return mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "libavformat setup");
	}
	in->fmt->pb = in->io;
	in->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
	AVDictionary *opts = NULL;
	av_dict_set(&opts, "protocol_whitelist", "none", 0); /* never open another file or URL (QuickTime drefs) */
	int rc = avformat_open_input(&in->fmt, NULL, ifmt, &opts);
	av_dict_free(&opts);
	if (rc < 0) {
		in->fmt = NULL; /* freed by avformat_open_input */
		mpav_in_close(in);
		return mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "open: %s", mpav_errtext(rc, e, sizeof e));
	}
	return MEDIAPROC_OK;
}

void mpav_in_close(struct mpav_in *in)
{
	if (in->fmt)
		avformat_close_input(&in->fmt);
	if (in->io) {
		av_freep(&in->io->buffer);
		avio_context_free(&in->io);
	}
}

/* The new stream: codec parameters and the video's rotation, nothing else (codec_tag 0: the muxer picks). */
static int add_stream(AVFormatContext *o, const AVStream *is)
{
	AVStream *os = avformat_new_stream(o, NULL);
	if (!os || avcodec_parameters_copy(os->codecpar, is->codecpar) < 0)
		return -1;
	os->codecpar->codec_tag = 0;
	os->time_base = is->time_base;
	size_t sz = 0;
	const uint8_t *m = av_stream_get_side_data(is, AV_PKT_DATA_DISPLAYMATRIX, &sz);
	if (m && sz >= 9 * sizeof(int32_t)) {
		uint8_t *d = av_stream_new_side_data(os, AV_PKT_DATA_DISPLAYMATRIX, sz);
		if (!d)
			return -1;
		memcpy(d, m, sz);
	}
	return 0;
}

struct span {
	int64_t first, last; /* in ms; first = INT64_MAX until a packet is seen */
};

static int write_packets(struct mpav_in *in, AVFormatContext *o, const struct mpav_remux *r, struct span *sp,
			 struct mediaproc_result *out)
{
	char e[128];
	AVPacket *pkt = av_packet_alloc();
	if (!pkt)
		return mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "out of memory");
	int rc = MEDIAPROC_OK, k;
	while (rc == MEDIAPROC_OK && (k = av_read_frame(in->fmt, pkt)) >= 0) {
		int oi = pkt->stream_index == r->streams[0] ? 0 : pkt->stream_index == r->streams[1] ? 1 : -1;
		if (oi < 0) {
			av_packet_unref(pkt);
			continue;
		}
		AVRational tb = in->fmt->streams[pkt->stream_index]->time_base;
		int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
		if (ts != AV_NOPTS_VALUE) {
			int64_t a = av_rescale_q(ts, tb, (AVRational){1, 1000});
			int64_t b =
			    av_rescale_q(ts + (pkt->duration > 0 ? pkt->duration : 0), tb, (AVRational){1, 1000});
			sp[oi].first = a < sp[oi].first ? a : sp[oi].first;
			sp[oi].last = b > sp[oi].last ? b : sp[oi].last;
			if (sp[oi].last - sp[oi].first > (int64_t)r->max_duration_ms)
				rc = mediaproc__fail(out, MEDIAPROC_ERR_TOO_LONG, "longer than %u ms",
						     r->max_duration_ms);
		}
		if (rc == MEDIAPROC_OK && r->on_packet)
			rc = r->on_packet(r->arg, pkt, oi);
		if (rc == MEDIAPROC_OK) {
			av_packet_rescale_ts(pkt, tb, o->streams[oi]->time_base);
			pkt->stream_index = oi;
			pkt->pos = -1;
			if ((k = av_interleaved_write_frame(o, pkt)) < 0)
				rc = mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "write: %s",
						     mpav_errtext(k, e, sizeof e));
		}
		av_packet_unref(pkt);
	}
	if (rc == MEDIAPROC_OK && k != AVERROR_EOF)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "read: %s", mpav_errtext(k, e, sizeof e));
	av_packet_free(&pkt);
	return rc;
}

static int64_t span_ms(const struct span *sp, int n)
{
	int64_t d = 0;
	for (int i = 0; i < n; i++)
		if (sp[i].first != INT64_MAX && sp[i].last - sp[i].first > d)
			d = sp[i].last - sp[i].first;
	return d;
}

int mpav_remux(struct mpav_in *in, const struct mpav_remux *r, const struct mediaproc_job *job,
	       struct mediaproc_result *out)
{
	char tmp[600], e[128];
	if (blobsink_tmp_path(job->blob_root, tmp, sizeof tmp) != 0)
		return mediaproc__fail(out, MEDIAPROC_ERR_STORE, "temporary file");
	AVFormatContext *o = NULL;
	int rc = MEDIAPROC_OK, k, n = 0;
	if (avformat_alloc_output_context2(&o, NULL, r->muxer, tmp) < 0 || !o) {
		unlink(tmp);
		return mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "muxer %s", r->muxer);
	}
	o->flags |= AVFMT_FLAG_BITEXACT; /* no encoder name or version written */
	for (; n < 2 && r->streams[n] >= 0; n++)
		if (add_stream(o, in->fmt->streams[r->streams[n]]) != 0)
			rc = mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "stream setup");
	AVDictionary *opts = NULL;
	if (!strcmp(r->muxer, "mp4"))
		av_dict_set(&opts, "movflags", "+faststart",
			    0); /* moov first: playback starts before the end arrives */
	if (rc == MEDIAPROC_OK && (k = avio_open(&o->pb, tmp, AVIO_FLAG_WRITE)) < 0)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_STORE, "open output: %s", mpav_errtext(k, e, sizeof e));
	if (rc == MEDIAPROC_OK && (k = avformat_write_header(o, &opts)) < 0)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_CODEC, "header: %s", mpav_errtext(k, e, sizeof e));
	av_dict_free(&opts);
	struct span sp[2] = {{INT64_MAX, INT64_MIN}, {INT64_MAX, INT64_MIN}};
	if (rc == MEDIAPROC_OK)
		rc = write_packets(in, o, r, sp, out);
	if (rc == MEDIAPROC_OK && (k = av_write_trailer(o)) < 0)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "trailer: %s", mpav_errtext(k, e, sizeof e));
	if (o->pb)
		avio_closep(&o->pb);
	avformat_free_context(o);
	int64_t d = span_ms(sp, n);
	if (rc == MEDIAPROC_OK && d <= 0)
		rc = mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "no timed media");
	if (rc != MEDIAPROC_OK) {
		unlink(tmp);
		return rc;
	}
	out->duration_ms = (uint32_t)d;
	if ((rc = blobsink_adopt(job->blob_root, job->quota_owner, tmp, out->media.hash, &out->media.bytes)) != 0)
		return mediaproc__fail(out, rc, "storing the media");
	snprintf(out->media.mime, sizeof out->media.mime, "%s", r->mime);
	return MEDIAPROC_OK;
}
