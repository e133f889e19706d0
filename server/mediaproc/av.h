/* av.h: libavformat over a mediaproc source — the demuxer picked by the sniffed type (never probed), and a remux of
 * chosen streams into a new file with no metadata at all (shared by clips and voice notes). */
#ifndef SAMVAER_MEDIAPROC_AV_H
#define SAMVAER_MEDIAPROC_AV_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "server/mediaproc/mediaproc_internal.h"

struct mpav_in {
	AVFormatContext *fmt;
	AVIOContext *io;
	const struct mediaproc_source *src;
	uint64_t pos;
};

/* Open src with the demuxer for t (mov for MP4/QuickTime, matroska for WebM, ogg for Ogg). MEDIAPROC_OK or
 * MEDIAPROC_ERR_CORRUPT with out->detail. */
int mpav_in_open(struct mpav_in *in, const struct mediaproc_source *src, enum sniff_type t,
		 struct mediaproc_result *out);
void mpav_in_close(struct mpav_in *in);

/* Called for every packet of a kept stream before it is written (its input time base); nonzero stops the remux
 * with that code. */
typedef int (*mpav_packet_cb)(void *arg, const AVPacket *pkt, int out_index);

struct mpav_remux {
	const char *muxer;        /* "mp4", "webm", "ogg" */
	const char *mime;         /* of the output */
	int streams[2];           /* input stream indexes to keep (-1: none) */
	uint32_t max_duration_ms; /* MEDIAPROC_ERR_TOO_LONG past this */
	mpav_packet_cb on_packet; /* NULL: none */
	void *arg;
};

/* Remux into the blob store: out->media set, out->duration_ms from the packets' timestamps. */
int mpav_remux(struct mpav_in *in, const struct mpav_remux *r, const struct mediaproc_job *job,
	       struct mediaproc_result *out);

/* "error text" of an AVERROR. */
const char *mpav_errtext(int averr, char *buf, size_t cap);

#endif
