/* blobsink.h: where mediaproc's outputs go — the content-addressed blob store (data_dir/blobs/ab/abcd...: the name is
 * the SHA-256 of the content). Whole buffers or streamed writes; safe from any thread. */
#ifndef SAMVAER_MEDIAPROC_BLOBSINK_H
#define SAMVAER_MEDIAPROC_BLOBSINK_H

#include <stddef.h>
#include <stdint.h>

#include "server/mediaproc/mediaproc.h"

/* Store len bytes; writes the hash. Returns MEDIAPROC_OK, MEDIAPROC_ERR_QUOTA or MEDIAPROC_ERR_STORE. */
int blobsink_put(const char *root, uint64_t quota_owner, const void *data, size_t len,
		 char hash[MEDIAPROC_HASH_HEX + 1]);

/* Streamed: open, write any number of times, then commit (hash + size) or abort (nothing stays on disk). */
struct blobsink_writer;
struct blobsink_writer *blobsink_open(const char *root, uint64_t quota_owner);
int blobsink_write(struct blobsink_writer *w, const void *data, size_t len); /* 0 or -1 */
int blobsink_commit(struct blobsink_writer *w, char hash[MEDIAPROC_HASH_HEX + 1], uint64_t *bytes);
void blobsink_abort(struct blobsink_writer *w);

/* A file written by someone else (libavformat's muxer, which seeks): blobsink_tmp_path names a new temporary file in
 * the store's directory, blobsink_adopt hashes it and moves it into place (or deletes it on failure). */
int blobsink_tmp_path(const char *root, char *path, size_t cap);
int blobsink_adopt(const char *root, uint64_t quota_owner, const char *tmp_path, char hash[MEDIAPROC_HASH_HEX + 1],
		   uint64_t *bytes);

/* The path of a stored blob (tests): root/ab/abcd... */
void blobsink_path(const char *root, const char *hash, char *path, size_t cap);

#endif
