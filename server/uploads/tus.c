/* tus.c: the tus 1.0 resource /files/<id> — OPTIONS, creation (POST, with the policy, limit and quota pre-checks
 * and a processing slot), HEAD, termination (DELETE), and the table of uploads in progress. PATCH is tus_patch.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/policy/policy.h"
#include "server/session/state.h"
#include "server/uploads/uploads_internal.h"

int up__patch_begin(struct uploads *u, struct upload *up, const struct up_request *req, struct up_response *res,
		    struct up_patch **patch);

static void tus_headers(struct up_response *res)
{
	up__header(res, "tus-resumable:", TUS_VERSION);
	up__header(res, "cache-control:", "no-store");
}

static void expires_header(struct up_response *res, int64_t at_ms)
{
	char buf[64];
	time_t t = (time_t)(at_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	up__header(res, "upload-expires:", "%s", buf);
}

struct upload *up__find(struct uploads *u, const char *id)
{
	struct upload *up = intmap_get(&u->by_id, intmap_hash_bytes(id, strlen(id)));
	return up && !strcmp(up->id, id) ? up : NULL;
}

void up__remove(struct uploads *u, struct upload *up)
{
	intmap_del(&u->by_id, up->key);
	if (up->slot)
		mediaproc_slot_release(u->pool, up->slot);
	spool_destroy(up->spool);
	free(up);
}

static void new_id(char out[TUS_ID_LEN + 1])
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		abort(); /* no randomness: nothing secret can be made */
	/* 128 bits as 22 base64url digits (the last carries 2 bits) */
	unsigned acc = 0, bits = 0;
	int n = 0;
	for (int i = 0; i < 16; i++) {
		acc = acc << 8 | r[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[n++] = abc[(acc >> bits) & 63];
		}
	}
	out[n++] = abc[(acc << (6 - bits)) & 63];
	out[n] = 0;
}

/* The id in "/files/<id>", or NULL. */
static const char *path_id(const char *path)
{
	const char *id = path + 7;
	return !strncmp(path, "/files/", 7) && tus_id_valid(id, strlen(id)) ? id : NULL;
}

static int options(struct up_response *res, const struct uploads *u)
{
	res->status = 204;
	tus_headers(res);
	up__header(res, "tus-version:", TUS_VERSION);
	up__header(res, "tus-extension:", TUS_EXTENSIONS);
	up__header(res, "tus-max-size:", "%llu", (unsigned long long)u->limits.max_bytes[MEDIAPROC_VIDEO_CLIP]);
	return UP_DONE;
}

static int refuse(struct up_response *res, int status, const char *code, const char *message)
{
	up__error(res, status, code, message);
	tus_headers(res);
	return UP_DONE;
}

static int policy_refusal(struct up_response *res, struct policy_decision d)
{
	return refuse(res, 403, policy_reason_name(d.reason), policy_reason_message(d.reason));
}

/* Who the upload is for and whether this account may send it now (the same policy as msg.send). */
static int check_target(struct uploads *u, const struct account *me, const struct tus_metadata *m, struct upload *up,
			struct up_response *res)
{
	struct store *s = u->app->store;
	if (up->kind != ATT_PROFILE_PHOTO) {
		struct agreement *a = m->agreement_id ? agreements_get(&u->app->agreements, m->agreement_id) : NULL;
		if (!a || !agreement_peer(a, me->id))
			return refuse(res, 403, "no_agreement", "You have no contact agreement with this person."), -1;
		struct policy_decision d =
		    policy_decide(a, me->id, (enum channel)attachment_kind_channel(up->kind), clock_now_ms(), NULL);
		if (d.verdict == VERDICT_DENY)
			return policy_refusal(res, d), -1;
		up->agreement_id = a->id;
		up->case_id = a->case_id;
		up->child_id = a->child_id;
		return 0;
	}
	int64_t target = m->account_id ? m->account_id : me->id, case_id = 0;
	struct account t;
	if (store_account_by_id(s, target, &t) != STORE_OK)
		return refuse(res, 404, "account_not_found", "There is no such person."), -1;
	int is_child = !strcmp(t.role, "child") && store_case_of_child(s, target, &case_id) == STORE_OK;
	int may = target == me->id ||
	    (is_child &&
	     (store_case_has_member(s, case_id, me->id, "carer") ||
	      store_case_has_member(s, case_id, me->id, "caseworker")));
	if (!may)
		return refuse(res, 403, "not_allowed",
			      "Only the person, or their carer or caseworker, can set this picture."),
		       -1;
	up->target_id = target;
	up->case_id = is_child ? case_id : 0;
	up->child_id = is_child ? target : 0;
	return 0;
}

