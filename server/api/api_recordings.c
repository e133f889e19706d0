/* api_recordings.c: the admin API's call recordings (docs/ADMIN-API.md, "Call recordings"): the list of a case's
 * recordings, grouped by recording with one file per row, and deletion of a whole recording. Adults of the case list
 * them (and play them at /media/recordings/<id>); only its caseworkers delete. */
#include <string.h>

#include "server/api/api_routes.h"
#include "server/blobs/blobstore.h"
#include "server/recordings/recordings.h"
#include "server/session/state.h"
#include "server/store/audit.h"

static void add_row(const struct recording_row *r, void *ctx)
{
	json_array_append_new(ctx, recording_json(r));
}

static void route_list(struct api_call *c)
{
	json_t *files = json_array();
	if (!api_require_case(c, c->ids[0], "caseworker,supervisor,carer")) {
		json_decref(files);
		return;
	}
	if (recordings_list(c->app->store, c->ids[0], add_row, files) != STORE_OK) {
		json_decref(files);
		return api_error(c, 500, "internal", "The store is not available.", NULL);
	}
	api_reply(c, 200, json_pack("{s:I,s:o}", "case_id", (json_int_t)c->ids[0], "files", files));
}

struct doomed {
	const char *recording;
	int64_t case_id, call_id;
	char ids[RECORDING_FILES_MAX][RECORDING_ID_LEN + 1];
	int n;
};

static void collect(const struct recording_row *r, void *ctx)
{
	struct doomed *d = ctx;
	if (strcmp(r->recording, d->recording) || d->n == RECORDING_FILES_MAX)
		return;
	d->call_id = r->call_id;
	memcpy(d->ids[d->n++], r->id, sizeof(d->ids[0]));
}

static void route_delete(struct api_call *c)
{
	struct doomed d = {.recording = api_body_str(c, "recording"), .case_id = c->ids[0]};
	if (!api_require_case(c, c->ids[0], "caseworker,supervisor,carer"))
		return;
	if (!store_case_has_member(c->app->store, c->ids[0], c->me.id, "caseworker"))
		return api_error(c, 403, "forbidden", "Only the case's caseworker can delete a recording.", NULL);
	if (!d.recording || strlen(d.recording) != RECORDING_ID_LEN)
		return api_error(c, 400, "bad_request", "Name the recording to delete.", "recording");
	if (recordings_list(c->app->store, c->ids[0], collect, &d) != STORE_OK)
		return api_error(c, 500, "internal", "The store is not available.", NULL);
	if (!d.n)
		return api_error(c, 404, "not_found", "This case has no such recording.", "recording");
	if (!api_write_begin(c))
		return;
	for (int i = 0; i < d.n; i++)
		if (recordings_delete(c->app->store, d.ids[i]) != STORE_OK)
			return api_error(c, 500, "internal", "The recording could not be deleted.", NULL);
	if (audit_append(c->app->store, c->me.id, AUDIT_CALL_RECORDING, c->ids[0], 0,
			 json_pack("{s:I,s:s,s:s,s:i}", "call_id", (json_int_t)d.call_id, "action", "deleted",
				   "recording", d.recording, "files", d.n)) != STORE_OK)
		return api_error(c, 500, "internal", "The recording could not be deleted.", NULL);
	if (!api_write_commit(c, 0))
		return;
	blobstore_sweep(c->app->blobs, c->app->store, 1000); /* the files go now, not at the next sweep */
	api_reply(c, 200, json_pack("{s:s,s:i}", "deleted", d.recording, "files", d.n));
}

const struct api_route api_routes_recordings[] = {
    {"GET", "/api/cases/#/recordings", route_list},
    {"POST", "/api/cases/#/recordings/delete", route_delete},
    {NULL, NULL, NULL},
};
