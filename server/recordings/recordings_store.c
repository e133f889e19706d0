/* recordings_store.c: the recordings table — rows, their blob references, lists by case, the play rule, wire JSON. */
#include "server/recordings/recordings.h"

#include <string.h>

#include <sqlite3.h>

#include "server/blobs/blobstore.h"
#include "server/store/audit.h"
#include "server/store/store_internal.h"

#define COLS                                                                                              \
	"id, recording, case_id, call_id, kind, coalesce(account_id, 0), blob, mime, bytes, duration_ms," \
	" coalesce(started_by, 0), started_at, ended_at, interrupted"

static void text_col(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	snprintf(out, cap, "%s", t ? t : "");
}

static void read_row(sqlite3_stmt *st, struct recording_row *r)
{
	memset(r, 0, sizeof(*r));
	text_col(st, 0, r->id, sizeof(r->id));
	text_col(st, 1, r->recording, sizeof(r->recording));
	r->case_id = sqlite3_column_int64(st, 2);
	r->call_id = sqlite3_column_int64(st, 3);
	text_col(st, 4, r->kind, sizeof(r->kind));
	r->account_id = sqlite3_column_int64(st, 5);
	text_col(st, 6, r->blob, sizeof(r->blob));
	text_col(st, 7, r->mime, sizeof(r->mime));
	r->bytes = sqlite3_column_int64(st, 8);
	r->duration_ms = sqlite3_column_int64(st, 9);
	r->started_by = sqlite3_column_int64(st, 10);
	r->started_at = sqlite3_column_int64(st, 11);
	r->ended_at = sqlite3_column_int64(st, 12);
	r->interrupted = sqlite3_column_int(st, 13);
}

static void bind_id_or_null(sqlite3_stmt *st, int col, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, col, v);
	else
		sqlite3_bind_null(st, col);
}

int recordings_add(struct store *s, const struct recording_row *r)
{
	if (blobs_ref(s, r->blob, r->bytes, r->ended_at) != STORE_OK)
		return STORE_ERR;
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"INSERT INTO recordings(id, recording, case_id, call_id, kind, account_id,"
				" blob, mime, bytes, duration_ms, started_by, started_at, ended_at,"
				" interrupted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				"recording");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->recording, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, r->case_id);
	sqlite3_bind_int64(st, 4, r->call_id);
	sqlite3_bind_text(st, 5, r->kind, -1, SQLITE_TRANSIENT);
	bind_id_or_null(st, 6, r->account_id);
	sqlite3_bind_text(st, 7, r->blob, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, r->mime, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, r->bytes);
	sqlite3_bind_int64(st, 10, r->duration_ms);
	bind_id_or_null(st, 11, r->started_by);
	sqlite3_bind_int64(st, 12, r->started_at);
	sqlite3_bind_int64(st, 13, r->ended_at);
	sqlite3_bind_int(st, 14, r->interrupted);
	return store__write_once(s, st, "recording", 1);
}

int recordings_get(struct store *s, const char *id, struct recording_row *out)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT " COLS " FROM recordings WHERE id=?", "recording");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_row(st, out);
	int ret = rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "recording");
	sqlite3_finalize(st);
	return ret;
}

static int each_row(struct store *s, sqlite3_stmt *st, recording_row_cb cb, void *ctx)
{
	int rc;
	struct recording_row r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, &r);
		cb(&r, ctx);
	}
	return store__read_done(s, st, rc, "recordings");
}

int recordings_list(struct store *s, int64_t case_id, recording_row_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "SELECT " COLS " FROM recordings WHERE case_id=? ORDER BY started_at DESC, kind, account_id",
	    "recordings");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	return each_row(s, st, cb, ctx);
}

int recordings_delete(struct store *s, const char *id)
{
	struct recording_row r;
	int rc = recordings_get(s, id, &r);
	if (rc != STORE_OK)
		return rc;
	sqlite3_stmt *st = store__prepare_once(s, "DELETE FROM recordings WHERE id=?", "recording");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = store__write_once(s, st, "recording", 1);
	return rc == STORE_OK ? blobs_unref(s, r.blob) : rc;
}

int recordings_may_play(struct store *s, const struct recording_row *r, int64_t account)
{
	static const char *const roles[] = {"caseworker", "supervisor", "carer"};
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (store_case_has_member(s, r->case_id, account, roles[i]) == 1)
			return 1;
	return 0;
}

json_t *recording_json(const struct recording_row *r)
{
	char url[64];
	snprintf(url, sizeof(url), "/media/recordings/%s", r->id);
	json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:s}", "id", r->id, "recording",
			      r->recording, "case_id", (json_int_t)r->case_id, "call_id", (json_int_t)r->call_id,
			      "kind", r->kind, "mime", r->mime, "bytes", (json_int_t)r->bytes, "duration_ms",
			      (json_int_t)r->duration_ms, "started_at", (json_int_t)r->started_at, "ended_at",
			      (json_int_t)r->ended_at, "interrupted", r->interrupted, "url", url);
	if (o && r->account_id)
		json_object_set_new(o, "account_id", json_integer(r->account_id));
	if (o && r->started_by)
		json_object_set_new(o, "started_by", json_integer(r->started_by));
	return o;
}

struct expiring {
	struct recording_row rows[64];
	int n;
};

static void take(const struct recording_row *r, void *ctx)
{
	struct expiring *e = ctx;
	if (e->n < (int)(sizeof(e->rows) / sizeof(e->rows[0])))
		e->rows[e->n++] = *r;
}

int recordings_expire(struct store *s, int64_t now, int limit, int *removed)
{
	struct expiring e = {.n = 0};
	*removed = 0;
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"SELECT " COLS " FROM recordings WHERE case_id IN (SELECT case_id FROM retention"
				" WHERE recordings_days > 0) AND started_at < ? - 86400000 * (SELECT"
				" recordings_days FROM retention t WHERE t.case_id = recordings.case_id)"
				" ORDER BY recording LIMIT ?",
				"expired recordings");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, limit < 64 ? limit : 64);
	if (each_row(s, st, take, &e) != STORE_OK)
		return STORE_ERR;
	for (int i = 0; i < e.n; i++) {
		const struct recording_row *r = &e.rows[i];
		if (recordings_delete(s, r->id) != STORE_OK)
			return STORE_ERR;
		if ((i == 0 || strcmp(e.rows[i - 1].recording, r->recording)) &&
		    audit_append(s, 0, AUDIT_CALL_RECORDING, r->case_id, 0,
				 json_pack("{s:I,s:s,s:s}", "call_id", (json_int_t)r->call_id, "action", "expired",
					   "recording", r->recording)) != STORE_OK)
			return STORE_ERR;
		(*removed)++;
	}
	return STORE_OK;
}
