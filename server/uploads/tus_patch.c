/* tus_patch.c: tus PATCH — the body streamed into the encrypted spool in order, and on the last byte the hand-off to
 * processing (server/mediaproc), the attachment row committed, and the final answer: 204, or the refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/i18n/i18n.h"
#include "server/session/state.h"
#include "server/uploads/uploads_internal.h"

int up__patch_begin(struct uploads *u, struct upload *up, const struct up_request *req, struct up_response *res,
		    struct up_patch **patch);

static void tus_headers(struct up_response *res)
{
	up__header(res, "tus-resumable:", TUS_VERSION);
	up__header(res, "cache-control:", "no-store");
}

static int refuse(struct up_response *res, int status, const char *code, const char *message)
{
	up__error(res, status, code, message);
	tus_headers(res);
	return UP_DONE;
}

static int offset_answer(const struct upload *up, struct up_response *res)
{
	res->status = 204;
	tus_headers(res);
	up__header(res, "upload-offset:", "%llu", (unsigned long long)up->offset);
	return UP_DONE;
}

int up__patch_begin(struct uploads *u, struct upload *up, const struct up_request *req, struct up_response *res,
		    struct up_patch **patch)
{
	uint64_t off;
	const char *lang = i18n_accept_language(req->accept_language);
	snprintf(up->client_lang, sizeof(up->client_lang), "%s", lang ? lang : "");
	if (!req->content_type || strcmp(req->content_type, "application/offset+octet-stream") != 0)
		return refuse(res, 415, "bad_content_type",
			      "The body must be sent as application/offset+octet-stream.");
	if (tus_parse_u64(req->upload_offset, &off) != TUS_HDR_OK)
		return refuse(res, 400, "bad_upload_offset", "Upload-Offset must be a whole number of bytes.");
	if (up->state == UPLOAD_FAILED)
		return refuse(res, up->err_status, up->err_code, up->err_message);
	if (up->state != UPLOAD_RECEIVING)
		return off == up->length ? offset_answer(up, res)
					 : refuse(res, 409, "upload_offset_mismatch", "The file has arrived already.");
	if (up->patch)
		return refuse(res, 423, "upload_in_use", "This file is still arriving on another connection.");
	if (off != up->offset) {
		refuse(res, 409, "upload_offset_mismatch",
		       "The upload continues from another place. Ask where (HEAD).");
		up__header(res, "upload-offset:", "%llu", (unsigned long long)up->offset);
		return UP_DONE;
	}
	struct up_patch *p = calloc(1, sizeof(*p));
	if (!p)
		return refuse(res, 500, "internal", "Something went wrong on the server.");
	p->u = u;
	p->up = up;
	up->patch = p;
	*patch = p;
	return UP_BODY;
}

int uploads_body(struct up_patch *p, const void *data, size_t len)
{
	struct upload *up = p->up;
	if (p->failed)
		return -1;
	if (len > up->length - up->offset) {
		p->failed = 413;
		p->code = "upload_too_long";
		p->message = "More bytes arrived than the upload said it would have.";
		return -1;
	}
	int rc = spool_append(up->spool, data, len);
	if (rc < 0) {
		log_error("upload %s: spool: %m", up->id);
		p->failed = 500;
		p->code = "internal";
		p->message = "Something went wrong on the server.";
		return -1;
	}
	up->offset += len;
	return rc == SPOOL_FULL ? 1 : 0;
}

void uploads_body_resume(struct up_patch *p, void (*resume)(void *arg), void *arg)
{
	spool_on_resume(p->up->spool, resume, arg);
}

static void answer(struct upload *up, const struct up_response *res)
{
	up_done_fn done = up->done;
	void *ctx = up->waiter;
	up->done = NULL;
	up->waiter = NULL;
	if (done)
		done(ctx, res);
}

static void fail(struct uploads *u, struct upload *up, int err)
{
	struct up_response res;
	up__reset(&res);
	up->state = UPLOAD_FAILED;
	up->err_status = mediaproc_err_status(err);
	snprintf(up->err_code, sizeof(up->err_code), "%s", mediaproc_err_code(err));
	snprintf(up->err_message, sizeof(up->err_message), "%s", mediaproc_err_message(err));
	spool_destroy(up->spool);
	up->spool = NULL;
	refuse(&res, up->err_status, up->err_code, up->err_message);
	up__localize(&res, up__lang(u, up->account_id, up->client_lang));
	answer(up, &res);
}

static void release_blobs(struct uploads *u, const struct mediaproc_result *r, int with_store)
{
	const struct mediaproc_blob *b[] = {&r->media, &r->thumb, &r->poster};
	for (int i = 0; i < 3; i++)
		if (b[i]->hash[0])
			blobstore_release(u->blobs, with_store ? u->app->store : NULL, b[i]->hash);
}

struct finish {
	struct uploads *u;
	char id[TUS_ID_LEN + 1];
	struct mediaproc_result r;
};

static void on_committed(void *owner, void *arg, int ok)
{
	struct finish *f = arg;
	struct upload *up = up__find(f->u, f->id);
	release_blobs(f->u, &f->r, !ok);
	if (up && ok) {
		struct up_response res;
		up__reset(&res);
		up->state = UPLOAD_DONE;
		spool_destroy(up->spool);
		up->spool = NULL;
		offset_answer(up, &res);
		log_info("upload %s: ready (%s, %u ms of CPU)", up->id, f->r.source_mime, f->r.cpu_ms);
		answer(up, &res);
	} else if (up) {
		fail(f->u, up, MEDIAPROC_ERR_STORE);
	}
	free(f);
}

static void fill_blob(char *hash, char *mime, size_t mime_cap, int64_t *bytes, const struct mediaproc_blob *b)
{
	snprintf(hash, ATTACHMENT_HASH_LEN + 1, "%s", b->hash);
	if (mime)
		snprintf(mime, mime_cap, "%s", b->mime);
	*bytes = (int64_t)b->bytes;
}

static void record(struct uploads *u, struct upload *up, const struct mediaproc_result *r)
{
	struct attachment a = {.kind = up->kind,
			       .uploader_id = up->account_id,
			       .case_id = up->case_id,
			       .agreement_id = up->agreement_id,
			       .account_id = up->target_id,
			       .created_at = clock_now_ms()};
	snprintf(a.id, sizeof(a.id), "%s", up->id);
	fill_blob(a.blob, a.mime, sizeof(a.mime), &a.bytes, &r->media);
	fill_blob(a.thumb, a.thumb_mime, sizeof(a.thumb_mime), &a.thumb_bytes, &r->thumb);
	fill_blob(a.poster, a.poster_mime, sizeof(a.poster_mime), &a.poster_bytes, &r->poster);
	a.width = (int)r->width;
	a.height = (int)r->height;
	a.duration_ms = r->duration_ms;
	if (r->has_waveform) {
		a.waveform_len = ATTACHMENT_WAVEFORM_POINTS;
		memcpy(a.waveform, r->waveform, sizeof(a.waveform));
	}
	/* mediaproc's files are not pinned: a sweep of an unreferenced blob with the same bytes may have run between
	 * its write and now (rare). Then the client sends it again. */
	const char *hashes[] = {a.blob, a.thumb, a.poster};
	for (int i = 0; i < 3; i++) {
		char path[1024];
		if (hashes[i][0] &&
		    (blobstore_path(u->blobs, hashes[i], path, sizeof(path)) != 0 || access(path, F_OK) != 0)) {
			release_blobs(u, r, 1);
			fail(u, up, MEDIAPROC_ERR_STORE);
			return;
		}
	}
	int64_t quota = (int64_t)u->app->cfg.media_quota_mb << 20, used = 0;
	int64_t total = a.bytes + a.thumb_bytes + a.poster_bytes;
	if (quota && a.case_id &&
	    (attachment_case_bytes(u->app->store, a.case_id, &used) != STORE_OK || used + total > quota)) {
		release_blobs(u, r, 1);
		fail(u, up, MEDIAPROC_ERR_QUOTA);
		return;
	}
	struct finish *f = calloc(1, sizeof(*f));
	if (!f || store_begin(u->app->store) != STORE_OK || attachment_add(u->app->store, &a) != STORE_OK) {
		log_error("upload %s: recording it: %s", up->id, store_errmsg(u->app->store));
		free(f);
		release_blobs(u, r, 1);
		fail(u, up, MEDIAPROC_ERR_STORE);
		return;
	}
	f->u = u;
	f->r = *r;
	snprintf(f->id, sizeof(f->id), "%s", up->id);
	commit_after(&u->app->commit, on_committed, f);
}

