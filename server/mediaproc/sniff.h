/* sniff.h: the type of an upload from its content alone — magic bytes, then a walk of the whole container structure
 * (it must end where the file ends), then a look for another format's signature hidden in it (polyglots). */
#ifndef SAMVAER_MEDIAPROC_SNIFF_H
#define SAMVAER_MEDIAPROC_SNIFF_H

#include <stddef.h>
#include <stdint.h>

#include "server/mediaproc/mediaproc.h"

/*
 * Rules (each refusal is a MEDIAPROC_ERR_* code)
 *   empty                                      MEDIAPROC_ERR_EMPTY
 *   no known magic at offset 0                 MEDIAPROC_ERR_UNSUPPORTED (GIF, PDF, AVIF, Vorbis, Matroska ...)
 *   a segment, chunk, box, page or element that runs past the end of the file     MEDIAPROC_ERR_TRUNCATED
 *   a structure that does not parse (bad lengths, missing required parts)          MEDIAPROC_ERR_CORRUPT
 *   bytes after the container's end (except a Motion Photo's MP4 after a JPEG),
 *   a Matroska attachment, a ZIP end record at the tail, a PDF header in the first KiB or an end-of-file mark in
 *   the last, HTML/SVG/XML markup in the first KiB, "<script" or "<?php" anywhere                MEDIAPROC_ERR_POLYGLOT
 * The walk reads every byte at most once through the source (JPEG's entropy data is scanned for its markers).
 */

enum sniff_type {
	SNIFF_UNKNOWN = 0,
	SNIFF_JPEG,     /* image/jpeg */
	SNIFF_PNG,      /* image/png */
	SNIFF_WEBP,     /* image/webp */
	SNIFF_HEIC,     /* image/heic (ISO-BMFF with a heic/heix/mif1 brand) */
	SNIFF_MP4,      /* video/mp4 (ISO-BMFF with an MP4 brand) */
	SNIFF_MOV,      /* video/quicktime (ISO-BMFF with the qt brand) */
	SNIFF_WEBM,     /* video/webm or audio/webm: EBML with DocType webm (the streams decide) */
	SNIFF_OGG_OPUS, /* audio/ogg: Ogg whose first stream is Opus */
};

struct sniff_result {
	enum sniff_type type;
	const char *mime; /* of the type; "" for SNIFF_UNKNOWN */
	char detail[96];  /* where and why it was refused, for the log */
};

/* Decide the type of src. Returns MEDIAPROC_OK (out->type set) or a MEDIAPROC_ERR_* (out->detail says why). */
int sniff_source(const struct mediaproc_source *src, struct sniff_result *out);
/* The same on bytes in memory (tests, fuzzing). */
int sniff_buffer(const uint8_t *data, size_t len, struct sniff_result *out);

const char *sniff_type_mime(enum sniff_type t);
int sniff_type_is_image(enum sniff_type t);

#endif
