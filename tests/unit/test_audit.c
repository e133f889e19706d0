/* test_audit.c: the hash-chained audit trail — append, the append-only triggers, verification against real
 * tampering of the SQLite file (triggers dropped, rows edited, removed, swapped), listing, atomic commit. */
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/audit.h"
#include "tests/unit/check.h"

/* The trail every tamper case starts from: 6 entries with NULL and set ids, several kinds. */
static const struct {
	int64_t actor;
	const char *kind;
	int64_t case_id, agreement_id;
	const char *detail;
} base[] = {
    {0, AUDIT_ACCOUNT, 0, 0, "{\"username\":\"kid\",\"action\":\"add\",\"via\":\"cli\"}"},
    {0, AUDIT_CASE, 1, 0, "{\"action\":\"add\",\"via\":\"cli\"}"},
    {7, AUDIT_LOGIN, 0, 0, "{\"username\":\"ana\",\"ok\":true}"},
    {7, AUDIT_AGREEMENT_STATUS, 1, 1, "{\"from\":\"active\",\"to\":\"suspended\",\"reason\":\"review\"}"},
    {9, AUDIT_REFUSAL, 1, 1, "{\"channel\":\"text\",\"reason\":\"agreement_suspended\"}"},
    {0, AUDIT_AGREEMENT_STATUS, 2, 3, "{\"from\":\"active\",\"to\":\"ended\",\"via\":\"cli\"}"},
};
#define BASE_N ((int)(sizeof(base) / sizeof(base[0])))

static char *temp_dir(void)
{
	char *d = strdup("/tmp/samvaer-audit-XXXXXX");
	return mkdtemp(d);
}

static void rm_dir(char *d)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d);
	free(d);
}

static struct store *open_store(const char *dir)
{
	char err[256];
	struct store *s = store_open(dir, 0, err, sizeof(err));
	if (!s)
		fprintf(stderr, "store_open: %s\n", err);
	return s;
}

/* A fresh data dir holding the base trail; NULL on failure. */
static char *make_trail(void)
{
	char *dir = temp_dir();
	struct store *s = dir ? open_store(dir) : NULL;
	int ok = s && store_begin(s) == STORE_OK;
	for (int i = 0; ok && i < BASE_N; i++)
		ok = audit_append(s, base[i].actor, base[i].kind, base[i].case_id, base[i].agreement_id,
				  json_loads(base[i].detail, 0, NULL)) == STORE_OK;
	ok = ok && store_commit(s) == STORE_OK;
	if (s)
		store_close(s);
	CHECK(ok, "build the base trail");
	return dir;
}

/* What an attacker with file access does: open the file with plain sqlite3, drop the triggers, run `sql`. */
static int tamper(const char *dir, const char *sql)
{
	char path[512], *err = NULL;
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/samvaer.db", dir);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	int rc = sqlite3_exec(db, "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;",
			      NULL, NULL, &err);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "tamper: %s\n", err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The hash as documented in audit.h, computed independently:
 * SHA-256(prev || "seq|at|actor|kind|case|ag|sha256:" hex(SHA-256(detail))). */
static void doc_hash(const uint8_t prev[32], int64_t seq, int64_t at, int64_t actor, const char *kind, int64_t case_id,
		     int64_t agreement_id, const char *detail, uint8_t out[32])
{
	char canon[1024], hex[65];
	unsigned int n = 32;
	uint8_t dh[32];
	EVP_Digest(detail, strlen(detail), dh, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", dh[i]);
	snprintf(canon, sizeof(canon), "%lld|%lld|%lld|%s|%lld|%lld|sha256:%s", (long long)seq, (long long)at,
		 (long long)actor, kind, (long long)case_id, (long long)agreement_id, hex);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, prev, 32);
	EVP_DigestUpdate(ctx, canon, strlen(canon));
	EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
}

/* The recompute attack: edit entry 2's detail (and its detail_hash), then rewrite every hash after it so the chain is
 * valid again. */
