/* test_mediaproc_sniff.c: server/mediaproc/sniff.c on hand-built containers — each type recognised from its bytes
 * alone, and each way of being cut short, malformed, or something else as well, refused with its code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "server/mediaproc/sniff.h"

struct buf {
	uint8_t d[4096];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void put_be32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	put(b, x, 4);
}

/* SOI, APP0, a frame header, a scan header, entropy bytes with a stuffed 0xFF00 and a restart marker, EOI. */
static void jpeg(struct buf *b)
{
	static const uint8_t j[] = {
	    0xFF, 0xD8,                                                          /* SOI */
	    0xFF, 0xE0, 0x00, 0x07, 'J',  'F',  'I',  'F',  0x00,                /* APP0, length 7 */
	    0xFF, 0xC0, 0x00, 0x0B, 8,    0,    16,   0,    16,   1, 1, 0x11, 0, /* SOF0 16x16, one component */
	    0xFF, 0xDA, 0x00, 0x08, 1,    1,    0,    0,    63,   0,             /* SOS */
	    0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD0, 0x78, 0x9A,                /* entropy data, 0xFF00, RST0 */
	    0xFF, 0xD9,                                                          /* EOI */
	};
	b->n = 0;
	put(b, j, sizeof j);
}

static void png(struct buf *b)
{
	b->n = 0;
	put(b, "\x89PNG\r\n\x1a\n", 8);
	put_be32(b, 13);
	put(b, "IHDR\0\0\0\x10\0\0\0\x10\x08\x00\x00\x00\x00", 17);
	put_be32(b, 0); /* crc: not the sniffer's business */
	put_be32(b, 2);
	put(b, "IDATxx", 6);
	put_be32(b, 0);
	put_be32(b, 0);
	put(b, "IEND", 4);
	put_be32(b, 0);
}

static void webp(struct buf *b)
{
	b->n = 0;
	put(b, "RIFF\x16\0\0\0WEBPVP8L\x0a\0\0\0", 20);
	put(b, "0123456789", 10);
}

static void box(struct buf *b, const char *type, const void *body, uint32_t n)
{
	put_be32(b, 8 + n);
	put(b, type, 4);
	put(b, body, n);
}

static void mp4(struct buf *b, const char *brand)
{
	b->n = 0;
	char ftyp[16];
	memcpy(ftyp, brand, 4);
	memcpy(ftyp + 4, "\0\0\0\0isommp41", 12);
	box(b, "ftyp", ftyp, 16);
	box(b, "moov", "moovdata", 8);
	box(b, "mdat", "mediadatamediadata", 18);
}

static void heic(struct buf *b)
{
	b->n = 0;
	box(b, "ftyp", "heic\0\0\0\0mif1heic", 16);
	box(b, "meta", "metadata", 8);
	box(b, "mdat", "pixels", 6);
}

