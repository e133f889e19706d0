/* photo.c: photos with libvips — header check against the pixel limits (decompression bombs), decode with
 * shrink-on-load streamed into the encoder of the display size (auto-rotated, sRGB, every metadata block stripped),
 * and the thumbnail from that display JPEG; and the poster frames of clips (mediaproc__frame_jpegs). */
#include "server/mediaproc/mediaproc_internal.h"

#include <pthread.h>
#include <string.h>
#include <vips/vips.h>

#include "server/mediaproc/blobsink.h"

#define BOMB_RATIO 1000 /* more than this many pixels per byte of file: a decompression bomb, not a big photo */

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static int vips_ok;

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data) {}

static void vips_setup(void)
{
	if (VIPS_INIT("samvaer") != 0)
		return;
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, quiet_log, NULL); /* refusals carry their own detail line */
	vips_concurrency_set(1);        /* one thread per job: the pool's threads are the parallelism */
	vips_cache_set_max(0);          /* nothing kept between jobs */
	vips_block_untrusted_set(TRUE); /* only the loaders libvips trusts with hostile input */
	vips_ok = 1;
}

int mediaproc__vips_init(void)
{
	pthread_once(&vips_once, vips_setup);
	return vips_ok ? 0 : -1;
}

/* libvips' last error as the detail line (and the per-thread buffer cleared). */
static int vips_fail(struct mediaproc_result *out, int code, const char *what)
{
	const char *e = vips_error_buffer();
	mediaproc__fail(out, code, "%s: %.120s", what, e ? e : "");
	vips_error_clear();
	return code;
}

/* im as a JPEG without any metadata (transparent parts on white: JPEG has no alpha), in a g_malloc'd buffer. */
static int encode_jpeg(VipsImage *im, void **buf, size_t *len, struct mediaproc_result *out)
{
	VipsImage *flat = NULL;
	if (vips_image_hasalpha(im)) {
		double white[] = {255, 255, 255};
		VipsArrayDouble *bg = vips_array_double_new(white, 3);
		int rc = vips_flatten(im, &flat, "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (rc)
			return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "flatten");
		im = flat;
	}
	int rc = vips_jpegsave_buffer(im, buf, len, "Q", MEDIAPROC_JPEG_Q, "strip", TRUE, NULL);
	if (flat)
		g_object_unref(flat);
	return rc ? vips_fail(out, MEDIAPROC_ERR_CORRUPT, "decode") : MEDIAPROC_OK;
}

/* A stripped JPEG into the blob store as b. */
static int store_jpeg(const struct mediaproc_job *job, const void *buf, size_t len, struct mediaproc_blob *b,
		      struct mediaproc_result *out)
{
	int rc = blobsink_put(job, buf, len, b->hash);
	if (rc != MEDIAPROC_OK)
		return mediaproc__fail(out, rc, "storing a JPEG");
	snprintf(b->mime, sizeof b->mime, "image/jpeg");
	b->bytes = len;
	return MEDIAPROC_OK;
}

static int save_jpeg(const struct mediaproc_job *job, VipsImage *im, struct mediaproc_blob *b,
		     struct mediaproc_result *out)
{
	void *buf = NULL;
	size_t len = 0;
	int rc = encode_jpeg(im, &buf, &len, out);
	if (rc == MEDIAPROC_OK)
		rc = store_jpeg(job, buf, len, b, out);
	g_free(buf);
	return rc;
}

/* Width and height from the header alone, against max_side and max_pixels; *longest for the JPEG scale, *turn when
 * the orientation tag asks for the pixels to be turned. */
static int check_header(const uint8_t *data, size_t len, const struct mediaproc_limits *lim, int *longest, int *turn,
			struct mediaproc_result *out)
{
	VipsImage *h = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!h)
		return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "header");
	uint64_t w = (uint64_t)vips_image_get_width(h), ht = (uint64_t)vips_image_get_height(h);
	*turn = vips_image_get_orientation(h) > 1;
	g_object_unref(h);
	if (w == 0 || ht == 0)
		return mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "no pixels");
	*longest = (int)(w > ht ? w : ht);
	if (w * ht <= lim->max_pixels && w <= lim->max_side && ht <= lim->max_side)
		return MEDIAPROC_OK;
	int bomb = w * ht / BOMB_RATIO > len;
	return mediaproc__fail(out, bomb ? MEDIAPROC_ERR_BOMB : MEDIAPROC_ERR_TOO_MANY_PIXELS,
			       "%llux%llu pixels in %zu bytes", (unsigned long long)w, (unsigned long long)ht, len);
}

