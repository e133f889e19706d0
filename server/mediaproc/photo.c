/* photo.c: photos with libvips — header check against the pixel limits (decompression bombs), decode with
 * shrink-on-load, auto-rotation, sRGB, a display size and a thumbnail saved as JPEG with every metadata block
 * stripped; and the poster frames of clips (mediaproc__frame_jpegs). */
#include "server/mediaproc/mediaproc_internal.h"

#include <pthread.h>
#include <string.h>
#include <vips/vips.h>

#include "server/mediaproc/blobsink.h"

#define BOMB_RATIO 1000 /* more than this many pixels per byte of file: a decompression bomb, not a big photo */

static pthread_once_t vips_once = PTHREAD_ONCE_INIT;
static int vips_ok;

static void vips_setup(void)
{
	if (VIPS_INIT("samvaer") != 0)
		return;
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

static int save_jpeg(const struct mediaproc_job *job, VipsImage *im, struct mediaproc_blob *b,
		     struct mediaproc_result *out)
{
	VipsImage *flat = NULL;
	if (vips_image_hasalpha(im)) { /* transparent parts on white: JPEG has no alpha */
		double white[] = {255, 255, 255};
		VipsArrayDouble *bg = vips_array_double_new(white, 3);
		int rc = vips_flatten(im, &flat, "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (rc)
			return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "flatten");
		im = flat;
	}
	void *buf = NULL;
	size_t len = 0;
	int rc = vips_jpegsave_buffer(im, &buf, &len, "Q", MEDIAPROC_JPEG_Q, "strip", TRUE, NULL);
	if (flat)
		g_object_unref(flat);
	if (rc)
		return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "decode");
	rc = blobsink_put(job->blob_root, job->quota_owner, buf, len, b->hash);
	g_free(buf);
	if (rc != MEDIAPROC_OK)
		return mediaproc__fail(out, rc, "storing a JPEG");
	snprintf(b->mime, sizeof b->mime, "image/jpeg");
	b->bytes = len;
	return MEDIAPROC_OK;
}

/* Width and height from the header alone, against max_side and max_pixels. */
static int check_header(const uint8_t *data, size_t len, const struct mediaproc_limits *lim,
			struct mediaproc_result *out)
{
	VipsImage *h = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!h)
		return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "header");
	uint64_t w = (uint64_t)vips_image_get_width(h), ht = (uint64_t)vips_image_get_height(h);
	g_object_unref(h);
	if (w == 0 || ht == 0)
		return mediaproc__fail(out, MEDIAPROC_ERR_CORRUPT, "no pixels");
	if (w * ht <= lim->max_pixels && w <= lim->max_side && ht <= lim->max_side)
		return MEDIAPROC_OK;
	int bomb = w * ht / BOMB_RATIO > len;
	return mediaproc__fail(out, bomb ? MEDIAPROC_ERR_BOMB : MEDIAPROC_ERR_TOO_MANY_PIXELS,
			       "%llux%llu pixels in %zu bytes", (unsigned long long)w, (unsigned long long)ht, len);
}

int mediaproc__photo(const struct mediaproc_job *job, enum sniff_type t, const uint8_t *data, size_t len,
		     const struct mediaproc_limits *lim, struct mediaproc_result *out)
{
	if (mediaproc__vips_init() != 0)
		return mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "libvips did not start");
	int rc = check_header(data, len, lim, out);
	if (rc != MEDIAPROC_OK)
		return rc;
	int profile = job->kind == MEDIAPROC_PROFILE_PHOTO;
	int side = profile ? MEDIAPROC_PROFILE_SIDE : MEDIAPROC_DISPLAY_SIDE;
	VipsImage *lazy = NULL, *disp = NULL, *thumb = NULL;
	/* Shrink-on-load, auto-rotation from the orientation tag, sRGB from an embedded profile or CMYK. */
	if (vips_thumbnail_buffer((void *)data, len, &lazy, side, "height", side, "size", VIPS_SIZE_DOWN, "crop",
				  profile ? VIPS_INTERESTING_CENTRE : VIPS_INTERESTING_NONE, "fail_on",
				  VIPS_FAIL_ON_ERROR, NULL))
		return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "decode");
	disp = vips_image_copy_memory(lazy); /* decoded once: the thumbnail is made from it */
	g_object_unref(lazy);
	if (!disp)
		return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "decode");
	int tside = profile ? MEDIAPROC_PROFILE_THUMB : MEDIAPROC_THUMB_SIDE;
	if (vips_thumbnail_image(disp, &thumb, tside, "height", tside, "size", VIPS_SIZE_DOWN, "no_rotate", TRUE,
				 NULL)) {
		g_object_unref(disp);
		return vips_fail(out, MEDIAPROC_ERR_CORRUPT, "thumbnail");
	}
	out->width = (uint32_t)vips_image_get_width(disp);
	out->height = (uint32_t)vips_image_get_height(disp);
	rc = save_jpeg(job, disp, &out->media, out);
	if (rc == MEDIAPROC_OK)
		rc = save_jpeg(job, thumb, &out->thumb, out);
	g_object_unref(thumb);
	g_object_unref(disp);
	(void)t;
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
