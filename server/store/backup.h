/* backup.h: online backup of a data directory, and its verification and restore.
 *
 * A backup is a directory: the SQLite database copied through SQLite's online backup API (one consistent snapshot
 * while the server writes), the message log up to its last complete record AFTER that snapshot (so the log holds
 * every message the database refers to: receipts, released held messages), every other file of the data directory
 * (keys, blobs) as it is, and MANIFEST.json naming each file with its size and SHA-256. It is written under a
 * temporary name and renamed into place when complete, so a half-written backup never looks like one.
 *
 * Restore copies a backup into a new data directory, checking every file against the manifest; verify restores into
 * a scratch directory and checks it: the database's integrity, the audit chain, message sequences without gaps, and
 * that the database refers to no message the log lacks. */
#ifndef SAMVAER_BACKUP_H
#define SAMVAER_BACKUP_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define BACKUP_MANIFEST "MANIFEST.json"
#define BACKUP_FORMAT "samvaer-backup-1"

struct backup_summary {
	int64_t taken_at;      /* ms */
	int schema;            /* the database's schema version */
	int64_t files;         /* files in the backup, the manifest aside */
	int64_t bytes;         /* their total size */
	int64_t messages;      /* records in the message log */
	int64_t conversations; /* agreements with messages */
	int64_t audit_entries; /* verify and restore: entries checked */
	char audit_head[96];   /* "SEQ:HASH" of the newest audit entry ("" when none) */
};

/* Back up the data directory of the open store `s` into `dest`, which must not exist. 0, or -1 with err. */
int backup_take(struct store *s, const char *dest, struct backup_summary *out, char *err, size_t errlen);
/* Copy the backup `src` into the new data directory `newdir` (absent or empty) and check it. 0, or -1 with err. */
int backup_restore(const char *src, const char *newdir, struct backup_summary *out, char *err, size_t errlen);
/* Check the backup `src` without restoring it anywhere that stays (a scratch copy is made and removed). */
int backup_verify(const char *src, struct backup_summary *out, char *err, size_t errlen);

#endif
