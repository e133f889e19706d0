/* test_store.c: the SQLite store — upgrades from every earlier schema, accounts, agreements, messages, receipts,
 * group commit and change detection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "server/store/store.h"
#include "server/store/store_internal.h"
#include "tests/unit/check.h"

static char *temp_dir(void)
{
	char *d = strdup("/tmp/samvaer-store-XXXXXX");
	return mkdtemp(d);
}

static void rm_dir(const char *d)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d);
}

/* Rows that each schema version can hold; later versions must keep them. */
static const char *const fixtures[] = {
    /* v1 */
    "INSERT INTO accounts(id,username,display_name,role,password_hash,created_at) VALUES"
    " (1,'kid','Kid','child','h',1),(2,'mum','Mum','contact','h',1);"
    "INSERT INTO cases(id,child_id,created_at) VALUES (1,1,1);"
    "INSERT INTO agreements(id,case_id,child_id,contact_id,relationship,status,created_at,updated_at)"
    " VALUES (1,1,1,2,'Mum','active',1,1);",
    /* v2 */
    "INSERT INTO messages(agreement_id,seq,sender_id,client_key,body,sent_at) VALUES (1,1,1,'k','hi',5);"
    "INSERT INTO receipts(agreement_id,account_id,delivered_seq,read_seq) VALUES (1,2,1,0);",
    /* v3 */
    "UPDATE agreements SET terms='{\"goal\":{\"calls_per_week\":3}}', review_at=9 WHERE id=1;"
    "INSERT INTO proposals(id,agreement_id,terms,proposed_by,proposed_role,status,created_at)"
    " VALUES (1,1,'{}',2,'caseworker','pending',1);"
    "INSERT INTO approvals(proposal_id,account_id,role,decision,at) VALUES (1,2,'caseworker','approve',1);"
    "INSERT INTO pauses(agreement_id,by_account,by_role,reason,started_at) VALUES (1,1,'child','',1);"
    "INSERT INTO notices(case_id,agreement_id,kind,detail,at) VALUES (1,1,'pause','{}',1);"
    "INSERT INTO audit(seq,at,actor,kind,detail,prev_hash,hash) VALUES (1,1,1,'login','{}',x'00',x'01');"
    "INSERT INTO held(agreement_id,sender_id,client_key,body,sent_at,reason) VALUES (1,2,'h1','call "
    "me',1,'review_before');",
    /* v4 */
    "UPDATE accounts SET language='ro' WHERE id=2;"
    "INSERT INTO invitations(id,lookup,secret_hash,case_id,child_id,invitee_name,relationship,created_by,"
    "created_role,created_at,expires_at) VALUES (1,'ABCD',x'00',1,1,'Maria','Mother',2,'carer',1,2);"
    "INSERT INTO devices(id,account_id,name,credential_hash,created_by,created_at) VALUES (1,1,'Tablet',x'01',2,1);"
    "INSERT INTO pairings(lookup,secret_hash,account_id,created_by,created_at,expires_at,device_id)"
    " VALUES ('EFGH',x'02',1,2,1,2,1);"
    "INSERT INTO push_subscriptions(account_id,device_id,endpoint,p256dh,auth,created_at)"
    " VALUES (1,1,'http://127.0.0.1/p',x'04',x'05',1);",
    /* v5 */
    "INSERT INTO message_floors(agreement_id,first_seq) VALUES (1,1);"
    "INSERT INTO retention(case_id,messages_days,set_at) VALUES (1,30,1);",
    /* v6 (uploads) */
    "INSERT INTO blobs(hash,bytes,refs,created_at) VALUES ('ab',3,1,1);"
    "INSERT INTO attachments(id,kind,uploader_id,case_id,agreement_id,mime,bytes,blob,total_bytes,created_at)"
    " VALUES ('AAAA','photo',2,1,1,'image/jpeg',3,'ab',3,1);",
    /* v7 (attach) */
    "INSERT INTO held(agreement_id,sender_id,client_key,body,sent_at,reason,attachment_id,decision_reason)"
    " VALUES (1,2,'h2','',1,'held_for_review','AAAA','');",
    /* v8 (rec) */
    "INSERT INTO blobs(hash,bytes,refs,created_at) VALUES ('cd',9,1,1);"
    "INSERT INTO recordings(id,recording,case_id,call_id,kind,blob,mime,bytes,duration_ms,started_at,ended_at)"
    " VALUES ('R1','REC',1,7,'audio','cd','audio/ogg',9,1000,1,2);",
    /* v9 (leftovers) */
    "INSERT INTO attachments_expired(agreement_id,seq,id,kind,uploader_id,expired_at) VALUES (1,1,'BBBB','photo',2,9);",
    /* v10 (an index only: a sent attachment it lists) */
    "INSERT INTO attachments(id,kind,state,uploader_id,case_id,agreement_id,seq,mime,bytes,blob,total_bytes,"
    "created_at,used_at) VALUES ('CCCC','photo','sent',2,1,1,2,'image/jpeg',3,'ab',3,1,2);",
};

