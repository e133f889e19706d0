/* test_attachments_expire.c: server/blobs/attachments_expire.c — which attachments the retention sweep removes
 * (media_days by the time they were sent, messages below a floor, uploads never sent), what it keeps (held ones,
 * recent ones, other cases, a blob another attachment shares), the marks history reads, and the audit entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/blobs/attachments_expire.h"
#include "server/store/store_internal.h"
#include "tests/unit/check.h"

#define DAY 86400000LL
#define NOW (100 * DAY)

/* Case 1 (child 1, mum 2) keeps media 7 days; case 2 (child 3, uncle 4) keeps them for ever. */
static const char *const fixture =
    "INSERT INTO accounts(id,username,display_name,role,password_hash,created_at) VALUES"
    " (1,'kid','Kid','child','h',1),(2,'mum','Mum','contact','h',1),(3,'kid2','Kid2','child','h',1),"
    " (4,'uncle','Uncle','contact','h',1);"
    "INSERT INTO cases(id,child_id,created_at) VALUES (1,1,1),(2,3,1);"
    "INSERT INTO agreements(id,case_id,child_id,contact_id,relationship,status,created_at,updated_at) VALUES"
    " (1,1,1,2,'Mum','active',1,1),(2,2,3,4,'Uncle','active',1,1);"
    "INSERT INTO retention(case_id,messages_days,media_days,recordings_days,set_at) VALUES (1,0,7,0,1);";

#define SHARED "1111111111111111111111111111111111111111111111111111111111111111"

/* What to make: id, uploader, agreement, state reached, seq, when used (sent/held) or created, its blob. */
static const struct item {
	const char *id;
	int64_t uploader, agreement;
	enum attachment_state state;
	int64_t seq, at;
	const char *blob;
	int removed; /* by the media sweep (1), the floor (2), as unsent (3), or kept (0) */
} items[] = {
    {"oldSentAAAAAAAAAAAAAAA", 2, 1, ATT_SENT, 1, NOW - 10 * DAY, SHARED, 1},
    {"newSentBBBBBBBBBBBBBBB", 2, 1, ATT_SENT, 2, NOW - 1 * DAY, SHARED, 0},
    {"oldRejectCCCCCCCCCCCCC", 2, 1, ATT_REJECTED, 0, NOW - 10 * DAY, "c", 1},
    {"oldHeldDDDDDDDDDDDDDDD", 2, 1, ATT_HELD, 0, NOW - 10 * DAY, "d", 0},
    {"kidOldEEEEEEEEEEEEEEEE", 1, 1, ATT_SENT, 3, NOW - 8 * DAY, "e", 1},
    {"otherCaseFFFFFFFFFFFFF", 4, 2, ATT_SENT, 1, NOW - 50 * DAY, "f", 2},
    {"otherCaseGGGGGGGGGGGGG", 4, 2, ATT_SENT, 2, NOW - 50 * DAY, "g", 0},
    {"unsentOldHHHHHHHHHHHHH", 2, 1, ATT_READY, 0, NOW - 2 * DAY, "h", 3},
    {"unsentNewIIIIIIIIIIIII", 2, 1, ATT_READY, 0, NOW - 3600000, "i", 0},
};
#define N_ITEMS (sizeof(items) / sizeof(items[0]))

static void hash_of(const char *blob, char out[ATTACHMENT_HASH_LEN + 1])
{
	if (strlen(blob) == ATTACHMENT_HASH_LEN) {
		snprintf(out, ATTACHMENT_HASH_LEN + 1, "%s", blob);
		return;
	}
	memset(out, blob[0], ATTACHMENT_HASH_LEN);
	out[ATTACHMENT_HASH_LEN] = 0;
}

static void make(struct store *s, const struct item *it)
{
	struct attachment a = {.kind = ATT_PHOTO, .uploader_id = it->uploader, .agreement_id = it->agreement};
	a.case_id = it->agreement;
	snprintf(a.id, sizeof(a.id), "%s", it->id);
	snprintf(a.mime, sizeof(a.mime), "image/jpeg");
	hash_of(it->blob, a.blob);
	a.bytes = 1000;
	a.created_at = it->at;
	int ok = attachment_add(s, &a) == STORE_OK;
	if (it->state == ATT_SENT)
		ok = ok && attachment_mark_sent(s, a.id, it->uploader, it->agreement, it->seq, it->at) == STORE_OK;
	if (it->state == ATT_HELD || it->state == ATT_REJECTED)
		ok = ok && attachment_mark_held(s, a.id, it->uploader, it->agreement, 7, it->at) == STORE_OK;
	if (it->state == ATT_REJECTED)
		ok = ok && attachment_mark_rejected(s, a.id, 0, "no", it->at + 1) == STORE_OK;
	CHECK(ok, it->id);
}

static int64_t count(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return n;
}

static int exists(struct store *s, const char *id)
{
	struct attachment a;
	return attachment_get(s, id, &a) == STORE_OK;
}

