/* store_wal.c: a thin SQLite VFS over the default one that gathers the server connection's WAL appends into
 * one write per commit. SQLite writes each WAL frame as two pwrite calls (24-byte header, then the page), so a
 * commit touching 80 pages cost 160 syscalls; here it costs one. Nothing else changes: every other file, and
 * every other operation on the WAL, goes straight to the default VFS.
 *
 * When the buffer reaches the file matters for other connections (the checkpointer, samvaer-admin): they may
 * read frames only once the commit is published in the WAL index, which SQLite does after writing the commit
 * frame, with an xShmBarrier between the two header copies. The buffer is written out right after the commit
 * frame (so a failed write fails the commit, before it is published), and again before any barrier, lock,
 * read, sync, size query, truncate or close, so no reader and no fsync can see the file behind SQLite's view. */
#include "server/store/store_wal.h"

#include <stdlib.h>
#include <string.h>

#define WAL_BUF_CAP (1u << 20) /* bytes gathered before a write is forced */
#define WAL_FRAME_HDR 24       /* bytes of a WAL frame header; bytes 4-7: database size after a commit, else 0 */
#define WRITE_CHUNK 0x1f000    /* the unix VFS masks one write's length to 17 bits: stay below 128 KiB */

struct wal_file {
	sqlite3_file base;   /* pMethods = wal_methods */
	unsigned char *buf;  /* gathered appends */
	size_t len;          /* bytes in buf */
	sqlite3_int64 off;   /* file offset of buf[0] */
	int commit_next;     /* the last write was a commit frame's header: its page ends the commit */
	sqlite3_file real[]; /* the default VFS's file (szOsFile bytes) */
};

static sqlite3_vfs *parent;
static sqlite3_vfs wal_vfs;
static const sqlite3_io_methods wal_methods;

static int write_all(sqlite3_file *f, const unsigned char *p, size_t n, sqlite3_int64 off)
{
	while (n) {
		size_t k = n < WRITE_CHUNK ? n : WRITE_CHUNK;
		int rc = f->pMethods->xWrite(f, p, (int)k, off);
		if (rc != SQLITE_OK)
			return rc;
		p += k;
		off += (sqlite3_int64)k;
		n -= k;
	}
	return SQLITE_OK;
}

static int flush(struct wal_file *w)
{
	if (!w->len)
		return SQLITE_OK;
	int rc = write_all(w->real, w->buf, w->len, w->off);
	w->len = 0;
	return rc;
}

static int x_write(sqlite3_file *f, const void *p, int amt, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = SQLITE_OK;
	if (w->len && (off != w->off + (sqlite3_int64)w->len || w->len + (size_t)amt > WAL_BUF_CAP))
		rc = flush(w);
	if (rc != SQLITE_OK)
		return rc;
	if ((size_t)amt > WAL_BUF_CAP)
		return write_all(w->real, p, (size_t)amt, off);
	if (!w->len)
		w->off = off;
	memcpy(w->buf + w->len, p, (size_t)amt);
	w->len += (size_t)amt;
	if (w->commit_next) { /* the commit frame is complete: write it all before SQLite publishes the commit */
		w->commit_next = 0;
		return flush(w);
	}
	if (amt == WAL_FRAME_HDR) {
		const unsigned char *h = p;
		w->commit_next = (h[4] | h[5] | h[6] | h[7]) != 0;
	}
	return SQLITE_OK;
}

/* Every other method: write the buffer out first, then forward. */
#define REAL(f) (((struct wal_file *)(f))->real)
#define FLUSH_OR_RETURN(f)                                \
	do {                                              \
		int frc_ = flush((struct wal_file *)(f)); \
		if (frc_ != SQLITE_OK)                    \
			return frc_;                      \
	} while (0)

static int x_close(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc = flush(w);
	int rc2 = REAL(f)->pMethods->xClose(REAL(f));
	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int x_read(sqlite3_file *f, void *p, int amt, sqlite3_int64 off)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xRead(REAL(f), p, amt, off);
}

static int x_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int x_sync(sqlite3_file *f, int flags)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int x_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int x_lock(sqlite3_file *f, int level)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int x_unlock(sqlite3_file *f, int level)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int x_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int x_file_control(sqlite3_file *f, int op, void *arg)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int x_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int x_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int x_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, out);
}

static int x_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void x_shm_barrier(sqlite3_file *f)
{
	flush((struct wal_file *)f); /* already empty after a commit frame; an error here was reported there */
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int x_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int x_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
	FLUSH_OR_RETURN(f);
	return REAL(f)->pMethods->xFetch(REAL(f), off, amt, pp);
}

static int x_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods wal_methods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

/* The WAL gets the gathering wrapper; every other file is the default VFS's own, opened in place. */
static int x_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	if (!(flags & SQLITE_OPEN_WAL))
		return parent->xOpen(parent, name, f, flags, out_flags);
	struct wal_file *w = (struct wal_file *)f;
	memset(w, 0, sizeof(*w));
	w->buf = malloc(WAL_BUF_CAP);
	if (!w->buf)
		return SQLITE_NOMEM;
	int rc = parent->xOpen(parent, name, w->real, flags, out_flags);
	if (rc != SQLITE_OK || !w->real->pMethods || w->real->pMethods->iVersion < 3) {
		if (w->real->pMethods)
			w->real->pMethods->xClose(w->real);
		free(w->buf);
		w->buf = NULL;
		return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
	}
	w->base.pMethods = &wal_methods;
	return SQLITE_OK;
}

const char *store_wal_vfs(void)
{
	if (wal_vfs.zName)
		return wal_vfs.zName;
	parent = sqlite3_vfs_find(NULL);
	if (!parent)
		return NULL;
	wal_vfs = *parent;
	wal_vfs.pNext = NULL;
	wal_vfs.zName = "samvaer-wal";
	wal_vfs.szOsFile = (int)sizeof(struct wal_file) + parent->szOsFile;
	wal_vfs.xOpen = x_open;
	if (sqlite3_vfs_register(&wal_vfs, 0) != SQLITE_OK) {
		wal_vfs.zName = NULL;
		return NULL;
	}
	return wal_vfs.zName;
}
