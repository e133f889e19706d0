/* backup_restore.c: restoring a backup into a new data directory, and verifying one (backup.h). */
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

/* A manifest path stays inside the backup: relative, no "..", no empty or dot segments. */
static int safe_rel(const char *rel)
{
	if (!rel || !*rel || rel[0] == '/' || strlen(rel) > 512)
		return 0;
	for (const char *p = rel; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0 || p[0] == '.')
			return 0;
		p = end ? end + 1 : p + len;
	}
	return 1;
}

/* Create the folders of rel below root (rel names a file). */
static int make_parents(const char *root, const char *rel)
{
	char path[BACKUP_PATH_CAP];
	backup__path_join(path, root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* fsync the folders of rel below root, deepest first, then root: the entries restore made there. */
static int sync_parents(const char *root, const char *rel)
{
	char path[BACKUP_PATH_CAP];
	backup__path_join(path, root, rel);
	for (char *p = strrchr(path, '/'); p && p >= path + strlen(root); p = strrchr(path, '/')) {
		*p = 0;
		if (backup__fsync_path(path) != 0)
			return -1;
	}
	return 0;
}

static int dir_empty_or_new(const char *dir)
{
	if (mkdir(dir, 0700) == 0)
		return fsdir_sync_parent(dir) == 0; /* its own name */
	DIR *d = errno == EEXIST ? opendir(dir) : NULL;
	if (!d)
		return 0;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n == 0;
}

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
	*out = rc == 0 ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc;
}

/* What the database refers to (receipts, released held messages, conversations) is in the log. */
static int check_refs(sqlite3 *db, struct backup_convs *c, char *err, size_t n)
{
	static const char *const sql[] = {
	    "SELECT agreement_id, max(delivered_seq, read_seq) FROM receipts",
	    "SELECT agreement_id, released_seq FROM held WHERE state = 'released'",
	};
	sqlite3_stmt *st;
	/* A conversation whose messages were all removed (retention, erasure) ends where its floor says (schema 5). */
	if (sqlite3_prepare_v2(db, "SELECT agreement_id, first_seq - 1 FROM message_floors", -1, &st, NULL) ==
	    SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			int64_t a = sqlite3_column_int64(st, 0), last = sqlite3_column_int64(st, 1);
			if (last > (int64_t)(intptr_t)intmap_get(&c->last, (uint64_t)a))
				intmap_put(&c->last, (uint64_t)a, (void *)(intptr_t)last);
		}
		sqlite3_finalize(st);
	}
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
			return backup__fail(err, n, "verify: %s", sqlite3_errmsg(db));
		int rc = 0;
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			int64_t a = sqlite3_column_int64(st, 0), seq = sqlite3_column_int64(st, 1);
			int64_t last = (int64_t)(intptr_t)intmap_get(&c->last, (uint64_t)a);
			if (seq > last)
				rc = backup__fail(
				    err, n,
				    "verify: conversation %lld: the database refers to message %lld, the log "
				    "ends at %lld",
				    (long long)a, (long long)seq, (long long)last);
		}
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	return 0;
}

