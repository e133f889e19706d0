/* blobsink.c: mediaproc's writer into the content-addressed blob store: a temporary file in root/tmp hashed as it is
 * written, fsync, rename to root/ab/<sha256> (an existing blob of the same content is kept: deduplicated), fsync of
 * the directory. Switch point to server/blobs' put once that store is merged. */
#include "server/mediaproc/blobsink.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct blobsink_writer {
	char root[512];
	char tmp[600];
	int fd;
	uint64_t bytes;
	EVP_MD_CTX *md;
};

void blobsink_path(const char *root, const char *hash, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%.2s/%s", root, hash, hash);
}

static int mkdir_p1(const char *path)
{
	return mkdir(path, 0750) == 0 || errno == EEXIST ? 0 : -1;
}

struct blobsink_writer *blobsink_open(const char *root, uint64_t quota_owner)
{
	(void)quota_owner; /* counted by server/blobs once its put is used here */
	struct blobsink_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	snprintf(w->root, sizeof w->root, "%s", root);
	char dir[560];
	snprintf(dir, sizeof dir, "%s/tmp", root);
	if (mkdir_p1(root) != 0 || mkdir_p1(dir) != 0)
		goto err;
	snprintf(w->tmp, sizeof w->tmp, "%s/mediaproc-XXXXXX", dir);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0)
		goto err;
	w->md = EVP_MD_CTX_new();
	if (!w->md || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
		blobsink_abort(w);
		return NULL;
	}
	return w;
err:
	free(w);
	return NULL;
}

int blobsink_write(struct blobsink_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	if (EVP_DigestUpdate(w->md, data, len) != 1)
		return -1;
	while (len > 0) {
		ssize_t k = write(w->fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		len -= (size_t)k;
		w->bytes += (uint64_t)k;
	}
	return 0;
}

void blobsink_abort(struct blobsink_writer *w)
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

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Move the finished temporary file into root/ab/<hash> (kept as is if that content is stored already). */
static int place(const char *root, const char *tmp, int fd, const char *hash)
{
	char dir[560], path[700];
	snprintf(dir, sizeof dir, "%s/%.2s", root, hash);
	blobsink_path(root, hash, path, sizeof path);
	if (fsync(fd) != 0 || mkdir_p1(dir) != 0)
		return MEDIAPROC_ERR_STORE;
	if (access(path, F_OK) == 0) {
		unlink(tmp); /* deduplicated */
		return MEDIAPROC_OK;
	}
	if (fchmod(fd, 0640) != 0 || rename(tmp, path) != 0 || fsync_dir(dir) != 0)
		return MEDIAPROC_ERR_STORE;
	return MEDIAPROC_OK;
}

static int finish_hash(EVP_MD_CTX *md, char hash[MEDIAPROC_HASH_HEX + 1])
{
	uint8_t d[32];
	unsigned n = 0;
	if (EVP_DigestFinal_ex(md, d, &n) != 1 || n != 32)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(hash + 2 * i, 3, "%02x", d[i]);
	return 0;
}

int blobsink_commit(struct blobsink_writer *w, char hash[MEDIAPROC_HASH_HEX + 1], uint64_t *bytes)
{
	int rc = finish_hash(w->md, hash) == 0 ? place(w->root, w->tmp, w->fd, hash) : MEDIAPROC_ERR_STORE;
	if (bytes)
		*bytes = w->bytes;
	if (rc == MEDIAPROC_OK) {
		close(w->fd);
		w->fd = -1;
	}
	blobsink_abort(w); /* closes and unlinks what is left on failure */
	return rc;
}

int blobsink_put(const char *root, uint64_t quota_owner, const void *data, size_t len,
		 char hash[MEDIAPROC_HASH_HEX + 1])
{
	struct blobsink_writer *w = blobsink_open(root, quota_owner);
	if (!w)
		return MEDIAPROC_ERR_STORE;
	if (blobsink_write(w, data, len) != 0) {
		blobsink_abort(w);
		return MEDIAPROC_ERR_STORE;
	}
	return blobsink_commit(w, hash, NULL);
}

int blobsink_tmp_path(const char *root, char *path, size_t cap)
{
	char dir[560];
	snprintf(dir, sizeof dir, "%s/tmp", root);
	if (mkdir_p1(root) != 0 || mkdir_p1(dir) != 0)
		return -1;
	snprintf(path, cap, "%s/mediaproc-XXXXXX", dir);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int blobsink_adopt(const char *root, uint64_t quota_owner, const char *tmp_path, char hash[MEDIAPROC_HASH_HEX + 1],
		   uint64_t *bytes)
{
	static __thread uint8_t buf[1 << 16];
	int fd = open(tmp_path, O_RDONLY | O_CLOEXEC);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = fd >= 0 && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? MEDIAPROC_OK : MEDIAPROC_ERR_STORE;
	uint64_t total = 0;
	while (rc == MEDIAPROC_OK) {
		ssize_t k = read(fd, buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			break;
		if (k < 0 || EVP_DigestUpdate(md, buf, (size_t)k) != 1)
			rc = MEDIAPROC_ERR_STORE;
		total += k > 0 ? (uint64_t)k : 0;
	}
	if (rc == MEDIAPROC_OK)
		rc = finish_hash(md, hash) == 0 ? place(root, tmp_path, fd, hash) : MEDIAPROC_ERR_STORE;
	if (rc != MEDIAPROC_OK)
		unlink(tmp_path);
	if (bytes)
		*bytes = total;
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	(void)quota_owner;
	return rc;
}
