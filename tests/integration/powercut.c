/* powercut.c: an LD_PRELOAD shim that records what a power cut would leave of one directory tree. */
/*
 * kill -9 keeps the page cache, so it cannot show that a write waited for the disk. This shim keeps, beside the
 * real files, the part of them that has been made durable, as POSIX promises it and no more:
 *
 *   - a file's bytes and size are durable as of its last fsync/fdatasync (any descriptor of the file);
 *   - a directory's entries (names, what they point at) are durable as of the last fsync of the directory itself:
 *     a new file, a rename or an unlink is lost until then, even when the file's own data was synced.
 *
 * POWERCUT_ROOT names the tree (absolute); POWERCUT_SHADOW an empty folder elsewhere where the durable image
 * is kept:
 *   SHADOW/data/ID   the durable bytes of file ID (absent: none)
 *   SHADOW/dirs/ID   the durable entries of directory ID, lines "NAME\tF|D\tID" (replaced by rename)
 *   SHADOW/ids       append-only lines "DEV INO ID F|D": which inode each ID names (the last line wins)
 *   SHADOW/root      the root directory's ID
 * Everything in the tree when the process starts is taken as durable. The image is written as the process runs
 * (every fsync copies the ranges written since the last one), so it survives the process being killed;
 * tests/integration/powercut.py then rebuilds the tree from it: the state after a power cut.
 *
 * Writes through a shared writable mapping cannot be seen one by one: such a file is copied whole at each of its
 * fsyncs (SQLite maps only its -shm, which it never syncs and rebuilds after a crash). Limits: sync(2)/syncfs(2)
 * make nothing durable; writes by copy_file_range/sendfile/splice, io_uring or raw syscalls are not seen (the
 * server and SQLite use none); one process under the shim at a time writes the tree. Real fsyncs are skipped (the
 * model decides what is durable, not the disk).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_RANGES 256 /* past this a file is copied whole at its next fsync */

struct range {
	off_t start, end;
};

struct node {
	dev_t dev;
	ino_t ino;
	long id;
	int is_dir;
	int whole;  /* copy the whole file at the next fsync */
	int mapped; /* mapped shared and writable: copy it whole at every fsync */
	struct range *r;
	size_t nr, cap;
};

static struct {
	int on;
	char root[PATH_MAX];
	char shadow[PATH_MAX / 2];
	long next_id;
	struct node *n;
	size_t nn, cap;
	pthread_mutex_t lock;
} pc = {.lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP};

/* ---- the real functions ---- */

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_truncate)(const char *, off_t);
static int (*real_fallocate)(int, int, off_t, off_t);
static int (*real_posix_fallocate)(int, off_t, off_t);
static int (*real_close)(int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);

static void *next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);
	if (!p) {
		fprintf(stderr, "powercut: no %s\n", name);
		abort();
	}
	return p;
}

static void load_real(void)
{
	if (real_open)
		return;
	real_openat = next_sym("openat64");
	real_write = next_sym("write");
	real_pwrite = next_sym("pwrite64");
	real_writev = next_sym("writev");
	real_pwritev = next_sym("pwritev64");
	real_ftruncate = next_sym("ftruncate64");
	real_truncate = next_sym("truncate64");
	real_fallocate = next_sym("fallocate64");
	real_posix_fallocate = next_sym("posix_fallocate64");
	real_close = next_sym("close");
	real_mmap = next_sym("mmap64");
	real_open = next_sym("open64");
}

static void die(const char *what)
{
	fprintf(stderr, "powercut: %s: %s\n", what, strerror(errno));
	abort();
}

/* ---- the shadow image ---- */

static void shadow_path(char *out, const char *kind, long id)
{
	snprintf(out, PATH_MAX, "%s/%s/%ld", pc.shadow, kind, id);
}

static void write_all(int fd, const void *p, size_t n, off_t off)
{
	const char *c = p;
	while (n) {
		ssize_t k = off < 0 ? real_write(fd, c, n) : real_pwrite(fd, c, n, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("writing the shadow image");
		c += k;
		n -= (size_t)k;
		if (off >= 0)
			off += k;
	}
}

static void note_id(const struct node *nd)
{
	char path[PATH_MAX], line[128];
	snprintf(path, sizeof(path), "%s/ids", pc.shadow);
	int fd = real_open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	int n = snprintf(line, sizeof(line), "%llu %llu %ld %c\n", (unsigned long long)nd->dev,
			 (unsigned long long)nd->ino, nd->id, nd->is_dir ? 'D' : 'F');
	write_all(fd, line, (size_t)n, -1);
	real_close(fd);
}

static struct node *find(dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < pc.nn; i++)
		if (pc.n[i].dev == dev && pc.n[i].ino == ino)
			return &pc.n[i];
	return NULL;
}