static int rewrite_history(const char *dir)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *st;
	snprintf(path, sizeof(path), "%s/samvaer.db", dir);
	if (tamper(dir, "UPDATE audit SET detail='{\"action\":\"forged\"}', detail_hash=NULL WHERE seq=2") ||
	    sqlite3_open(path, &db))
		return -1;
	uint8_t prev[32] = {0}, h[32];
	sqlite3_prepare_v2(db, "SELECT seq, at, actor, kind, case_id, agreement_id, detail FROM audit ORDER BY seq", -1,
			   &st, NULL);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		doc_hash(prev, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
			 (const char *)sqlite3_column_text(st, 3), sqlite3_column_int64(st, 4),
			 sqlite3_column_int64(st, 5), (const char *)sqlite3_column_text(st, 6), h);
		sqlite3_stmt *up;
		const char *detail = (const char *)sqlite3_column_text(st, 6);
		uint8_t dh[32];
		unsigned int n = 32;
		EVP_Digest(detail, strlen(detail), dh, &n, EVP_sha256(), NULL);
		sqlite3_prepare_v2(db, "UPDATE audit SET prev_hash=?, hash=?, detail_hash=? WHERE seq=?", -1, &up,
				   NULL);
		sqlite3_bind_blob(up, 1, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 2, h, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 3, dh, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 4, sqlite3_column_int64(st, 0));
		sqlite3_step(up);
		sqlite3_finalize(up);
		memcpy(prev, h, 32);
	}
	sqlite3_finalize(st);
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

static void test_append_and_format(void)
{
	char *dir = make_trail();
	struct store *s = open_store(dir);
	struct audit_check c;
	CHECK(audit_verify(s, &c) == STORE_OK && c.ok, "untouched trail verifies");
	CHECK(c.entries == BASE_N && c.head_seq == BASE_N && c.first_bad_seq == 0 && c.kind == AUDIT_INTACT,
	      "entries, head seq, no bad entry");
	uint8_t h[32], zero[32] = {0}, want[32];
	CHECK(audit_hash_at(s, BASE_N, h) == STORE_OK && memcmp(h, c.head_hash, 32) == 0,
	      "head hash is entry 6's hash");
	CHECK(audit_hash_at(s, BASE_N + 1, h) == STORE_NOT_FOUND, "no entry 7");
	/* entry 1 hashed exactly as audit.h documents (absent ids as 0, detail as sorted compact JSON) */
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[512];
	snprintf(path, sizeof(path), "%s/samvaer.db", dir);
	sqlite3_open(path, &db);
	sqlite3_prepare_v2(db, "SELECT at, detail, hash, actor IS NULL, case_id IS NULL FROM audit WHERE seq=1", -1,
			   &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW, "entry 1 stored");
	const char *detail = (const char *)sqlite3_column_text(st, 1);
	CHECK(!strcmp(detail, "{\"action\":\"add\",\"username\":\"kid\",\"via\":\"cli\"}"),
	      "detail stored sorted and compact");
	doc_hash(zero, 1, sqlite3_column_int64(st, 0), 0, AUDIT_ACCOUNT, 0, 0, detail, want);
	CHECK(memcmp(want, sqlite3_column_blob(st, 2), 32) == 0, "entry 1's hash follows the documented format");
	CHECK(sqlite3_column_int(st, 3) && sqlite3_column_int(st, 4), "actor 0 and case 0 stored as NULL");
	sqlite3_finalize(st);
	sqlite3_close(db);
	char hex[65];
	uint8_t back[32];
	audit_hex(h, hex);
	CHECK(strlen(hex) == 64 && audit_hex_parse(hex, back) == 0 && audit_hash_at(s, 6, h) == 0 &&
		  !memcmp(back, h, 32),
	      "hex round trip");
	CHECK(audit_hex_parse("abc", back) == -1 && audit_hex_parse(NULL, back) == -1, "short hex refused");
	CHECK(audit_append(s, 0, "bad|kind", 0, 0, NULL) == STORE_ERR, "kind with '|' refused");
	CHECK(audit_append(s, 0, AUDIT_LOGIN, 0, 0, json_array()) == STORE_ERR, "non-object detail refused");
	CHECK(audit_append(s, 0, AUDIT_LOGIN, 0, 0, NULL) == STORE_ERR && audit_hash_at(s, 7, h) == STORE_NOT_FOUND,
	      "append outside a transaction refused");
	store_close(s);
	rm_dir(dir);

	dir = temp_dir();
	s = open_store(dir);
	CHECK(audit_verify(s, &c) == STORE_OK && c.ok && c.entries == 0 && c.head_seq == 0, "empty trail verifies");
	store_close(s);
	rm_dir(dir);
}

