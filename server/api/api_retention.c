/* api_retention.c: the admin API's retention periods and erasure routes (docs/ADMIN-API.md, "Retention and
 * erasure"). Caseworkers of the case only: a period or an erasure is the local authority's decision. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/api/api_routes.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/retention/exporter.h"
#include "server/retention/retention.h"
#include "server/session/state.h"
#include "server/store/audit.h"
#include "server/store/store_export.h"
#include "server/store/store_retention.h"

static json_t *retention_json(const struct retention *r)
{
	return json_pack("{s:I,s:i,s:i,s:i,s:I}", "case_id", (json_int_t)r->case_id, "messages_days", r->messages_days,
			 "media_days", r->media_days, "recordings_days", r->recordings_days, "set_at",
			 (json_int_t)r->set_at);
}

static void route_get(struct api_call *c)
{
	struct retention r;
	if (!api_require_case(c, c->ids[0], "caseworker,supervisor,carer"))
		return;
	if (store_retention_get(c->app->store, c->ids[0], &r) != STORE_OK)
		return api_error(c, 500, "internal", "The store is not available.", NULL);
	api_reply(c, 200, retention_json(&r));
}

/* A body member of days: absent keeps *out; 0 (for ever) .. RETENTION_MAX_DAYS. 0 on a bad value (replied). */
static int days(struct api_call *c, const char *name, int *out)
{
	json_t *v = json_object_get(c->body, name);
	if (!v)
		return 1;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > RETENTION_MAX_DAYS) {
		api_error(c, 400, "bad_request", "A retention period is a whole number of days from 0 (keep for ever).",
			  name);
		return 0;
	}
	*out = (int)json_integer_value(v);
	return 1;
}

static void note_commit(void *owner, void *arg, int ok)
{
	*(int *)arg = ok;
}

static void route_set(struct api_call *c)
{
	struct retention r;
	if (!api_require_case(c, c->ids[0], "caseworker"))
		return;
	if (!json_is_object(c->body))
		return api_error(c, 400, "bad_request", "Send the periods as a JSON object.", NULL);
	commit_flush(&c->app->commit);
	if (store_retention_get(c->app->store, c->ids[0], &r) != STORE_OK)
		return api_error(c, 500, "internal", "The store is not available.", NULL);
	if (!days(c, "messages_days", &r.messages_days) || !days(c, "media_days", &r.media_days) ||
	    !days(c, "recordings_days", &r.recordings_days))
		return;
	r.set_by = c->me.id;
	r.set_at = clock_now_ms();
	int ok = 0;
	if (store_begin(c->app->store) != STORE_OK || store_retention_set(c->app->store, &r) != STORE_OK ||
	    audit_append(c->app->store, c->me.id, AUDIT_RETENTION, r.case_id, 0,
			 json_pack("{s:s,s:i,s:i,s:i}", "action", "set", "messages_days", r.messages_days, "media_days",
				   r.media_days, "recordings_days", r.recordings_days)) != STORE_OK) {
		store_rollback(c->app->store);
		return api_error(c, 500, "internal", "The change could not be saved.", NULL);
	}
	commit_after(&c->app->commit, note_commit, &ok);
	commit_flush(&c->app->commit);
	if (!ok)
		return api_error(c, 500, "internal", "The change could not be saved.", NULL);
	api_reply(c, 200, retention_json(&r));
}

static const char *reference(struct api_call *c)
{
	const char *ref = c->body ? json_string_value(json_object_get(c->body, "reference")) : NULL;
	if (!ref || !*ref || strlen(ref) > 200) {
		api_error(c, 400, "bad_request",
			  "Give the reference of the request (case file or letter number) that this erasure answers.",
			  "reference");
		return NULL;
	}
	return ref;
}

static void reply_erased(struct api_call *c, int rc, const struct erase_result *r)
{
	if (rc == STORE_NOT_FOUND)
		return api_error(c, 404, "not_found", "There is no such person or case, or it was erased already.",
				 NULL);
	if (rc != STORE_OK)
		return api_error(c, 500, "internal", "The erasure could not be saved; nothing was erased.", NULL);
	api_reply(c, 200,
		  json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "account_id", (json_int_t)r->account_id, "case_id",
			    (json_int_t)r->case_id, "conversations", (json_int_t)r->conversations, "messages",
			    (json_int_t)r->messages, "audit_entries", (json_int_t)r->audit_entries, "audit_seq",
			    (json_int_t)r->audit_seq));
}

static void route_erase_case(struct api_call *c)
{
	struct erase_result r;
	const char *ref;
	if (!api_require_case(c, c->ids[0], "caseworker") || !(ref = reference(c)))
		return;
	reply_erased(c, retention_erase(c->app, c->me.id, 0, c->ids[0], ref, &r), &r);
}

struct scope {
	struct api_call *c;
	int64_t target;
	int in, out; /* the person's agreements in / out of the caller's cases */
};

static void count_scope(const struct agreement *a, void *ctx)
{
	struct scope *sc = ctx;
	if (a->child_id != sc->target && a->contact_id != sc->target)
		return;
	if (api_case_role(sc->c, a->case_id) && !strcmp(api_case_role(sc->c, a->case_id), "caseworker"))
		sc->in++;
	else
		sc->out++;
}