/* A new inode (or a reused inode number: a new file) gets a new ID, with nothing durable yet. */
static struct node *add(dev_t dev, ino_t ino, int is_dir)
{
	struct node *nd = find(dev, ino);
	if (!nd) {
		if (pc.nn == pc.cap) {
			pc.cap = pc.cap ? pc.cap * 2 : 64;
			pc.n = realloc(pc.n, pc.cap * sizeof(*pc.n));
			if (!pc.n)
				die("out of memory");
		}
		nd = &pc.n[pc.nn++];
		memset(nd, 0, sizeof(*nd));
		nd->dev = dev;
		nd->ino = ino;
	}
	free(nd->r);
	*nd = (struct node){.dev = dev, .ino = ino, .id = pc.next_id++, .is_dir = is_dir};
	note_id(nd);
	return nd;
}

static void dirty(struct node *nd, off_t start, off_t end)
{
	if (end <= start || nd->whole)
		return;
	if (nd->nr && start <= nd->r[nd->nr - 1].end && end >= nd->r[nd->nr - 1].start) {
		struct range *last = &nd->r[nd->nr - 1];
		last->start = start < last->start ? start : last->start;
		last->end = end > last->end ? end : last->end;
		return;
	}
	if (nd->nr == MAX_RANGES) {
		nd->whole = 1;
		nd->nr = 0;
		return;
	}
	if (nd->nr == nd->cap) {
		nd->cap = nd->cap ? nd->cap * 2 : 8;
		nd->r = realloc(nd->r, nd->cap * sizeof(*nd->r));
		if (!nd->r)
			die("out of memory");
	}
	nd->r[nd->nr++] = (struct range){start, end};
}

/* Copy what was written since the last sync of this file into its durable image (src: a readable descriptor). */
static void sync_file(struct node *nd, int src)
{
	struct stat st;
	char path[PATH_MAX];
	if (fstat(src, &st) != 0)
		die("fstat");
	shadow_path(path, "data", nd->id);
	int dst = real_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (dst < 0)
		die(path);
	if (nd->whole) {
		nd->r = realloc(nd->r, sizeof(*nd->r));
		nd->r[0] = (struct range){0, st.st_size};
		nd->nr = 1;
	}
	char buf[1 << 16];
	for (size_t i = 0; i < nd->nr; i++) {
		off_t end = nd->r[i].end < st.st_size ? nd->r[i].end : st.st_size;
		for (off_t off = nd->r[i].start; off < end;) {
			size_t want = end - off < (off_t)sizeof(buf) ? (size_t)(end - off) : sizeof(buf);
			ssize_t k = pread(src, buf, want, off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break; /* shrunk meanwhile */
			write_all(dst, buf, (size_t)k, off);
			off += k;
		}
	}
	if (real_ftruncate(dst, st.st_size) != 0)
		die("ftruncate of the shadow image");
	real_close(dst);
	nd->nr = 0;
	nd->whole = nd->mapped;
}

/* The durable entries of a directory become what it holds now. Untracked entries (new) get IDs. */
static void sync_dir(struct node *nd, int fd)
{
	int dfd = real_openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d)
		die("opendir");
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	shadow_path(path, "dirs", nd->id);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int out = real_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		die(tmp);
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		struct node *c = find(st.st_dev, st.st_ino);
		if (!c)
			c = add(st.st_dev, st.st_ino, S_ISDIR(st.st_mode));
		char line[NAME_MAX + 64];
		int n = snprintf(line, sizeof(line), "%s\t%c\t%ld\n", e->d_name, c->is_dir ? 'D' : 'F', c->id);
		write_all(out, line, (size_t)n, -1);
	}
	closedir(d);
	real_close(out);
	if (rename(tmp, path) != 0)
		die("rename in the shadow image");
}

/* ---- start: everything in the tree is durable ---- */

