/* blobstore.h: content-addressed files under DIR/blobs/ — named by the SHA-256 of their bytes, written once (temp
 * file, fsync, rename, fsync of the folder), shared by every attachment with the same bytes, deleted when the blobs
 * table (server/blobs/attachments.h) holds no reference. Puts are thread-safe (the processing workers call them);
 * everything that touches the database runs on the control thread. */
#ifndef SAMVAER_BLOBSTORE_H
#define SAMVAER_BLOBSTORE_H

#include <stddef.h>
#include <stdint.h>

#define BLOB_HASH_HEX 64 /* lower-case hex SHA-256 */

struct blobstore;
struct store;

/* Open (creating DIR/blobs/ and DIR/blobs/tmp/, and emptying tmp/ of files a crash left) the store of data directory
 * `dir`. NULL with err on failure. */
struct blobstore *blobstore_open(const char *dir, char *err, size_t errlen);
void blobstore_close(struct blobstore *b);

/* Store `len` bytes: hash them, write them durably unless a blob with that hash exists (dedup), and pin the hash
 * (see blobstore_release). Any thread. 0 with hash set, -1 with errno on failure. */
int blobstore_put(struct blobstore *b, const void *data, size_t len, char hash[BLOB_HASH_HEX + 1]);

/* Streaming put, for outputs too large to hold (remuxed clips): open, write in pieces, finish (0 with hash and
 * byte count, pinned) or abort. Any thread, one writer per thread at a time. */
struct blob_writer;
struct blob_writer *blobstore_writer_open(struct blobstore *b);
int blobstore_writer_write(struct blob_writer *w, const void *data, size_t len);
int blobstore_writer_finish(struct blob_writer *w, char hash[BLOB_HASH_HEX + 1], int64_t *bytes);
void blobstore_writer_abort(struct blob_writer *w);

/* A pinned hash is never deleted by the sweep: a put pins it until the control thread has recorded it
 * (attachment_add) or given it up. Release drops the pin; with `store`, it also deletes the file at once when the
 * blobs table holds no reference to it (an upload refused after processing). Control thread. */
void blobstore_release(struct blobstore *b, struct store *store, const char *hash);

/* The file of a blob, for reading (GET /media): an fd opened O_RDONLY, or -1 (errno ENOENT if there is none). */
int blobstore_open_read(struct blobstore *b, const char *hash);
/* Its path (tests, backups): 0, or -1 when the hash is not 64 hex digits or the path does not fit. */
int blobstore_path(const struct blobstore *b, const char *hash, char *path, size_t cap);
/* The same for data directory `data_dir` without opening the store (readers beside a running server: exports). */
int blobstore_path_in(const char *data_dir, const char *hash, char *path, size_t cap);

/* Delete the files and rows of blobs with no reference left (after attachment_delete, once committed), at most
 * `limit`; skips pinned ones. Returns how many were deleted, or -1. Control thread, outside a transaction. */
int blobstore_sweep(struct blobstore *b, struct store *store, int limit);

/* In the caller's transaction: one more reference on a blob (its row made if new), or one less. Every table that
 * points at blobs (attachments, recordings) counts through these. STORE_OK or STORE_ERR. */
int blobs_ref(struct store *s, const char *hash, int64_t bytes, int64_t now);
int blobs_unref(struct store *s, const char *hash);

/* 1 if `hash` is 64 lower-case hex digits. */
int blob_hash_valid(const char *hash);

#endif
