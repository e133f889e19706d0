/* store.c: opening the database, migrations, the statement cache and the group-commit transaction. */
#include "server/store/store_internal.h"
#include "server/store/store_wal.h"
#include "server/store/fsdir.h"
#include "server/store/audit_erase.h"
#include "server/store/store_retention.h"
#include "server/store/msglog.h"
#include "server/base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

sqlite3_stmt *store__stmt(struct store *s, int slot, const char *sql)
{
	sqlite3_stmt *st = s->stmts[slot];
	if (!st) {
		if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[slot], NULL) != SQLITE_OK) {
			store__fail(s, "prepare");
			return NULL;
		}
		return s->stmts[slot];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int store__fail(struct store *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "store: %s: %s", what, sqlite3_errmsg(s->db));
	return STORE_ERR;
}

void store__copy_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

sqlite3_stmt *store__prepare_once(struct store *s, const char *sql, const char *what)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		store__fail(s, what);
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int store__write_once(struct store *s, sqlite3_stmt *st, const char *what, int must_change)
{
	int rc = store__step_write(s, st, what);
	sqlite3_finalize(st);
	return rc == STORE_OK && must_change && sqlite3_changes(s->db) == 0 ? STORE_NOT_FOUND : rc;
}

int store__read_done(struct store *s, sqlite3_stmt *st, int rc, const char *what)
{
	int out = rc == SQLITE_DONE ? STORE_OK : store__fail(s, what);
	sqlite3_finalize(st);
	return out;
}

int store__step_write(struct store *s, sqlite3_stmt *st, const char *what)
{
	if (!st)
		return STORE_ERR;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return STORE_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		snprintf(s->err, sizeof(s->err), "store: %s: %s", what, sqlite3_errmsg(s->db));
		return STORE_DUPLICATE;
	}
	return store__fail(s, what);
}

const char *store_errmsg(struct store *s)
{
	return s->err;
}

int store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(s->err, sizeof(s->err), "store: %s", msg ? msg : "exec failed");
		sqlite3_free(msg);
		return STORE_ERR;
	}
	return STORE_OK;
}

int store_schema_latest(void)
{
	return store__migration_count;
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

int store_migrate_to(struct store *s, int target)
{
	int v = store_schema_version(s);
	if (v < 0 || target > store__migration_count)
		return store__fail(s, "schema version");
	if (v > store__migration_count) {
		snprintf(s->err, sizeof(s->err), "store: database schema %d is newer than this build (%d)", v,
			 store__migration_count);
		return STORE_ERR;
	}
	for (; v < target; v++) {
		char bump[64];
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", v + 1);
		if (store_exec(s, "BEGIN IMMEDIATE") || store_exec(s, store__migrations[v]) || store_exec(s, bump) ||
		    store_exec(s, "COMMIT")) {
			char keep[256];
			snprintf(keep, sizeof(keep), "%s (migration %d)", s->err, v + 1);
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			snprintf(s->err, sizeof(s->err), "%s", keep);
			return STORE_ERR;
		}
	}
	return STORE_OK;
}

static struct store *open_db(const char *dir, const char *vfs, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == 0) {
		if (fsdir_sync_parent(dir) != 0) { /* the new folder's own name */
			snprintf(err, errlen, "store: cannot sync the folder holding %s: %s", dir, strerror(errno));
			return NULL;
		}
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "store: cannot create %s: %s", dir, strerror(errno));
		return NULL;
	}
	char path[1024];
	snprintf(path, sizeof(path), "%s/samvaer.db", dir);
	struct store *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "store: out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, vfs)) {
		snprintf(err, errlen, "store: cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "?");
		store_close(s);
		return NULL;
	}
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	sqlite3_busy_timeout(s->db, 5000);
	/* A new file only (a no-op once the database has content): each message dirties one leaf of its
	 * conversation and one of the client_key index per commit, and every dirty page goes into the WAL whole,
	 * so 1 KiB pages write a quarter of the bytes that 4 KiB pages do (docs/PERFORMANCE.md, Messaging). */
	sqlite3_exec(s->db, "PRAGMA page_size=1024", NULL, NULL, NULL);
	return s;
}

struct store *store_open_raw(const char *dir, char *err, size_t errlen)
{
	return open_db(dir, NULL, err, errlen);
}

/* ---- the message log ---- */