static void snapshot(int dfd)
{
	struct stat st;
	if (fstat(dfd, &st) != 0)
		die("fstat");
	dev_t dev = st.st_dev;
	ino_t ino = st.st_ino;
	add(dev, ino, 1);
	DIR *d = fdopendir(real_openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!d)
		die("opendir");
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			continue;
		int fd = real_openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			die(e->d_name);
		if (S_ISDIR(st.st_mode)) {
			snapshot(fd);
		} else {
			struct node *nd = add(st.st_dev, st.st_ino, 0);
			nd->whole = 1;
			sync_file(nd, fd);
		}
		real_close(fd);
	}
	closedir(d);
	sync_dir(find(dev, ino), dfd);
}

__attribute__((constructor)) static void powercut_init(void)
{
	load_real();
	const char *root = getenv("POWERCUT_ROOT"), *shadow = getenv("POWERCUT_SHADOW");
	if (!root || !shadow)
		return;
	if (!realpath(root, pc.root) || !realpath(shadow, pc.shadow))
		die("POWERCUT_ROOT or POWERCUT_SHADOW");
	unsetenv("POWERCUT_ROOT"); /* a child process writes nothing here through the shim */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/data", pc.shadow);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/dirs", pc.shadow);
	mkdir(path, 0700);
	pc.next_id = 1;
	int fd = real_open(pc.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		die(pc.root);
	snapshot(fd);
	real_close(fd);
	snprintf(path, sizeof(path), "%s/root", pc.shadow);
	int out = real_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		die(path);
	write_all(out, "1\n", 2, -1);
	real_close(out);
	pc.on = 1;
}

/* ---- hooks ---- */