/* A child or contact whose every agreement is in a case the caller is caseworker of (and at least one). */
static int require_person(struct api_call *c, int64_t id)
{
	struct account acc;
	struct scope sc = {c, id, 0, 0};
	int family = store_account_by_id(c->app->store, id, &acc) == STORE_OK &&
	    (!strcmp(acc.role, "child") || !strcmp(acc.role, "contact"));
	if (family && store_agreements_load(c->app->store, count_scope, &sc) == STORE_OK && sc.in > 0 && !sc.out)
		return 1;
	if (family && sc.out > 0 && sc.in > 0)
		api_error(c, 403, "out_of_scope",
			  "This person also has agreements in cases you are not caseworker of: ask their caseworkers.",
			  NULL);
	else
		api_error(c, 404, "not_found", "No such person in your cases.", NULL);
	return 0;
}

static void route_erase_account(struct api_call *c)
{
	struct erase_result r;
	const char *ref;
	if (!api_require_role(c, "caseworker") || !require_person(c, c->ids[0]) || !(ref = reference(c)))
		return;
	reply_erased(c, retention_erase(c->app, c->me.id, c->ids[0], 0, ref, &r), &r);
}

/* An export being made on the exporter's thread (server/retention/exporter.h) while the request waits. */
struct export_wait {
	struct api_later later; /* first: what the transport holds */
	struct app *app;
	struct export_job *job;
	void (*answer)(void *ctx, struct api_response *res);
	void *answer_ctx;
	int64_t me, account_id;
	size_t messages, entries;
	char reference[201];
};

static void export_cancel(struct api_later *later)
{
	struct export_wait *w = (struct export_wait *)later;
	exporter_cancel(w->app->exporter, w->job);
	free(w);
}

/* The zip is made: the export is audited, and only once that is durable does the file go out. */
static void export_made(void *ctx, int fd, uint64_t len, const char *err)
{
	struct export_wait *w = ctx;
	struct api_response res = {.fd = -1};
	struct api_call c = {.app = w->app, .res = &res};
	int ok = 0;
	if (fd >= 0 && store_begin(w->app->store) == STORE_OK &&
	    audit_append(w->app->store, w->me, AUDIT_EXPORT, 0, 0,
			 json_pack("{s:I,s:s,s:I,s:I}", "account_id", (json_int_t)w->account_id, "reference",
				   w->reference, "messages", (json_int_t)w->messages, "entries",
				   (json_int_t)w->entries)) == STORE_OK) {
		commit_after(&w->app->commit, note_commit, &ok);
		commit_flush(&w->app->commit);
	} else if (store_in_txn(w->app->store)) {
		store_rollback(w->app->store);
	}
	if (ok) {
		res.status = 200;
		res.content_type = "application/zip";
		res.fd = fd;
		res.file_len = len;
	} else {
		if (fd >= 0)
			close(fd);
		log_error("export of account %lld: %s", (long long)w->account_id, fd >= 0 ? "the audit failed" : err);
		api_error(&c, 500, "internal", "The export could not be made.", NULL);
	}
	w->answer(w->answer_ctx, &res);
	free(w);
}

/* The person's data as a zip (application/zip), made on the exporter's thread and sent from its file; the export is
 * audited before the bytes leave. */
static void route_export(struct api_call *c)
{
	const char *ref;
	int missing;
	if (!api_require_role(c, "caseworker") || !require_person(c, c->ids[0]) || !(ref = reference(c)))
		return;
	struct export_wait *w = c->req->answer ? calloc(1, sizeof(*w)) : NULL;
	if (!w)
		return api_error(c, 503, "busy", "The server cannot make an export right now. Try again in a minute.",
				 NULL);
	commit_flush(&c->app->commit);
	json_t *doc = store_export_account(c->app->store, c->ids[0], &missing);
	if (!doc) {
		free(w);
		return api_error(c, 500, "internal", "The export could not be made.", NULL);
	}
	*w = (struct export_wait){.later = {export_cancel},
				  .app = c->app,
				  .answer = c->req->answer,
				  .answer_ctx = c->req->answer_ctx,
				  .me = c->me.id,
				  .account_id = c->ids[0],
				  .messages = json_array_size(json_object_get(doc, "messages")),
				  .entries = json_array_size(json_object_get(doc, "audit"))};
	snprintf(w->reference, sizeof(w->reference), "%s", ref);
	if (!(w->job = exporter_submit(c->app->exporter, doc, export_made, w))) {
		free(w);
		return api_error(c, 503, "busy", "Other exports are being made right now. Try again in a minute.",
				 NULL);
	}
	c->res->later = &w->later;
}

const struct api_route api_routes_retention[] = {
    {"GET", "/api/cases/#/retention", route_get},     {"POST", "/api/cases/#/retention", route_set},
    {"POST", "/api/cases/#/erase", route_erase_case}, {"POST", "/api/accounts/#/erase", route_erase_account},
    {"POST", "/api/accounts/#/export", route_export}, {NULL, NULL, NULL},
};
