/* backup.c: taking an online backup of a data directory (backup.h). */
#include "server/store/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "server/base/clock.h"
#include "server/base/intmap.h"
#include "server/store/audit.h"
#include "server/store/backup_internal.h"
#include "server/store/fsdir.h"
#include "server/store/msglog.h"
#include "server/store/store_internal.h"

static int snapshot_db(sqlite3 *src, const char *dst_path, struct backup_summary *sum, char *err, size_t n)
{
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", src, "main") : NULL;
	if (!b) {
		backup__fail(err, n, "backup: database copy: %s", dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		return -1;
	}
	for (int tries = 0; (rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED; tries++) {
		if (tries > 500)
			break;
		usleep(10000);
	}
	sqlite3_backup_finish(b);
	sqlite3_stmt *st = NULL;
	/* A self-contained file (no WAL beside it), and what the summary names. */
	if (rc != SQLITE_DONE || sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(dst,
			       "SELECT (SELECT user_version FROM pragma_user_version), seq, hash FROM audit "
			       "ORDER BY seq DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK) {
		backup__fail(err, n, "backup: database copy: %s", sqlite3_errmsg(dst));
		sqlite3_finalize(st);
		sqlite3_close(dst);
		return -1;
	}
	sum->schema = 0;
	sum->audit_head[0] = 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 2) == AUDIT_HASH_LEN) {
		char hex[2 * AUDIT_HASH_LEN + 1];
		audit_hex(sqlite3_column_blob(st, 2), hex);
		sum->schema = sqlite3_column_int(st, 0);
		snprintf(sum->audit_head, sizeof(sum->audit_head), "%lld:%s", (long long)sqlite3_column_int64(st, 1),
			 hex);
	}
	sqlite3_finalize(st);
	if (!sum->schema) {
		int v = 0;
		if (sqlite3_prepare_v2(dst, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		sum->schema = v;
	}
	if (sqlite3_close(dst) != SQLITE_OK || chmod(dst_path, 0600) != 0)
		return backup__fail(err, n, "backup: database copy: close failed");
	return 0;
}

static json_t *file_entry(const char *rel, int64_t bytes, const char *sha)
{
	return json_pack("{s:s,s:I,s:s}", "path", rel, "bytes", (json_int_t)bytes, "sha256", sha);
}

/* Files the backup takes its own way (the database, its WAL, the log) or never (locks, temporary files, and the
 * working folders a start empties: uploads in progress, exports being made). */
static int skipped(const char *rel)
{
	static const char *const live[] = {"samvaer.db",   "samvaer.db-wal", "samvaer.db-shm", "samvaer.db-journal",
					   "messages.log", "spool",          "exports"};
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (!strcmp(rel, live[i]))
			return 1;
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	size_t len = strlen(base);
	return base[0] == '.' || (len > 5 && !strcmp(base + len - 5, ".lock")) || strstr(base, ".tmp");
}

/* Every other regular file under the data directory (keys, blobs), folders included. */
static int copy_tree(const char *src_root, const char *dst_root, const char *rel, json_t *files,
		     struct backup_summary *sum, char *err, size_t n)
{
	char src[BACKUP_PATH_CAP], dst[BACKUP_PATH_CAP], sub[BACKUP_PATH_CAP];
	backup__path_join(src, src_root, rel);
	DIR *d = opendir(src);
	if (!d)
		return backup__fail(err, n, "backup: %s: %s", src, strerror(errno));
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		backup__path_join(sub, rel, e->d_name);
		backup__path_join(src, src_root, sub);
		backup__path_join(dst, dst_root, sub);
		struct stat st;
		if (lstat(src, &st) != 0 || skipped(sub))
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = mkdir(dst, 0700) == 0 ? copy_tree(src_root, dst_root, sub, files, sum, err, n)
						   : backup__fail(err, n, "backup: %s: %s", dst, strerror(errno));
		} else if (S_ISREG(st.st_mode)) {
			char sha[65];
			int64_t bytes;
			if (backup__copy_plain(src, dst, sha, &bytes) != 0)
				rc = backup__fail(err, n, "backup: copying %s: %s", sub, strerror(errno));
			else {
				json_array_append_new(files, file_entry(sub, bytes, sha));
				sum->files++;
				sum->bytes += bytes;
			}
		}
	}
	closedir(d);
	backup__path_join(dst, dst_root, rel); /* the folder this call filled: its entries */
	if (rc == 0 && backup__fsync_path(dst) != 0)
		rc = backup__fail(err, n, "backup: fsync %s: %s", dst, strerror(errno));
	return rc;
}

static int write_manifest(const char *dir, const struct backup_summary *sum, json_t *files, char *err, size_t n)
{
	char path[BACKUP_PATH_CAP];
	backup__path_join(path, dir, BACKUP_MANIFEST);
	json_t *m =
	    json_pack("{s:s,s:I,s:i,s:s,s:I,s:I,s:O}", "format", BACKUP_FORMAT, "taken_at", (json_int_t)sum->taken_at,
		      "schema", sum->schema, "audit_head", sum->audit_head, "messages", (json_int_t)sum->messages,
		      "conversations", (json_int_t)sum->conversations, "files", files);
	char *text = m ? json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(m);
	struct backup_sink k;
	char sha[65];
	int rc = text && backup__sink_open(&k, path) == 0 ? 0 : -1;
	if (rc == 0) {
		rc = backup__sink_put(&k, text, strlen(text));
		rc |= backup__sink_close(&k, sha);
	}
	free(text);
	return rc == 0 ? 0 : backup__fail(err, n, "backup: writing %s: %s", path, strerror(errno));
}

int backup_take(struct store *s, const char *dest, struct backup_summary *out, char *err, size_t errlen)
{
	char tmp[BACKUP_PATH_CAP], path[BACKUP_PATH_CAP], src[BACKUP_PATH_CAP], sha[65];
	struct backup_summary sum = {.taken_at = clock_now_ms()};
	if (access(dest, F_OK) == 0)
		return backup__fail(err, errlen, "backup: %s already exists", dest);
	snprintf(tmp, sizeof(tmp), "%s.partial-%d", dest, (int)getpid());
	if (mkdir(tmp, 0700) != 0)
		return backup__fail(err, errlen, "backup: cannot create %s: %s", tmp, strerror(errno));
	json_t *files = json_array();
	backup__path_join(path, tmp, "samvaer.db");
	int rc = snapshot_db(s->db, path, &sum, err, errlen); /* first: the log copied next holds all it names */
	if (rc == 0) {
		int64_t bytes;
		if (backup__hash_file(path, sha, &bytes) != 0)
			rc = backup__fail(err, errlen, "backup: reading the database copy back: %s", strerror(errno));
		else {
			json_array_append_new(files, file_entry("samvaer.db", bytes, sha));
			sum.files++;
			sum.bytes += bytes;
		}
	}
	if (rc == 0) {
		struct backup_sink k;
		struct backup_convs c = {.err = err, .errlen = errlen};
		int64_t tail;
		intmap_init(&c.last);
		backup__path_join(src, s->dir, "messages.log");
		backup__path_join(path, tmp, "messages.log");
		rc = backup__sink_open(&k, path) == 0
		    ? 0
		    : backup__fail(err, errlen, "backup: %s: %s", path, strerror(errno));
		if (rc == 0) {
			rc = backup__scan_log(src, &k, backup__on_record, &c, &sum.messages, &tail);
			rc |= backup__sink_close(&k, sha);
			if (rc != 0 && !err[0])
				backup__fail(err, errlen, "backup: copying the message log: %s", strerror(errno));
			json_t *e = file_entry("messages.log", k.bytes, sha);
			json_object_set_new(e, "records", json_integer(sum.messages));
			json_array_append_new(files, e);
			sum.files++;
			sum.bytes += k.bytes;
			sum.conversations = c.count;
		}
		intmap_free(&c.last);
	}
	if (rc == 0)
		rc = copy_tree(s->dir, tmp, "", files, &sum, err, errlen);
	if (rc == 0)
		rc = write_manifest(tmp, &sum, files, err, errlen);
	json_decref(files);
	char parent[BACKUP_PATH_CAP];
	snprintf(parent, sizeof(parent), "%s", dest);
	char *slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = 0;
	else
		snprintf(parent, sizeof(parent), ".");
	if (rc == 0 && (backup__fsync_path(tmp) != 0 || rename(tmp, dest) != 0 || backup__fsync_path(parent) != 0))
		rc = backup__fail(err, errlen, "backup: putting %s in place: %s", dest, strerror(errno));
	if (rc != 0) {
		backup__rm_tree(tmp);
		return -1;
	}
	if (out)
		*out = sum;
	return 0;
}