static void test_upgrades(void)
{
	int latest = store_schema_latest();
	CHECK(latest >= 2, "at least two schema versions");
	CHECK((int)(sizeof(fixtures) / sizeof(fixtures[0])) == latest, "a fixture per version");
	for (int from = 0; from < latest; from++) {
		char *dir = temp_dir(), err[256];
		struct store *raw = store_open_raw(dir, err, sizeof(err));
		CHECK(raw && store_migrate_to(raw, from) == STORE_OK, "build older schema");
		for (int v = 0; v < from; v++)
			CHECK(store_exec(raw, fixtures[v]) == STORE_OK, "fixture rows");
		CHECK(store_schema_version(raw) == from, "older version");
		store_close(raw);
		struct store *s = store_open(dir, 1, err, sizeof(err));
		CHECK(s != NULL, "open migrates");
		if (!s) {
			fprintf(stderr, "  from v%d: %s\n", from, err);
			rm_dir(dir);
			free(dir);
			continue;
		}
		CHECK(store_schema_version(s) == latest, "upgraded to latest");
		for (int v = from; v < latest; v++) /* the newer tables take rows too */
			CHECK(store_exec(s, fixtures[v]) == STORE_OK, "rows after upgrade");
		struct account a;
		CHECK(store_account_by_name(s, "kid", &a) == STORE_OK && a.id == 1, "accounts kept");
		int64_t d, r;
		CHECK(store_receipt_get(s, 1, 2, &d, &r) == STORE_OK && d == 1, "receipts kept");
		store_close(s);
		rm_dir(dir);
		free(dir);
	}
}

static void test_newer_schema_refused(void)
{
	char *dir = temp_dir(), err[256];
	struct store *s = store_open(dir, 1, err, sizeof(err));
	CHECK(s && store_exec(s, "PRAGMA user_version = 999") == STORE_OK, "pretend newer");
	store_close(s);
	CHECK(store_open(dir, 1, err, sizeof(err)) == NULL && strstr(err, "newer"), "newer schema refused");
	rm_dir(dir);
	free(dir);
}

struct collect {
	int n;
	int64_t seqs[16];
	char last[64];
};

static void on_msg(const struct message *m, void *arg)
{
	struct collect *c = arg;
	if (c->n < 16)
		c->seqs[c->n] = m->seq;
	c->n++;
	snprintf(c->last, sizeof(c->last), "%.*s", (int)m->text_len, m->text);
}

static int64_t setup_pair(struct store *s)
{
	struct account kid = {0, "kid", "Kid", "child", "h", 0, 0, ""},
		       mum = {0, "mum", "Mum", "contact", "h", 0, 0, ""};
	int64_t case_id, ag_id;
	store_account_add(s, &kid, &kid.id);
	store_account_add(s, &mum, &mum.id);
	store_case_add(s, kid.id, "Europe/Rome", &case_id);
	struct agreement ag = {0};
	ag.case_id = case_id;
	ag.child_id = kid.id;
	ag.contact_id = mum.id;
	ag.status = AG_ACTIVE;
	ag.channels[CH_TEXT] = MODE_ALLOWED;
	snprintf(ag.relationship, sizeof(ag.relationship), "Mum");
	CHECK(store_agreement_add(s, &ag, &ag_id) == STORE_OK, "add agreement");
	CHECK(store_agreement_add(s, &ag, NULL) == STORE_DUPLICATE, "one agreement per pair");
	return ag_id;
}