/* Bytes the case holds plus what its unfinished uploads will add. */
static int over_quota(struct uploads *u, const struct upload *up)
{
	int64_t quota = (int64_t)u->app->cfg.media_quota_mb << 20, used = 0;
	if (!quota || !up->case_id)
		return 0;
	if (attachment_case_bytes(u->app->store, up->case_id, &used) != STORE_OK)
		return 1;
	size_t pos = 0;
	void *v;
	while (intmap_next(&u->by_id, &pos, NULL, &v)) {
		const struct upload *o = v;
		if (o->case_id == up->case_id && (o->state == UPLOAD_RECEIVING || o->state == UPLOAD_PROCESSING))
			used += (int64_t)o->length;
	}
	return used + (int64_t)up->length > quota;
}

static int open_uploads(struct uploads *u, int64_t account)
{
	int n = 0;
	size_t pos = 0;
	void *v;
	while (intmap_next(&u->by_id, &pos, NULL, &v))
		n += ((struct upload *)v)->account_id == account && ((struct upload *)v)->state == UPLOAD_RECEIVING;
	return n;
}

/* Header checks of creation; fills up's kind, length, filename. */
static int creation_headers(struct uploads *u, const struct up_request *req, struct tus_metadata *m, struct upload *up,
			    struct up_response *res)
{
	if (req->upload_defer_length)
		return refuse(res, 400, "upload_length_required", "The size of the file must be given at the start."),
		       -1;
	if (tus_parse_u64(req->upload_length, &up->length) != TUS_HDR_OK)
		return refuse(res, 400, "bad_upload_length", "Upload-Length must be a whole number of bytes."), -1;
	int rc = tus_parse_metadata(req->upload_metadata, req->upload_metadata ? strlen(req->upload_metadata) : 0, m);
	int kind = rc == TUS_HDR_OK ? attachment_kind_parse(m->kind) : -1;
	if (kind < 0)
		return refuse(res, 400, "bad_metadata",
			      "Upload-Metadata must name the kind: photo, video_clip, voice_note or profile_photo."),
		       -1;
	up->kind = (enum attachment_kind)kind;
	snprintf(up->filename, sizeof(up->filename), "%s", m->filename);
	enum mediaproc_kind mk = mediaproc_kind_parse(m->kind);
	if (up->length == 0)
		return refuse(res, 422, mediaproc_err_code(MEDIAPROC_ERR_EMPTY),
			      mediaproc_err_message(MEDIAPROC_ERR_EMPTY)),
		       -1;
	if (up->length > u->limits.max_bytes[mk])
		return refuse(res, 413, mediaproc_err_code(MEDIAPROC_ERR_TOO_LARGE),
			      mediaproc_err_message(MEDIAPROC_ERR_TOO_LARGE)),
		       -1;
	return 0;
}

