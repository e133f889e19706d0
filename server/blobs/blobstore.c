/* blobstore.c: content-addressed blob files (DIR/blobs/<2 hex>/<64 hex>): durable puts from any thread, pins that keep
 * a fresh blob from the sweep until it is recorded, reads, and the sweep of unreferenced blobs. */
#include "server/blobs/blobstore.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "server/store/fsdir.h"
#include "server/store/store_internal.h"

struct pin {
	char hash[BLOB_HASH_HEX + 1];
	int count;
};

struct blobstore {
	char root[512];       /* DIR/blobs */
	atomic_uint next_tmp; /* temp file names */
	pthread_mutex_t lock; /* guards pins, and a pin check with the unlink it allows */
	struct pin *pins;     /* hashes put but not yet recorded or released */
	size_t npins, cappins;
};

struct blob_writer {
	struct blobstore *b;
	EVP_MD_CTX *md; /* running SHA-256 */
	int fd;         /* the temp file */
	int64_t bytes;  /* written so far */
	char tmp[600];  /* its path */
};

int blob_hash_valid(const char *hash)
{
	size_t i = 0;
	for (; hash && i < BLOB_HASH_HEX; i++)
		if (!((hash[i] >= '0' && hash[i] <= '9') || (hash[i] >= 'a' && hash[i] <= 'f')))
			return 0;
	return hash && hash[i] == 0;
}

/* The one place that knows the layout: ROOT/<first two hex digits>/<hash>. */
static int path_under(const char *root, const char *hash, char *path, size_t cap)
{
	if (!blob_hash_valid(hash))
		return -1;
	int n = snprintf(path, cap, "%s/%.2s/%s", root, hash, hash);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int blobstore_path(const struct blobstore *b, const char *hash, char *path, size_t cap)
{
	return path_under(b->root, hash, path, cap);
}

int blobstore_path_in(const char *data_dir, const char *hash, char *path, size_t cap)
{
	char root[600];
	int n = snprintf(root, sizeof(root), "%s/blobs", data_dir);
	return n > 0 && (size_t)n < sizeof(root) ? path_under(root, hash, path, cap) : -1;
}

struct blobstore *blobstore_open(const char *dir, char *err, size_t errlen)
{
	struct blobstore *b = calloc(1, sizeof(*b));
	char tmp[600];
	if (!b || snprintf(b->root, sizeof(b->root), "%s/blobs", dir) >= (int)sizeof(b->root))
		goto err;
	snprintf(tmp, sizeof(tmp), "%s/tmp", b->root);
	if ((mkdir(b->root, 0700) && errno != EEXIST) || (mkdir(tmp, 0700) && errno != EEXIST))
		goto err;
	fsdir_empty(tmp);
	pthread_mutex_init(&b->lock, NULL);
	return b;
err:
	snprintf(err, errlen, "blobs: cannot open %s/blobs: %s", dir, strerror(errno ? errno : ENOMEM));
	free(b);
	return NULL;
}

void blobstore_close(struct blobstore *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b->pins);
	free(b);
}

/* Pin a hash (under the lock). */
static int pin_locked(struct blobstore *b, const char *hash)
{
	for (size_t i = 0; i < b->npins; i++)
		if (strcmp(b->pins[i].hash, hash) == 0)
			return b->pins[i].count++, 0;
	if (b->npins == b->cappins) {
		size_t cap = b->cappins ? b->cappins * 2 : 16;
		struct pin *p = realloc(b->pins, cap * sizeof(*p));
		if (!p)
			return -1;
		b->pins = p, b->cappins = cap;
	}
	memcpy(b->pins[b->npins].hash, hash, BLOB_HASH_HEX + 1);
	b->pins[b->npins++].count = 1;
	return 0;
}

static int pinned_locked(struct blobstore *b, const char *hash)
{
	for (size_t i = 0; i < b->npins; i++)
		if (strcmp(b->pins[i].hash, hash) == 0)
			return 1;
	return 0;
}

struct blob_writer *blobstore_writer_open(struct blobstore *b)
{
	struct blob_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->b = b;
	snprintf(w->tmp, sizeof(w->tmp), "%s/tmp/%d-%u", b->root, (int)getpid(), atomic_fetch_add(&b->next_tmp, 1));
	w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	w->md = EVP_MD_CTX_new();
	if (w->fd < 0 || !w->md || !EVP_DigestInit_ex(w->md, EVP_sha256(), NULL)) {
		blobstore_writer_abort(w);
		return NULL;
	}
	return w;
}

int blobstore_writer_write(struct blob_writer *w, const void *data, size_t len)
{
	const char *p = data;
	if (!EVP_DigestUpdate(w->md, data, len))
		return errno = EIO, -1;
	while (len > 0) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n, len -= (size_t)n, w->bytes += n;
	}
	return 0;
}