/* Check a data directory as restored: the database, the audit chain (up to the head the manifest names), the log. */
static int check_data(const char *dir, const char *head, struct backup_summary *sum, char *err, size_t n)
{
	char path[BACKUP_PATH_CAP], msg[256];
	struct store *s = store_open_raw(dir, msg, sizeof(msg));
	if (!s)
		return backup__fail(err, n, "verify: the database does not open: %s", msg);
	int rc = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok"))
		rc = backup__fail(err, n, "verify: the database is damaged: %s",
				  st ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	int64_t v = 0;
	if (rc == 0 && (query_int(s->db, "PRAGMA user_version", &v) != 0 || v != sum->schema))
		rc = backup__fail(err, n, "verify: schema %lld, the manifest says %d", (long long)v, sum->schema);
	struct audit_check ac;
	if (rc == 0 && (audit_verify(s, &ac) != STORE_OK || !ac.ok))
		rc = backup__fail(err, n, "verify: the audit chain does not verify: %s", ac.problem);
	if (rc == 0) {
		char hex[2 * AUDIT_HASH_LEN + 1], got[96] = "";
		if (ac.head_seq) {
			audit_hex(ac.head_hash, hex);
			snprintf(got, sizeof(got), "%lld:%s", (long long)ac.head_seq, hex);
		}
		sum->audit_entries = ac.entries;
		if (strcmp(got, head))
			rc = backup__fail(err, n, "verify: the audit chain ends at %s, the manifest says %s",
					  got[0] ? got : "nothing", head[0] ? head : "nothing");
	}
	struct backup_convs c = {.err = err, .errlen = n};
	intmap_init(&c.last);
	int64_t records = 0, tail = 0;
	backup__path_join(path, dir, "messages.log");
	if (rc == 0 && backup__scan_log(path, NULL, backup__on_record, &c, &records, &tail) != 0)
		rc = err[0] ? -1 : backup__fail(err, n, "verify: reading the message log: %s", strerror(errno));
	if (rc == 0 && tail)
		rc = backup__fail(err, n, "verify: the message log has %lld damaged bytes after message %lld",
				  (long long)tail, (long long)records);
	if (rc == 0 && records != sum->messages)
		rc = backup__fail(err, n, "verify: the log holds %lld messages, the manifest says %lld",
				  (long long)records, (long long)sum->messages);
	if (rc == 0)
		rc = check_refs(s->db, &c, err, n);
	sum->conversations = c.count;
	intmap_free(&c.last);
	store_close(s);
	return rc;
}

int backup_restore(const char *src, const char *newdir, struct backup_summary *out, char *err, size_t errlen)
{
	char path[BACKUP_PATH_CAP], dst[BACKUP_PATH_CAP];
	struct backup_summary sum = {0};
	json_error_t jerr;
	err[0] = 0;
	backup__path_join(path, src, BACKUP_MANIFEST);
	json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	const char *format = json_string_value(json_object_get(m, "format"));
	const char *head = json_string_value(json_object_get(m, "audit_head"));
	json_t *files = json_object_get(m, "files");
	if (!m || !format || strcmp(format, BACKUP_FORMAT) || !head || !json_is_array(files)) {
		json_decref(m);
		return backup__fail(err, errlen, "restore: %s is not a Samvaer backup (%s)", src,
				    m ? "unknown format" : jerr.text);
	}
	sum.taken_at = json_integer_value(json_object_get(m, "taken_at"));
	sum.schema = (int)json_integer_value(json_object_get(m, "schema"));
	sum.messages = json_integer_value(json_object_get(m, "messages"));
	snprintf(sum.audit_head, sizeof(sum.audit_head), "%s", head);
	int rc =
	    dir_empty_or_new(newdir) ? 0 : backup__fail(err, errlen, "restore: %s exists and is not empty", newdir);
	size_t i;
	json_t *f;
	json_array_foreach(files, i, f)
	{
		const char *rel = json_string_value(json_object_get(f, "path"));
		const char *want = json_string_value(json_object_get(f, "sha256"));
		int64_t bytes = 0, want_bytes = json_integer_value(json_object_get(f, "bytes"));
		char sha[65];
		if (rc != 0)
			break;
		if (!safe_rel(rel) || !want) {
			rc = backup__fail(err, errlen, "restore: the manifest names a bad path");
			break;
		}
		backup__path_join(path, src, rel);
		backup__path_join(dst, newdir, rel);
		if (make_parents(newdir, rel) != 0 || backup__copy_plain(path, dst, sha, &bytes) != 0)
			rc = backup__fail(err, errlen, "restore: copying %s: %s", rel, strerror(errno));
		else if (sync_parents(newdir, rel) != 0)
			rc = backup__fail(err, errlen, "restore: fsync the folders of %s: %s", rel, strerror(errno));
		else if (bytes != want_bytes || strcmp(sha, want))
			rc = backup__fail(err, errlen,
					  "restore: %s does not match the manifest (%lld bytes, sha256 %.12s…; "
					  "expected %lld, %.12s…): the backup is damaged",
					  rel, (long long)bytes, sha, (long long)want_bytes, want);
		sum.files++;
		sum.bytes += bytes;
	}
	json_decref(m);
	if (rc == 0 && backup__fsync_path(newdir) != 0)
		rc = backup__fail(err, errlen, "restore: fsync %s: %s", newdir, strerror(errno));
	if (rc == 0)
		rc = check_data(newdir, sum.audit_head, &sum, err, errlen);
	if (rc == 0 && out)
		*out = sum;
	return rc;
}

int backup_verify(const char *src, struct backup_summary *out, char *err, size_t errlen)
{
	char scratch[BACKUP_PATH_CAP];
	snprintf(scratch, sizeof(scratch), "%s.verify-XXXXXX", src);
	if (!mkdtemp(scratch))
		return backup__fail(err, errlen, "verify: cannot make a scratch folder beside %s: %s", src,
				    strerror(errno));
	int rc = backup_restore(src, scratch, out, err, errlen);
	if (rc != 0 && !strncmp(err, "restore: ", 9)) /* it is a check here, not a restore */
		memmove(err, "verify: ", 8), memmove(err + 8, err + 9, strlen(err + 9) + 1);
	backup__rm_tree(scratch);
	return rc;
}