struct job_ctx {
	struct uploads *u;
	char id[TUS_ID_LEN + 1];
};

static ssize_t job_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	return spool_pread(ctx, buf, len, off);
}

static void on_processed(void *arg, const struct mediaproc_result *r)
{
	struct job_ctx *j = arg;
	struct upload *up = up__find(j->u, j->id);
	if (!up) { /* cannot happen: a processing upload is neither swept nor terminated */
		release_blobs(j->u, r, 1);
	} else if (r->err != MEDIAPROC_OK) {
		log_info("upload %s: refused: %s (%s)", up->id, mediaproc_err_code(r->err), r->detail);
		release_blobs(j->u, r, 1);
		fail(j->u, up, r->err);
	} else {
		record(j->u, up, r);
	}
	free(j);
}

/* Every byte is in the spool file: hand it to processing on the upload's reserved slot. */
static void on_flushed(void *arg, int ok)
{
	struct job_ctx *j = arg;
	struct upload *up = up__find(j->u, j->id);
	if (!up) {
		free(j);
		return;
	}
	struct mediaproc_job job = {.kind = mediaproc_kind_parse(attachment_kind_name(up->kind)),
				    .source = {job_pread, up->spool, up->length},
				    .blob_root = j->u->blob_root,
				    .quota_owner = (uint64_t)up->child_id,
				    .blobs = j->u->blobs};
	struct mediaproc_slot *slot = up->slot;
	up->slot = NULL;
	if (!ok) {
		log_error("upload %s: the spool could not be written", up->id);
		struct uploads *u = j->u;
		mediaproc_slot_release(u->pool, slot);
		free(j);
		fail(u, up, MEDIAPROC_ERR_STORE);
	} else if (mediaproc_submit(j->u->pool, slot, &job, on_processed, j) != MEDIAPROC_OK) {
		struct uploads *u = j->u;
		free(j);
		fail(u, up, MEDIAPROC_ERR_INTERNAL);
	}
}

