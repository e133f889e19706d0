/* attachments.c: the attachments table — add, read, the one-step state changes, the read rule, quota bytes, removal.
 * Statements are prepared per call (store__prepare_once): a few per upload or download, never per packet. */
#include "server/blobs/attachments.h"

#include <stdio.h>
#include <string.h>

#include "server/store/store_internal.h"

static const char *const kind_names[ATT__KIND_COUNT] = {"photo", "video_clip", "voice_note", "profile_photo"};
static const char *const state_names[ATT__STATE_COUNT] = {"ready", "sent", "held", "approved", "rejected", "profile"};

const char *attachment_kind_name(enum attachment_kind k)
{
	return (unsigned)k < ATT__KIND_COUNT ? kind_names[k] : "?";
}

const char *attachment_state_name(enum attachment_state s)
{
	return (unsigned)s < ATT__STATE_COUNT ? state_names[s] : "?";
}

static int lookup(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int attachment_kind_parse(const char *name)
{
	return lookup(kind_names, ATT__KIND_COUNT, name);
}

int attachment_kind_channel(enum attachment_kind k)
{
	switch (k) {
	case ATT_PHOTO: return CH_PHOTO;
	case ATT_VIDEO_CLIP: return CH_VIDEO_CLIP;
	case ATT_VOICE_NOTE: return CH_VOICE_NOTE;
	default: return -1;
	}
}

static void bind_id_or_null(sqlite3_stmt *st, int col, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(st, col, v);
	else
		sqlite3_bind_null(st, col);
}

static void bind_hash_or_null(sqlite3_stmt *st, int col, const char *hash)
{
	if (hash[0])
		sqlite3_bind_text(st, col, hash, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col);
}

/* One more reference on a blob (its row made if new). */
static int blob_ref(struct store *s, const char *hash, int64_t bytes, int64_t now)
{
	if (!hash[0])
		return STORE_OK;
	sqlite3_stmt *st = store__prepare_once(s,
					       "INSERT INTO blobs(hash, bytes, refs, created_at) VALUES (?,?,1,?)"
					       " ON CONFLICT(hash) DO UPDATE SET refs = refs + 1",
					       "blob reference");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, bytes);
	sqlite3_bind_int64(st, 3, now);
	return store__write_once(s, st, "blob reference", 0);
}

static int blob_unref(struct store *s, const char *hash)
{
	if (!hash[0])
		return STORE_OK;
	sqlite3_stmt *st =
	    store__prepare_once(s, "UPDATE blobs SET refs = refs - 1 WHERE hash=? AND refs > 0", "blob reference");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	return store__write_once(s, st, "blob reference", 0);
}

static int add_row(struct store *s, const struct attachment *a)
{
	if (blob_ref(s, a->blob, a->bytes, a->created_at) || blob_ref(s, a->thumb, a->thumb_bytes, a->created_at) ||
	    blob_ref(s, a->poster, a->poster_bytes, a->created_at))
		return STORE_ERR;
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "INSERT INTO attachments(id, kind, uploader_id, case_id, agreement_id, account_id, mime, width, height,"
	    " duration_ms, waveform, bytes, blob, thumb, thumb_mime, poster, poster_mime, total_bytes, created_at)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    "add attachment");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, attachment_kind_name(a->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a->uploader_id);
	bind_id_or_null(st, 4, a->case_id);
	bind_id_or_null(st, 5, a->agreement_id);
	bind_id_or_null(st, 6, a->account_id);
	sqlite3_bind_text(st, 7, a->mime, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 8, a->width);
	sqlite3_bind_int(st, 9, a->height);
	sqlite3_bind_int64(st, 10, a->duration_ms);
	if (a->waveform_len > 0 && a->waveform_len <= ATTACHMENT_WAVEFORM_POINTS)
		sqlite3_bind_blob(st, 11, a->waveform, a->waveform_len, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 11);
	sqlite3_bind_int64(st, 12, a->bytes);
	sqlite3_bind_text(st, 13, a->blob, -1, SQLITE_TRANSIENT);
	bind_hash_or_null(st, 14, a->thumb);
	sqlite3_bind_text(st, 15, a->thumb[0] ? a->thumb_mime : "", -1, SQLITE_TRANSIENT);
	bind_hash_or_null(st, 16, a->poster);
	sqlite3_bind_text(st, 17, a->poster[0] ? a->poster_mime : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 18,
			   a->bytes + (a->thumb[0] ? a->thumb_bytes : 0) + (a->poster[0] ? a->poster_bytes : 0));
	sqlite3_bind_int64(st, 19, a->created_at);
	return store__write_once(s, st, "add attachment", 0);
}