static int create(struct uploads *u, const struct account *me, const struct up_request *req, struct up_response *res)
{
	struct tus_metadata m;
	struct upload *up = calloc(1, sizeof(*up));
	if (!up)
		return refuse(res, 500, "internal", "Something went wrong on the server.");
	up->account_id = me->id;
	if (creation_headers(u, req, &m, up, res) != 0 || check_target(u, me, &m, up, res) != 0)
		goto done;
	if (open_uploads(u, me->id) >= UPLOADS_PER_ACCOUNT) {
		refuse(res, 429, "too_many_uploads", "Please let the files already on their way finish first.");
		goto done;
	}
	if (over_quota(u, up)) {
		refuse(res, 507, mediaproc_err_code(MEDIAPROC_ERR_QUOTA), mediaproc_err_message(MEDIAPROC_ERR_QUOTA));
		goto done;
	}
	if (!(up->slot = mediaproc_slot_reserve(u->pool))) {
		refuse(res, 503, mediaproc_err_code(MEDIAPROC_ERR_BUSY), mediaproc_err_message(MEDIAPROC_ERR_BUSY));
		up__header(res, "retry-after:", "%d", UPLOADS_RETRY_AFTER_S);
		goto done;
	}
	do
		new_id(up->id);
	while (up__find(u, up->id));
	up->key = intmap_hash_bytes(up->id, strlen(up->id));
	up->expires_at = clock_now_ms() + (int64_t)u->app->cfg.upload_expiry_s * 1000;
	if (!(up->spool = spool_create(u->app->cfg.data_dir, up->id, u->writer)) ||
	    intmap_put(&u->by_id, up->key, up) != 0) {
		log_error("uploads: cannot start %s: %m", up->id);
		refuse(res, 500, "internal", "Something went wrong on the server.");
		goto done;
	}
	res->status = 201;
	tus_headers(res);
	up__header(res, "location:", "/files/%s", up->id);
	expires_header(res, up->expires_at);
	up__header(res, "upload-offset:", "0");
	log_info("upload %s: %s of %llu bytes by account %lld", up->id, attachment_kind_name(up->kind),
		 (unsigned long long)up->length, (long long)me->id);
	return UP_DONE;
done:
	if (up->slot)
		mediaproc_slot_release(u->pool, up->slot);
	spool_destroy(up->spool);
	free(up);
	return UP_DONE;
}

static int head(struct upload *up, struct up_response *res)
{
	if (up->state == UPLOAD_FAILED)
		return refuse(res, 410, up->err_code, up->err_message);
	res->status = 200;
	tus_headers(res);
	up__header(res, "upload-offset:", "%llu", (unsigned long long)up->offset);
	up__header(res, "upload-length:", "%llu", (unsigned long long)up->length);
	expires_header(res, up->expires_at);
	return UP_DONE;
}

static int terminate(struct uploads *u, struct upload *up, struct up_response *res)
{
	if (up->state == UPLOAD_PROCESSING || up->patch)
		return refuse(res, 409, "upload_in_use", "This file is still being worked on. Try again in a moment.");
	up__remove(u, up);
	res->status = 204;
	tus_headers(res);
	return UP_DONE;
}

int up__tus(struct uploads *u, const struct up_request *req, struct up_response *res, struct up_patch **patch)
{
	if (req->method == UP_OPTIONS)
		return options(res, u);
	if (!tus_version_ok(req->tus_resumable)) {
		refuse(res, 412, "tus_version", "This server speaks tus 1.0.0 (Tus-Resumable: 1.0.0).");
		up__header(res, "tus-version:", TUS_VERSION);
		return UP_DONE;
	}
	struct account me;
	if (up__account(u, req->bearer, &me) != 0)
		return refuse(res, 401, "unauthenticated", "Please log in.");
	if (req->method == UP_POST && (!strcmp(req->path, "/files/") || !strcmp(req->path, "/files")))
		return create(u, &me, req, res);
	const char *id = path_id(req->path);
	struct upload *up = id ? up__find(u, id) : NULL;
	if (!up || up->account_id != me.id) /* someone else's upload does not exist for this account */
		return refuse(res, 404, "upload_not_found",
			      "This upload is not here any more. Please send the file again.");
	switch (req->method) {
	case UP_HEAD: return head(up, res);
	case UP_DELETE: return terminate(u, up, res);
	case UP_PATCH: return up__patch_begin(u, up, req, res, patch);
	default: return refuse(res, 405, "method_not_allowed", "This request is not part of the upload protocol.");
	}
}