static void test_triggers(void)
{
	static const char *const refused[] = {
	    "UPDATE audit SET detail='{}' WHERE seq=3",
	    "UPDATE audit SET hash=x'00' WHERE seq=6",
	    "DELETE FROM audit WHERE seq=6",
	    "DELETE FROM audit",
	};
	char *dir = make_trail();
	struct store *s = open_store(dir);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		CHECK(store_exec(s, refused[i]) == STORE_ERR, refused[i]);
		CHECK(strstr(store_errmsg(s), "append-only") != NULL, "the trigger's message");
	}
	struct audit_check c;
	CHECK(audit_verify(s, &c) == STORE_OK && c.ok && c.entries == BASE_N, "trail intact after refused writes");
	/* INSERT OR REPLACE deletes the old row without firing delete triggers unless recursive_triggers is on
	 * (SQLite's documented REPLACE behaviour). If the store lets it through, verification must catch it. */
	const char *replace = "INSERT OR REPLACE INTO audit SELECT seq,at,actor,kind,case_id,agreement_id,"
			      "'{\"forged\":1}',prev_hash,hash FROM audit WHERE seq=2";
	if (store_exec(s, replace) == STORE_OK) {
		printf("note: INSERT OR REPLACE bypasses the append-only triggers (recursive_triggers is off)\n");
		CHECK(audit_verify(s, &c) == STORE_OK && !c.ok && c.first_bad_seq == 2 && c.kind == AUDIT_BAD_HASH,
		      "a replaced row is caught by verification");
	}
	store_close(s);
	rm_dir(dir);
}

