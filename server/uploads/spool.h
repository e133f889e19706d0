/* spool.h: an upload's bytes on disk, encrypted (AES-256-CTR) with a key that exists only in this process's memory:
 * the original, with whatever metadata it carries, is never on disk in the clear, and a restart leaves only noise. */
#ifndef SAMVAER_SPOOL_H
#define SAMVAER_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct spool;

/* Empty DIR/spool/ of what an earlier process left (unreadable without its keys) and create it. 0 or -1. */
int spool_dir_reset(const char *data_dir);
/* A new spool file DIR/spool/<id> with a fresh random key and IV. NULL on failure (errno). */
struct spool *spool_create(const char *data_dir, const char *id);
/* Append len bytes at the spool's end (tus writes in order). Buffered: spool_flush makes them readable. 0 or -1. */
int spool_append(struct spool *sp, const void *data, size_t len);
int spool_flush(struct spool *sp);
/* Bytes appended so far. */
uint64_t spool_size(const struct spool *sp);
/* Decrypted bytes at off (any thread, concurrently with nothing writing): count, 0 at the end, -1 on error. */
ssize_t spool_pread(struct spool *sp, void *buf, size_t len, uint64_t off);
/* Delete the file and forget the key. */
void spool_destroy(struct spool *sp);

#endif
