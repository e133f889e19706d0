/* store_export.c: the subject-access document of one person (see store_export.h). Rows are turned into JSON by
 * SQLite's json_object, so the column names are the document's names. */
#include "server/store/store_export.h"

#include <stdio.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/store/msglog.h"
#include "server/store/store_internal.h"

#define THEIRS "(SELECT id FROM agreements WHERE child_id = ?1 OR contact_id = ?1)"

/* Photos, clips and voice notes the person may open (attachment_may_read for a child or contact): every one they
 * uploaded, whatever became of it, and those sent or approved in their conversations. "file" names the main blob's
 * copy in the zip (export_zip.h); thumbnails and posters are derived from it and left out. */
#define MEDIA_SQL                                                                                                 \
	"SELECT json_object('id', id, 'kind', kind, 'mime', mime, 'bytes', bytes, 'width', nullif(width, 0),"     \
	" 'height', nullif(height, 0), 'duration_ms', nullif(duration_ms, 0), 'from', uploader_id,"               \
	" 'agreement_id', agreement_id, 'seq', nullif(seq, 0), 'state', state, 'uploaded_at', created_at,"        \
	" 'sent_at', nullif(used_at, 0), 'sha256', blob, 'file', 'media/' || id || CASE mime WHEN 'image/jpeg'"   \
	" THEN '.jpg' WHEN 'video/mp4' THEN '.mp4' WHEN 'video/webm' THEN '.webm' WHEN 'audio/ogg' THEN '.ogg'"   \
	" WHEN 'audio/webm' THEN '.weba' ELSE '' END) FROM attachments WHERE kind IN ('photo', 'video_clip',"     \
	" 'voice_note') AND (uploader_id = ?1 OR (state IN ('sent', 'approved') AND agreement_id IN " THEIRS "))" \
	" ORDER BY created_at, id"

/* Run sql (?1 = account, ?2 = quoted username) whose one column is JSON text; the values in an array. */
static json_t *rows(struct store *s, const char *sql, int64_t account, const char *quoted)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store__fail(s, "export");
		return NULL;
	}
	sqlite3_bind_int64(st, 1, account);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, quoted, -1, SQLITE_STATIC);
	json_t *out = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		store__fail(s, "export");
		return NULL;
	}
	return out;
}

static void add_message(const struct message *m, void *ctx)
{
	json_array_append_new(ctx,
			      json_pack("{s:I,s:I,s:I,s:s%,s:I}", "agreement_id", (json_int_t)m->agreement_id, "seq",
					(json_int_t)m->seq, "from", (json_int_t)m->sender_id, "text", m->text,
					m->text_len, "sent_at", (json_int_t)m->sent_at));
}

/* Every kept message of one conversation, oldest first (paging back from the newest). */
static json_t *conversation(struct store *s, int64_t id)
{
	json_t *list = json_array();
	int more = 1;
	for (int64_t before = 0; more;) {
		json_t *page = json_array();
		if (store_messages_page(s, id, before, 100, &more, add_message, page) != STORE_OK) {
			json_decref(page);
			json_decref(list);
			return NULL;
		}
		before = json_integer_value(json_object_get(json_array_get(page, 0), "seq"));
		json_array_extend(page, list); /* this older page goes first */
		json_decref(list);
		list = page;
		if (before <= 1)
			break;
	}
	return list;
}

static json_t *messages(struct store *s, json_t *agreements)
{
	json_t *all = json_array(), *a;
	size_t i;
	json_array_foreach(agreements, i, a)
	{
		json_t *conv = conversation(s, json_integer_value(json_object_get(a, "id")));
		if (!conv) {
			json_decref(all);
			return NULL;
		}
		json_array_extend(all, conv);
		json_decref(conv);
	}
	return all;
}

json_t *store_export_account(struct store *s, int64_t account_id, int *missing)
{
	struct account acc;
	*missing = 0;
	int rc = store_account_by_id(s, account_id, &acc);
	if (rc != STORE_OK) {
		*missing = rc == STORE_NOT_FOUND;
		return NULL;
	}
	char quoted[80];
	snprintf(quoted, sizeof(quoted), "%%\"%s\"%%", acc.username);
	json_t *doc = json_pack("{s:s,s:I}", "format", EXPORT_FORMAT, "generated_at", (json_int_t)clock_now_ms());
	json_t *parts[] = {
	    rows(s,
		 "SELECT json_object('id', id, 'username', username, 'display_name', display_name, 'role', role,"
		 " 'language', language, 'created_at', created_at, 'disabled', disabled) FROM accounts WHERE id = ?1",
		 account_id, quoted),
	    rows(s,
		 "SELECT json_object('case_id', id, 'role', 'child', 'time_zone', time_zone) FROM cases WHERE child_id "
		 "= ?1"
		 " UNION ALL SELECT json_object('case_id', case_id, 'role', role) FROM case_members WHERE account_id = "
		 "?1",
		 account_id, quoted),
	    rows(
		s,
		"SELECT json_object('id', id, 'case_id', case_id, 'child_id', child_id, 'contact_id', contact_id,"
		" 'relationship', relationship, 'status', status, 'status_reason', status_reason, 'channels',"
		" json_object('text', ch_text, 'photo', ch_photo, 'video_clip', ch_video_clip, 'voice_note',"
		" ch_voice_note, 'voice_call', ch_voice_call, 'video_call', ch_video_call), 'valid_from', valid_from,"
		" 'valid_until', valid_until, 'terms', json(terms), 'created_at', created_at, 'updated_at', updated_at)"
		" FROM agreements WHERE id IN " THEIRS " ORDER BY id",
		account_id, quoted),
	    rows(s,
		 "SELECT json_object('agreement_id', agreement_id, 'from', sender_id, 'text', body, 'sent_at', sent_at,"
		 " 'reason', reason, 'state', state, 'attachment_id', NULLIF(attachment_id, ''),"
		 " 'decision_reason', NULLIF(decision_reason, '')) FROM held WHERE agreement_id IN " THEIRS
		 " OR sender_id = ?1"
		 " ORDER BY id",
		 account_id, quoted),
	    rows(
		s,
		"SELECT json_object('agreement_id', agreement_id, 'by_role', by_role, 'reason', reason, 'started_at',"
		" started_at, 'expires_at', expires_at, 'ended_at', ended_at) FROM pauses WHERE agreement_id IN " THEIRS
		" OR by_account = ?1 ORDER BY id",
		account_id, quoted),
	    rows(s,
		 "SELECT json_object('seq', seq, 'at', at, 'actor', actor, 'kind', kind, 'case_id', case_id,"
		 " 'agreement_id', agreement_id, 'detail', json(detail)) FROM audit WHERE actor = ?1 OR agreement_id IN"
		 " " THEIRS " OR detail LIKE ?2 ORDER BY seq",
		 account_id, quoted),
	};
	static const char *const names[] = {"account", "cases", "agreements", "held_messages", "pauses", "audit"};
	int ok = 1;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		ok = ok && parts[i];
		if (parts[i])
			json_object_set_new(doc, names[i],
					    i == 0 ? json_incref(json_array_get(parts[i], 0)) : parts[i]);
		if (i == 0 && parts[i])
			json_decref(parts[i]);
	}
	json_t *msgs = ok ? messages(s, json_object_get(doc, "agreements")) : NULL;
	if (!msgs) {
		json_decref(doc);
		return NULL;
	}
	json_object_set_new(doc, "messages", msgs);
	json_t *media = rows(s, MEDIA_SQL, account_id, quoted);
	if (!media) {
		json_decref(doc);
		return NULL;
	}
	json_object_set_new(doc, "media", media);
	return doc;
}
