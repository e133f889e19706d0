/* spool.c: encrypted spool files for uploads in progress — AES-256-CTR under a per-upload key kept only in memory,
 * appended through 256 KB buffers that a writer thread encrypts and writes (the loop only copies), read back at any
 * offset (CTR seeks by block counter) by the processing workers. */
#include "server/uploads/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/base/cpu_place.h"
#include "server/store/fsdir.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SPOOL_SPARE 16 /* buffers a writer keeps for reuse: 4 MB at most */

struct job {
	struct spool *sp;
	unsigned char *buf; /* SPOOL_BUF bytes, plaintext until the writer encrypts it */
	size_t len;
	uint64_t off; /* where in the file */
	int ok;       /* the writer's outcome */
	struct job *next;
};

struct spool_writer {
	struct ev_loop *loop;
	ev_async done_ev; /* the writer finished jobs */
	pthread_t thread;
	pthread_mutex_t lock; /* guards the two lists and stop */
	pthread_cond_t wake;  /* jobs queued, or stop */
	struct job *todo, **todo_tail;
	struct job *done; /* finished, for the loop */
	int stop;
	/* Buffers back from the writer, kept for the next hand-overs (control thread only): a fresh 256 KB buffer is
	 * a fresh mapping, and filling it page-faults on the control thread while the unmapping of the old one costs
	 * every CPU of the process a TLB flush. */
	unsigned char *spare[SPOOL_SPARE];
	int nspare;
};

struct spool {
	int fd;
	unsigned char key[32];  /* AES-256 key: memory only */
	unsigned char iv[16];   /* initial counter block */
	struct spool_writer *w; /* NULL: synchronous */
	uint64_t queued;        /* bytes handed to writes (file offset of the buffer being filled) */
	unsigned char *buf;     /* plaintext not yet handed over */
	size_t buffered;
	int inflight; /* jobs with the writer */
	int broken;   /* a write failed */
	int dead;     /* destroyed: freed when inflight reaches 0 */
	int paused;   /* spool_append said SPOOL_FULL */
	void (*resume)(void *);
	void *resume_arg;
	void (*flushed)(void *, int);
	void *flushed_arg;
	char path[600];
};

int spool_dir_reset(const char *data_dir)
{
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/spool", data_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	return fsdir_empty(dir);
}

/* Encrypt (or decrypt: CTR is its own inverse) len bytes in place as they sit at file offset off. */
static int ctr_xor(const struct spool *sp, uint64_t off, unsigned char *buf, size_t len)
{
	unsigned char ctr[16], skip[16] = {0};
	uint64_t add = off / 16;
	unsigned carry = 0;
	int n, ok;
	memcpy(ctr, sp->iv, 16);
	for (int i = 15; i >= 0; i--) { /* iv + off / 16, big-endian */
		unsigned v = ctr[i] + (unsigned)(add & 0xff) + carry;
		ctr[i] = (unsigned char)v;
		carry = v >> 8;
		add >>= 8;
	}
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_ctr(), NULL, sp->key, ctr) &&
	    (off % 16 == 0 || EVP_EncryptUpdate(c, skip, &n, skip, (int)(off % 16))) &&
	    EVP_EncryptUpdate(c, buf, &n, buf, (int)len) && (size_t)n == len;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

