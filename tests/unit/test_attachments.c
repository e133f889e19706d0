/* test_attachments.c: the attachments table — add and read back, each state change once and only from its state,
 * the read rule for every kind of person (uploader, the other party, another contact of the child, adults in scope,
 * strangers, operators), profile photos, quota bytes, blob references, and the wire JSON in both writers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/blobs/attachments.h"
#include "server/store/store_internal.h"
#include "tests/unit/check.h"

/* Case 1: child 1; agreements 1 (child-mum 2), 2 (child-gran 3); carer 4, caseworker 5, supervisor 6 in case 1.
 * Case 2: child 7 with agreement 3 (child 7 - uncle 8) and caseworker 9. Operator 10. */
static const char *const fixture =
    "INSERT INTO accounts(id,username,display_name,role,password_hash,created_at) VALUES"
    " (1,'kid','Kid','child','h',1),(2,'mum','Mum','contact','h',1),(3,'gran','Gran','contact','h',1),"
    " (4,'carer','Carer','carer','h',1),(5,'cw','CW','caseworker','h',1),(6,'sup','Sup','supervisor','h',1),"
    " (7,'kid2','Kid2','child','h',1),(8,'uncle','Uncle','contact','h',1),(9,'cw2','CW2','caseworker','h',1),"
    " (10,'op','Op','operator','h',1);"
    "INSERT INTO cases(id,child_id,created_at) VALUES (1,1,1),(2,7,1);"
    "INSERT INTO case_members(case_id,account_id,role) VALUES (1,4,'carer'),(1,5,'caseworker'),(1,6,'supervisor'),"
    " (2,9,'caseworker');"
    "INSERT INTO agreements(id,case_id,child_id,contact_id,relationship,status,created_at,updated_at) VALUES"
    " (1,1,1,2,'Mum','active',1,1),(2,1,1,3,'Gran','active',1,1),(3,2,7,8,'Uncle','active',1,1);";

static const char H1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char H2[] = "2222222222222222222222222222222222222222222222222222222222222222";
static const char H3[] = "3333333333333333333333333333333333333333333333333333333333333333";

static struct attachment photo(const char *id, int64_t uploader, int64_t agreement)
{
	struct attachment a = {.kind = ATT_PHOTO, .uploader_id = uploader, .case_id = 1, .agreement_id = agreement};
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.mime, sizeof(a.mime), "image/jpeg");
	snprintf(a.blob, sizeof(a.blob), "%s", H1);
	snprintf(a.thumb, sizeof(a.thumb), "%s", H2);
	snprintf(a.thumb_mime, sizeof(a.thumb_mime), "image/jpeg");
	a.width = 2048;
	a.height = 1536;
	a.bytes = 500000;
	a.thumb_bytes = 20000;
	a.created_at = 1000;
	return a;
}

static int64_t refs_of(struct store *s, const char *hash)
{
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(s->db, "SELECT refs FROM blobs WHERE hash=?", -1, &st, NULL);
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return n;
}

static void test_names(void)
{
	CHECK(strcmp(attachment_kind_name(ATT_VIDEO_CLIP), "video_clip") == 0, "kind name");
	CHECK(attachment_kind_parse("voice_note") == ATT_VOICE_NOTE, "kind parse");
	CHECK(attachment_kind_parse("Photo") == -1 && attachment_kind_parse(NULL) == -1, "unknown kind");
	CHECK(attachment_kind_channel(ATT_PHOTO) == CH_PHOTO, "photo channel");
	CHECK(attachment_kind_channel(ATT_VOICE_NOTE) == CH_VOICE_NOTE, "voice channel");
	CHECK(attachment_kind_channel(ATT_PROFILE_PHOTO) == -1, "profile photo is no channel");
	CHECK(strcmp(attachment_state_name(ATT_APPROVED), "approved") == 0, "state name");
}

