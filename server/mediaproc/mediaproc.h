/* mediaproc.h: processing of uploaded media off the control thread — type from content, photos, clips, voice notes. */
#ifndef SAMVAER_MEDIAPROC_H
#define SAMVAER_MEDIAPROC_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Model
 *   An upload (server/uploads) reserves a slot at tus creation (mediaproc_slot_reserve; NULL = the queue is full:
 *   answer 503 upload_busy), and when its last byte arrives submits the job on that slot (mediaproc_submit). One
 *   of the pool's worker threads (SCHED_IDLE, off the control thread's CPU) reads the decrypted bytes through the job's pread-style source, decides
 *   the type from the content (never the name or a header), checks it against the declared kind and the limits,
 *   and writes the outputs, stripped of every metadata block, into the content-addressed blob store under
 *   blob_root. The result comes back on the control thread: the pool's eventfd is watched by the libev loop given
 *   at creation, and the job's done callback runs there, once per submitted job.
 *
 *   kind           accepted content                              outputs (blob store)
 *   photo          JPEG, PNG, WebP, HEIC (when libvips reads it) media: JPEG, longest side <= 2048; thumb: JPEG <= 320
 *   profile_photo  as photo                                      media: JPEG, square crop <= 512; thumb: JPEG 128x128
 *   video_clip     MP4 (H.264 + AAC), WebM (VP8/VP9 + Opus)      media: same container remuxed, no metadata at all;
 *                                                                poster: JPEG first frame <= 1280; thumb: JPEG <= 320
 *   voice_note     Ogg Opus, WebM Opus (audio only)              media: same container remuxed, no tags; waveform
 *
 * Thread rules
 *   mediaproc_pool_*, mediaproc_slot_*, mediaproc_submit: control thread only. The source's pread runs on a worker
 *   thread (several calls, any offsets, until done is called); its ctx must stay valid until done has run.
 *   mediaproc_process: any thread (it is what a worker runs; tests and the bench call it directly).
 *
 * Errors: stable codes, MEDIAPROC_ERRORS below: the wire code for the upload's JSON error, its HTTP status, and a
 * plain sentence (the server catalogs carry error.<code> for translations).
 */

enum mediaproc_kind {
	MEDIAPROC_PHOTO = 1,     /* "photo" */
	MEDIAPROC_VIDEO_CLIP,    /* "video_clip" */
	MEDIAPROC_VOICE_NOTE,    /* "voice_note" */
	MEDIAPROC_PROFILE_PHOTO, /* "profile_photo" */
};
#define MEDIAPROC_KIND_COUNT 5 /* array size for tables indexed by kind (index 0 unused) */

/* X(enum name, value, wire code, HTTP status, message) */
#define MEDIAPROC_ERRORS(X)                                                                                          \
	X(MEDIAPROC_OK, 0, "ok", 200, "ok")                                                                          \
	X(MEDIAPROC_ERR_BUSY, -1, "upload_busy", 503, "The server is busy right now. Please try again in a moment.") \
	X(MEDIAPROC_ERR_UNSUPPORTED, -2, "media_unsupported", 415,                                                   \
	  "This kind of file cannot be shared. Please send a photo, a video or a voice message.")                    \
	X(MEDIAPROC_ERR_WRONG_KIND, -3, "media_wrong_kind", 415,                                                     \
	  "This file is not what it was sent as (for example a video sent as a photo).")                             \
	X(MEDIAPROC_ERR_CODEC, -4, "media_codec", 415,                                                               \
	  "This video or sound uses a format the server cannot share. Please record it again on the phone.")         \
	X(MEDIAPROC_ERR_TOO_LARGE, -5, "media_too_large", 413, "This file is too big to share.")                     \
	X(MEDIAPROC_ERR_TOO_MANY_PIXELS, -6, "media_too_many_pixels", 413, "This picture is too big to share.")      \
	X(MEDIAPROC_ERR_TOO_LONG, -7, "media_too_long", 413, "This recording is too long to share.")                 \
	X(MEDIAPROC_ERR_CORRUPT, -8, "media_corrupt", 422, "This file is damaged and cannot be shown.")              \
	X(MEDIAPROC_ERR_TRUNCATED, -9, "media_truncated", 422,                                                       \
	  "This file is incomplete (part of it is missing). Please send it again.")                                  \
	X(MEDIAPROC_ERR_POLYGLOT, -10, "media_polyglot", 422,                                                        \
	  "This file hides other content inside it and cannot be shared.")                                           \
	X(MEDIAPROC_ERR_BOMB, -11, "media_bomb", 422, "This picture would take too much memory to open.")            \
	X(MEDIAPROC_ERR_EMPTY, -12, "media_empty", 422, "This file is empty.")                                       \
	X(MEDIAPROC_ERR_STORE, -13, "media_store_failed", 500, "The file could not be saved. Please try again.")     \
	X(MEDIAPROC_ERR_QUOTA, -14, "quota_exceeded", 507,                                                           \
	  "There is no more room for this child's photos and videos.")                                               \
	X(MEDIAPROC_ERR_SOURCE, -15, "media_read_failed", 500,                                                       \
	  "The upload could not be read back. Please send it again.")                                                \
	X(MEDIAPROC_ERR_INTERNAL, -16, "internal", 500, "Something went wrong on the server.")                       \
	X(MEDIAPROC_ERR_CANCELLED, -17, "media_cancelled", 503, "The server is stopping. Please send it again soon.")

