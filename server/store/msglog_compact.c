/* msglog_compact.c: removing messages from the log (retention, erasure). A floor hides a conversation's messages
 * below a seq at once (reads and idempotency keys forget them); compaction then rewrites the file without them:
 * the kept records go to PATH.compact, which is fsynced, renamed over PATH, and the directory fsynced, so the
 * removed bytes leave the file for good (the old file's blocks go back to the file system). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

#include "server/base/cpu_place.h"
#include "server/store/msglog_internal.h"

int msglog_floor(struct msglog *l, int64_t agreement, int64_t first_seq, uint64_t *removed)
{
	struct conv *c = msglog__conv_get(l, agreement);
	if (!c)
		return -1;
	if (first_seq <= c->base)
		return 0;
	size_t drop = (size_t)(first_seq - c->base) < c->n ? (size_t)(first_seq - c->base) : c->n;
	for (size_t i = 0; i < drop; i++) {
		struct msglog_record r;
		if (c->e[i].off >= l->end) { /* pending: the caller floors only after a commit */
			errno = EBUSY;
			return -1;
		}
		if (msglog__read_at(l, c->e[i].off, &r) != 0)
			return -1;
		msglog__keys_drop(l, msglog__key_hash(r.agreement, r.sender, r.key, r.key_len), c, r.seq);
	}
	if (drop && c->n > drop) /* an empty conversation has no array at all */
		memmove(c->e, c->e + drop, (c->n - drop) * sizeof(*c->e));
	c->n -= drop;
	c->base = first_seq;
	l->floors_gen++;
	l->count -= drop;
	if (removed)
		*removed += drop;
	return 0;
}

/* Where a kept record moves to; applied only once the new file is in place. */
struct move {
	struct entry *e;
	uint64_t off;
};

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int sync_dir_of(const char *path)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", path);
	int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 ? fsync(fd) : -1;
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Copy the records still indexed from the mapped file into fd, noting their new offsets. */
static int copy_kept(struct msglog *l, const uint8_t *map, int fd, struct move *moves, size_t *nmoves,
		     struct msglog_compaction *st)
{
	uint64_t off = 0, out = 0;
	struct msglog_record r;
	size_t n;
	while (off < l->end && (n = msglog_decode(map + off, l->end - off, &r)) > 0) {
		struct conv *c = intmap_get(&l->convs, (uint64_t)r.agreement);
		struct entry *e =
		    c && r.seq >= c->base && r.seq < c->base + (int64_t)c->n ? &c->e[r.seq - c->base] : NULL;
		if (e && e->off == off) {
			if (write_all(fd, map + off, n) != 0)
				return -1;
			moves[(*nmoves)++] = (struct move){e, out};
			out += n;
		} else {
			st->removed_records++;
			st->removed_bytes += n;
		}
		off += n;
	}
	if (off != l->end)
		return errno = EIO, -1; /* the file changed under us: keep the old one */
	st->bytes_after = out;
	return 0;
}