static void test_add_get(struct store *s)
{
	struct attachment a = photo("AAAAAAAAAAAAAAAAAAAAAA", 2, 1), b;
	store_begin(s);
	CHECK(attachment_add(s, &a) == STORE_OK, "add");
	CHECK(attachment_add(s, &a) == STORE_DUPLICATE, "same id twice");
	CHECK(store_commit(s) == STORE_OK, "commit");
	CHECK(attachment_get(s, "AAAAAAAAAAAAAAAAAAAAAA", &b) == STORE_OK, "get");
	CHECK(b.state == ATT_READY && b.kind == ATT_PHOTO && b.uploader_id == 2, "read back kind, state, uploader");
	CHECK(b.width == 2048 && b.height == 1536 && b.bytes == 500000, "read back facts");
	CHECK(strcmp(b.thumb, H2) == 0 && b.poster[0] == 0 && b.thumb_bytes == 20000, "read back blobs");
	CHECK(b.total_bytes == 520000, "total bytes");
	CHECK(attachment_get(s, "nope", &b) == STORE_NOT_FOUND, "unknown id");
	CHECK(refs_of(s, H1) == 1 && refs_of(s, H2) == 1, "one reference per blob");
}

static void test_states(struct store *s)
{
	struct attachment a = photo("BBBBBBBBBBBBBBBBBBBBBB", 2, 1), c = photo("CCCCCCCCCCCCCCCCCCCCCC", 2, 1), b;
	store_begin(s);
	CHECK(attachment_add(s, &a) == STORE_OK && attachment_add(s, &c) == STORE_OK, "add two");
	CHECK(refs_of(s, H1) == 3, "dedup: same blob, three references");
	CHECK(attachment_mark_sent(s, a.id, 3, 1, 5, 2000) == STORE_NOT_FOUND, "not the uploader");
	CHECK(attachment_mark_sent(s, a.id, 2, 2, 5, 2000) == STORE_NOT_FOUND, "not the agreement it was uploaded for");
	CHECK(attachment_mark_sent(s, a.id, 2, 1, 5, 2000) == STORE_OK, "sent");
	CHECK(attachment_mark_sent(s, a.id, 2, 1, 6, 2000) == STORE_NOT_FOUND, "sent only once");
	CHECK(attachment_mark_held(s, a.id, 2, 1, 9, 2000) == STORE_NOT_FOUND, "sent cannot be held");
	CHECK(attachment_by_message(s, 1, 5, &b) == STORE_OK && strcmp(b.id, a.id) == 0, "by message");
	CHECK(b.state == ATT_SENT && b.used_at == 2000, "sent state and time");
	CHECK(attachment_by_message(s, 1, 6, &b) == STORE_NOT_FOUND, "no attachment at seq 6");
	CHECK(attachment_mark_approved(s, c.id, 7, 6, 3000) == STORE_NOT_FOUND, "approve needs held");
	CHECK(attachment_mark_held(s, c.id, 2, 1, 9, 2500) == STORE_OK, "held");
	CHECK(attachment_mark_rejected(s, c.id, 6, "Not suitable", 3000) == STORE_OK, "rejected");
	CHECK(attachment_mark_approved(s, c.id, 7, 6, 3000) == STORE_NOT_FOUND, "rejected stays rejected");
	CHECK(store_commit(s) == STORE_OK, "commit");
	CHECK(attachment_get(s, c.id, &b) == STORE_OK && b.state == ATT_REJECTED && b.held_id == 9, "rejected row");
	CHECK(strcmp(b.reason, "Not suitable") == 0 && b.decided_by == 6 && b.decided_at == 3000, "reason, by, when");
}

static void test_approved(struct store *s)
{
	struct attachment a = photo("DDDDDDDDDDDDDDDDDDDDDD", 2, 1), b;
	store_begin(s);
	attachment_add(s, &a);
	CHECK(attachment_mark_held(s, a.id, 2, 1, 11, 2500) == STORE_OK, "held");
	CHECK(attachment_get(s, a.id, &b) == STORE_OK && !attachment_may_read(s, &b, 1),
	      "child cannot read while held");
	CHECK(attachment_may_read(s, &b, 6), "supervisor reads it to decide");
	CHECK(attachment_may_read(s, &b, 2), "sender reads it while held");
	CHECK(attachment_mark_approved(s, a.id, 8, 6, 3000) == STORE_OK, "approved");
	CHECK(attachment_get(s, a.id, &b) == STORE_OK && attachment_may_read(s, &b, 1), "child reads once approved");
	CHECK(attachment_by_message(s, 1, 8, &b) == STORE_OK && b.state == ATT_APPROVED, "approved at its seq");
	store_commit(s);
}

