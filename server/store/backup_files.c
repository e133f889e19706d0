/* backup_files.c: the files a backup writes, hashes and scans (backup_internal.h). */
#include "server/store/backup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "server/base/intmap.h"
#include "server/store/msglog.h"

#define LOG_BUF (MSGLOG_HEADER + MSGLOG_MAX_PAYLOAD + BACKUP_CHUNK)

int backup__fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

void backup__path_join(char out[BACKUP_PATH_CAP], const char *a, const char *b)
{
	snprintf(out, BACKUP_PATH_CAP, "%s%s%s", a, *a && *b ? "/" : "", b);
}

int backup__fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void backup__rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- files written, counted and hashed ---- */

int backup__sink_open(struct backup_sink *k, const char *path)
{
	k->bytes = 0;
	k->md = EVP_MD_CTX_new();
	k->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (k->fd < 0 || !k->md || EVP_DigestInit_ex(k->md, EVP_sha256(), NULL) != 1) {
		if (k->fd >= 0)
			close(k->fd);
		EVP_MD_CTX_free(k->md);
		return -1;
	}
	return 0;
}

int backup__sink_put(struct backup_sink *k, const void *p, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(k->fd, (const char *)p + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	k->bytes += (int64_t)n;
	return EVP_DigestUpdate(k->md, p, n) == 1 ? 0 : -1;
}

/* fsync, close, and the SHA-256 in hex; -1 if anything failed (the file is closed either way). */
int backup__sink_close(struct backup_sink *k, char sha[65])
{
	unsigned char h[32] = {0};
	unsigned int hn = 0;
	int rc = fsync(k->fd) == 0 && EVP_DigestFinal_ex(k->md, h, &hn) == 1 && hn == 32 ? 0 : -1;
	rc |= close(k->fd);
	EVP_MD_CTX_free(k->md);
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", h[i]);
	return rc;
}

/* Copy a whole file (src may change meanwhile: what was read is what is hashed). */
int backup__copy_plain(const char *src, const char *dst, char sha[65], int64_t *bytes)
{
	struct backup_sink k;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	if (backup__sink_open(&k, dst) != 0) {
		close(in);
		return -1;
	}
	char *buf = malloc(BACKUP_CHUNK);
	ssize_t n = buf ? 0 : -1;
	while (buf && (n = read(in, buf, BACKUP_CHUNK)) > 0 && backup__sink_put(&k, buf, (size_t)n) == 0)
		;
	free(buf);
	close(in);
	int rc = backup__sink_close(&k, sha);
	*bytes = k.bytes;
	return n == 0 && rc == 0 ? 0 : -1;
}

int backup__hash_file(const char *path, char sha[65], int64_t *bytes)
{
	unsigned char h[32] = {0};
	unsigned int hn = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *buf = malloc(BACKUP_CHUNK);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = -1;
	*bytes = 0;
	if (fd >= 0 && buf && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1)
		while ((got = read(fd, buf, BACKUP_CHUNK)) > 0 && EVP_DigestUpdate(md, buf, (size_t)got) == 1)
			*bytes += got;
	int rc = got == 0 && EVP_DigestFinal_ex(md, h, &hn) == 1 && hn == 32 ? 0 : -1;
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", h[i]);
	if (fd >= 0)
		close(fd);
	free(buf);
	EVP_MD_CTX_free(md);
	return rc;
}

/* ---- the message log ---- */

/* Read the log's complete, valid records (up to the size it has now), each to fn and, with k, into a copy. Sets
 * *tail to the bytes left after the last good record: a torn write at the end of a live log, or damage. */
int backup__scan_log(const char *path, struct backup_sink *k, backup_record_fn fn, void *ctx, int64_t *records,
		     int64_t *tail)
{
	*records = *tail = 0;
	int in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return errno == ENOENT ? 0 : -1; /* no message yet */
	struct stat st;
	uint8_t *buf = fstat(in, &st) == 0 ? malloc(LOG_BUF) : NULL;
	if (!buf) {
		close(in);
		return -1;
	}
	int64_t left = st.st_size; /* the point this copy stops at, whatever is appended meanwhile */
	size_t have = 0;
	int rc = 0;
	for (;;) {
		size_t want = LOG_BUF - have;
		if (left > 0 && want > 0) {
			ssize_t n = read(in, buf + have, (int64_t)want < left ? want : (size_t)left);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = n < 0 ? -1 : 0;
				left = 0;
			} else {
				have += (size_t)n;
				left -= n;
			}
		}
		size_t pos = 0, used;
		struct msglog_record r;
		while ((used = msglog_decode(buf + pos, have - pos, &r)) > 0) {
			if (fn && fn(&r, ctx) != 0) {
				rc = -1;
				break;
			}
			pos += used;
			++*records;
		}
		if (rc == 0 && k && backup__sink_put(k, buf, pos) != 0)
			rc = -1;
		memmove(buf, buf + pos, have - pos);
		have -= pos;
		if (rc != 0 || left == 0 || have == LOG_BUF) /* the end, or more than any record holds: damage */
			break;
	}
	*tail = have + (left > 0 ? left : 0);
	free(buf);
	close(in);
	return rc;
}

int backup__on_record(const struct msglog_record *r, void *ctx)
{
	struct backup_convs *c = ctx;
	int64_t last = (int64_t)(intptr_t)intmap_get(&c->last, (uint64_t)r->agreement);
	if (last && r->seq != last + 1) /* the first may be past 1: older messages removed (msglog_floor) */
		return backup__fail(c->err, c->errlen,
				    "conversation %lld: message %lld follows %lld (a gap or a repeat)",
				    (long long)r->agreement, (long long)r->seq, (long long)last);
	if (!last)
		c->count++;
	return intmap_put(&c->last, (uint64_t)r->agreement, (void *)(intptr_t)r->seq) == 0 ? 0 : -1;
}