int msglog_compact(struct msglog *l, const char *path, struct msglog_compaction *st, char *err, size_t errlen)
{
	char tmp[1100];
	memset(st, 0, sizeof(*st));
	st->bytes_before = l->end;
	if (!l->writable || l->npend) {
		snprintf(err, errlen, "message log: compaction needs the writer with nothing pending");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.compact", path);
	int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct move *moves = malloc((l->count + 1) * sizeof(*moves));
	uint8_t *map = l->end ? mmap(NULL, l->end, PROT_READ, MAP_PRIVATE, l->fd, 0) : NULL;
	size_t nmoves = 0;
	int rc = fd >= 0 && moves && map != MAP_FAILED && flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : -1;
	if (rc == 0 && map)
		rc = copy_kept(l, map, fd, moves, &nmoves, st);
	if (rc == 0 && (fdatasync(fd) != 0 || rename(tmp, path) != 0 || sync_dir_of(path) != 0))
		rc = -1;
	if (rc != 0) {
		snprintf(err, errlen, "message log: compacting %s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
	} else {
		for (size_t i = 0; i < nmoves; i++)
			moves[i].e->off = moves[i].off;
		close(l->fd); /* the old file, now unlinked: its blocks are freed */
		l->fd = fd;
		l->end = st->bytes_after;
	}
	if (map && map != MAP_FAILED)
		munmap(map, st->bytes_before);
	free(moves);
	return rc;
}

/* ---- in the background: the bulk of the copy on a thread of its own ----
 * The file's bytes before `end0` never change (appends go after them), so a thread can copy the kept records among
 * them from its own descriptor while the loop keeps appending; it decides what to keep from a copy of each
 * conversation's base taken at the start. msglog_compact_finish, on the loop, copies the records appended since
 * (all kept), syncs, renames and moves the index's offsets. */

struct bg_move {
	int64_t agreement, seq;
	uint64_t off;
};

struct msglog_compactor {
	pthread_t thread;
	int in_fd, out_fd;
	char path[1024], tmp[1100];
	uint64_t end0, out_end, floors_gen;
	struct intmap bases; /* agreement -> base seq (as a pointer-sized integer) at the start */
	struct bg_move *moves;
	size_t nmoves, cap;
	struct msglog_compaction st;
	atomic_int done; /* 1: the thread finished (ok or not) */
	int failed;      /* errno of the thread's failure, or 0 */
};

static int bg_note(struct msglog_compactor *k, int64_t agreement, int64_t seq, uint64_t off)
{
	if (k->nmoves == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4096;
		struct bg_move *m = realloc(k->moves, cap * sizeof(*m));
		if (!m)
			return -1;
		k->moves = m;
		k->cap = cap;
	}
	k->moves[k->nmoves++] = (struct bg_move){agreement, seq, off};
	return 0;
}

static void *bg_copy(void *arg)
{
	struct msglog_compactor *k = arg;
	cpu_place_background(); /* started by the control thread: not on its CPU */
	uint8_t *map = k->end0 ? mmap(NULL, k->end0, PROT_READ, MAP_PRIVATE, k->in_fd, 0) : NULL;
	uint64_t off = 0;
	struct msglog_record r;
	size_t n;
	if (map == MAP_FAILED) {
		k->failed = errno ? errno : EIO;
		atomic_store(&k->done, 1);
		return NULL;
	}
	while (!k->failed && off < k->end0 && (n = msglog_decode(map + off, k->end0 - off, &r)) > 0) {
		int64_t base = (int64_t)(intptr_t)intmap_get(&k->bases, (uint64_t)r.agreement);
		if (base && r.seq >= base) {
			if (write_all(k->out_fd, map + off, n) != 0 || bg_note(k, r.agreement, r.seq, k->out_end) != 0)
				k->failed = errno ? errno : EIO;
			k->out_end += n;
		} else {
			k->st.removed_records++;
			k->st.removed_bytes += n;
		}
		off += n;
	}
	if (!k->failed && off != k->end0)
		k->failed = EIO;
	if (map)
		munmap(map, k->end0);
	atomic_store(&k->done, 1);
	return NULL;
}

static void bg_free(struct msglog_compactor *k, int unlink_tmp)
{
	if (k->in_fd >= 0)
		close(k->in_fd);
	if (k->out_fd >= 0)
		close(k->out_fd);
	if (unlink_tmp)
		unlink(k->tmp);
	intmap_free(&k->bases);
	free(k->moves);
	free(k);
}

struct msglog_compactor *msglog_compact_start(struct msglog *l, const char *path, char *err, size_t errlen)
{
	struct msglog_compactor *k = calloc(1, sizeof(*k));
	if (!k || !l->writable) {
		free(k);
		snprintf(err, errlen, "message log: compaction needs the writer");
		return NULL;
	}
	intmap_init(&k->bases);
	k->in_fd = k->out_fd = -1;
	snprintf(k->path, sizeof(k->path), "%s", path);
	snprintf(k->tmp, sizeof(k->tmp), "%s.compact", path);
	k->end0 = l->end;
	k->floors_gen = l->floors_gen;
	k->st.bytes_before = l->end;
	size_t pos = 0;
	uint64_t agreement;
	void *v;
	int rc = 0;
	while (rc == 0 && intmap_next(&l->convs, &pos, &agreement, &v))
		rc = intmap_put(&k->bases, agreement, (void *)(intptr_t)((struct conv *)v)->base);
	k->in_fd = rc == 0 ? dup(l->fd) : -1;
	k->out_fd = k->in_fd >= 0 ? open(k->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	if (k->out_fd < 0 || flock(k->out_fd, LOCK_EX | LOCK_NB) != 0 || pthread_create(&k->thread, NULL, bg_copy, k)) {
		snprintf(err, errlen, "message log: starting a compaction of %s: %s", path, strerror(errno));
		bg_free(k, 1);
		return NULL;
	}
	return k;
}

int msglog_compact_done(const struct msglog_compactor *k)
{
	return atomic_load(&k->done);
}

void msglog_compact_abort(struct msglog_compactor *k)
{
	if (!k)
		return;
	pthread_join(k->thread, NULL);
	bg_free(k, 1);
}

/* Point the index at the new file: the thread's records, then the ones appended since (tail_off on). */
static void bg_apply(struct msglog *l, struct msglog_compactor *k, const uint8_t *tail, uint64_t tail_len)
{
	for (size_t i = 0; i < k->nmoves; i++) {
		struct conv *c = intmap_get(&l->convs, (uint64_t)k->moves[i].agreement);
		if (c && k->moves[i].seq >= c->base && k->moves[i].seq < c->base + (int64_t)c->n)
			c->e[k->moves[i].seq - c->base].off = k->moves[i].off;
	}
	struct msglog_record r;
	size_t n;
	for (uint64_t off = 0; off < tail_len && (n = msglog_decode(tail + off, tail_len - off, &r)) > 0; off += n) {
		struct conv *c = intmap_get(&l->convs, (uint64_t)r.agreement);
		if (c && r.seq >= c->base && r.seq < c->base + (int64_t)c->n)
			c->e[r.seq - c->base].off = k->out_end + off;
	}
}

int msglog_compact_finish(struct msglog *l, struct msglog_compactor *k, struct msglog_compaction *st, char *err,
			  size_t errlen)
{
	pthread_join(k->thread, NULL);
	uint64_t tail_len = l->end - k->end0;
	uint8_t *tail = tail_len ? malloc(tail_len) : NULL;
	int rc = k->failed ? (errno = k->failed, -1) : 0;
	if (rc == 0 && (l->npend || k->floors_gen != l->floors_gen))
		rc = (errno = EAGAIN, -1); /* messages pending, or more were removed meanwhile: start again */
	if (rc == 0 && tail_len && (!tail || pread(l->fd, tail, tail_len, (off_t)k->end0) != (ssize_t)tail_len))
		rc = -1;
	if (rc == 0 && tail_len && write_all(k->out_fd, tail, tail_len) != 0)
		rc = -1;
	if (rc == 0 && (fdatasync(k->out_fd) != 0 || rename(k->tmp, k->path) != 0 || sync_dir_of(k->path) != 0))
		rc = -1;
	if (rc != 0) {
		snprintf(err, errlen, "message log: compacting %s: %s", k->path, strerror(errno));
		free(tail);
		bg_free(k, 1);
		return -1;
	}
	bg_apply(l, k, tail, tail_len);
	free(tail);
	close(l->fd); /* the old file, now unlinked */
	l->fd = k->out_fd;
	k->out_fd = -1;
	l->end = k->out_end + tail_len;
	*st = k->st;
	st->bytes_before = k->end0 + tail_len;
	st->bytes_after = l->end;
	bg_free(k, 0);
	return 0;
}
