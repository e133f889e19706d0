/* blobsink.h: where mediaproc's outputs go — the content-addressed blob store (root/ab/<sha256 of the content>):
 * server/blobs' blobstore when the job has one (thread-safe, pinned), else a writer of the same layout (tests, bench). */
#ifndef SAMVAER_MEDIAPROC_BLOBSINK_H
#define SAMVAER_MEDIAPROC_BLOBSINK_H

#include <stddef.h>
#include <stdint.h>

#include "server/mediaproc/mediaproc.h"

/* Store len bytes; writes the hash. Returns MEDIAPROC_OK or MEDIAPROC_ERR_STORE. */
int blobsink_put(const struct mediaproc_job *job, const void *data, size_t len, char hash[MEDIAPROC_HASH_HEX + 1]);

/* A file written by someone else (libavformat's muxer, which seeks): blobsink_tmp_path names a new temporary file
 * in root/tmp, blobsink_adopt stores its content and removes it (also on failure). */
int blobsink_tmp_path(const struct mediaproc_job *job, char *path, size_t cap);
int blobsink_adopt(const struct mediaproc_job *job, const char *tmp_path, char hash[MEDIAPROC_HASH_HEX + 1],
		   uint64_t *bytes);

/* The path of a stored blob (tests): root/ab/abcd... */
void blobsink_path(const char *root, const char *hash, char *path, size_t cap);

#endif