int attachment_add(struct store *s, const struct attachment *a)
{
	/* a savepoint, so a refused row (duplicate id) takes back its blob references */
	if (store_exec(s, "SAVEPOINT attachment_add") != STORE_OK)
		return STORE_ERR;
	int rc = add_row(s, a);
	if (rc != STORE_OK)
		store_exec(s, "ROLLBACK TO attachment_add");
	return store_exec(s, "RELEASE attachment_add") == STORE_OK ? rc : STORE_ERR;
}

#define ATT_COLUMNS                                                                                                 \
	"id, kind, state, uploader_id, coalesce(case_id,0), coalesce(agreement_id,0), coalesce(account_id,0), seq," \
	" held_id, mime, width, height, duration_ms, waveform, bytes, blob, coalesce(thumb,''), thumb_mime,"        \
	" coalesce(poster,''), poster_mime, total_bytes, created_at, used_at, coalesce(decided_by,0), decided_at,"  \
	" reason, coalesce((SELECT b.bytes FROM blobs b WHERE b.hash = attachments.thumb), 0),"                     \
	" coalesce((SELECT b.bytes FROM blobs b WHERE b.hash = attachments.poster), 0)"

static void read_row(sqlite3_stmt *st, struct attachment *a)
{
	memset(a, 0, sizeof(*a));
	store__copy_text(st, 0, a->id, sizeof(a->id));
	a->kind = (enum attachment_kind)attachment_kind_parse((const char *)sqlite3_column_text(st, 1));
	a->state =
	    (enum attachment_state)lookup(state_names, ATT__STATE_COUNT, (const char *)sqlite3_column_text(st, 2));
	a->uploader_id = sqlite3_column_int64(st, 3);
	a->case_id = sqlite3_column_int64(st, 4);
	a->agreement_id = sqlite3_column_int64(st, 5);
	a->account_id = sqlite3_column_int64(st, 6);
	a->seq = sqlite3_column_int64(st, 7);
	a->held_id = sqlite3_column_int64(st, 8);
	store__copy_text(st, 9, a->mime, sizeof(a->mime));
	a->width = sqlite3_column_int(st, 10);
	a->height = sqlite3_column_int(st, 11);
	a->duration_ms = sqlite3_column_int64(st, 12);
	int n = sqlite3_column_bytes(st, 13);
	if (n > 0 && n <= ATTACHMENT_WAVEFORM_POINTS) {
		memcpy(a->waveform, sqlite3_column_blob(st, 13), (size_t)n);
		a->waveform_len = n;
	}
	a->bytes = sqlite3_column_int64(st, 14);
	store__copy_text(st, 15, a->blob, sizeof(a->blob));
	store__copy_text(st, 16, a->thumb, sizeof(a->thumb));
	store__copy_text(st, 17, a->thumb_mime, sizeof(a->thumb_mime));
	store__copy_text(st, 18, a->poster, sizeof(a->poster));
	store__copy_text(st, 19, a->poster_mime, sizeof(a->poster_mime));
	a->total_bytes = sqlite3_column_int64(st, 20);
	a->created_at = sqlite3_column_int64(st, 21);
	a->used_at = sqlite3_column_int64(st, 22);
	a->decided_by = sqlite3_column_int64(st, 23);
	a->decided_at = sqlite3_column_int64(st, 24);
	store__copy_text(st, 25, a->reason, sizeof(a->reason));
	a->thumb_bytes = sqlite3_column_int64(st, 26);
	a->poster_bytes = sqlite3_column_int64(st, 27);
}