void blobstore_writer_abort(struct blob_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->tmp);
	}
	EVP_MD_CTX_free(w->md);
	free(w);
}

/* Move the finished temp file to its name, unless that blob exists already. */
static int place(struct blob_writer *w, const char *hash)
{
	char path[700], sub[600];
	blobstore_path(w->b, hash, path, sizeof(path));
	if (access(path, F_OK) == 0) {
		unlink(w->tmp); /* dedup: the same bytes are there */
		return 0;
	}
	snprintf(sub, sizeof(sub), "%s/%.2s", w->b->root, hash);
	int made = mkdir(sub, 0700) == 0;
	if (!made && errno != EEXIST)
		return -1;
	if (rename(w->tmp, path) != 0 || fsdir_sync(sub) != 0 || (made && fsdir_sync(w->b->root) != 0))
		return -1;
	return 0;
}

int blobstore_writer_finish(struct blob_writer *w, char hash[BLOB_HASH_HEX + 1], int64_t *bytes)
{
	unsigned char md[32];
	unsigned mdlen = 0;
	int rc = -1;
	if (fsync(w->fd) == 0 && EVP_DigestFinal_ex(w->md, md, &mdlen) && mdlen == 32) {
		for (int i = 0; i < 32; i++)
			snprintf(hash + 2 * i, 3, "%02x", md[i]);
		pthread_mutex_lock(&w->b->lock);
		rc = pin_locked(w->b, hash);
		pthread_mutex_unlock(&w->b->lock);
		if (rc == 0 && (rc = place(w, hash)) != 0)
			blobstore_release(w->b, NULL, hash);
	}
	int e = errno;
	close(w->fd);
	w->fd = -1;
	if (rc != 0)
		unlink(w->tmp);
	if (bytes)
		*bytes = w->bytes;
	EVP_MD_CTX_free(w->md);
	free(w);
	errno = e;
	return rc;
}

int blobstore_put(struct blobstore *b, const void *data, size_t len, char hash[BLOB_HASH_HEX + 1])
{
	struct blob_writer *w = blobstore_writer_open(b);
	if (!w)
		return -1;
	if (blobstore_writer_write(w, data, len) != 0) {
		int e = errno;
		blobstore_writer_abort(w);
		return errno = e, -1;
	}
	return blobstore_writer_finish(w, hash, NULL);
}

/* References the blobs table holds to hash: > 0 referenced, 0 none (or no row), -1 error. */
static int64_t refs_of(struct store *s, const char *hash)
{
	sqlite3_stmt *st = store__prepare_once(s, "SELECT refs FROM blobs WHERE hash=?", "blob references");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(st);
	return n;
}

/* Delete the file of an unpinned hash (under the lock). */
static void unlink_locked(struct blobstore *b, const char *hash)
{
	char path[700];
	if (!pinned_locked(b, hash) && blobstore_path(b, hash, path, sizeof(path)) == 0)
		unlink(path);
}

void blobstore_release(struct blobstore *b, struct store *store, const char *hash)
{
	pthread_mutex_lock(&b->lock);
	for (size_t i = 0; i < b->npins; i++) {
		if (strcmp(b->pins[i].hash, hash) != 0)
			continue;
		if (--b->pins[i].count == 0)
			b->pins[i] = b->pins[--b->npins];
		break;
	}
	if (store && refs_of(store, hash) == 0)
		unlink_locked(b, hash);
	pthread_mutex_unlock(&b->lock);
}

int blobstore_open_read(struct blobstore *b, const char *hash)
{
	char path[700];
	if (blobstore_path(b, hash, path, sizeof(path)) != 0)
		return errno = ENOENT, -1;
	return open(path, O_RDONLY | O_CLOEXEC);
}

int blobstore_sweep(struct blobstore *b, struct store *s, int limit)
{
	sqlite3_stmt *st =
	    store__prepare_once(s, "SELECT hash FROM blobs WHERE refs = 0 LIMIT ?", "unreferenced blobs");
	if (!st)
		return -1;
	sqlite3_bind_int(st, 1, limit);
	int n = 0, rc;
	char hash[BLOB_HASH_HEX + 1];
	sqlite3_stmt *del = store__prepare_once(s, "DELETE FROM blobs WHERE hash=? AND refs = 0", "unreferenced blobs");
	while (del && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		store__copy_text(st, 0, hash, sizeof(hash));
		pthread_mutex_lock(&b->lock);
		int pinned = pinned_locked(b, hash);
		if (!pinned) {
			sqlite3_reset(del);
			sqlite3_bind_text(del, 1, hash, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(del) == SQLITE_DONE) {
				unlink_locked(b, hash);
				n++;
			}
		}
		pthread_mutex_unlock(&b->lock);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(del);
	return del ? n : -1;
}
