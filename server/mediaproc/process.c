/* process.c: one job from start to end on the calling thread — limits, type from content, the kind's processing;
 * plus the error, kind and limit tables of mediaproc.h. */
#include "server/mediaproc/mediaproc_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct err_row {
	int val;
	const char *code;
	int status;
	const char *msg;
};

static const struct err_row errs[] = {
#define MEDIAPROC_X_ROW(name, val, code, status, msg) {val, code, status, msg},
    MEDIAPROC_ERRORS(MEDIAPROC_X_ROW)
#undef MEDIAPROC_X_ROW
};

static const struct err_row *err_row(int err)
{
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].val == err)
			return &errs[i];
	return &errs[-MEDIAPROC_ERR_INTERNAL];
}

const char *mediaproc_err_code(int err)
{
	return err_row(err)->code;
}

const char *mediaproc_err_message(int err)
{
	return err_row(err)->msg;
}

int mediaproc_err_status(int err)
{
	return err_row(err)->status;
}

static const char *const kind_names[MEDIAPROC_KIND_COUNT] = {
    [MEDIAPROC_PHOTO] = "photo",
    [MEDIAPROC_VIDEO_CLIP] = "video_clip",
    [MEDIAPROC_VOICE_NOTE] = "voice_note",
    [MEDIAPROC_PROFILE_PHOTO] = "profile_photo",
};

const char *mediaproc_kind_name(enum mediaproc_kind k)
{
	return (int)k > 0 && (int)k < MEDIAPROC_KIND_COUNT ? kind_names[k] : NULL;
}

enum mediaproc_kind mediaproc_kind_parse(const char *name)
{
	for (int k = 1; name && k < MEDIAPROC_KIND_COUNT; k++)
		if (!strcmp(name, kind_names[k]))
			return (enum mediaproc_kind)k;
	return 0;
}

void mediaproc_limits_default(struct mediaproc_limits *l)
{
	static const uint64_t bytes[MEDIAPROC_KIND_COUNT] = {0, 25u << 20, 200u << 20, 20u << 20, 25u << 20};
	static const uint32_t ms[MEDIAPROC_KIND_COUNT] = {0, 0, 180000, 300000, 0};
	for (int k = 1; k < MEDIAPROC_KIND_COUNT; k++) {
		if (!l->max_bytes[k])
			l->max_bytes[k] = bytes[k];
		if (!l->max_duration_ms[k])
			l->max_duration_ms[k] = ms[k];
	}
	if (!l->max_pixels)
		l->max_pixels = 50000000;
	if (!l->max_side)
		l->max_side = 16384;
}

int mediaproc__fail(struct mediaproc_result *out, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
	out->err = code;
	return code;
}

/* The kinds a content type may be sent as (the streams of a WebM decide between clip and voice note later). */
static int kind_accepts(enum mediaproc_kind k, enum sniff_type t)
{
	switch (k) {
	case MEDIAPROC_PHOTO:
	case MEDIAPROC_PROFILE_PHOTO: return sniff_type_is_image(t);
	case MEDIAPROC_VIDEO_CLIP: return t == SNIFF_MP4 || t == SNIFF_MOV || t == SNIFF_WEBM;
	case MEDIAPROC_VOICE_NOTE: return t == SNIFF_OGG_OPUS || t == SNIFF_WEBM;
	}
	return 0;
}

static int read_all(const struct mediaproc_source *src, uint8_t **data)
{
	uint8_t *buf = malloc(src->size ? src->size : 1);
	if (!buf)
		return MEDIAPROC_ERR_INTERNAL;
	for (uint64_t got = 0; got < src->size;) {
		ssize_t k = src->pread(src->ctx, buf + got, src->size - got, got);
		if (k <= 0) {
			free(buf);
			return MEDIAPROC_ERR_SOURCE;
		}
		got += (uint64_t)k;
	}
	*data = buf;
	return MEDIAPROC_OK;
}

static int run(const struct mediaproc_job *job, const struct mediaproc_limits *lim, struct mediaproc_result *out)
{
	const char *kname = mediaproc_kind_name(job->kind);
	if (!kname || !job->source.pread || !job->blob_root)
		return mediaproc__fail(out, MEDIAPROC_ERR_INTERNAL, "bad job");
	if (job->source.size > lim->max_bytes[job->kind])
		return mediaproc__fail(out, MEDIAPROC_ERR_TOO_LARGE, "%llu bytes, a %s may have %llu",
				       (unsigned long long)job->source.size, kname,
				       (unsigned long long)lim->max_bytes[job->kind]);
	struct sniff_result s;
	int rc = sniff_source(&job->source, &s);
	snprintf(out->source_mime, sizeof out->source_mime, "%s", s.mime);
	if (rc != MEDIAPROC_OK)
		return mediaproc__fail(out, rc, "%s", s.detail);
	if (!kind_accepts(job->kind, s.type))
		return mediaproc__fail(out, MEDIAPROC_ERR_WRONG_KIND, "%s sent as %s", s.mime, kname);
	if (job->kind == MEDIAPROC_PHOTO || job->kind == MEDIAPROC_PROFILE_PHOTO) {
		uint8_t *data = NULL;
		if ((rc = read_all(&job->source, &data)) != MEDIAPROC_OK)
			return mediaproc__fail(out, rc, "reading the upload");
		rc = mediaproc__photo(job, s.type, data, (size_t)job->source.size, lim, out);
		free(data);
		return rc;
	}
	if (job->kind == MEDIAPROC_VIDEO_CLIP)
		return mediaproc__clip(job, s.type, lim, out);
	return mediaproc__voice(job, s.type, lim, out);
}

static uint64_t thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int mediaproc_process(const struct mediaproc_job *job, const struct mediaproc_limits *limits,
		      struct mediaproc_result *out)
{
	struct mediaproc_limits lim = {0};
	if (limits)
		lim = *limits;
	mediaproc_limits_default(&lim);
	memset(out, 0, sizeof *out);
	out->kind = job->kind;
	uint64_t t0 = thread_cpu_us();
	int rc = run(job, &lim, out);
	out->err = rc;
	if (rc != MEDIAPROC_OK) { /* a refusal names nothing that was stored */
		memset(&out->media, 0, sizeof out->media);
		memset(&out->thumb, 0, sizeof out->thumb);
		memset(&out->poster, 0, sizeof out->poster);
		out->has_waveform = 0;
	}
	out->cpu_ms = (uint32_t)((thread_cpu_us() - t0 + 500) / 1000);
	return rc;
}