struct msglog *store__log(struct store *s, int writable)
{
	if (s->log && (msglog_writable(s->log) || !writable))
		return s->log;
	if (s->log && msglog_pending(s->log)) { /* cannot happen: pending appends need a writable log */
		snprintf(s->err, sizeof(s->err), "store: the message log is open read-only");
		return NULL;
	}
	char path[600], err[256];
	snprintf(path, sizeof(path), "%s/messages.log", s->dir);
	struct msglog *l = msglog_open(path, writable, err, sizeof(err));
	if (!l && !writable && access(path, F_OK) != 0) /* nothing written yet: an empty log */
		l = msglog_open("/dev/null", 0, err, sizeof(err));
	if (!l) {
		snprintf(s->err, sizeof(s->err), "store: %s", err);
		return NULL;
	}
	msglog_close(s->log);
	s->log = l;
	if (store__apply_floors(s, l) != STORE_OK) { /* messages removed before a crash left them in the file */
		s->log = NULL;
		msglog_close(l);
		return NULL;
	}
	return l;
}

/* Versions before the message log kept messages in the `messages` table: move them into the log, durably, then
 * empty the table. A crash in between imports nothing twice (rows up to the log's last seq, or with a key the log
 * has, are skipped). A conversation with a gap in its seqs (a failed commit of an old version) is renumbered from
 * the gap on. */
static int import_messages(struct store *s, struct msglog *l)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT agreement_id, seq, sender_id, client_key, body, sent_at FROM messages"
			       " ORDER BY agreement_id, seq",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "import messages");
	int rc, n = 0, renumbered = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct msglog_record r = {sqlite3_column_int64(st, 0),
					  sqlite3_column_int64(st, 1),
					  sqlite3_column_int64(st, 2),
					  sqlite3_column_int64(st, 5),
					  (const char *)sqlite3_column_text(st, 3),
					  (size_t)sqlite3_column_bytes(st, 3),
					  (const char *)sqlite3_column_text(st, 4),
					  (size_t)sqlite3_column_bytes(st, 4)};
		int64_t last = msglog_last_seq(l, r.agreement);
		if (r.seq <= last)
			continue; /* imported before a crash */
		if (r.seq != last + 1)
			renumbered++;
		r.seq = last + 1;
		if (!r.key)
			r.key = "";
		if (!r.text)
			r.text = "";
		int added = msglog_append(l, &r);
		if (added == MSGLOG_DUPLICATE)
			continue; /* its key is in the log already: imported before a crash, then renumbered */
		if (added == MSGLOG_ERR) {
			sqlite3_finalize(st);
			msglog_discard(l);
			snprintf(s->err, sizeof(s->err), "store: import messages: %s", strerror(errno));
			return STORE_ERR;
		}
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		msglog_discard(l);
		return store__fail(s, "import messages");
	}
	if (msglog_write(l) != 0 || msglog_sync(l) != 0) {
		snprintf(s->err, sizeof(s->err), "store: import messages: %s", strerror(errno));
		return STORE_ERR;
	}
	if (store_exec(s, "DELETE FROM messages"))
		return STORE_ERR;
	log_info("store: moved %d messages from SQLite into the message log%s", n,
		 renumbered ? " (some seqs renumbered to close gaps)" : "");
	return STORE_OK;
}

static int has_legacy_messages(struct store *s)
{
	sqlite3_stmt *st;
	int any = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT EXISTS (SELECT 1 FROM messages)", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		any = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return any;
}

int store_claim_messages(struct store *s)
{
	struct msglog *l = store__log(s, 1);
	if (!l)
		return STORE_ERR;
	return has_legacy_messages(s) ? import_messages(s, l) : STORE_OK;
}

/* At open: move legacy messages now if no other process writes the log (else its writer does, at its start). */
static int import_if_any(struct store *s)
{
	if (!has_legacy_messages(s))
		return STORE_OK;
	char path[600], err[256];
	snprintf(path, sizeof(path), "%s/messages.log", s->dir);
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	if (!l)
		return STORE_OK;
	msglog_close(s->log);
	s->log = l;
	return import_messages(s, l);
}