/* Step a one-row read: STORE_OK with *out filled, STORE_NOT_FOUND, or STORE_ERR. */
static int read_one(struct store *s, sqlite3_stmt *st, struct attachment *out)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_row(st, out);
	int ret = rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "read attachment");
	sqlite3_finalize(st);
	return ret;
}

int attachment_get(struct store *s, const char *id, struct attachment *out)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT " ATT_COLUMNS " FROM attachments WHERE id=?", "attachment");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	return read_one(s, st, out);
}

int attachment_by_message(struct store *s, int64_t agreement, int64_t seq, struct attachment *out)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "SELECT " ATT_COLUMNS " FROM attachments WHERE agreement_id=? AND seq=? AND seq > 0", "attachment");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, agreement);
	sqlite3_bind_int64(st, 2, seq);
	return read_one(s, st, out);
}

/* Run an UPDATE that must change exactly one row (the state guard is in its WHERE). */
static int transition(struct store *s, sqlite3_stmt *st)
{
	return st ? store__write_once(s, st, "attachment state", 1) : STORE_ERR;
}

int attachment_mark_sent(struct store *s, const char *id, int64_t sender, int64_t agreement, int64_t seq, int64_t now)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"UPDATE attachments SET state='sent', seq=?, used_at=? WHERE id=?"
				" AND state='ready' AND uploader_id=? AND agreement_id=? AND kind<>'profile_photo'",
				"attachment state");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, sender);
	sqlite3_bind_int64(st, 5, agreement);
	return transition(s, st);
}

int attachment_mark_held(struct store *s, const char *id, int64_t sender, int64_t agreement, int64_t held_id,
			 int64_t now)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"UPDATE attachments SET state='held', held_id=?, used_at=? WHERE id=?"
				" AND state='ready' AND uploader_id=? AND agreement_id=? AND kind<>'profile_photo'",
				"attachment state");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, held_id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, sender);
	sqlite3_bind_int64(st, 5, agreement);
	return transition(s, st);
}

int attachment_mark_approved(struct store *s, const char *id, int64_t seq, int64_t reviewer, int64_t now)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"UPDATE attachments SET state='approved', seq=?, decided_by=?, decided_at=?"
				" WHERE id=? AND state='held'",
				"attachment state");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, seq);
	bind_id_or_null(st, 2, reviewer);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_TRANSIENT);
	return transition(s, st);
}

int attachment_mark_rejected(struct store *s, const char *id, int64_t reviewer, const char *reason, int64_t now)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"UPDATE attachments SET state='rejected', decided_by=?, decided_at=?, reason=?"
				" WHERE id=? AND state='held'",
				"attachment state");
	if (!st)
		return STORE_ERR;
	bind_id_or_null(st, 1, reviewer);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, reason ? reason : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_TRANSIENT);
	return transition(s, st);
}

int attachment_mark_profile(struct store *s, const char *id, int64_t uploader, int64_t account, int64_t now)
{
	sqlite3_stmt *st =
	    store__prepare_once(s,
				"UPDATE attachments SET state='profile', account_id=?, used_at=? WHERE id=?"
				" AND state='ready' AND uploader_id=? AND kind='profile_photo'",
				"attachment state");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, uploader);
	return transition(s, st);
}

int attachment_profile_of(struct store *s, int64_t account, char id[ATTACHMENT_ID_LEN + 1])
{
	sqlite3_stmt *st = store__prepare_once(s,
					       "SELECT id FROM attachments WHERE account_id=? AND state='profile'"
					       " ORDER BY used_at DESC, id LIMIT 1",
					       "profile photo");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, account);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		store__copy_text(st, 0, id, ATTACHMENT_ID_LEN + 1);
	int ret = rc == SQLITE_ROW ? STORE_OK : rc == SQLITE_DONE ? STORE_NOT_FOUND : store__fail(s, "profile photo");
	sqlite3_finalize(st);
	return ret;
}

