/* profile.c: profile.set_photo — a processed `profile_photo` upload becomes a person's picture. Only the person, or a
 * carer or caseworker of a case the person is in (the devices scope rule), may set it; the photo it replaces is
 * removed; the change is audit-logged, and everyone who sees the person gets their fresh contact entry. */
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/blobs/attachments.h"
#include "server/blobs/profile_photo.h"
#include "server/chat/chat.h"
#include "server/devices/devices.h"
#include "server/session/session_internal.h"
#include "server/store/audit.h"

struct photo_commit {
	uint64_t conn_id; /* the connection that asked */
	json_t *id;       /* its request id */
	int64_t account;  /* whose photo changed */
};

static void first_case(int64_t case_id, void *ctx)
{
	int64_t *out = ctx;
	if (!*out)
		*out = case_id;
}

/* Who may set target's photo: themself, or a carer/caseworker in scope. 0 and *case_id (the case to log it under),
 * else the error to answer. */
static enum proto_error may_set(struct app *app, int64_t actor, int64_t target, int64_t *case_id)
{
	struct account who;
	struct devices_outcome out = {0};
	*case_id = 0;
	if (store_account_by_id(app->store, actor, &who) != STORE_OK)
		return PROTO_ERR_INTERNAL;
	if (actor == target) {
		store_cases_of_person(app->store, target, first_case, case_id);
		return PROTO_ERR_OK;
	}
	int rc = devices_check(app->store, &who, target, 0, 0, &out);
	if (rc == DEVICES_OK) {
		*case_id = out.case_id;
		return PROTO_ERR_OK;
	}
	return rc == DEVICES_FORBIDDEN ? PROTO_ERR_FORBIDDEN
	    : rc == DEVICES_NOT_FOUND  ? PROTO_ERR_NOT_FOUND
				       : PROTO_ERR_INTERNAL;
}

static void photo_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct photo_commit *pc = arg;
	struct session *s = session_by_conn(app, pc->conn_id);
	if (!ok) {
		if (s)
			session_reply_error(s, pc->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		goto out;
	}
	json_t *res = json_pack("{s:I}", "account_id", (json_int_t)pc->account);
	profile_photo_json(app->store, pc->account, res);
	if (s)
		session_reply_ok(s, pc->id, json_deep_copy(res));
	/* the person's other devices show it too; the people who see them get fresh contact entries */
	session_deliver(app, pc->account, "profile", res, s ? &s->route : NULL);
	contacts_tell_peers(app, pc->account);
out:
	json_decref(pc->id);
	free(pc);
}

/* Inside the open transaction: the new photo in, the one it replaces out (its blobs go with the next sweep). */
static int swap_photo(struct store *st, const struct attachment *a, int64_t actor, int64_t target, char *old)
{
	if (attachment_profile_of(st, target, old) != STORE_OK)
		old[0] = '\0';
	int rc = attachment_mark_profile(st, a->id, actor, target, clock_now_ms());
	if (rc == STORE_OK && old[0] && strcmp(old, a->id) != 0)
		rc = attachment_delete(st, old);
	return rc;
}

/* profile.set_photo {attachment_id, account_id?}: the caller's own upload (kind profile_photo, processed, not used
 * yet) becomes the picture of account_id (default: the caller). Answers {account_id, photo}. */
static void handle_set_photo(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *att_id;
	size_t len;
	int64_t target = s->account_id, case_id;
	struct app *app = s->app;
	if (proto_param_string(r, "attachment_id", ATTACHMENT_ID_LEN, ATTACHMENT_ID_LEN, &att_id, &len, err) ||
	    proto_param_int(r, "account_id", 1, 1, INT64_MAX, &target, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	enum proto_error e = may_set(app, s->account_id, target, &case_id);
	if (e != PROTO_ERR_OK) {
		session_reply_error(s, r->id, e, NULL);
		return;
	}
	struct attachment a;
	int rc = attachment_get(app->store, att_id, &a);
	if (rc == STORE_OK &&
	    (a.kind != ATT_PROFILE_PHOTO || a.uploader_id != s->account_id || (a.account_id && a.account_id != target)))
		rc = STORE_NOT_FOUND; /* another person's upload reads as no upload at all */
	if (rc == STORE_OK && a.state == ATT_PROFILE && a.account_id == target) {
		json_t *res = json_pack("{s:I}", "account_id", (json_int_t)target); /* asked twice: already done */
		profile_photo_json(app->store, target, res);
		session_reply_ok(s, r->id, res);
		return;
	}
	if (rc == STORE_OK && a.state != ATT_READY)
		rc = STORE_NOT_FOUND;
	if (rc != STORE_OK) {
		session_reply_error(s, r->id, rc == STORE_NOT_FOUND ? PROTO_ERR_NOT_FOUND : PROTO_ERR_INTERNAL,
				    rc == STORE_NOT_FOUND ? "This photo was not found. Please send it again." : NULL);
		return;
	}
	char old[ATTACHMENT_ID_LEN + 1];
	rc = store_begin(app->store);
	if (rc == STORE_OK)
		rc = swap_photo(app->store, &a, s->account_id, target, old);
	if (rc == STORE_OK)
		rc = audit_append(app->store, s->account_id, AUDIT_PROFILE_PHOTO, case_id, 0,
				  json_pack("{s:I,s:s,s:s,s:s}", "account", (json_int_t)target, "attachment", a.id,
					    "replaced", old, "via", "app"));
	struct photo_commit *pc = rc == STORE_OK ? calloc(1, sizeof(*pc)) : NULL;
	if (!pc) {
		log_error("profile.set_photo: %s", store_errmsg(app->store));
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	*pc = (struct photo_commit){s->route.conn->id, json_incref(r->id), target};
	commit_after(&app->commit, photo_committed, pc);
}

const struct session_method profile_methods[] = {
    {"profile.set_photo", 1, handle_set_photo},
};
const size_t profile_method_count = sizeof(profile_methods) / sizeof(profile_methods[0]);
