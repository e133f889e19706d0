/* blobsink.c: mediaproc's outputs into the content-addressed blob store — through server/blobs' blobstore (puts
 * pinned until uploads records them) when the job carries one, else its own writer of the same layout: a temporary
 * file in root/tmp hashed as it is written, fsync, rename to root/ab/<sha256> (kept if present: deduplicated),
 * fsync of the folder. */
#include "server/mediaproc/blobsink.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/blobs/blobstore.h"

#define COPY_BUF (1 << 16)

void blobsink_path(const char *root, const char *hash, char *path, size_t cap)
{
	snprintf(path, cap, "%s/%.2s/%s", root, hash, hash);
}

static int mkdir_1(const char *path)
{
	return mkdir(path, 0750) == 0 || errno == EEXIST ? 0 : -1;
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

int blobsink_tmp_path(const struct mediaproc_job *job, char *path, size_t cap)
{
	char dir[560];
	snprintf(dir, sizeof dir, "%s/tmp", job->blob_root);
	if (mkdir_1(job->blob_root) != 0 || mkdir_1(dir) != 0)
		return -1;
	snprintf(path, cap, "%s/mediaproc-XXXXXX", dir);
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int hex_digest(EVP_MD_CTX *md, char hash[MEDIAPROC_HASH_HEX + 1])
{
	uint8_t d[32];
	unsigned n = 0;
	if (EVP_DigestFinal_ex(md, d, &n) != 1 || n != 32)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(hash + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/* Own layout: the finished temporary file fd (at tmp) moved to root/ab/<hash>. */
static int place(const char *root, const char *tmp, int fd, const char *hash)
{
	char dir[560], path[700];
	snprintf(dir, sizeof dir, "%s/%.2s", root, hash);
	blobsink_path(root, hash, path, sizeof path);
	if (fsync(fd) != 0 || mkdir_1(dir) != 0)
		return MEDIAPROC_ERR_STORE;
	if (access(path, F_OK) == 0) {
		unlink(tmp); /* the same content is stored already */
		return MEDIAPROC_OK;
	}
	if (fchmod(fd, 0640) != 0 || rename(tmp, path) != 0 || fsync_dir(dir) != 0)
		return MEDIAPROC_ERR_STORE;
	return MEDIAPROC_OK;
}

/* Hash the file at tmp and store it: renamed into place (own layout) or streamed through the blobstore. */
static int store_file(const struct mediaproc_job *job, const char *tmp, char hash[MEDIAPROC_HASH_HEX + 1],
		      uint64_t *bytes)
{
	static __thread uint8_t buf[COPY_BUF];
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	EVP_MD_CTX *md = job->blobs ? NULL : EVP_MD_CTX_new();
	struct blob_writer *w = job->blobs ? blobstore_writer_open(job->blobs) : NULL;
	int ok = fd >= 0 && (job->blobs ? w != NULL : md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1);
	uint64_t total = 0;
	while (ok) {
		ssize_t k = read(fd, buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			ok = k == 0;
			break;
		}
		ok = w ? blobstore_writer_write(w, buf, (size_t)k) == 0 : EVP_DigestUpdate(md, buf, (size_t)k) == 1;
		total += (uint64_t)k;
	}
	int rc = MEDIAPROC_ERR_STORE;
	if (w) {
		int64_t n = 0;
		if (ok && blobstore_writer_finish(w, hash, &n) == 0)
			rc = MEDIAPROC_OK;
		else if (!ok)
			blobstore_writer_abort(w);
	} else if (ok && hex_digest(md, hash) == 0) {
		rc = place(job->blob_root, tmp, fd, hash);
	}
	unlink(tmp); /* gone once renamed; otherwise the copy is done or failed */
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(md);
	if (bytes)
		*bytes = total;
	return rc;
}

int blobsink_adopt(const struct mediaproc_job *job, const char *tmp_path, char hash[MEDIAPROC_HASH_HEX + 1],
		   uint64_t *bytes)
{
	return store_file(job, tmp_path, hash, bytes);
}

int blobsink_put(const struct mediaproc_job *job, const void *data, size_t len, char hash[MEDIAPROC_HASH_HEX + 1])
{
	if (job->blobs)
		return blobstore_put(job->blobs, data, len, hash) == 0 ? MEDIAPROC_OK : MEDIAPROC_ERR_STORE;
	char tmp[600];
	if (blobsink_tmp_path(job, tmp, sizeof tmp) != 0)
		return MEDIAPROC_ERR_STORE;
	int fd = open(tmp, O_WRONLY | O_CLOEXEC);
	const uint8_t *p = data;
	size_t left = len;
	while (fd >= 0 && left > 0) {
		ssize_t k = write(fd, p, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		p += k;
		left -= (size_t)k;
	}
	if (fd >= 0)
		close(fd);
	if (fd < 0 || left > 0) {
		unlink(tmp);
		return MEDIAPROC_ERR_STORE;
	}
	return store_file(job, tmp, hash, NULL);
}
