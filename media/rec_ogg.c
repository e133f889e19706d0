/* rec_ogg.c: Ogg Opus writing on libogg: identification and comment headers (RFC 7845 §5), granule positions in
 * 48 kHz samples, pages written straight to the file descriptor. */
#include "media/rec_ogg.h"

#include <errno.h>
#include <ogg/ogg.h>
#include <opus/opus.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VENDOR "samvaer"
#define OPUS_PACKET_MAX (1275 * 3 + 7)

struct rec_ogg {
	int fd;
	ogg_stream_state os;
	int64_t packetno;
	uint64_t granule;                       /* samples up to and including the pending packet */
	unsigned char pending[OPUS_PACKET_MAX]; /* the last packet, held back so close can flag it end-of-stream */
	size_t pending_len;
};

static int write_all(int fd, const unsigned char *p, long len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, (size_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static int write_page(struct rec_ogg *w, const ogg_page *pg)
{
	return write_all(w->fd, pg->header, pg->header_len) || write_all(w->fd, pg->body, pg->body_len) ? -1 : 0;
}

static int pages_out(struct rec_ogg *w, int flush)
{
	ogg_page pg;
	while (flush ? ogg_stream_flush(&w->os, &pg) : ogg_stream_pageout(&w->os, &pg))
		if (write_page(w, &pg))
			return -1;
	return 0;
}

static int put_packet(struct rec_ogg *w, unsigned char *data, long len, int bos, int eos)
{
	ogg_packet op = {.packet = data,
			 .bytes = len,
			 .b_o_s = bos,
			 .e_o_s = eos,
			 .granulepos = (ogg_int64_t)w->granule,
			 .packetno = w->packetno++};
	return ogg_stream_packetin(&w->os, &op) ? -1 : 0;
}

static void le16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void le32(unsigned char *p, uint32_t v)
{
	le16(p, v & 0xffff);
	le16(p + 2, v >> 16);
}

struct rec_ogg *rec_ogg_open(int fd, uint32_t serial, int channels, uint16_t pre_skip)
{
	if (channels < 1 || channels > 2)
		return NULL;
	struct rec_ogg *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->fd = fd;
	if (ogg_stream_init(&w->os, (int)serial)) {
		free(w);
		return NULL;
	}
	/* OpusHead: version 1, channels, pre-skip, the input rate (informational), gain 0, mapping family 0. */
	unsigned char head[19] = "OpusHead";
	head[8] = 1;
	head[9] = (unsigned char)channels;
	le16(head + 10, pre_skip);
	le32(head + 12, 48000);
	le16(head + 16, 0);
	head[18] = 0;
	/* OpusTags: the vendor string and no user comments (nothing about the call goes into the file). */
	unsigned char tags[8 + 4 + sizeof(VENDOR) - 1 + 4];
	memcpy(tags, "OpusTags", 8);
	le32(tags + 8, sizeof(VENDOR) - 1);
	memcpy(tags + 12, VENDOR, sizeof(VENDOR) - 1);
	le32(tags + 12 + sizeof(VENDOR) - 1, 0);
	w->granule = 0;
	if (put_packet(w, head, sizeof(head), 1, 0) || pages_out(w, 1) || put_packet(w, tags, sizeof(tags), 0, 0) ||
	    pages_out(w, 1)) {
		ogg_stream_clear(&w->os);
		free(w);
		return NULL;
	}
	w->granule = pre_skip;
	return w;
}

/* Hand the held-back packet to libogg, flagged end-of-stream when eos. */
static int put_pending(struct rec_ogg *w, int eos)
{
	if (!w->pending_len)
		return 0;
	int rc = put_packet(w, w->pending, (long)w->pending_len, 0, eos);
	w->pending_len = 0;
	return rc;
}

int rec_ogg_write(struct rec_ogg *w, const uint8_t *packet, size_t len)
{
	int samples = len && len <= OPUS_PACKET_MAX ? opus_packet_get_nb_samples(packet, (opus_int32)len, 48000) : -1;
	if (samples <= 0)
		return -1;
	if (put_pending(w, 0) || pages_out(w, 0))
		return -1;
	w->granule += (uint64_t)samples;
	memcpy(w->pending, packet, len);
	w->pending_len = len;
	return 0;
}

int rec_ogg_flush(struct rec_ogg *w)
{
	return pages_out(w, 1); /* the held-back packet (20 ms) stays for the end-of-stream flag */
}

uint64_t rec_ogg_granule(const struct rec_ogg *w)
{
	return w->granule;
}

int rec_ogg_close(struct rec_ogg *w)
{
	if (!w)
		return 0;
	/* RFC 7845 §4: the last page carries the end-of-stream flag, so the last packet was held back for it. A stream
	 * closed with no audio at all ends on its header pages. */
	int rc = put_pending(w, 1) || pages_out(w, 1) ? -1 : 0;
	ogg_stream_clear(&w->os);
	free(w);
	return rc;
}