/* Each case tampers with a fresh copy of the base trail and expects verification to name one entry. */
static const struct {
	const char *name;
	const char *sql;
	int64_t first_bad_seq; /* 0: the chain still verifies (what a chain alone cannot see) */
	enum audit_problem kind;
} cases[] = {
    {"edit detail", "UPDATE audit SET detail='{\"action\":\"add\",\"via\":\"web\"}' WHERE seq=2", 2, AUDIT_BAD_HASH},
    {"edit detail by one byte", "UPDATE audit SET detail=replace(detail,'review','reviev') WHERE seq=4", 4,
     AUDIT_BAD_HASH},
    {"edit kind", "UPDATE audit SET kind='logout' WHERE seq=3", 3, AUDIT_BAD_HASH},
    {"edit at", "UPDATE audit SET at=at+1 WHERE seq=5", 5, AUDIT_BAD_HASH},
    {"edit actor", "UPDATE audit SET actor=8 WHERE seq=3", 3, AUDIT_BAD_HASH},
    {"set NULL actor", "UPDATE audit SET actor=5 WHERE seq=1", 1, AUDIT_BAD_HASH},
    {"clear actor", "UPDATE audit SET actor=NULL WHERE seq=5", 5, AUDIT_BAD_HASH},
    {"edit case_id", "UPDATE audit SET case_id=2 WHERE seq=4", 4, AUDIT_BAD_HASH},
    {"edit agreement_id", "UPDATE audit SET agreement_id=NULL WHERE seq=6", 6, AUDIT_BAD_HASH},
    {"actor NULL to 0", "UPDATE audit SET actor=0 WHERE seq=2", 2, AUDIT_BAD_FORM},
    {"case_id to a real", "UPDATE audit SET case_id=1.5 WHERE seq=4", 4, AUDIT_BAD_FORM},
    {"detail as a blob", "UPDATE audit SET detail=CAST(detail AS BLOB) WHERE seq=3", 3, AUDIT_BAD_FORM},
    {"kind with a separator", "UPDATE audit SET kind='login|0' WHERE seq=3", 3, AUDIT_BAD_FORM},
    {"short hash", "UPDATE audit SET hash=x'00' WHERE seq=5", 5, AUDIT_BAD_FORM},
    {"edit hash", "UPDATE audit SET hash=randomblob(32) WHERE seq=3", 3, AUDIT_BAD_HASH},
    {"edit prev_hash", "UPDATE audit SET prev_hash=randomblob(32) WHERE seq=4", 4, AUDIT_BAD_LINK},
    {"first prev_hash not zero", "UPDATE audit SET prev_hash=randomblob(32) WHERE seq=1", 1, AUDIT_BAD_LINK},
    {"remove a middle entry", "DELETE FROM audit WHERE seq=3", 4, AUDIT_GAP},
    {"remove the first entry", "DELETE FROM audit WHERE seq=1", 2, AUDIT_GAP},
    {"remove two entries", "DELETE FROM audit WHERE seq IN (3,4)", 5, AUDIT_GAP},
    {"remove and renumber",
     "DELETE FROM audit WHERE seq=3; UPDATE audit SET seq=3 WHERE seq=4; UPDATE audit SET seq=4 WHERE seq=5;"
     "UPDATE audit SET seq=5 WHERE seq=6",
     3, AUDIT_BAD_LINK},
    {"swap two rows (all but seq)",
     "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (2,5);"
     "UPDATE audit SET (at,actor,kind,case_id,agreement_id,detail,prev_hash,hash)=(SELECT at,actor,kind,case_id,"
     "agreement_id,detail,prev_hash,hash FROM t WHERE t.seq = 7 - audit.seq) WHERE seq IN (2,5)",
     2, AUDIT_BAD_LINK},
    {"swap two rows' content, keep hashes",
     "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (3,4);"
     "UPDATE audit SET (at,actor,kind,case_id,agreement_id,detail)=(SELECT at,actor,kind,case_id,agreement_id,"
     "detail FROM t WHERE t.seq = 7 - audit.seq) WHERE seq IN (3,4)",
     3, AUDIT_BAD_HASH},
    {"move an entry to the end",
     "INSERT INTO audit(seq,at,actor,kind,case_id,agreement_id,detail,prev_hash,hash,detail_hash) SELECT "
     "7,at,actor,kind,case_id,agreement_id,detail,prev_hash,hash,detail_hash FROM audit"
     " WHERE seq=2;"
     "DELETE FROM audit WHERE seq=2",
     3, AUDIT_GAP},
    {"append a forged entry",
     "INSERT INTO audit(seq,at,actor,kind,case_id,agreement_id,detail,prev_hash,hash,detail_hash) SELECT "
     "7,at,actor,kind,case_id,agreement_id,detail,hash,randomblob(32),"
     "detail_hash FROM audit WHERE seq=6",
     7, AUDIT_BAD_HASH},
    {"entry with seq 0",
     "INSERT INTO audit(seq,at,actor,kind,case_id,agreement_id,detail,prev_hash,hash,detail_hash) SELECT "
     "0,at,actor,kind,case_id,agreement_id,detail,prev_hash,hash,"
     "detail_hash FROM audit WHERE seq=1",
     0, AUDIT_BAD_FORM},
    {"truncate the tail (not detectable by the chain)", "DELETE FROM audit WHERE seq>=5", 0, AUDIT_INTACT},
};

static void test_tampering(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = make_trail();
		CHECK(tamper(dir, cases[i].sql) == 0, cases[i].name);
		struct store *s = open_store(dir);
		struct audit_check c;
		int rc = s ? audit_verify(s, &c) : STORE_ERR;
		int want_ok = cases[i].kind == AUDIT_INTACT;
		CHECK(rc == STORE_OK && c.ok == want_ok && c.first_bad_seq == cases[i].first_bad_seq &&
			  c.kind == cases[i].kind,
		      cases[i].name);
		if (rc == STORE_OK && (c.first_bad_seq != cases[i].first_bad_seq || c.kind != cases[i].kind))
			fprintf(stderr, "  %s: got seq %lld %s (%s)\n", cases[i].name, (long long)c.first_bad_seq,
				audit_problem_name(c.kind), c.problem);
		CHECK(want_ok || c.problem[0], "a problem text");
		if (s)
			store_close(s);
		rm_dir(dir);
	}
}

