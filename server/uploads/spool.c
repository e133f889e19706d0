/* spool.c: encrypted spool files for uploads in progress — AES-256-CTR under a per-upload key kept only in memory,
 * appended through a buffer, read back at any offset (CTR seeks by block counter) by the processing workers. */
#include "server/uploads/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SPOOL_BUF (256 * 1024) /* plaintext gathered before one encrypt + pwrite */

struct spool {
	int fd;
	unsigned char key[32]; /* AES-256 key: memory only */
	unsigned char iv[16];  /* initial counter block */
	EVP_CIPHER_CTX *enc;   /* running encryption at `written` */
	uint64_t written;      /* bytes in the file */
	unsigned char *buf;    /* plaintext not yet written */
	size_t buffered;
	char path[600];
};

int spool_dir_reset(const char *data_dir)
{
	char dir[600], path[900];
	snprintf(dir, sizeof(dir), "%s/spool", data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	return d ? 0 : -1;
}

/* The counter block for byte offset off: iv + off / 16 (big-endian 128-bit add). */
static void counter_at(const unsigned char iv[16], uint64_t off, unsigned char out[16])
{
	uint64_t add = off / 16;
	unsigned carry = 0;
	memcpy(out, iv, 16);
	for (int i = 15; i >= 0; i--) {
		unsigned v = out[i] + (unsigned)(add & 0xff) + carry;
		out[i] = (unsigned char)v;
		carry = v >> 8;
		add >>= 8;
	}
}

/* A CTR context positioned at byte off. */
static EVP_CIPHER_CTX *ctr_at(const struct spool *sp, uint64_t off)
{
	unsigned char ctr[16], skip[16];
	int n;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	counter_at(sp->iv, off, ctr);
	if (!c || !EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, sp->key, ctr) ||
	    (off % 16 && !EVP_EncryptUpdate(c, skip, &n, skip, (int)(off % 16)))) {
		EVP_CIPHER_CTX_free(c);
		return NULL;
	}
	return c;
}

struct spool *spool_create(const char *data_dir, const char *id)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->fd = -1;
	snprintf(sp->path, sizeof(sp->path), "%s/spool/%s", data_dir, id);
	sp->buf = malloc(SPOOL_BUF);
	sp->fd = open(sp->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (!sp->buf || sp->fd < 0 || RAND_bytes(sp->key, 32) != 1 || RAND_bytes(sp->iv, 16) != 1 ||
	    !(sp->enc = ctr_at(sp, 0))) {
		int e = errno;
		spool_destroy(sp);
		errno = e ? e : EIO;
		return NULL;
	}
	return sp;
}

int spool_flush(struct spool *sp)
{
	int n = 0;
	if (sp->buffered == 0)
		return 0;
	if (!EVP_EncryptUpdate(sp->enc, sp->buf, &n, sp->buf, (int)sp->buffered) || (size_t)n != sp->buffered)
		return errno = EIO, -1;
	size_t done = 0;
	while (done < sp->buffered) {
		ssize_t w = pwrite(sp->fd, sp->buf + done, sp->buffered - done, (off_t)(sp->written + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	sp->written += sp->buffered;
	sp->buffered = 0;
	return 0;
}

int spool_append(struct spool *sp, const void *data, size_t len)
{
	const unsigned char *p = data;
	while (len > 0) {
		size_t n = SPOOL_BUF - sp->buffered < len ? SPOOL_BUF - sp->buffered : len;
		memcpy(sp->buf + sp->buffered, p, n);
		sp->buffered += n, p += n, len -= n;
		if (sp->buffered == SPOOL_BUF && spool_flush(sp) != 0)
			return -1;
	}
	return 0;
}

uint64_t spool_size(const struct spool *sp)
{
	return sp->written + sp->buffered;
}

ssize_t spool_pread(struct spool *sp, void *buf, size_t len, uint64_t off)
{
	if (off >= sp->written)
		return 0;
	if (len > sp->written - off)
		len = (size_t)(sp->written - off);
	if (len > (1u << 30))
		len = 1u << 30; /* EVP counts in int */
	ssize_t got = pread(sp->fd, buf, len, (off_t)off);
	if (got <= 0)
		return got;
	EVP_CIPHER_CTX *c = ctr_at(sp, off);
	int n = 0;
	int ok = c && EVP_EncryptUpdate(c, buf, &n, buf, (int)got) && n == got;
	EVP_CIPHER_CTX_free(c);
	return ok ? got : -1;
}

void spool_destroy(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0) {
		close(sp->fd);
		unlink(sp->path);
	}
	EVP_CIPHER_CTX_free(sp->enc);
	OPENSSL_cleanse(sp->key, sizeof(sp->key));
	if (sp->buf)
		OPENSSL_cleanse(sp->buf, SPOOL_BUF);
	free(sp->buf);
	free(sp);
}
