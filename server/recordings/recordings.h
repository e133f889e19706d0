/* recordings.h: recorded calls on disk and in the store — the recordings table (one row per file: the audio mix or one
 * participant's video), importing a finished recording folder into the blob store, recovering folders a crash left,
 * and who may play them. */
#ifndef SAMVAER_RECORDINGS_H
#define SAMVAER_RECORDINGS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "server/store/store.h"

#define RECORDING_ID_LEN 22   /* base64url of 128 random bits */
#define RECORDING_FILES_MAX 9 /* the mix and up to 8 videos */

struct blobstore;

struct recording_row {
	char id[RECORDING_ID_LEN + 1];        /* this file; the URL is /media/recordings/<id> */
	char recording[RECORDING_ID_LEN + 1]; /* the recording it belongs to (its folder name while recording) */
	int64_t case_id, call_id;
	char kind[8];       /* "audio" (the mix) or "video" */
	int64_t account_id; /* video: whose; audio: 0 */
	char blob[65];
	char mime[24];
	int64_t bytes, duration_ms;
	int64_t started_by, started_at, ended_at; /* ms */
	int interrupted;                          /* the server stopped (crash, kill) before the recording ended */
};

/* What a recording folder holds besides its files: written when the recording starts (meta.json). */
struct recording_meta {
	char id[RECORDING_ID_LEN + 1];
	int64_t case_id, call_id, started_by, started_at;
};

/* A new random recording id. 0 or -1. */
int recording_new_id(char out[RECORDING_ID_LEN + 1]);

/* DIR/recordings/<id>: created (0700) with meta.json written and synced. 0, or -1 with err. */
int recording_dir_create(const char *data_dir, const struct recording_meta *m, char *dir, size_t cap, char *err,
			 size_t errlen);

/* Move the files of a finished (or, interrupted = 1, cut) recording folder into the blob store: rows[] filled, one per
 * file, blobs pinned (release them once the rows are stored). Any thread: no database. Returns the number of rows,
 * or -1 with err. ended_at: when it ended (0: the files' last change). */
int recording_import_files(struct blobstore *b, const char *dir, int interrupted, int64_t ended_at,
			   struct recording_row rows[RECORDING_FILES_MAX], char *err, size_t errlen);
/* Remove the folder and what is left in it (after the rows are stored). */
void recording_dir_remove(const char *dir);

/* In the caller's transaction: store the row and count its blob reference. STORE_OK or STORE_ERR. */
int recordings_add(struct store *s, const struct recording_row *r);
int recordings_get(struct store *s, const char *id, struct recording_row *out); /* STORE_OK / STORE_NOT_FOUND */
typedef void (*recording_row_cb)(const struct recording_row *r, void *ctx);
int recordings_list(struct store *s, int64_t case_id, recording_row_cb cb, void *ctx);
/* In the caller's transaction: the row goes, its blob loses a reference (the blob sweep deletes the file). */
int recordings_delete(struct store *s, const char *id);
/* In the caller's transaction: delete the recordings older than their case's retention period for recordings (the
 * retention table's recordings_days; 0 keeps them), at most `limit` files, each recording audit-logged as expired.
 * Sets *removed to the files deleted. STORE_OK or STORE_ERR. The blob sweep deletes the files after the commit. */
int recordings_expire(struct store *s, int64_t now, int limit, int *removed);

/* Adults who may play a recording: the caseworkers, supervisors and carers of its case. 1 yes, 0 no. */
int recordings_may_play(struct store *s, const struct recording_row *r, int64_t account);

json_t *recording_json(const struct recording_row *r);

#endif
