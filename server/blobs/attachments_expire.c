/* attachments_expire.c: removing media for retention and unsent uploads, and the marks expired attachments leave
 * (see attachments_expire.h). Rows are read in batches first and deleted after, never under an open SELECT. */
#include "server/blobs/attachments_expire.h"

#include <string.h>

#include "server/store/audit.h"
#include "server/store/store_internal.h"

#define BATCH 64
#define DAY_MS 86400000LL

struct due {
	char id[ATTACHMENT_ID_LEN + 1];
	char kind[16];
	int64_t agreement_id, seq, case_id, uploader_id, total_bytes;
	int media_days; /* 0: its message went below a floor */
};

/* Sent, approved or rejected attachments whose time is up, ?2 at most, in two rules: older than their case's media
 * period at ?1 (now), and those whose message went below its conversation's floor. Each reads only what is due
 * through an index (cases with a period, then each of their agreements' attachments by used_at; conversations with
 * a floor, then their attachments by seq): at a million attachments one scan of them all took 0.9 s of the control
 * thread. The period rule runs to the end first, so an attachment due by both is reported with its period. */
static const char *const due_sql[] = {
    "SELECT x.id, x.kind, x.agreement_id, x.seq, g.case_id, x.uploader_id, x.total_bytes, r.media_days"
    " FROM retention r CROSS JOIN agreements g CROSS JOIN attachments x INDEXED BY attachments_used"
    " WHERE r.media_days > 0 AND g.case_id = r.case_id AND x.agreement_id = g.id"
    " AND x.state IN ('sent', 'approved', 'rejected') AND x.used_at < ?1 - 86400000 * r.media_days LIMIT ?2",
    "SELECT x.id, x.kind, x.agreement_id, x.seq, g.case_id, x.uploader_id, x.total_bytes, 0"
    " FROM message_floors f CROSS JOIN attachments x INDEXED BY attachments_message CROSS JOIN agreements g"
    " WHERE x.agreement_id = f.agreement_id AND x.seq > 0 AND x.seq < f.first_seq AND g.id = x.agreement_id"
    " AND x.state IN ('sent', 'approved', 'rejected') LIMIT ?2",
};

static int read_due(struct store *s, int rule, int64_t now, struct due *rows, int *n)
{
	sqlite3_stmt *st = store__prepare_once(s, due_sql[rule], "expired media");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, BATCH);
	int rc;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < BATCH) {
		struct due *d = &rows[(*n)++];
		store__copy_text(st, 0, d->id, sizeof(d->id));
		store__copy_text(st, 1, d->kind, sizeof(d->kind));
		d->agreement_id = sqlite3_column_int64(st, 2);
		d->seq = sqlite3_column_int64(st, 3);
		d->case_id = sqlite3_column_int64(st, 4);
		d->uploader_id = sqlite3_column_int64(st, 5);
		d->total_bytes = sqlite3_column_int64(st, 6);
		d->media_days = sqlite3_column_int(st, 7);
	}
	return store__read_done(s, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "expired media");
}

/* The mark at its message (only sent and approved attachments have one). */
static int leave_mark(struct store *s, const struct due *d, int64_t now)
{
	if (d->seq <= 0)
		return STORE_OK;
	sqlite3_stmt *st = store__prepare_once(s,
					       "INSERT OR REPLACE INTO attachments_expired(agreement_id, seq, id, kind,"
					       " uploader_id, expired_at) VALUES (?,?,?,?,?,?)",
					       "expired attachment");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, d->agreement_id);
	sqlite3_bind_int64(st, 2, d->seq);
	sqlite3_bind_text(st, 3, d->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, d->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, d->uploader_id);
	sqlite3_bind_int64(st, 6, now);
	return store__write_once(s, st, "expired attachment", 1);
}

static int expire_one(struct store *s, const struct due *d, int64_t now)
{
	json_t *detail =
	    json_pack("{s:s,s:s,s:s,s:I,s:s}", "action", "media_expired", "attachment", d->id, "kind", d->kind, "seq",
		      (json_int_t)d->seq, "reason", d->media_days ? "media_days" : "message_removed");
	if (detail && d->media_days)
		json_object_set_new(detail, "media_days", json_integer(d->media_days));
	if (leave_mark(s, d, now) != STORE_OK || attachment_delete(s, d->id) != STORE_OK) {
		json_decref(detail);
		return STORE_ERR;
	}
	return audit_append(s, 0, AUDIT_RETENTION, d->case_id, d->agreement_id, detail);
}

int attachment_expire_media(struct store *s, int64_t now, int limit, struct attachment_expiry *out)
{
	struct due rows[BATCH];
	int n;
	memset(out, 0, sizeof(*out));
	for (int rule = 0; rule < 2 && out->removed < limit; rule++) {
		do {
			if (read_due(s, rule, now, rows, &n) != STORE_OK)
				return STORE_ERR;
			for (int i = 0; i < n && out->removed < limit; i++) {
				if (expire_one(s, &rows[i], now) != STORE_OK)
					return STORE_ERR;
				out->removed++;
				out->bytes += rows[i].total_bytes;
			}
		} while (n == BATCH && out->removed < limit);
	}
	return STORE_OK;
}

struct unsent {
	char ids[BATCH][ATTACHMENT_ID_LEN + 1];
	int n;
};

static void take_id(const char *id, void *ctx)
{
	struct unsent *u = ctx;
	if (u->n < BATCH && id)
		snprintf(u->ids[u->n++], sizeof(u->ids[0]), "%s", id);
}

int attachment_expire_unsent(struct store *s, int64_t before, int limit, struct attachment_expiry *out)
{
	struct unsent u;
	memset(out, 0, sizeof(*out));
	do {
		u.n = 0;
		if (attachment_unused(s, before, BATCH, take_id, &u) != STORE_OK)
			return STORE_ERR;
		for (int i = 0; i < u.n && out->removed < limit; i++) {
			struct attachment a;
			if (attachment_get(s, u.ids[i], &a) != STORE_OK || attachment_delete(s, u.ids[i]) != STORE_OK)
				return STORE_ERR;
			out->removed++;
			out->bytes += a.total_bytes;
		}
	} while (u.n == BATCH && out->removed < limit);
	return STORE_OK;
}

int attachment_expired_at(struct store *s, int64_t agreement, int64_t seq, struct attachment_gone *out)
{
	sqlite3_stmt *st = store__prepare_once(s,
					       "SELECT id, kind, uploader_id, expired_at FROM attachments_expired"
					       " WHERE agreement_id=? AND seq=?",
					       "expired attachment");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, seq);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		store__copy_text(st, 0, out->id, sizeof(out->id));
		out->kind = (enum attachment_kind)attachment_kind_parse((const char *)sqlite3_column_text(st, 1));
		out->uploader_id = sqlite3_column_int64(st, 2);
		out->expired_at = sqlite3_column_int64(st, 3);
	}
	int ret = rc == SQLITE_ROW ? STORE_OK
	    : rc == SQLITE_DONE    ? STORE_NOT_FOUND
				   : store__fail(s, "expired attachment");
	sqlite3_finalize(st);
	return ret;
}
