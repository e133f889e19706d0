/* mediaproc_internal.h: what the processing files share — one function per kind of media and the helpers they use. */
#ifndef SAMVAER_MEDIAPROC_INTERNAL_H
#define SAMVAER_MEDIAPROC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/mediaproc/mediaproc.h"
#include "server/mediaproc/sniff.h"

#define MEDIAPROC_DISPLAY_SIDE 2048 /* photo: longest side of the display size */
#define MEDIAPROC_THUMB_SIDE 320    /* photo, clip: longest side of the thumbnail */
#define MEDIAPROC_PROFILE_SIDE 512  /* profile photo: square */
#define MEDIAPROC_PROFILE_THUMB 128 /* profile photo thumbnail: square */
#define MEDIAPROC_POSTER_SIDE 1280  /* clip: longest side of the poster frame */
#define MEDIAPROC_JPEG_Q 82

/* Fill out->err and out->detail; returns code. */
int mediaproc__fail(struct mediaproc_result *out, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* libvips set up once per process (single-threaded per job, untrusted loaders blocked, no operation cache). */
int mediaproc__vips_init(void);

/* Photo and profile photo from the whole file in memory. */
int mediaproc__photo(const struct mediaproc_job *job, enum sniff_type t, const uint8_t *data, size_t len,
		     const struct mediaproc_limits *lim, struct mediaproc_result *out);
/* An RGB frame (tightly packed, 3 bytes per pixel) -> poster + thumb JPEGs, turned by rotate (0/90/180/270). */
int mediaproc__frame_jpegs(const struct mediaproc_job *job, const uint8_t *rgb, int width, int height, int rotate,
			   struct mediaproc_result *out);
/* Video clip and voice note, read through the source with libavformat. */
int mediaproc__clip(const struct mediaproc_job *job, enum sniff_type t, const struct mediaproc_limits *lim,
		    struct mediaproc_result *out);
int mediaproc__voice(const struct mediaproc_job *job, enum sniff_type t, const struct mediaproc_limits *lim,
		     struct mediaproc_result *out);

#endif