/* The documented limits, and how a recorded head covers them. */
static void test_head_anchor(void)
{
	char *dir = make_trail();
	struct store *s = open_store(dir);
	struct audit_check c;
	uint8_t head[32], h[32];
	audit_verify(s, &c);
	memcpy(head, c.head_hash, 32);
	store_close(s);
	CHECK(rewrite_history(dir) == 0, "rewrite history with recomputed hashes");
	s = open_store(dir);
	CHECK(audit_verify(s, &c) == STORE_OK && c.ok, "a fully recomputed chain verifies on its own");
	CHECK(audit_hash_at(s, 6, h) == STORE_OK && memcmp(h, head, 32) != 0,
	      "but the recorded head no longer matches");
	store_close(s);
	CHECK(tamper(dir, "DELETE FROM audit WHERE seq=6") == 0, "truncate");
	s = open_store(dir);
	CHECK(audit_hash_at(s, 6, h) == STORE_NOT_FOUND, "a recorded head shows the truncation");
	store_close(s);
	rm_dir(dir);
}

struct collected {
	int n;
	int64_t seqs[16];
};

static void collect(const struct audit_entry *e, void *ctx)
{
	struct collected *col = ctx;
	if (col->n < 16)
		col->seqs[col->n++] = e->seq;
}

static void test_list(void)
{
	static const struct {
		const char *name;
		int64_t case_id, before;
		int limit, n, more;
		int64_t first, last;
	} lists[] = {
	    {"all, newest first", 0, 0, 50, 6, 0, 6, 1},
	    {"all, limit 2", 0, 0, 2, 2, 1, 6, 5},
	    {"all, before 5, limit 2", 0, 5, 2, 2, 1, 4, 3},
	    {"all, before 3, limit 2 (last page)", 0, 3, 2, 2, 0, 2, 1},
	    {"case 1", 1, 0, 50, 3, 0, 5, 2},
	    {"case 1, limit 2", 1, 0, 2, 2, 1, 5, 4},
	    {"case 1, before 4", 1, 4, 10, 1, 0, 2, 2},
	    {"case 2", 2, 0, 10, 1, 0, 6, 6},
	    {"case 99", 99, 0, 10, 0, 0, 0, 0},
	};
	char *dir = make_trail();
	struct store *s = open_store(dir);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		struct collected col = {0};
		int more = -1;
		int rc = audit_list(s, lists[i].case_id, lists[i].before, lists[i].limit, &more, collect, &col);
		CHECK(rc == STORE_OK && col.n == lists[i].n && more == lists[i].more, lists[i].name);
		CHECK(col.n == 0 || (col.seqs[0] == lists[i].first && col.seqs[col.n - 1] == lists[i].last),
		      lists[i].name);
	}
	store_close(s);
	rm_dir(dir);
}

/* audit_append_commit: the change and its entry are durable together, or neither is. */
static void test_atomic_commit(void)
{
	char *dir = temp_dir();
	struct store *s = open_store(dir);
	struct account a = {0}, got;
	int64_t id;
	snprintf(a.username, sizeof(a.username), "kept");
	snprintf(a.display_name, sizeof(a.display_name), "Kept");
	snprintf(a.role, sizeof(a.role), "carer");
	snprintf(a.password_hash, sizeof(a.password_hash), "x");
	CHECK(store_begin(s) == STORE_OK && store_account_add(s, &a, &id) == STORE_OK, "add in a transaction");
	CHECK(audit_append_commit(s, 0, AUDIT_ACCOUNT, 0, 0, json_pack("{s:s}", "via", "cli")) == STORE_OK, "commit");
	snprintf(a.username, sizeof(a.username), "lost");
	CHECK(store_begin(s) == STORE_OK && store_account_add(s, &a, &id) == STORE_OK, "second add");
	CHECK(audit_append_commit(s, 0, "bad|kind", 0, 0, NULL) == STORE_ERR, "a failing audit entry");
	CHECK(!store_in_txn(s), "transaction closed");
	CHECK(store_account_by_name(s, "kept", &got) == STORE_OK, "the audited change is there");
	CHECK(store_account_by_name(s, "lost", &got) == STORE_NOT_FOUND, "the change without its entry rolled back");
	struct audit_check c;
	CHECK(audit_verify(s, &c) == STORE_OK && c.ok && c.entries == 1, "one entry");
	store_close(s);
	rm_dir(dir);
}

int main(void)
{
	test_append_and_format();
	test_triggers();
	test_tampering();
	test_head_anchor();
	test_list();
	test_atomic_commit();
	return check_done("test_audit");
}
