/* rec_ogg.h: an Ogg Opus file writer (RFC 7845) for call recordings: pages reach the file at least every second, so
 * a file cut short by a crash plays up to its last page. */
#ifndef SAMVAER_MEDIA_REC_OGG_H
#define SAMVAER_MEDIA_REC_OGG_H

#include <stddef.h>
#include <stdint.h>

/* Thread rules: one writer per file, used by one thread. */

struct rec_ogg;

/* Start a stream on fd (opened for writing; the writer never closes it): OpusHead (channels, pre_skip samples at
 * 48 kHz) and OpusTags with only the vendor string, each on its own page, written at once. NULL on failure. */
struct rec_ogg *rec_ogg_open(int fd, uint32_t serial, int channels, uint16_t pre_skip);

/* Add one Opus packet (as the encoder produced it). Returns 0, or -1 when the packet is not valid Opus or the write
 * failed. Pages are written once full, and by rec_ogg_flush. */
int rec_ogg_write(struct rec_ogg *w, const uint8_t *packet, size_t len);

/* Write out the packets waiting for a page, all but the last (call about once a second). 0 or -1 on error. */
int rec_ogg_flush(struct rec_ogg *w);

/* Samples (48 kHz) written so far, pre-skip included: the granule position of the last page. */
uint64_t rec_ogg_granule(const struct rec_ogg *w);

/* End the stream with an end-of-stream page and free the writer. 0 or -1 on a write error. */
int rec_ogg_close(struct rec_ogg *w);

#endif