/* The JPEG decoder's own 1/2, 1/4 or 1/8 scale (much less work than a full decode and a resize) for a JPEG whose
 * longest side is `longest`: the smallest that keeps at least `keep` pixels. 1 = decode at full size. */
static int jpeg_scale(int longest, int keep)
{
	int s = 1;
	while (s < 8 && longest / (s * 2) >= keep)
		s *= 2;
	return s;
}

/* 8-bit sRGB or grey with no colour profile to apply, within side: what the display JPEG holds already. */
static int ready_for_jpeg(VipsImage *im, int side)
{
	VipsInterpretation i = vips_image_get_interpretation(im);
	return vips_image_get_format(im) == VIPS_FORMAT_UCHAR &&
	    (i == VIPS_INTERPRETATION_sRGB || i == VIPS_INTERPRETATION_B_W) &&
	    !vips_image_get_typeof(im, VIPS_META_ICC_NAME) && vips_image_get_width(im) <= side &&
	    vips_image_get_height(im) <= side;
}

/* The pipeline of the display size: decoded (a large JPEG at the scale that keeps 3/4 of the display size:
 * 4000x3000 becomes 2000x1500), upright, sRGB, longest side at most side (square-cropped for a profile photo).
 * Nothing is decoded yet: the encoder pulls it through strip by strip, except when the photo must be turned (which
 * needs all of it). */
static VipsImage *display_pipeline(enum sniff_type t, const uint8_t *data, size_t len, int longest, int turn, int side,
				   int square)
{
	/* A JPEG's warnings are common in cameras' files and its structure was walked already; any other decoder's
	 * warning (a damaged zlib or VP8L stream) refuses the file. */
	VipsFailOn fail = t == SNIFF_JPEG ? VIPS_FAIL_ON_ERROR : VIPS_FAIL_ON_WARNING;
	VipsImage *out = NULL;
	int scale = t == SNIFF_JPEG && !square && longest > side ? jpeg_scale(longest, side * 3 / 4) : 1;
	if (scale == 1) {
		if (vips_thumbnail_buffer((void *)data, len, &out, side, "height", side, "size", VIPS_SIZE_DOWN, "crop",
					  square ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE, "fail_on", fail,
					  "option_string", fail == VIPS_FAIL_ON_WARNING ? "fail_on=warning" : "", NULL))
			return NULL;
		return out;
	}
	VipsImage *a = NULL, *up = NULL;
	if (vips_jpegload_buffer((void *)data, len, &a, "shrink", scale, "fail_on", fail, "access",
				 VIPS_ACCESS_SEQUENTIAL, NULL))
		return NULL;
	if (turn) { /* decoded into memory in one sequential pass first (cheaper than the loader's random access) */
		VipsImage *whole = vips_image_copy_memory(a);
		int rc = !whole || vips_autorot(whole, &up, NULL);
		if (whole)
			g_object_unref(whole); /* up holds it */
		if (rc) {
			g_object_unref(a);
			return NULL;
		}
	}
	VipsImage *src = up ? up : a;
	if (ready_for_jpeg(src, side)) { /* nothing to convert or resize: straight to the encoder */
		g_object_ref(src);
		out = src;
	} else if (vips_thumbnail_image(src, &out, side, "height", side, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE,
					NULL)) { /* sRGB from an embedded profile or CMYK; the display size */
		out = NULL;
	}
	if (up)
		g_object_unref(up);
	g_object_unref(a);
	return out;
}

/* The thumbnail, from the display JPEG just made (a few hundred KB, decoded at its own reduced scale): the large
 * original is decoded once only. */