static int submit(struct uploads *u, struct upload *up, struct up_response *res, up_done_fn done, void *ctx)
{
	struct job_ctx *j = calloc(1, sizeof(*j));
	if (!j)
		return refuse(res, 500, "internal", "Something went wrong on the server.");
	j->u = u;
	snprintf(j->id, sizeof(j->id), "%s", up->id);
	up->state = UPLOAD_PROCESSING;
	up->waiter = ctx;
	up->done = done;
	spool_on_resume(up->spool, NULL, NULL);
	spool_flush(up->spool, on_flushed, j); /* may answer at once (a failure) through done */
	return UP_PENDING;
}

static int body_end(struct up_patch *p, int complete, struct up_response *res, up_done_fn done, void *ctx)
{
	struct upload *up = p->up;
	struct uploads *u = p->u;
	up__reset(res);
	up->patch = NULL;
	int failed = p->failed;
	const char *code = p->code, *message = p->message;
	free(p);
	spool_on_resume(up->spool, NULL, NULL);
	if (up->offset < up->length || failed)
		spool_flush(up->spool, NULL,
			    NULL); /* what this PATCH brought goes to the disk (encrypted), not kept in RAM */
	if (!complete)
		return UP_DONE; /* the connection went away: the bytes so far wait for a resume */
	if (failed) {
		refuse(res, failed, code, message);
		res->close = 1;
		return UP_DONE;
	}
	if (up->offset < up->length)
		return offset_answer(up, res);
	return submit(u, up, res, done, ctx);
}

int uploads_body_end(struct up_patch *p, int complete, struct up_response *res, up_done_fn done, void *ctx)
{
	struct upload *up = p->up;
	struct uploads *u = p->u;
	int rc = body_end(p, complete, res, done, ctx);
	if (rc == UP_DONE && res->code[0])
		up__localize(res, up__lang(u, up->account_id, up->client_lang));
	return rc;
}

void uploads_forget(struct uploads *u, void *ctx)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&u->by_id, &pos, NULL, &v)) {
		struct upload *up = v;
		if (up->waiter == ctx) {
			up->waiter = NULL;
			up->done = NULL;
		}
	}
}