enum mediaproc_err {
#define MEDIAPROC_X_ENUM(name, val, code, status, msg) name = val,
	MEDIAPROC_ERRORS(MEDIAPROC_X_ENUM)
#undef MEDIAPROC_X_ENUM
};

const char *mediaproc_err_code(int err);    /* "media_corrupt"; "internal" for an unknown value */
const char *mediaproc_err_message(int err); /* the English sentence */
int mediaproc_err_status(int err);          /* HTTP status: 415, 413, 422, 503, 500 ... */

const char *mediaproc_kind_name(enum mediaproc_kind k); /* "photo" ...; NULL when out of range */
/* "photo", "video_clip", "voice_note", "profile_photo" -> kind; 0 when unknown. */
enum mediaproc_kind mediaproc_kind_parse(const char *name);

/* Limits; a 0 member takes the default named beside it. Bytes are checked before anything is decoded. */
struct mediaproc_limits {
	uint64_t max_bytes[MEDIAPROC_KIND_COUNT];       /* photo 25 MB, clip 200 MB, voice 20 MB, profile 25 MB */
	uint32_t max_duration_ms[MEDIAPROC_KIND_COUNT]; /* clip 180 000 (3 min), voice 300 000 (5 min) */
	uint64_t max_pixels;                            /* width * height of a photo or video frame: 50 000 000 */
	uint32_t max_side;                              /* either dimension: 16 384 */
};
/* Fills every 0 member of l with its default. */
void mediaproc_limits_default(struct mediaproc_limits *l);

/* Decrypted bytes of the upload: pread reads up to len bytes at off into buf and returns the count (0 only at or
 * past size), or -1 on error. size is the upload's total length. */
struct mediaproc_source {
	ssize_t (*pread)(void *ctx, void *buf, size_t len, uint64_t off);
	void *ctx;
	uint64_t size;
};

struct blobstore; /* server/blobs/blobstore.h */

struct mediaproc_job {
	enum mediaproc_kind kind;       /* declared at tus creation (Upload-Metadata kind) */
	struct mediaproc_source source; /* the upload's bytes */
	const char *blob_root;          /* blob store directory (data_dir/blobs): temporary files go to its tmp/;
					   copied at submit */
	uint64_t quota_owner;           /* account id the blobs are counted against (the child); 0: none */
	struct blobstore *blobs;        /* outputs go through blobstore_put (pinned: the caller releases every
					   hash the result names, also on a refusal); NULL: written under blob_root
					   in the same layout, unpinned (tests, bench) */
};

#define MEDIAPROC_WAVEFORM_POINTS 64
#define MEDIAPROC_HASH_HEX 64 /* SHA-256, lower-case hex */

