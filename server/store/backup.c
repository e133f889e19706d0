/* backup.c: online backup, restore and verification of a data directory (backup.h). */
#include "server/store/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
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
#include "server/store/fsdir.h"
#include "server/store/msglog.h"
#include "server/store/store_internal.h"

#define PATH_CAP 1024
#define CHUNK (1u << 20)
#define LOG_BUF (MSGLOG_HEADER + MSGLOG_MAX_PAYLOAD + CHUNK)

static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

static void path_join(char out[PATH_CAP], const char *a, const char *b)
{
	snprintf(out, PATH_CAP, "%s%s%s", a, *a && *b ? "/" : "", b);
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- files written, counted and hashed ---- */

struct sink {
	int fd;
	EVP_MD_CTX *md;
	int64_t bytes;
};

static int sink_open(struct sink *k, const char *path)
{
	k->bytes = 0;
	k->md = EVP_MD_CTX_new();
	k->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (k->fd < 0 || !k->md || EVP_DigestInit_ex(k->md, EVP_sha256(), NULL) != 1) {
		if (k->fd >= 0)
			close(k->fd);
		EVP_MD_CTX_free(k->md);
		return -1;
	}
	return 0;
}

static int sink_put(struct sink *k, const void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(k->fd, (const char *)p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	k->bytes += (int64_t)n;
	return EVP_DigestUpdate(k->md, p, n) == 1 ? 0 : -1;
}

/* fsync, close, and the SHA-256 in hex; -1 if anything failed (the file is closed either way). */
static int sink_close(struct sink *k, char sha[65])
{
	unsigned char h[32] = {0};
	unsigned int hn = 0;
	int rc = fsync(k->fd) == 0 && EVP_DigestFinal_ex(k->md, h, &hn) == 1 && hn == 32 ? 0 : -1;
	rc |= close(k->fd);
	EVP_MD_CTX_free(k->md);
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", h[i]);
	return rc;
}

/* Copy a whole file (src may change meanwhile: what was read is what is hashed). */
static int copy_plain(const char *src, const char *dst, char sha[65], int64_t *bytes)
{
	struct sink k;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	if (sink_open(&k, dst) != 0) {
		close(in);
		return -1;
	}
	char *buf = malloc(CHUNK);
	ssize_t n = buf ? 0 : -1;
	while (buf && (n = read(in, buf, CHUNK)) > 0 && sink_put(&k, buf, (size_t)n) == 0)
		;
	free(buf);
	close(in);
	int rc = sink_close(&k, sha);
	*bytes = k.bytes;
	return n == 0 && rc == 0 ? 0 : -1;
}

static int hash_file(const char *path, char sha[65], int64_t *bytes)
{
	unsigned char h[32] = {0};
	unsigned int hn = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *buf = malloc(CHUNK);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = -1;
	*bytes = 0;
	if (fd >= 0 && buf && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1)
		while ((got = read(fd, buf, CHUNK)) > 0 && EVP_DigestUpdate(md, buf, (size_t)got) == 1)
			*bytes += got;
	int rc = got == 0 && EVP_DigestFinal_ex(md, h, &hn) == 1 && hn == 32 ? 0 : -1;
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", h[i]);
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(md);
	return rc;
}

/* ---- the message log ---- */

typedef int (*record_fn)(const struct msglog_record *r, void *ctx);

/* Read the log's complete, valid records (up to the size it has now), each to fn and, with k, into a copy. Sets
 * *tail to the bytes left after the last good record: a torn write at the end of a live log, or damage. */
static int scan_log(const char *path, struct sink *k, record_fn fn, void *ctx, int64_t *records, int64_t *tail)
{
	*records = *tail = 0;
	int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : -1; /* no message yet */
	struct stat st;
	uint8_t *buf = fstat(in, &st) == 0 ? malloc(LOG_BUF) : NULL;
	if (!buf) {
		close(in);
		return -1;
	}
	int64_t left = st.st_size; /* the point this copy stops at, whatever is appended meanwhile */
	size_t have = 0;
	int rc = 0;
	for (;;) {
		size_t want = LOG_BUF - have;
		if (left > 0 && want > 0) {
			ssize_t n = read(in, buf + have, (int64_t)want < left ? want : (size_t)left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = n < 0 ? -1 : 0;
				left = 0;
			} else {
				have += (size_t)n;
				left -= n;
			}
		}
		size_t pos = 0, used;
		struct msglog_record r;
		while ((used = msglog_decode(buf + pos, have - pos, &r)) > 0) {
			if (fn && fn(&r, ctx) != 0) {
				rc = -1;
				break;
			}
			pos += used;
			++*records;
		}
		if (rc == 0 && k && sink_put(k, buf, pos) != 0)
			rc = -1;
		memmove(buf, buf + pos, have - pos);
		have -= pos;
		if (rc != 0 || left == 0 || have == LOG_BUF) /* the end, or more than any record holds: damage */
			break;
	}
	*tail = have + (left > 0 ? left : 0);
	free(buf);
	close(in);
	return rc;
}

/* ---- taking a backup ---- */

static int snapshot_db(sqlite3 *src, const char *dst_path, struct backup_summary *sum, char *err, size_t n)
{
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(dst_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", src, "main") : NULL;
	if (!b) {
		fail(err, n, "backup: database copy: %s", dst ? sqlite3_errmsg(dst) : "out of memory");
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
		fail(err, n, "backup: database copy: %s", sqlite3_errmsg(dst));
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
		return fail(err, n, "backup: database copy: close failed");
	return 0;
}

static json_t *file_entry(const char *rel, int64_t bytes, const char *sha)
{
	return json_pack("{s:s,s:I,s:s}", "path", rel, "bytes", (json_int_t)bytes, "sha256", sha);
}

/* Files the backup takes its own way (the database, its WAL, the log) or never (locks, temporary files). */
static int skipped(const char *rel)
{
	static const char *const live[] = {"samvaer.db", "samvaer.db-wal", "samvaer.db-shm", "samvaer.db-journal",
					   "messages.log"};
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
	char src[PATH_CAP], dst[PATH_CAP], sub[PATH_CAP];
	path_join(src, src_root, rel);
	DIR *d = opendir(src);
	if (!d)
		return fail(err, n, "backup: %s: %s", src, strerror(errno));
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path_join(sub, rel, e->d_name);
		path_join(src, src_root, sub);
		path_join(dst, dst_root, sub);
		struct stat st;
		if (lstat(src, &st) != 0 || skipped(sub))
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = mkdir(dst, 0700) == 0 ? copy_tree(src_root, dst_root, sub, files, sum, err, n)
						   : fail(err, n, "backup: %s: %s", dst, strerror(errno));
		} else if (S_ISREG(st.st_mode)) {
			char sha[65];
			int64_t bytes;
			if (copy_plain(src, dst, sha, &bytes) != 0)
				rc = fail(err, n, "backup: copying %s: %s", sub, strerror(errno));
			else {
				json_array_append_new(files, file_entry(sub, bytes, sha));
				sum->files++;
				sum->bytes += bytes;
			}
		}
	}
	closedir(d);
	path_join(dst, dst_root, rel); /* the folder this call filled: its entries */
	if (rc == 0 && fsync_path(dst) != 0)
		rc = fail(err, n, "backup: fsync %s: %s", dst, strerror(errno));
	return rc;
}

static int write_manifest(const char *dir, const struct backup_summary *sum, json_t *files, char *err, size_t n)
{
	char path[PATH_CAP];
	path_join(path, dir, BACKUP_MANIFEST);
	json_t *m =
	    json_pack("{s:s,s:I,s:i,s:s,s:I,s:I,s:O}", "format", BACKUP_FORMAT, "taken_at", (json_int_t)sum->taken_at,
		      "schema", sum->schema, "audit_head", sum->audit_head, "messages", (json_int_t)sum->messages,
		      "conversations", (json_int_t)sum->conversations, "files", files);
	char *text = m ? json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(m);
	struct sink k;
	char sha[65];
	int rc = text && sink_open(&k, path) == 0 ? 0 : -1;
	if (rc == 0) {
		rc = sink_put(&k, text, strlen(text));
		rc |= sink_close(&k, sha);
	}
	free(text);
	return rc == 0 ? 0 : fail(err, n, "backup: writing %s: %s", path, strerror(errno));
}

struct convs {
	struct intmap last; /* agreement -> last seq (as a pointer-sized integer) */
	int64_t count;
	char *err;
	size_t errlen;
};

static int on_record(const struct msglog_record *r, void *ctx)
{
	struct convs *c = ctx;
	int64_t last = (int64_t)(intptr_t)intmap_get(&c->last, (uint64_t)r->agreement);
	if (last && r->seq != last + 1) /* the first may be past 1: older messages removed (msglog_floor) */
		return fail(c->err, c->errlen, "conversation %lld: message %lld follows %lld (a gap or a repeat)",
			    (long long)r->agreement, (long long)r->seq, (long long)last);
	if (!last)
		c->count++;
	return intmap_put(&c->last, (uint64_t)r->agreement, (void *)(intptr_t)r->seq) == 0 ? 0 : -1;
}

int backup_take(struct store *s, const char *dest, struct backup_summary *out, char *err, size_t errlen)
{
	char tmp[PATH_CAP], path[PATH_CAP], src[PATH_CAP], sha[65];
	struct backup_summary sum = {.taken_at = clock_now_ms()};
	if (access(dest, F_OK) == 0)
		return fail(err, errlen, "backup: %s already exists", dest);
	snprintf(tmp, sizeof(tmp), "%s.partial-%d", dest, (int)getpid());
	if (mkdir(tmp, 0700) != 0)
		return fail(err, errlen, "backup: cannot create %s: %s", tmp, strerror(errno));
	json_t *files = json_array();
	path_join(path, tmp, "samvaer.db");
	int rc = snapshot_db(s->db, path, &sum, err, errlen); /* first: the log copied next holds all it names */
	if (rc == 0) {
		int64_t bytes;
		if (hash_file(path, sha, &bytes) != 0)
			rc = fail(err, errlen, "backup: reading the database copy back: %s", strerror(errno));
		else {
			json_array_append_new(files, file_entry("samvaer.db", bytes, sha));
			sum.files++;
			sum.bytes += bytes;
		}
	}
	if (rc == 0) {
		struct sink k;
		struct convs c = {.err = err, .errlen = errlen};
		int64_t tail;
		intmap_init(&c.last);
		path_join(src, s->dir, "messages.log");
		path_join(path, tmp, "messages.log");
		rc = sink_open(&k, path) == 0 ? 0 : fail(err, errlen, "backup: %s: %s", path, strerror(errno));
		if (rc == 0) {
			rc = scan_log(src, &k, on_record, &c, &sum.messages, &tail);
			rc |= sink_close(&k, sha);
			if (rc != 0 && !err[0])
				fail(err, errlen, "backup: copying the message log: %s", strerror(errno));
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
	char parent[PATH_CAP];
	snprintf(parent, sizeof(parent), "%s", dest);
	char *slash = strrchr(parent, '/');
	if (slash)
		*(slash == parent ? slash + 1 : slash) = 0;
	else
		snprintf(parent, sizeof(parent), ".");
	if (rc == 0 && (fsync_path(tmp) != 0 || rename(tmp, dest) != 0 || fsync_path(parent) != 0))
		rc = fail(err, errlen, "backup: putting %s in place: %s", dest, strerror(errno));
	if (rc != 0) {
		rm_tree(tmp);
		return -1;
	}
	if (out)
		*out = sum;
	return 0;
}

/* ---- restore and verify ---- */

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
	char path[PATH_CAP];
	path_join(path, root, rel);
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
	char path[PATH_CAP];
	path_join(path, root, rel);
	for (char *p = strrchr(path, '/'); p && p >= path + strlen(root); p = strrchr(path, '/')) {
		*p = 0;
		if (fsync_path(path) != 0)
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
static int check_refs(sqlite3 *db, struct convs *c, char *err, size_t n)
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
			return fail(err, n, "verify: %s", sqlite3_errmsg(db));
		int rc = 0;
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			int64_t a = sqlite3_column_int64(st, 0), seq = sqlite3_column_int64(st, 1);
			int64_t last = (int64_t)(intptr_t)intmap_get(&c->last, (uint64_t)a);
			if (seq > last)
				rc = fail(err, n,
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
	char path[PATH_CAP], msg[256];
	struct store *s = store_open_raw(dir, msg, sizeof(msg));
	if (!s)
		return fail(err, n, "verify: the database does not open: %s", msg);
	int rc = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok"))
		rc = fail(err, n, "verify: the database is damaged: %s",
			  st ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	int64_t v = 0;
	if (rc == 0 && (query_int(s->db, "PRAGMA user_version", &v) != 0 || v != sum->schema))
		rc = fail(err, n, "verify: schema %lld, the manifest says %d", (long long)v, sum->schema);
	struct audit_check ac;
	if (rc == 0 && (audit_verify(s, &ac) != STORE_OK || !ac.ok))
		rc = fail(err, n, "verify: the audit chain does not verify: %s", ac.problem);
	if (rc == 0) {
		char hex[2 * AUDIT_HASH_LEN + 1], got[96] = "";
		if (ac.head_seq) {
			audit_hex(ac.head_hash, hex);
			snprintf(got, sizeof(got), "%lld:%s", (long long)ac.head_seq, hex);
		}
		sum->audit_entries = ac.entries;
		if (strcmp(got, head))
			rc = fail(err, n, "verify: the audit chain ends at %s, the manifest says %s",
				  got[0] ? got : "nothing", head[0] ? head : "nothing");
	}
	struct convs c = {.err = err, .errlen = n};
	intmap_init(&c.last);
	int64_t records = 0, tail = 0;
	path_join(path, dir, "messages.log");
	if (rc == 0 && scan_log(path, NULL, on_record, &c, &records, &tail) != 0)
		rc = err[0] ? -1 : fail(err, n, "verify: reading the message log: %s", strerror(errno));
	if (rc == 0 && tail)
		rc = fail(err, n, "verify: the message log has %lld damaged bytes after message %lld", (long long)tail,
			  (long long)records);
	if (rc == 0 && records != sum->messages)
		rc = fail(err, n, "verify: the log holds %lld messages, the manifest says %lld", (long long)records,
			  (long long)sum->messages);
	if (rc == 0)
		rc = check_refs(s->db, &c, err, n);
	sum->conversations = c.count;
	intmap_free(&c.last);
	store_close(s);
	return rc;
}

int backup_restore(const char *src, const char *newdir, struct backup_summary *out, char *err, size_t errlen)
{
	char path[PATH_CAP], dst[PATH_CAP];
	struct backup_summary sum = {0};
	json_error_t jerr;
	err[0] = 0;
	path_join(path, src, BACKUP_MANIFEST);
	json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	const char *format = json_string_value(json_object_get(m, "format"));
	const char *head = json_string_value(json_object_get(m, "audit_head"));
	json_t *files = json_object_get(m, "files");
	if (!m || !format || strcmp(format, BACKUP_FORMAT) || !head || !json_is_array(files)) {
		json_decref(m);
		return fail(err, errlen, "restore: %s is not a Samvaer backup (%s)", src,
			    m ? "unknown format" : jerr.text);
	}
	sum.taken_at = json_integer_value(json_object_get(m, "taken_at"));
	sum.schema = (int)json_integer_value(json_object_get(m, "schema"));
	sum.messages = json_integer_value(json_object_get(m, "messages"));
	snprintf(sum.audit_head, sizeof(sum.audit_head), "%s", head);
	int rc = dir_empty_or_new(newdir) ? 0 : fail(err, errlen, "restore: %s exists and is not empty", newdir);
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
			rc = fail(err, errlen, "restore: the manifest names a bad path");
			break;
		}
		path_join(path, src, rel);
		path_join(dst, newdir, rel);
		if (make_parents(newdir, rel) != 0 || copy_plain(path, dst, sha, &bytes) != 0)
			rc = fail(err, errlen, "restore: copying %s: %s", rel, strerror(errno));
		else if (sync_parents(newdir, rel) != 0)
			rc = fail(err, errlen, "restore: fsync the folders of %s: %s", rel, strerror(errno));
		else if (bytes != want_bytes || strcmp(sha, want))
			rc = fail(err, errlen,
				  "restore: %s does not match the manifest (%lld bytes, sha256 %.12s…; "
				  "expected %lld, %.12s…): the backup is damaged",
				  rel, (long long)bytes, sha, (long long)want_bytes, want);
		sum.files++;
		sum.bytes += bytes;
	}
	json_decref(m);
	if (rc == 0 && fsync_path(newdir) != 0)
		rc = fail(err, errlen, "restore: fsync %s: %s", newdir, strerror(errno));
	if (rc == 0)
		rc = check_data(newdir, sum.audit_head, &sum, err, errlen);
	if (rc == 0 && out)
		*out = sum;
	return rc;
}

int backup_verify(const char *src, struct backup_summary *out, char *err, size_t errlen)
{
	char scratch[PATH_CAP];
	snprintf(scratch, sizeof(scratch), "%s.verify-XXXXXX", src);
	if (!mkdtemp(scratch))
		return fail(err, errlen, "verify: cannot make a scratch folder beside %s: %s", src, strerror(errno));
	int rc = backup_restore(src, scratch, out, err, errlen);
	if (rc != 0 && !strncmp(err, "restore: ", 9)) /* it is a check here, not a restore */
		memmove(err, "verify: ", 8), memmove(err + 8, err + 9, strlen(err + 9) + 1);
	rm_tree(scratch);
	return rc;
}