static void test_messages(void)
{
	char *dir = temp_dir(), err[256];
	struct store *s = store_open(dir, 1, err, sizeof(err));
	int64_t ag = setup_pair(s);
	CHECK(store_begin(s) == STORE_OK && store_in_txn(s), "begin");
	for (int i = 1; i <= 7; i++) {
		char key[16], text[16];
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(text, sizeof(text), "m%d", i);
		struct message m = {ag, i, i % 2 ? 1 : 2, 1000 + i, text, strlen(text)};
		CHECK(store_message_add(s, &m, key) == STORE_OK, "add message");
	}
	struct message dup = {ag, 8, 1, 2000, "again", 5};
	CHECK(store_message_add(s, &dup, "k1") == STORE_DUPLICATE, "same sender+key is a duplicate");
	struct message other = {ag, 8, 2, 2000, "other", 5};
	CHECK(store_message_add(s, &other, "k1") == STORE_OK, "same key from the other sender is fine");
	struct message clash = {ag, 8, 1, 2000, "x", 1};
	CHECK(store_message_add(s, &clash, "k99") == STORE_DUPLICATE, "seq is unique per conversation");
	CHECK(store_commit(s) == STORE_OK && !store_in_txn(s), "commit");

	struct collect c = {0};
	CHECK(store_message_by_key(s, ag, 1, "k3", on_msg, &c) == STORE_OK && !strcmp(c.last, "m3"), "by key");
	CHECK(store_message_by_key(s, ag, 2, "k3", on_msg, &c) == STORE_NOT_FOUND, "key is per sender");

	int more;
	memset(&c, 0, sizeof(c));
	CHECK(store_messages_page(s, ag, 0, 3, &more, on_msg, &c) == STORE_OK, "newest page");
	CHECK(c.n == 3 && c.seqs[0] == 6 && c.seqs[2] == 8 && more, "newest three, oldest first");
	memset(&c, 0, sizeof(c));
	store_messages_page(s, ag, 6, 3, &more, on_msg, &c);
	CHECK(c.n == 3 && c.seqs[0] == 3 && c.seqs[2] == 5 && more, "page before 6");
	memset(&c, 0, sizeof(c));
	store_messages_page(s, ag, 3, 3, &more, on_msg, &c);
	CHECK(c.n == 2 && c.seqs[0] == 1 && !more, "last page");
	memset(&c, 0, sizeof(c));
	store_messages_after(s, ag, 2, 1, 100, on_msg, &c);
	CHECK(c.n == 3 && c.seqs[0] == 4 && c.seqs[2] == 8, "after 2 not from 1");
	int64_t unread;
	CHECK(store_messages_unread(s, ag, 2, 3, &unread) == STORE_OK && unread == 2, "unread for 2 after 3");

	int64_t d, r;
	CHECK(store_receipt_get(s, ag, 1, &d, &r) == STORE_OK && d == 0 && r == 0, "no receipt yet");
	store_receipt_advance(s, ag, 1, 5, 3);
	store_receipt_advance(s, ag, 1, 2, 4);
	CHECK(store_receipt_get(s, ag, 1, &d, &r) == STORE_OK && d == 5 && r == 4, "markers only move forward");

	/* A rolled-back turn leaves nothing behind. */
	store_begin(s);
	struct message lost = {ag, 9, 1, 3000, "lost", 4};
	store_message_add(s, &lost, "k9");
	store_rollback(s);
	memset(&c, 0, sizeof(c));
	CHECK(store_message_by_key(s, ag, 1, "k9", on_msg, &c) == STORE_NOT_FOUND, "rollback drops the write");
	store_close(s);
	rm_dir(dir);
	free(dir);
}

static void on_agreement(const struct agreement *a, void *arg)
{
	*(struct agreement *)arg = *a;
}

static void test_agreements_and_changes(void)
{
	char *dir = temp_dir(), err[256];
	struct store *s = store_open(dir, 1, err, sizeof(err));
	struct store *admin = store_open(dir, 1, err, sizeof(err));
	int64_t ag = setup_pair(s);
	int64_t v0 = store_data_version(s);
	CHECK(store_agreement_set_status(admin, ag, AG_SUSPENDED, "review") == STORE_OK, "suspend");
	CHECK(store_data_version(s) != v0, "another connection's commit is noticed");
	int64_t v1 = store_data_version(s);
	store_agreement_set_channel(s, ag, CH_TEXT, MODE_OFF);
	CHECK(store_data_version(s) == v1, "own commits are not");
	struct agreement got = {0};
	CHECK(store_agreements_load(s, on_agreement, &got) == STORE_OK, "load");
	CHECK(got.status == AG_SUSPENDED && !strcmp(got.status_reason, "review"), "status and reason");
	CHECK(got.channels[CH_TEXT] == MODE_OFF && got.channels[CH_PHOTO] == MODE_OFF, "channels");
	CHECK(store_agreement_set_status(s, 999, AG_ACTIVE, "") == STORE_NOT_FOUND, "unknown agreement");
	CHECK(store_exec(s, "UPDATE agreements SET status='bogus'") == STORE_ERR, "status is checked by SQL");
	CHECK(store_exec(s, "INSERT INTO audit(at,kind,detail,prev_hash,hash) VALUES (1,'x','{}',x'00',x'01')") ==
		  STORE_OK,
	      "audit append");
	CHECK(store_exec(s, "UPDATE audit SET kind='y'") == STORE_ERR, "audit rows cannot be updated");
	CHECK(store_exec(s, "DELETE FROM audit") == STORE_ERR, "audit rows cannot be deleted");

	uint8_t h[STORE_TOKEN_HASH_LEN] = {1, 2, 3};
	int64_t acc, exp;
	CHECK(store_session_add(s, h, 1, 5000) == STORE_OK, "session add");
	CHECK(store_session_get(s, h, &acc, &exp) == STORE_OK && acc == 1 && exp == 5000, "session get");
	CHECK(store_account_set_disabled(admin, "kid", 1) == STORE_OK, "disable");
	CHECK(store_session_get(s, h, &acc, &exp) == STORE_NOT_FOUND, "disabling ends sessions");
	CHECK(store_account_set_disabled(admin, "nobody", 1) == STORE_NOT_FOUND, "disable unknown");
	store_close(admin);
	store_close(s);
	rm_dir(dir);
	free(dir);
}