/* Only the items removed by `phase` (or earlier) are gone. */
static void check_removed(struct store *s, int phase, const char *what)
{
	for (size_t i = 0; i < N_ITEMS; i++) {
		int gone = items[i].removed && items[i].removed <= phase;
		char label[128];
		snprintf(label, sizeof(label), "%s: %s %s", what, items[i].id, gone ? "removed" : "kept");
		CHECK(exists(s, items[i].id) == !gone, label);
	}
}

static void test_media_days(struct store *s)
{
	struct attachment_expiry e;
	store_begin(s);
	CHECK(attachment_expire_media(s, NOW, 1000, &e) == STORE_OK && e.removed == 3 && e.bytes == 3000,
	      "three past the period: sent, rejected, the child's own");
	store_commit(s);
	check_removed(s, 1, "media_days");
	CHECK(count(s, "SELECT refs FROM blobs WHERE hash='" SHARED "'") == 1,
	      "the shared blob keeps the newer reference");
	CHECK(count(s,
		    "SELECT refs FROM blobs WHERE hash='cccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
		    "cccccccc'") == 0,
	      "the rejected photo's blob has no reference left (the blob sweep deletes it)");
	struct attachment_gone g;
	CHECK(attachment_expired_at(s, 1, 1, &g) == STORE_OK && !strcmp(g.id, items[0].id) && g.kind == ATT_PHOTO &&
		  g.uploader_id == 2 && g.expired_at == NOW,
	      "the mark at the sent message");
	CHECK(attachment_expired_at(s, 1, 2, &g) == STORE_NOT_FOUND, "no mark where the photo is kept");
	CHECK(count(s, "SELECT count(*) FROM attachments_expired") == 2, "no mark for a rejected photo");
	CHECK(count(s,
		    "SELECT count(*) FROM audit WHERE kind='retention' AND detail LIKE '%\"media_expired\"%'"
		    " AND detail LIKE '%\"reason\":\"media_days\"%' AND case_id=1 AND agreement_id=1") == 3,
	      "each removal audited on its case and agreement");
	store_begin(s);
	CHECK(attachment_expire_media(s, NOW, 1000, &e) == STORE_OK && e.removed == 0, "a second sweep finds nothing");
	store_commit(s);
}

static void test_floor(struct store *s)
{
	struct attachment_expiry e;
	store_begin(s);
	store_exec(s, "INSERT INTO message_floors(agreement_id, first_seq) VALUES (2, 2)");
	CHECK(attachment_expire_media(s, NOW, 1000, &e) == STORE_OK && e.removed == 1,
	      "the attachment of a removed message goes with it, whatever the media period");
	store_commit(s);
	check_removed(s, 2, "floor");
	CHECK(
	    count(s, "SELECT count(*) FROM audit WHERE detail LIKE '%\"reason\":\"message_removed\"%' AND case_id=2") ==
		1,
	    "audited as removed with its message");
}

static void test_unsent(struct store *s)
{
	struct attachment_expiry e;
	int64_t audit = count(s, "SELECT count(*) FROM audit");
	store_begin(s);
	CHECK(attachment_expire_unsent(s, NOW - DAY, 1000, &e) == STORE_OK && e.removed == 1 && e.bytes == 1000,
	      "the upload never sent within a day");
	store_commit(s);
	check_removed(s, 3, "unsent");
	CHECK(count(s, "SELECT count(*) FROM audit") == audit, "unsent uploads are not audited");
}

static void test_limit(struct store *s)
{
	struct attachment_expiry e;
	char sql[256];
	store_begin(s);
	for (int i = 0; i < 70; i++) { /* more than one batch */
		struct item it = {NULL, 2, 1, ATT_SENT, 100 + i, NOW - 30 * DAY, "j", 1};
		char id[ATTACHMENT_ID_LEN + 1];
		snprintf(id, sizeof(id), "limit%017d", i);
		it.id = id;
		make(s, &it);
	}
	store_commit(s);
	store_begin(s);
	CHECK(attachment_expire_media(s, NOW, 65, &e) == STORE_OK && e.removed == 65, "at most the limit");
	CHECK(attachment_expire_media(s, NOW, 1000, &e) == STORE_OK && e.removed == 5, "the rest next time");
	store_commit(s);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM attachments WHERE id LIKE 'limit%%'");
	CHECK(count(s, sql) == 0, "all gone");
	CHECK(count(s, "SELECT refs FROM blobs WHERE hash LIKE 'jjjj%'") == 0, "70 references dropped from one blob");
}

int main(void)
{
	char dir[] = "/tmp/samvaer-attx-XXXXXX", err[256], cmd[64];
	if (!mkdtemp(dir))
		return 1;
	struct store *s = store_open(dir, STORE_SYNC_NORMAL, err, sizeof(err));
	if (!s || store_exec(s, fixture) != STORE_OK) {
		fprintf(stderr, "store: %s\n", s ? store_errmsg(s) : err);
		return 1;
	}
	store_begin(s);
	for (size_t i = 0; i < N_ITEMS; i++)
		make(s, &items[i]);
	store_commit(s);
	test_media_days(s);
	test_floor(s);
	test_unsent(s);
	test_limit(s);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return check_done("attachments_expire");
}