/* 1 if the query (binding what it names) returns a row. */
static int exists(struct store *s, sqlite3_stmt *st)
{
	if (!st)
		return 0;
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

static int adult_in_case(struct store *s, int64_t case_id, int64_t account)
{
	if (case_id <= 0)
		return 0;
	sqlite3_stmt *st = store__prepare_once(s, "SELECT 1 FROM case_members WHERE case_id=? AND account_id=? LIMIT 1",
					       "media access");
	if (st) {
		sqlite3_bind_int64(st, 1, case_id);
		sqlite3_bind_int64(st, 2, account);
	}
	return exists(s, st);
}

static int party_of(struct store *s, int64_t agreement, int64_t account)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "SELECT 1 FROM agreements WHERE id=? AND (child_id=? OR contact_id=?)", "media access");
	if (st) {
		sqlite3_bind_int64(st, 1, agreement);
		sqlite3_bind_int64(st, 2, account);
		sqlite3_bind_int64(st, 3, account);
	}
	return exists(s, st);
}

/* Someone who shares an agreement with `person`, or an adult linked to the case of one of person's agreements. */
static int knows_person(struct store *s, int64_t person, int64_t account)
{
	sqlite3_stmt *st = store__prepare_once(
	    s,
	    "SELECT 1 FROM agreements g WHERE (g.child_id=?1 OR g.contact_id=?1) AND (g.child_id=?2 OR g.contact_id=?2"
	    " OR EXISTS (SELECT 1 FROM case_members m WHERE m.case_id=g.case_id AND m.account_id=?2)) LIMIT 1",
	    "media access");
	if (st) {
		sqlite3_bind_int64(st, 1, person);
		sqlite3_bind_int64(st, 2, account);
	}
	return exists(s, st);
}

int attachment_may_read(struct store *s, const struct attachment *a, int64_t account)
{
	if (account <= 0)
		return 0;
	if (a->uploader_id == account)
		return 1;
	if ((a->state == ATT_SENT || a->state == ATT_APPROVED) && party_of(s, a->agreement_id, account))
		return 1;
	if (a->state == ATT_PROFILE && (a->account_id == account || knows_person(s, a->account_id, account)))
		return 1;
	return adult_in_case(s, a->case_id, account);
}

int attachment_case_bytes(struct store *s, int64_t case_id, int64_t *bytes)
{
	sqlite3_stmt *st = store__prepare_once(
	    s, "SELECT coalesce(sum(total_bytes),0) FROM attachments WHERE case_id=?", "case media bytes");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, case_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*bytes = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : store__fail(s, "case media bytes");
}

int attachment_delete(struct store *s, const char *id)
{
	struct attachment a;
	int rc = attachment_get(s, id, &a);
	if (rc != STORE_OK)
		return rc;
	sqlite3_stmt *st = store__prepare_once(s, "DELETE FROM attachments WHERE id=?", "delete attachment");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = store__write_once(s, st, "delete attachment", 1);
	if (rc == STORE_OK && (blob_unref(s, a.blob) || blob_unref(s, a.thumb) || blob_unref(s, a.poster)))
		return STORE_ERR;
	return rc;
}

int attachment_unused(struct store *s, int64_t before, int limit, attachment_id_cb cb, void *ctx)
{
	sqlite3_stmt *st = store__prepare_once(s,
					       "SELECT id FROM attachments WHERE state='ready' AND created_at < ?"
					       " ORDER BY created_at LIMIT ?",
					       "unused attachments");
	if (!st)
		return STORE_ERR;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int(st, 2, limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(st, 0), ctx);
	return store__read_done(s, st, rc, "unused attachments");
}