/* EBML header (DocType webm), a Segment of known or unknown size, Tracks and one Cluster with a SimpleBlock. */
static void webm(struct buf *b, int unknown_size)
{
	static const uint8_t head[] = {0x1A, 0x45, 0xDF, 0xA3, 0x87, 0x42, 0x82, 0x84, 'w', 'e', 'b', 'm'};
	static const uint8_t body[] = {
	    0x16, 0x54, 0xAE, 0x6B, 0x82, 0xAE, 0x80, /* Tracks { TrackEntry {} } */
	    0x1F, 0x43, 0xB6, 0x75, 0x88,             /* Cluster, 8 bytes */
	    0xE7, 0x81, 0x00,                         /* Timestamp 0 */
	    0xA3, 0x83, 0x81, 0x00, 0x00,             /* SimpleBlock, 3 bytes */
	};
	b->n = 0;
	put(b, head, sizeof head);
	put(b, "\x18\x53\x80\x67", 4);
	uint8_t sz = (uint8_t)(0x80 | sizeof body);
	if (unknown_size)
		put(b, "\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8);
	else
		put(b, &sz, 1);
	put(b, body, sizeof body);
}

static void ogg_page(struct buf *b, const char *body, uint8_t len, uint8_t flags)
{
	uint8_t h[27] = {'O', 'g', 'g', 'S', 0, flags};
	h[26] = 1;
	put(b, h, 27);
	put(b, &len, 1);
	put(b, body, len);
}

static void ogg(struct buf *b, const char *head)
{
	b->n = 0;
	ogg_page(b, head, 19, 2);
	ogg_page(b, "OpusTags\0\0\0\0\0\0\0\0", 16, 0);
	ogg_page(b, "\xf8\xff\xfe", 3, 4);
}

static int sniff(const struct buf *b, enum sniff_type *t)
{
	struct sniff_result r;
	int rc = sniff_buffer(b->d, b->n, &r);
	*t = r.type;
	if (rc != MEDIAPROC_OK && getenv("TEST_VERBOSE"))
		fprintf(stderr, "  %s: %s\n", mediaproc_err_code(rc), r.detail);
	return rc;
}

static void expect(struct buf *b, int want_rc, enum sniff_type want_t, const char *name)
{
	enum sniff_type t;
	int rc = sniff(b, &t);
	CHECK(rc == want_rc && (rc != MEDIAPROC_OK || t == want_t), name);
}

int main(void)
{
	struct buf b;
	jpeg(&b);
	expect(&b, MEDIAPROC_OK, SNIFF_JPEG, "JPEG through its scan (stuffed byte, restart marker) to EOI");
	b.n -= 2;
	expect(&b, MEDIAPROC_ERR_TRUNCATED, 0, "JPEG without EOI: truncated");
	jpeg(&b);
	b.n = 16;
	expect(&b, MEDIAPROC_ERR_TRUNCATED, 0, "JPEG cut inside the frame header");
	jpeg(&b);
	put(&b, "PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
	expect(&b, MEDIAPROC_ERR_POLYGLOT, 0, "JPEG + ZIP end record: polyglot");
	jpeg(&b);
	b.d[3] = 0xE1;
	b.d[4] = 0x00;
	b.d[5] = 0x01;
	expect(&b, MEDIAPROC_ERR_CORRUPT, 0, "JPEG segment length 1: corrupt");
	jpeg(&b);
	memcpy(b.d + 6, "<svg", 4);
	expect(&b, MEDIAPROC_ERR_POLYGLOT, 0, "markup in the first KiB: polyglot");
	jpeg(&b);
	memcpy(b.d + 4, "\x00\x07<?PhP", 7);
	expect(&b, MEDIAPROC_ERR_POLYGLOT, 0, "<?php in any case: polyglot");

	png(&b);
	expect(&b, MEDIAPROC_OK, SNIFF_PNG, "PNG chunks to IEND");
	b.n -= 6;
	expect(&b, MEDIAPROC_ERR_TRUNCATED, 0, "PNG cut in IEND");
	png(&b);
	put(&b, "trailing", 8);
	expect(&b, MEDIAPROC_ERR_POLYGLOT, 0, "bytes after IEND: polyglot");
	png(&b);
	memcpy(b.d + 12, "IDAT", 4);
	expect(&b, MEDIAPROC_ERR_CORRUPT, 0, "PNG not starting with IHDR");

	webp(&b);
	expect(&b, MEDIAPROC_OK, SNIFF_WEBP, "WebP RIFF size matches");
	b.n -= 3;
	expect(&b, MEDIAPROC_ERR_TRUNCATED, 0, "WebP shorter than its RIFF size");

	mp4(&b, "isom");
	expect(&b, MEDIAPROC_OK, SNIFF_MP4, "MP4 by its isom brand");
	mp4(&b, "qt  ");
	expect(&b, MEDIAPROC_OK, SNIFF_MOV, "QuickTime by its qt brand");
	mp4(&b, "avif");
	b.d[16] = 'x'; /* no mp4 brand among the compatible ones either */
	memcpy(b.d + 16, "avifmif1", 8);
	expect(&b, MEDIAPROC_ERR_UNSUPPORTED, 0, "AVIF is not taken");
	mp4(&b, "isom");
	b.n -= 5;
	expect(&b, MEDIAPROC_ERR_TRUNCATED, 0, "mdat runs past the end");
	mp4(&b, "isom");
	memcpy(b.d + 28, "free", 4);
	expect(&b, MEDIAPROC_ERR_CORRUPT, 0, "MP4 without moov");
	heic(&b);
	expect(&b, MEDIAPROC_OK, SNIFF_HEIC, "HEIC by its heic brand");

	webm(&b, 0);
	expect(&b, MEDIAPROC_OK, SNIFF_WEBM, "WebM with a sized segment");
	webm(&b, 1);
	expect(&b, MEDIAPROC_OK, SNIFF_WEBM, "WebM with an unknown-size segment (MediaRecorder)");
	webm(&b, 0);
	b.n -= 2;
	expect(&b, MEDIAPROC_ERR_TRUNCATED, 0, "WebM segment cut short");
	webm(&b, 0);
	memcpy(b.d + 8, "mkv!", 4);
	expect(&b, MEDIAPROC_ERR_UNSUPPORTED, 0, "Matroska that is not WebM");

	ogg(&b, "OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0");
	expect(&b, MEDIAPROC_OK, SNIFF_OGG_OPUS, "Ogg Opus pages back to back");
	b.n -= 1;
	expect(&b, MEDIAPROC_ERR_TRUNCATED, 0, "last Ogg page cut short");
	ogg(&b, "\x01vorbis\0\0\0\0\0\0\0\0\0\0\0\0");
	expect(&b, MEDIAPROC_ERR_UNSUPPORTED, 0, "Ogg Vorbis is not a voice note");
	ogg(&b, "OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0");
	put(&b, "GIF89a", 6);
	expect(&b, MEDIAPROC_ERR_POLYGLOT, 0, "something else after the last Ogg page");

	b.n = 0;
	put(&b, "GIF89a\x01\0\x01\0\0\0\0;", 14);
	expect(&b, MEDIAPROC_ERR_UNSUPPORTED, 0, "GIF is not taken");
	b.n = 0;
	expect(&b, MEDIAPROC_ERR_EMPTY, 0, "empty");
	b.n = 0;
	put(&b, "%PDF-1.7\n", 9);
	expect(&b, MEDIAPROC_ERR_UNSUPPORTED, 0, "a PDF is not media");
	return check_done("mediaproc_sniff");
}