static void test_read_rule(struct store *s)
{
	struct attachment a, r;
	attachment_get(s, "BBBBBBBBBBBBBBBBBBBBBB", &a); /* mum (2) -> child (1), sent in agreement 1 */
	attachment_get(s, "CCCCCCCCCCCCCCCCCCCCCC", &r); /* rejected */
	static const struct {
		int64_t who;
		int sent, rejected;
		const char *name;
	} cases[] = {
	    {2, 1, 1, "uploader"},
	    {1, 1, 0, "the other party"},
	    {3, 0, 0, "another contact of the child"},
	    {4, 1, 1, "carer"},
	    {5, 1, 1, "caseworker"},
	    {6, 1, 1, "supervisor"},
	    {8, 0, 0, "a stranger"},
	    {9, 0, 0, "another case's caseworker"},
	    {10, 0, 0, "the operator"},
	    {0, 0, 0, "nobody"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[96];
		snprintf(name, sizeof(name), "sent: %s", cases[i].name);
		CHECK(attachment_may_read(s, &a, cases[i].who) == cases[i].sent, name);
		snprintf(name, sizeof(name), "rejected: %s", cases[i].name);
		CHECK(attachment_may_read(s, &r, cases[i].who) == cases[i].rejected, name);
	}
}

static void test_profile(struct store *s)
{
	struct attachment p = photo("PPPPPPPPPPPPPPPPPPPPPP", 4, 0), b;
	char id[ATTACHMENT_ID_LEN + 1];
	p.kind = ATT_PROFILE_PHOTO;
	store_begin(s);
	attachment_add(s, &p);
	CHECK(attachment_mark_sent(s, p.id, 4, 0, 1, 2000) == STORE_NOT_FOUND, "a profile photo is not sent");
	CHECK(attachment_profile_of(s, 1, id) == STORE_NOT_FOUND, "no picture yet");
	CHECK(attachment_mark_profile(s, p.id, 4, 1, 2000) == STORE_OK, "the carer sets the child's picture");
	CHECK(attachment_profile_of(s, 1, id) == STORE_OK && strcmp(id, p.id) == 0, "the child's picture");
	store_commit(s);
	attachment_get(s, p.id, &b);
	CHECK(attachment_may_read(s, &b, 1), "the child sees its picture");
	CHECK(attachment_may_read(s, &b, 2) && attachment_may_read(s, &b, 3), "the child's contacts see it");
	CHECK(attachment_may_read(s, &b, 5), "the caseworker sees it");
	CHECK(!attachment_may_read(s, &b, 8) && !attachment_may_read(s, &b, 9), "another case does not");
}

struct unused {
	int n;
	char first[ATTACHMENT_ID_LEN + 1];
};

static void on_unused(const char *id, void *ctx)
{
	struct unused *c = ctx;
	if (c->n++ == 0)
		snprintf(c->first, sizeof(c->first), "%s", id);
}

static void test_quota_and_delete(struct store *s)
{
	int64_t bytes = -1;
	CHECK(attachment_case_bytes(s, 1, &bytes) == STORE_OK && bytes == 5 * 520000, "case bytes");
	CHECK(attachment_case_bytes(s, 2, &bytes) == STORE_OK && bytes == 0, "other case empty");
	struct attachment a = photo("EEEEEEEEEEEEEEEEEEEEEE", 2, 1);
	snprintf(a.blob, sizeof(a.blob), "%s", H3);
	a.created_at = 10;
	store_begin(s);
	attachment_add(s, &a);
	store_commit(s);
	struct unused c = {0};
	CHECK(attachment_unused(s, 500, 10, on_unused, &c) == STORE_OK && c.n == 1 && strcmp(c.first, a.id) == 0,
	      "unused and old");
	store_begin(s);
	CHECK(attachment_delete(s, a.id) == STORE_OK, "delete");
	CHECK(attachment_delete(s, a.id) == STORE_NOT_FOUND, "delete twice");
	store_commit(s);
	CHECK(refs_of(s, H3) == 0, "its blob has no reference left");
}

static void test_json(void)
{
	struct attachment v = {.kind = ATT_VOICE_NOTE, .duration_ms = 4200, .bytes = 33000, .waveform_len = 3};
	snprintf(v.id, sizeof(v.id), "VVVVVVVVVVVVVVVVVVVVVV");
	snprintf(v.mime, sizeof(v.mime), "audio/ogg");
	v.waveform[0] = 0, v.waveform[1] = 128, v.waveform[2] = 255;
	struct attachment p = photo("AAAAAAAAAAAAAAAAAAAAAA", 2, 1), c = photo("CCCCCCCCCCCCCCCCCCCCCC", 2, 1);
	c.kind = ATT_VIDEO_CLIP, c.thumb[0] = 0, c.duration_ms = 9000;
	snprintf(c.mime, sizeof(c.mime), "video/mp4");
	snprintf(c.poster, sizeof(c.poster), "%s", H3);
	const struct attachment *all[] = {&v, &p, &c};
	const char *want[] = {
	    "{\"id\":\"VVVVVVVVVVVVVVVVVVVVVV\",\"kind\":\"voice_note\",\"mime\":\"audio/ogg\",\"duration_ms\":4200,"
	    "\"waveform\":[0,128,255],\"bytes\":33000,\"url\":\"/media/VVVVVVVVVVVVVVVVVVVVVV\"}",
	    "{\"id\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"kind\":\"photo\",\"mime\":\"image/"
	    "jpeg\",\"width\":2048,\"height\":1536,"
	    "\"bytes\":500000,\"url\":\"/media/AAAAAAAAAAAAAAAAAAAAAA\",\"thumb\":\"/media/AAAAAAAAAAAAAAAAAAAAAA/"
	    "thumb\"}",
	    "{\"id\":\"CCCCCCCCCCCCCCCCCCCCCC\",\"kind\":\"video_clip\",\"mime\":\"video/mp4\",\"width\":2048,"
	    "\"height\":1536,\"duration_ms\":9000,\"bytes\":500000,\"url\":\"/media/CCCCCCCCCCCCCCCCCCCCCC\","
	    "\"poster\":\"/media/CCCCCCCCCCCCCCCCCCCCCC/poster\"}",
	};
	for (int i = 0; i < 3; i++) {
		json_t *o = attachment_json(all[i]);
		char *s = json_dumps(o, JSON_COMPACT);
		CHECK(s && strcmp(s, want[i]) == 0, "jansson object");
		char buf[ATTACHMENT_JSON_MAX];
		struct jsonw w;
		jsonw_init(&w, buf, sizeof(buf));
		attachment_jsonw(&w, all[i]);
		CHECK(w.ok && w.len == strlen(want[i]) && memcmp(buf, want[i], w.len) == 0, "jsonw: same bytes");
		free(s);
		json_decref(o);
	}
	struct attachment big = v;
	big.waveform_len = ATTACHMENT_WAVEFORM_POINTS;
	memset(big.waveform, 255, sizeof(big.waveform));
	big.width = big.height = 1 << 30, big.bytes = INT64_MAX, big.duration_ms = INT64_MAX;
	snprintf(big.thumb, sizeof(big.thumb), "%s", H1);
	snprintf(big.poster, sizeof(big.poster), "%s", H1);
	char buf[ATTACHMENT_JSON_MAX];
	struct jsonw w;
	jsonw_init(&w, buf, sizeof(buf));
	attachment_jsonw(&w, &big);
	CHECK(w.ok, "the largest object fits ATTACHMENT_JSON_MAX");
}

int main(void)
{
	char dir[] = "/tmp/samvaer-att-XXXXXX", err[256], cmd[64];
	if (!mkdtemp(dir))
		return 1;
	struct store *s = store_open(dir, STORE_SYNC_NORMAL, err, sizeof(err));
	if (!s || store_exec(s, fixture) != STORE_OK) {
		fprintf(stderr, "store: %s\n", s ? store_errmsg(s) : err);
		return 1;
	}
	test_names();
	test_add_get(s);
	test_states(s);
	test_approved(s);
	test_read_rule(s);
	test_profile(s);
	test_quota_and_delete(s);
	test_json();
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return check_done("attachments");
}
