/* msglog_compact.c: removing messages from the log (retention, erasure). A floor hides a conversation's messages
 * below a seq at once (reads and idempotency keys forget them); compaction then rewrites the file without them:
 * the kept records go to PATH.compact, which is fsynced, renamed over PATH, and the directory fsynced, so the
 * removed bytes leave the file for good (the old file's blocks go back to the file system). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>

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
	memmove(c->e, c->e + drop, (c->n - drop) * sizeof(*c->e));
	c->n -= drop;
	c->base = first_seq;
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
