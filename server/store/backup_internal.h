/* backup_internal.h: what the backup files share (backup.c takes, backup_restore.c restores and checks, and
 * backup_files.c writes, hashes and scans the files both use). */
#ifndef SAMVAER_BACKUP_INTERNAL_H
#define SAMVAER_BACKUP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "server/base/intmap.h"
#include "server/store/msglog.h"

#define BACKUP_PATH_CAP 1024
#define BACKUP_CHUNK (1u << 20)

/* Fill err and return -1. */
int backup__fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* a/b (just b when a is empty, just a when b is). */
void backup__path_join(char out[BACKUP_PATH_CAP], const char *a, const char *b);
int backup__fsync_path(const char *path);
void backup__rm_tree(const char *path);

/* A file being written: counted and hashed as it goes. */
struct backup_sink {
	int fd;
	EVP_MD_CTX *md;
	int64_t bytes;
};
int backup__sink_open(struct backup_sink *k, const char *path); /* O_EXCL, 0600 */
int backup__sink_put(struct backup_sink *k, const void *p, size_t n);
/* fsync, close, and the SHA-256 in hex; -1 if anything failed (the file is closed either way). */
int backup__sink_close(struct backup_sink *k, char sha[65]);
/* Copy a whole file (src may change meanwhile: what was read is what is hashed). */
int backup__copy_plain(const char *src, const char *dst, char sha[65], int64_t *bytes);
int backup__hash_file(const char *path, char sha[65], int64_t *bytes);

/* Read the log's complete, valid records (up to the size it has now), each to fn and, with k, into a copy. Sets
 * *tail to the bytes left after the last good record: a torn write at the end of a live log, or damage. */
typedef int (*backup_record_fn)(const struct msglog_record *r, void *ctx);
int backup__scan_log(const char *path, struct backup_sink *k, backup_record_fn fn, void *ctx, int64_t *records,
		     int64_t *tail);

/* Conversations seen in a log scan: each one's seqs must follow on (backup__on_record). */
struct backup_convs {
	struct intmap last; /* agreement -> last seq (as a pointer-sized integer) */
	int64_t count;
	char *err;
	size_t errlen;
};
int backup__on_record(const struct msglog_record *r, void *ctx);

#endif