struct store *store_open(const char *dir, int sync_mode, char *err, size_t errlen)
{
	/* The server's connection writes each commit's WAL frames with one syscall (store_wal.c). */
	struct store *s = open_db(dir, store_wal_vfs(), err, errlen);
	if (!s)
		return NULL;
	/* A 64 MiB page cache and memory-mapped reads keep the hot pages out of read(2) calls. */
	static const char *const sync_pragmas[] = {
	    "PRAGMA synchronous=NORMAL;",
	    "PRAGMA synchronous=FULL;",
	    "PRAGMA synchronous=OFF; PRAGMA wal_autocheckpoint=0;",
	};
	char pragmas[400];
	snprintf(
	    pragmas, sizeof(pragmas),
	    "PRAGMA journal_mode=WAL; %s PRAGMA foreign_keys=ON; PRAGMA recursive_triggers=ON; PRAGMA secure_delete=ON;"
	    " PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA journal_size_limit=67108864;",
	    sync_pragmas[sync_mode >= 0 && sync_mode <= 2 ? sync_mode : 1]);
	s->sync_external = sync_mode == STORE_SYNC_EXTERNAL;
	s->sync_full = sync_mode == STORE_SYNC_FULL;
	if (store_exec(s, pragmas) || store_migrate_to(s, store__migration_count) || store__fill_username_keys(s) ||
	    import_if_any(s) || audit_upgrade(s)) {
		snprintf(err, errlen, "%s", s->err);
		store_close(s);
		return NULL;
	}
	/* The database file may be new, and its WAL is new whenever the last connection closed: the server commits
	 * with synchronous=OFF and fdatasyncs the WAL itself, so nothing else makes their names durable. */
	if (fsdir_sync(dir) != 0) {
		snprintf(err, errlen, "store: cannot sync the folder %s: %s", dir, strerror(errno));
		store_close(s);
		return NULL;
	}
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (store_in_txn(s))
		store_rollback(s);
	/* The last connection to close copies the WAL into the database and deletes it. With synchronous=OFF that
	 * copy is not synced before the delete, and a power cut soon after a clean stop could lose acknowledged
	 * writes: NORMAL syncs the database before the WAL goes. */
	if (s->sync_external)
		sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	msglog_close(s->log);
	for (int i = 0; i < STORE_MAX_STMTS; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close(s->db);
	free(s);
}

static int step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	if (st)
		sqlite3_reset(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, what);
}

int store_begin(struct store *s)
{
	if (s->in_txn)
		return STORE_OK;
	if (step_done(s, store__stmt(s, SQL_BEGIN, "BEGIN IMMEDIATE"), "begin"))
		return STORE_ERR;
	s->in_txn = 1;
	return STORE_OK;
}

int store_commit(struct store *s)
{
	/* Messages first: if they cannot be written, the turn's other writes are rolled back with them. */
	if (s->log && msglog_pending(s->log)) {
		if (msglog_write(s->log) != 0 || (s->sync_full && msglog_sync(s->log) != 0)) {
			snprintf(s->err, sizeof(s->err), "store: writing the message log: %s", strerror(errno));
			store_rollback(s);
			return STORE_ERR;
		}
		s->written |= STORE_FILE_LOG;
	}
	if (!s->in_txn)
		return STORE_OK;
	int rc = step_done(s, store__stmt(s, SQL_COMMIT, "COMMIT"), "commit");
	if (rc != STORE_OK) {
		char keep[256];
		snprintf(keep, sizeof(keep), "%s", s->err);
		store_rollback(s);
		snprintf(s->err, sizeof(s->err), "%s", keep);
		return STORE_ERR;
	}
	s->in_txn = 0;
	s->written |= STORE_FILE_WAL; /* even a commit that changed nothing costs only an fsync with nothing to write */
	return STORE_OK;
}

void store_rollback(struct store *s)
{
	if (s->log)
		msglog_discard(s->log);
	if (!sqlite3_get_autocommit(s->db))
		step_done(s, store__stmt(s, SQL_ROLLBACK, "ROLLBACK"), "rollback");
	s->in_txn = 0;
}

int store_in_txn(struct store *s)
{
	return s->in_txn || (s->log && msglog_pending(s->log));
}

unsigned store_take_written(struct store *s)
{
	unsigned w = s->written;
	s->written = 0;
	return w;
}

int store_checkpoint(struct store *s, int *wal_frames, int *copied_frames)
{
	*wal_frames = *copied_frames = 0;
	if (s->in_txn) {
		snprintf(s->err, sizeof(s->err), "store: checkpoint inside a transaction");
		return STORE_ERR;
	}
	/* With synchronous=OFF a checkpoint would mark frames as copied before the database file is synced, and
	 * the WAL restart that follows would overwrite them: a power cut could then lose acknowledged writes.
	 * NORMAL syncs the WAL before copying and the database before recording the copy. */
	if (s->sync_external && store_exec(s, "PRAGMA synchronous=NORMAL"))
		return STORE_ERR;
	int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, wal_frames, copied_frames);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		store__fail(s, "checkpoint");
	if (s->sync_external && store_exec(s, "PRAGMA synchronous=OFF"))
		return STORE_ERR;
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? STORE_OK : STORE_ERR;
}

int64_t store_data_version(struct store *s)
{
	/* PRAGMA data_version changes only when *another* connection commits, which is what we poll for. */
	sqlite3_stmt *st = store__stmt(s, SQL_DATA_VERSION, "PRAGMA data_version");
	int64_t v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}
