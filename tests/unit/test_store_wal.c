/* test_store_wal.c: the gathering WAL VFS (store_wal.c) — after each commit returns, the WAL file on disk holds
 * the whole commit: a second connection sees it, checkpoints copy it, and a copy of the files taken right then
 * (what a crash would leave) opens with every committed row. Commits of many sizes cross the 128 KiB write
 * chunk and the 1 MiB buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/store/store_wal.h"
#include "tests/unit/check.h"

static int64_t count_rows(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, "SELECT COUNT(*), IFNULL(SUM(LENGTH(v)),0) FROM t", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int run(const char *dir, const char *cmd)
{
	char buf[600];
	snprintf(buf, sizeof(buf), "cd '%s' && %s", dir, cmd);
	return system(buf);
}

/* Insert `rows` rows of `size` bytes in one transaction (rows spread over keys so pages scatter). */
static int commit_rows(sqlite3 *db, int first, int rows, int size)
{
	sqlite3_stmt *st;
	char *blob = malloc((size_t)size);
	memset(blob, 'x', (size_t)size);
	int ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "INSERT INTO t(k, v) VALUES (?, ?)", -1, &st, NULL) == SQLITE_OK;
	for (int i = 0; ok && i < rows; i++) {
		sqlite3_bind_int64(st, 1, (int64_t)(first + i) * 7919 % 1000003);
		sqlite3_bind_blob(st, 2, blob, size, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
	}
	if (ok)
		sqlite3_finalize(st);
	free(blob);
	return ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
}

static const struct {
	const char *name;
	int rows, size;
} commits[] = {
    {"one small row", 1, 10},
    {"a few pages", 40, 300},
    {"just over one write chunk", 40, 3500},
    {"over the 1 MiB buffer", 400, 3500},
    {"rows larger than a page", 20, 9000},
    {"small again after a large one", 3, 50},
};

int main(void)
{
	char tmpl[] = "/tmp/samvaer-wal-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char path[256], copy[300];
	snprintf(path, sizeof(path), "%s/db", dir);
	snprintf(copy, sizeof(copy), "%s/crash/db", dir);
	const char *vfs = store_wal_vfs();
	CHECK(vfs != NULL, "vfs registered");
	sqlite3 *db = NULL, *other = NULL, *crashed = NULL;
	CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) == SQLITE_OK, "open");
	CHECK(sqlite3_exec(db,
			   "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=0;"
			   "CREATE TABLE t(k INTEGER, v BLOB); CREATE INDEX t_k ON t(k);",
			   NULL, NULL, NULL) == SQLITE_OK,
	      "schema");
	CHECK(sqlite3_open_v2(path, &other, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "second connection");
	int total = 0;
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(commits) / sizeof(commits[0]); i++) {
			CHECK(commit_rows(db, total, commits[i].rows, commits[i].size), commits[i].name);
			total += commits[i].rows;
			CHECK(count_rows(other) == total, commits[i].name); /* visible to another connection at once */
			run(dir, "rm -rf crash && mkdir crash && cp db db-wal crash/ 2>/dev/null");
			CHECK(sqlite3_open_v2(copy, &crashed, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
				  count_rows(crashed) == total,
			      "the files as a crash would leave them hold the commit");
			sqlite3_close(crashed);
		}
		int log = -1, done = -1; /* a checkpoint by the other connection, then the WAL restarts from the top */
		CHECK(sqlite3_wal_checkpoint_v2(other, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done) == SQLITE_OK &&
			  log == done,
		      "checkpoint by another connection");
	}
	CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO t VALUES (1, 'gone'); ROLLBACK;", NULL, NULL, NULL) ==
		      SQLITE_OK &&
		  count_rows(other) == total,
	      "a rolled-back transaction leaves nothing");
	CHECK(commit_rows(db, total, 5, 100) && count_rows(other) == total + 5, "commit after a rollback");
	sqlite3_stmt *st;
	int ok = sqlite3_prepare_v2(other, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	CHECK(ok, "integrity");
	sqlite3_close(other);
	sqlite3_close(db);
	run(dir, "cd .. && rm -rf \"$OLDPWD\"");
	return check_done("store_wal");
}