/* One output file in the blob store. hash[0] == 0: no such output. */
struct mediaproc_blob {
	char hash[MEDIAPROC_HASH_HEX + 1]; /* content address (server/blobs) */
	char mime[32];                     /* Content-Type to serve it with */
	uint64_t bytes;                    /* its size */
};

struct mediaproc_result {
	int err;                  /* MEDIAPROC_OK or a MEDIAPROC_ERR_* */
	enum mediaproc_kind kind; /* the declared kind */
	char source_mime[32];     /* what the content was: image/jpeg, image/png, image/webp, image/heic,
					 video/mp4, video/webm, audio/ogg, audio/webm ("" when not recognised) */
	uint32_t width, height;   /* of media (photo after auto-rotation, clip's video), else 0 */
	uint32_t duration_ms;     /* clip and voice note, else 0 */
	uint8_t waveform[MEDIAPROC_WAVEFORM_POINTS]; /* voice note: peak level per 1/64 of its length, 0..255 */
	int has_waveform;                            /* 1 for a voice note */
	/* On a refusal these may still name blobs stored before it (with blobs set: release them). */
	struct mediaproc_blob media;  /* what GET /media/<id> serves (result's "mime" and "bytes") */
	struct mediaproc_blob thumb;  /* photo, profile photo, clip */
	struct mediaproc_blob poster; /* clip */
	uint32_t cpu_ms;              /* CPU time the job took on its thread */
	char detail[160];             /* for the log only (the decoder's words); never sent out */
};

/* The whole processing of one job on the calling thread (a worker; tests; bench). limits NULL: defaults.
 * Writes outputs to job->blob_root and fills *out; returns out->err. */
int mediaproc_process(const struct mediaproc_job *job, const struct mediaproc_limits *limits,
		      struct mediaproc_result *out);

/* The pool. */
struct mediaproc_config {
	unsigned threads;               /* worker threads; 0: one fewer than the online CPUs, at least 1 */
	unsigned slots;                 /* reserved + queued + running jobs at most; 0: 4 per thread */
	struct mediaproc_limits limits; /* 0 members: defaults */
};

struct mediaproc_pool;
struct mediaproc_slot; /* a reserved place in the queue: one job, or released */

/* Called on the control thread when a job is done (r is valid during the call only). */
typedef void (*mediaproc_done_cb)(void *arg, const struct mediaproc_result *r);

/* Start the workers and watch the result eventfd on loop (unreferenced: it does not keep the loop alive).
 * NULL with err filled on failure. */
struct mediaproc_pool *mediaproc_pool_create(struct ev_loop *loop, const struct mediaproc_config *cfg, char *err,
					     size_t errlen);
/* Stop: jobs not started are answered MEDIAPROC_ERR_CANCELLED, running ones are waited for and answered, then the
 * threads are joined. Outstanding reserved slots become invalid. */
void mediaproc_pool_destroy(struct mediaproc_pool *p);

/* Reserve a slot (tus creation). NULL when every slot is taken: answer 503 + Retry-After, error upload_busy. */
struct mediaproc_slot *mediaproc_slot_reserve(struct mediaproc_pool *p);
/* Give back a slot without submitting (tus termination, expiry, a refused creation). */
void mediaproc_slot_release(struct mediaproc_pool *p, struct mediaproc_slot *s);
/* Queue the job on its slot (consumes the slot in every case). done(arg, result) runs once on the control thread,
 * also for a refusal. Returns MEDIAPROC_OK, or an error without calling done (bad argument: MEDIAPROC_ERR_INTERNAL). */
int mediaproc_submit(struct mediaproc_pool *p, struct mediaproc_slot *s, const struct mediaproc_job *job,
		     mediaproc_done_cb done, void *arg);

/* For /metrics and tests. */
struct mediaproc_stats {
	unsigned slots, reserved, queued, running; /* capacity; taken now: reserved (no job yet), queued, running */
	uint64_t done_ok, done_refused, busy;      /* jobs finished well, refused; reservations refused */
};
void mediaproc_pool_stats(const struct mediaproc_pool *p, struct mediaproc_stats *out);

#endif