static int write_at(int fd, const unsigned char *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = pwrite(fd, buf + done, len - done, (off_t)(off + done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

static void *writer_main(void *arg)
{
	struct spool_writer *w = arg;
	cpu_place_background(); /* encrypting and writing uploads: bulk work, kept off the control thread's CPU */
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->todo && !w->stop)
			pthread_cond_wait(&w->wake, &w->lock);
		struct job *j = w->todo;
		if (!j)
			break; /* stop, and nothing left */
		w->todo = j->next;
		if (!w->todo)
			w->todo_tail = &w->todo;
		pthread_mutex_unlock(&w->lock);
		j->ok = ctr_xor(j->sp, j->off, j->buf, j->len) == 0 && write_at(j->sp->fd, j->buf, j->len, j->off) == 0;
		pthread_mutex_lock(&w->lock);
		j->next = w->done;
		w->done = j;
		ev_async_send(w->loop, &w->done_ev);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void spool_free(struct spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	OPENSSL_cleanse(sp->key, sizeof(sp->key));
	if (sp->buf)
		OPENSSL_cleanse(sp->buf, SPOOL_BUF);
	free(sp->buf);
	free(sp);
}

static unsigned char *buf_get(struct spool_writer *w)
{
	return w && w->nspare ? w->spare[--w->nspare] : malloc(SPOOL_BUF);
}

/* A buffer back from the writer: it holds ciphertext (encrypted in place), unless the encryption failed. */
static void buf_put(struct spool_writer *w, unsigned char *buf, int plaintext)
{
	if (plaintext)
		OPENSSL_cleanse(buf, SPOOL_BUF);
	if (w && w->nspare < SPOOL_SPARE)
		w->spare[w->nspare++] = buf;
	else
		free(buf);
}

/* A job is back on the loop: account for it, then tell whoever waits. */
static void job_done(struct job *j)
{
	struct spool *sp = j->sp;
	buf_put(sp->w, j->buf, !j->ok);
	sp->inflight--;
	sp->broken |= !j->ok;
	free(j);
	if (sp->dead) {
		if (sp->inflight == 0)
			spool_free(sp);
		return;
	}
	if (sp->paused && sp->inflight < SPOOL_INFLIGHT) {
		sp->paused = 0;
		if (sp->resume)
			sp->resume(sp->resume_arg);
	}
	if (sp->inflight == 0 && sp->flushed) {
		void (*cb)(void *, int) = sp->flushed;
		sp->flushed = NULL;
		cb(sp->flushed_arg, !sp->broken);
	}
}

static void on_done(struct ev_loop *loop, ev_async *a, int revents)
{
	struct spool_writer *w = a->data;
	pthread_mutex_lock(&w->lock);
	struct job *j = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->lock);
	while (j) {
		struct job *next = j->next;
		job_done(j);
		j = next;
	}
}

struct spool_writer *spool_writer_start(struct ev_loop *loop)
{
	struct spool_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->loop = loop;
	w->todo_tail = &w->todo;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	ev_async_init(&w->done_ev, on_done);
	w->done_ev.data = w;
	ev_async_start(loop, &w->done_ev);
	ev_unref(loop);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		ev_ref(loop);
		ev_async_stop(loop, &w->done_ev);
		free(w);
		return NULL;
	}
	return w;
}

void spool_writer_stop(struct spool_writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	on_done(w->loop, &w->done_ev, 0); /* what finished after the last wake-up */
	ev_ref(w->loop);
	ev_async_stop(w->loop, &w->done_ev);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	while (w->nspare)
		free(w->spare[--w->nspare]);
	free(w);
}

struct spool *spool_create(const char *data_dir, const char *id, struct spool_writer *w)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->fd = -1;
	sp->w = w;
	snprintf(sp->path, sizeof(sp->path), "%s/spool/%s", data_dir, id);
	sp->buf = buf_get(w);
	sp->fd = open(sp->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (!sp->buf || sp->fd < 0 || RAND_bytes(sp->key, 32) != 1 || RAND_bytes(sp->iv, 16) != 1) {
		int e = errno;
		spool_destroy(sp);
		errno = e ? e : EIO;
		return NULL;
	}
	return sp;
}

/* Hand the filled part of the buffer over (to the writer, or write it here). */
static int hand_over(struct spool *sp)
{
	if (sp->buffered == 0)
		return 0;
	uint64_t off = sp->queued;
	sp->queued += sp->buffered;
	if (!sp->w) {
		int rc =
		    ctr_xor(sp, off, sp->buf, sp->buffered) == 0 && write_at(sp->fd, sp->buf, sp->buffered, off) == 0;
		sp->buffered = 0;
		sp->broken |= !rc;
		return rc ? 0 : -1;
	}
	struct job *j = calloc(1, sizeof(*j));
	unsigned char *fresh = buf_get(sp->w);
	if (!j || !fresh) {
		free(j);
		free(fresh);
		sp->broken = 1;
		return -1;
	}
	*j = (struct job){.sp = sp, .buf = sp->buf, .len = sp->buffered, .off = off};
	sp->buf = fresh;
	sp->buffered = 0;
	sp->inflight++;
	pthread_mutex_lock(&sp->w->lock);
	*sp->w->todo_tail = j;
	sp->w->todo_tail = &j->next;
	pthread_cond_signal(&sp->w->wake);
	pthread_mutex_unlock(&sp->w->lock);
	return 0;
}

int spool_append(struct spool *sp, const void *data, size_t len)
{
	const unsigned char *p = data;
	if (sp->broken)
		return -1;
	while (len > 0) {
		size_t n = SPOOL_BUF - sp->buffered < len ? SPOOL_BUF - sp->buffered : len;
		memcpy(sp->buf + sp->buffered, p, n);
		sp->buffered += n, p += n, len -= n;
		if (sp->buffered == SPOOL_BUF && hand_over(sp) != 0)
			return -1;
	}
	if (sp->inflight >= SPOOL_INFLIGHT) {
		sp->paused = 1;
		return SPOOL_FULL;
	}
	return 0;
}

void spool_on_resume(struct spool *sp, void (*resume)(void *arg), void *arg)
{
	sp->resume = resume;
	sp->resume_arg = arg;
}

void spool_flush(struct spool *sp, void (*done)(void *arg, int ok), void *arg)
{
	int rc = hand_over(sp);
	if (rc != 0 || sp->inflight == 0) {
		if (done)
			done(arg, rc == 0 && !sp->broken);
		return;
	}
	sp->flushed = done;
	sp->flushed_arg = arg;
}

uint64_t spool_size(const struct spool *sp)
{
	return sp->queued + sp->buffered;
}

ssize_t spool_pread(struct spool *sp, void *buf, size_t len, uint64_t off)
{
	if (off >= sp->queued)
		return 0;
	if (len > sp->queued - off)
		len = (size_t)(sp->queued - off);
	if (len > (1u << 30))
		len = 1u << 30; /* EVP counts in int */
	ssize_t got = pread(sp->fd, buf, len, (off_t)off);
	if (got <= 0)
		return got;
	return ctr_xor(sp, off, buf, (size_t)got) == 0 ? got : -1;
}

void spool_destroy(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		unlink(sp->path); /* the fd stays open until the writer is done with it (a closed fd could be reused) */
	sp->resume = NULL;
	sp->flushed = NULL;
	if (sp->inflight > 0) {
		sp->dead = 1;
		return;
	}
	spool_free(sp);
}