static int make_thumb(const void *disp, size_t len, int longest, int tside, VipsImage **thumb)
{
	VipsImage *small = NULL;
	if (vips_jpegload_buffer((void *)disp, len, &small, "shrink", jpeg_scale(longest, tside), "access",
				 VIPS_ACCESS_SEQUENTIAL, NULL))
		return -1;
	int rc =
	    vips_thumbnail_image(small, thumb, tside, "height", tside, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE, NULL);
	g_object_unref(small);
	return rc;
}

int mediaproc__photo(const struct mediaproc_job *job, enum sniff_type t, const uint8_t *data, size_t len,
		     const struct mediaproc_limits *lim, struct mediaproc_result *out)
{
	if (mediaproc__vips_init() != 0)
		return mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "libvips did not start");
	int longest = 0, turn = 0, rc = check_header(data, len, lim, &longest, &turn, out);
	if (rc != MEDIAPROC_OK)
		return rc;
	int profile = job->kind == MEDIAPROC_PROFILE_PHOTO;
	VipsImage *disp = display_pipeline(t, data, len, longest, turn,
					   profile ? MEDIAPROC_PROFILE_SIDE : MEDIAPROC_DISPLAY_SIDE, profile);
	if (!disp)
		return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "decode");
	void *buf = NULL;
	size_t blen = 0;
	rc = encode_jpeg(disp, &buf, &blen, out); /* the decode happens here */
	out->width = (uint32_t)vips_image_get_width(disp);
	out->height = (uint32_t)vips_image_get_height(disp);
	g_object_unref(disp);
	VipsImage *thumb = NULL;
	int dlong = (int)(out->width > out->height ? out->width : out->height);
	if (rc == MEDIAPROC_OK &&
	    make_thumb(buf, blen, dlong, profile ? MEDIAPROC_PROFILE_THUMB : MEDIAPROC_THUMB_SIDE, &thumb))
		rc = vips_fail(out, MEDIAPROC_ERR_CORRUPT, "thumbnail");
	if (rc == MEDIAPROC_OK)
		rc = store_jpeg(job, buf, blen, &out->media, out);
	if (rc == MEDIAPROC_OK)
		rc = save_jpeg(job, thumb, &out->thumb, out);
	if (thumb)
		g_object_unref(thumb);
	g_free(buf);
	return rc;
}

int mediaproc__frame_jpegs(const struct mediaproc_job *job, const uint8_t *rgb, int width, int height, int rotate,
			   struct mediaproc_result *out)
{
	if (mediaproc__vips_init() != 0)
		return mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "libvips did not start");
	VipsImage *im =
	    vips_image_new_from_memory(rgb, (size_t)width * height * 3, width, height, 3, VIPS_FORMAT_UCHAR);
	if (!im)
		return vips_fail(out, MEDIAPROC_ERR_INTERNAL, "frame");
	VipsImage *turned = NULL, *poster = NULL, *thumb = NULL;
	VipsAngle a = rotate == 90 ? VIPS_ANGLE_D90
	    : rotate == 180        ? VIPS_ANGLE_D180
	    : rotate == 270        ? VIPS_ANGLE_D270
				   : VIPS_ANGLE_D0;
	int rc = MEDIAPROC_OK;
	if (vips_rot(im, &turned, a, NULL) ||
	    vips_thumbnail_image(turned, &poster, MEDIAPROC_POSTER_SIDE, "height", MEDIAPROC_POSTER_SIDE, "size",
				 VIPS_SIZE_DOWN, NULL) ||
	    vips_thumbnail_image(turned, &thumb, MEDIAPROC_THUMB_SIDE, "height", MEDIAPROC_THUMB_SIDE, "size",
				 VIPS_SIZE_DOWN, NULL))
		rc = vips_fail(out, MEDIAPROC_ERR_INTERNAL, "poster");
	if (rc == MEDIAPROC_OK)
		rc = save_jpeg(job, poster, &out->poster, out);
	if (rc == MEDIAPROC_OK)
		rc = save_jpeg(job, thumb, &out->thumb, out);
	if (thumb)
		g_object_unref(thumb);
	if (poster)
		g_object_unref(poster);
	if (turned)
		g_object_unref(turned);
	g_object_unref(im);
	return rc;
}
