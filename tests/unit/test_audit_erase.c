/* test_audit_erase.c: erasing audit details (the chain still verifies, but only with an erasure entry naming each
 * erased entry), the triggers letting through that one change only, and the schema-5 re-chain of form-1 trails. */
#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/audit.h"
#include "server/store/audit_erase.h"
#include "tests/unit/check.h"

static char *temp_dir(void)
{
	char *d = strdup("/tmp/samvaer-audit-erase-XXXXXX");
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

static int append(struct store *s, int64_t actor, const char *kind, const char *detail)
{
	return store_begin(s) == STORE_OK && audit_append(s, actor, kind, 1, 1, json_loads(detail, 0, NULL)) == 0 &&
		store_commit(s) == STORE_OK
	    ? 0
	    : -1;
}

static int verify(struct store *s, struct audit_check *c)
{
	return audit_verify(s, c) == STORE_OK ? 0 : -1;
}

static void test_erase(void)
{
	char *dir = temp_dir();
	struct store *s = open_store(dir);
	struct audit_check c;
	CHECK(append(s, 7, AUDIT_LOGIN, "{\"username\":\"maria\",\"ok\":true}") == 0 &&
		  append(s, 7, AUDIT_PAUSE, "{\"reason\":\"Maria was drunk on the call\"}") == 0 &&
		  append(s, 0, AUDIT_ACCOUNT, "{\"username\":\"other\",\"action\":\"add\"}") == 0,
	      "three entries");
	CHECK(store_exec(s, "UPDATE audit SET detail='{}' WHERE seq=2") == STORE_ERR, "a plain edit is refused");
	CHECK(store_exec(s, "UPDATE audit SET detail='{\"erased\":true}', erased_at=5, actor=9 WHERE seq=2") ==
		  STORE_ERR,
	      "an erasure that also changes the actor is refused");
	/* an erasure with no erasure entry: the trigger lets it through, verification does not */
	CHECK(store_begin(s) == STORE_OK && audit_erase(s, (int64_t[]){2}, 1, 5) == STORE_OK &&
		  store_commit(s) == STORE_OK,
	      "erase entry 2's detail");
	CHECK(verify(s, &c) == 0 && !c.ok && c.kind == AUDIT_BAD_ERASURE && c.first_bad_seq == 2,
	      "erased without an erasure entry: named");
	CHECK(store_begin(s) == STORE_OK &&
		  audit_append(s, 0, AUDIT_ERASURE, 0, 0,
			       json_pack("{s:s,s:I,s:[i]}", "subject", "account", "id", (json_int_t)7, "seqs", 2)) ==
		      STORE_OK &&
		  store_commit(s) == STORE_OK,
	      "the erasure entry");
	CHECK(verify(s, &c) == 0 && c.ok && c.entries == 4, "with it the trail verifies");
	sqlite3_stmt *st;
	char path[512];
	sqlite3 *db;
	snprintf(path, sizeof(path), "%s/samvaer.db", dir);
	sqlite3_open(path, &db);
	sqlite3_prepare_v2(db, "SELECT group_concat(detail, ' ') FROM audit", -1, &st, NULL);
	CHECK(sqlite3_step(st) == SQLITE_ROW && !strstr((const char *)sqlite3_column_text(st, 0), "drunk") &&
		  strstr((const char *)sqlite3_column_text(st, 0), "maria"),
	      "the erased detail is gone from the table, the others stay");
	sqlite3_finalize(st);
	/* an attacker who erases another entry and lists it in a forged erasure entry cannot recompute the chain
	 * without it showing against a recorded head; an erasure entry itself cannot be erased */
	sqlite3_exec(
	    db, "DROP TRIGGER audit_no_update; UPDATE audit SET detail='{\"erased\":true}', erased_at=9 WHERE seq=4",
	    NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(verify(s, &c) == 0 && !c.ok && c.first_bad_seq == 4 && c.kind == AUDIT_BAD_ERASURE,
	      "an erased erasure entry is named");
	store_close(s);
	rm_dir(dir);
}

/* SHA-256(prev || "seq|at|actor|kind|case|agreement|detail"): how entries were hashed before schema 5. */
static void form1_hash(const uint8_t prev[32], int64_t seq, const char *kind, const char *detail, uint8_t out[32])
{
	char canon[512];
	unsigned n = 32;
	snprintf(canon, sizeof(canon), "%lld|1000|7|%s|1|0|%s", (long long)seq, kind, detail);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, prev, 32);
	EVP_DigestUpdate(ctx, canon, strlen(canon));
	EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
}

/* A schema-4 database with a form-1 trail of n entries (the last hash in head); broken: entry 2 edited. */
static char *form1_trail(int n, int broken, uint8_t head[32])
{
	char *dir = temp_dir(), err[256];
	struct store *s = store_open_raw(dir, err, sizeof(err));
	CHECK(s && store_migrate_to(s, 4) == STORE_OK, "a schema-4 database");
	uint8_t prev[32] = {0}, h[32];
	for (int i = 1; s && i <= n; i++) {
		char detail[64], sql[600], hx[65], px[65];
		snprintf(detail, sizeof(detail), "{\"n\":%d}", i);
		form1_hash(prev, i, AUDIT_PAUSE, detail, h);
		audit_hex(h, hx);
		audit_hex(prev, px);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO audit(seq,at,actor,kind,case_id,detail,prev_hash,hash) VALUES (%d,1000,7,'%s',1,"
			 "'%s',x'%s',x'%s')",
			 i, AUDIT_PAUSE, broken && i == 2 ? "{\"n\":99}" : detail, px, hx);
		CHECK(store_exec(s, sql) == STORE_OK, "a form-1 entry");
		memcpy(prev, h, 32);
	}
	memcpy(head, prev, 32);
	store_close(s);
	return dir;
}

static void test_upgrade(void)
{
	uint8_t head[32], h[32];
	char *dir = form1_trail(3, 0, head);
	struct store *s = open_store(dir);
	struct audit_check c;
	CHECK(s && verify(s, &c) == 0 && c.ok && c.entries == 4, "re-chained at open: 3 entries and audit_upgraded");
	CHECK(audit_hash_v1_at(s, 3, h) == STORE_OK && !memcmp(h, head, 32), "the old head is kept as hash_v1");
	CHECK(audit_hash_at(s, 3, h) == STORE_OK && memcmp(h, head, 32) != 0, "entry 3 has a new hash");
	CHECK(audit_hash_v1_at(s, 4, h) == STORE_NOT_FOUND, "the upgrade entry has no old hash");
	CHECK(store_begin(s) == STORE_OK && audit_erase(s, (int64_t[]){2}, 1, 5) == STORE_OK &&
		  audit_append(s, 0, AUDIT_ERASURE, 0, 0, json_pack("{s:[i]}", "seqs", 2)) == STORE_OK &&
		  store_commit(s) == STORE_OK && verify(s, &c) == 0 && c.ok,
	      "a re-chained entry can be erased and the trail verifies");
	store_close(s);
	s = open_store(dir);
	CHECK(s && verify(s, &c) == 0 && c.ok && c.entries == 5, "opening again re-chains nothing");
	store_close(s);
	rm_dir(dir);

	dir = form1_trail(3, 1, head);
	s = open_store(dir);
	CHECK(s && verify(s, &c) == 0 && !c.ok && c.first_bad_seq == 2 && c.kind == AUDIT_BAD_HASH,
	      "a broken form-1 trail is not re-chained (that would launder the edit)");
	CHECK(store_begin(s) == STORE_OK && audit_erase(s, (int64_t[]){3}, 1, 5) == STORE_ERR,
	      "and its entries cannot be erased");
	store_rollback(s);
	store_close(s);
	rm_dir(dir);
}

int main(void)
{
	test_erase();
	test_upgrade();
	return check_done("audit_erase");
}