static int64_t count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int wal_frames_after_checkpoint(sqlite3 *db)
{
	int log = -1, done = -1;
	count(db, "SELECT COUNT(*) FROM t"); /* a read opens this connection's view of the WAL */
	int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
	return rc == SQLITE_OK ? log : -1;
}

/* The server's connection (synchronous=OFF, no auto-checkpoint) under a steady stream of commits: a checkpoint on
 * another connection never lets the WAL start over, store_checkpoint between two transactions does, and leaves the
 * connection as it was. New databases use 1 KiB pages. */
static void test_wal_restart(void)
{
	char *dir = temp_dir(), err[256], path[300];
	struct store *s = store_open(dir, STORE_SYNC_EXTERNAL, err, sizeof(err));
	CHECK(s != NULL, "open with external sync");
	snprintf(path, sizeof(path), "%s/samvaer.db", dir);
	sqlite3 *ckpt = NULL;
	CHECK(sqlite3_open_v2(path, &ckpt, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "checkpoint connection");
	CHECK(count(ckpt, "PRAGMA page_size") == 1024, "new databases use 1 KiB pages");
	CHECK(store_exec(s, "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t(v);") == STORE_OK,
	      "schema");
	int grew = 1, last = 0;
	for (int i = 0; i < 60; i++) { /* the server's pattern: a checkpoint runs while a transaction is open */
		store_begin(s);
		if (i % 2 == 0) {
			int log = wal_frames_after_checkpoint(ckpt);
			grew = grew && log > last;
			last = log;
		}
		store_exec(s, "INSERT INTO t(v) VALUES (hex(randomblob(200))), (hex(randomblob(200)));");
		store_commit(s);
	}
	CHECK(grew, "a steady writer keeps the WAL growing past every checkpoint of another connection");
	int wal = 0, copied = 0;
	store_begin(s);
	CHECK(store_checkpoint(s, &wal, &copied) == STORE_ERR, "no checkpoint inside a transaction");
	store_rollback(s);
	CHECK(store_checkpoint(s, &wal, &copied) == STORE_OK && wal >= last && copied == wal,
	      "store_checkpoint copies the whole WAL");
	CHECK(count(ckpt, "SELECT COUNT(*) FROM t") == 120, "every row is there");
	store_begin(s);
	store_exec(s, "INSERT INTO t(v) VALUES ('after');");
	store_commit(s);
	int after = wal_frames_after_checkpoint(ckpt);
	CHECK(after > 0 && after < 10 && after < last, "the next transaction starts the WAL over");
	/* The files as a crash right now would leave them (no checkpoint on close): the database file holds what the
	 * old WAL had, the restarted WAL the rest. */
	char cmd[700], crashed[400];
	snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir crash && cp samvaer.db samvaer.db-wal crash/", dir);
	snprintf(crashed, sizeof(crashed), "%s/crash/samvaer.db", dir);
	sqlite3 *copy = NULL;
	CHECK(system(cmd) == 0 && sqlite3_open_v2(crashed, &copy, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
		  count(copy, "SELECT COUNT(*) FROM t") == 121 &&
		  count(copy, "SELECT COUNT(*) FROM t WHERE v = 'after'") == 1,
	      "a crash after the restart keeps every committed row");
	sqlite3_close(copy);
	CHECK(count(s->db, "PRAGMA synchronous") == 0, "the connection is back to synchronous=OFF");
	sqlite3_close(ckpt);
	store_close(s);
	/* Reopened (what a crash-free restart sees): every row, and the integrity check passes. */
	CHECK(sqlite3_open_v2(path, &ckpt, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "reopen");
	CHECK(count(ckpt, "SELECT COUNT(*) FROM t") == 121, "rows after reopening");
	sqlite3_close(ckpt);
	rm_dir(dir);
	free(dir);
}

int main(void)
{
	test_wal_restart();
	test_upgrades();
	test_newer_schema_refused();
	test_messages();
	test_agreements_and_changes();
	return check_done("store");
}