static int under_root(int fd)
{
	char link[64], path[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = 0;
	size_t rl = strlen(pc.root);
	return !strncmp(path, pc.root, rl) && (path[rl] == '/' || path[rl] == 0);
}

/* The tracked file or directory behind fd, or NULL (the lock is held when it returns non-NULL). With adopt, one in
 * the tree that is not tracked yet (a new folder) is tracked from now on; a file's bytes are all taken as written. */
static struct node *tracked(int fd, int adopt)
{
	struct stat st;
	if (!pc.on || fd < 0 || fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return NULL;
	pthread_mutex_lock(&pc.lock);
	struct node *nd = find(st.st_dev, st.st_ino);
	if (!nd && adopt && under_root(fd)) {
		nd = add(st.st_dev, st.st_ino, S_ISDIR(st.st_mode));
		nd->whole = !nd->is_dir;
	}
	if (!nd)
		pthread_mutex_unlock(&pc.lock);
	return nd;
}

/* After an open: a file it created is a new inode with nothing durable; O_TRUNC dirtied what it cut off. */
static int after_open(int fd, int flags, int existed, off_t old_size)
{
	if (fd < 0 || !pc.on)
		return fd;
	int saved = errno;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && under_root(fd)) {
		pthread_mutex_lock(&pc.lock);
		struct node *nd = find(st.st_dev, st.st_ino);
		if (!existed || !nd)
			nd = add(st.st_dev, st.st_ino, 0);
		else if (flags & O_TRUNC)
			dirty(nd, 0, old_size);
		pthread_mutex_unlock(&pc.lock);
	}
	errno = saved;
	return fd;
}

static void before_open(int dirfd, const char *path, int flags, int *existed, off_t *old_size)
{
	struct stat st;
	*existed = 1;
	*old_size = 0;
	if (pc.on && (flags & (O_CREAT | O_TRUNC))) {
		int saved = errno;
		if (fstatat(dirfd, path, &st, 0) == 0)
			*old_size = st.st_size;
		else
			*existed = 0;
		errno = saved;
	}
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	load_real();
	int existed;
	off_t old_size;
	before_open(dirfd, path, flags, &existed, &old_size);
	return after_open(real_openat(dirfd, path, flags, mode), flags, existed, old_size);
}

#define MODE_ARG(flags, mode)                                    \
	do {                                                     \
		if ((flags) & (O_CREAT | __O_TMPFILE)) {         \
			va_list ap;                              \
			va_start(ap, flags);                     \
			mode = (mode_t)va_arg(ap, unsigned int); \
			va_end(ap);                              \
		}                                                \
	} while (0)

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	return do_openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	return do_openat(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	return do_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	MODE_ARG(flags, mode);
	return do_openat(dirfd, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
	return do_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode)
{
	return do_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int __open_2(const char *path, int flags)
{
	return do_openat(AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags)
{
	return do_openat(AT_FDCWD, path, flags, 0);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	return do_openat(dirfd, path, flags, 0);
}

/* A write of n bytes that ended at the file position: [pos - n, pos). */
static void wrote_at_position(int fd, ssize_t n)
{
	if (n <= 0)
		return;
	int saved = errno;
	struct node *nd = tracked(fd, 0);
	if (nd) {
		off_t end = lseek(fd, 0, SEEK_CUR);
		if (end >= 0)
			dirty(nd, end - n, end);
		else
			nd->whole = 1;
		pthread_mutex_unlock(&pc.lock);
	}
	errno = saved;
}

static void wrote_at(int fd, off_t off, ssize_t n)
{
	if (n <= 0)
		return;
	int saved = errno;
	struct node *nd = tracked(fd, 0);
	if (nd) {
		dirty(nd, off, off + n);
		pthread_mutex_unlock(&pc.lock);
	}
	errno = saved;
}

ssize_t write(int fd, const void *p, size_t n)
{
	load_real();
	ssize_t k = real_write(fd, p, n);
	wrote_at_position(fd, k);
	return k;
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	load_real();
	ssize_t k = real_writev(fd, iov, cnt);
	wrote_at_position(fd, k);
	return k;
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
	load_real();
	ssize_t k = real_pwrite(fd, p, n, off);
	wrote_at(fd, off, k);
	return k;
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t off)
{
	return pwrite(fd, p, n, off);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
	load_real();
	ssize_t k = real_pwritev(fd, iov, cnt, off);
	wrote_at(fd, off, k);
	return k;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off_t off)
{
	return pwritev(fd, iov, cnt, off);
}

/* A size change: dirty the bytes between the old and the new end. */
static void resized(int fd, off_t old_size, off_t new_size)
{
	struct node *nd = tracked(fd, 0);
	if (nd) {
		dirty(nd, old_size < new_size ? old_size : new_size, old_size < new_size ? new_size : old_size);
		pthread_mutex_unlock(&pc.lock);
	}
}

static off_t size_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_size : 0;
}

int ftruncate(int fd, off_t len)
{
	load_real();
	off_t old = size_of(fd);
	int rc = real_ftruncate(fd, len);
	if (rc == 0) {
		int saved = errno;
		resized(fd, old, len);
		errno = saved;
	}
	return rc;
}

int ftruncate64(int fd, off_t len)
{
	return ftruncate(fd, len);
}

int truncate(const char *path, off_t len)
{
	load_real();
	int fd = real_open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = ftruncate(fd, len);
	int saved = errno;
	real_close(fd);
	errno = saved;
	return rc;
}

int truncate64(const char *path, off_t len)
{
	return truncate(path, len);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	load_real();
	off_t old = size_of(fd);
	int rc = real_fallocate(fd, mode, off, len);
	if (rc == 0) {
		int saved = errno;
		resized(fd, old, size_of(fd));
		wrote_at(fd, off, (ssize_t)len);
		errno = saved;
	}
	return rc;
}

int fallocate64(int fd, int mode, off_t off, off_t len)
{
	return fallocate(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len)
{
	load_real();
	off_t old = size_of(fd);
	int rc = real_posix_fallocate(fd, off, len);
	if (rc == 0)
		resized(fd, old, size_of(fd));
	return rc;
}

int posix_fallocate64(int fd, off_t off, off_t len)
{
	return posix_fallocate(fd, off, len);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	load_real();
	void *p = real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && (prot & PROT_WRITE) && (flags & MAP_SHARED)) {
		int saved = errno;
		struct node *nd = tracked(fd, 0);
		if (nd) {
			nd->mapped = nd->whole = 1;
			pthread_mutex_unlock(&pc.lock);
		}
		errno = saved;
	}
	return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* fsync and fdatasync: the file's written ranges, or the directory's entries, become durable. */
static int durable(int fd)
{
	struct node *nd = tracked(fd, 1);
	if (!nd) {
		struct stat st;
		return fstat(fd, &st) == 0 ? 0 : -1; /* not ours: a real sync is not needed for the model */
	}
	if (nd->is_dir) {
		sync_dir(nd, fd);
	} else {
		char link[64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		int src = real_open(link, O_RDONLY | O_CLOEXEC); /* fd may be write-only */
		if (src < 0)
			die("reopening a file to copy it");
		sync_file(nd, src);
		real_close(src);
	}
	pthread_mutex_unlock(&pc.lock);
	return 0;
}

int fsync(int fd)
{
	load_real();
	return durable(fd);
}

int fdatasync(int fd)
{
	load_real();
	return durable(fd);
}
