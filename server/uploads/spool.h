/* spool.h: an upload's bytes on disk, encrypted (AES-256-CTR) with a key that exists only in this process's memory:
 * the original, with whatever metadata it carries, is never on disk in the clear, and a restart leaves only noise.
 * With a spool writer, encryption and writes run on its thread: the event loop only copies bytes into buffers, and is
 * told to stop reading while a spool has SPOOL_INFLIGHT buffers on their way to the disk. */
#ifndef SAMVAER_SPOOL_H
#define SAMVAER_SPOOL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPOOL_BUF (256 * 1024) /* plaintext gathered before one encrypt + pwrite */
#define SPOOL_INFLIGHT 4       /* buffers of one spool queued for the writer before its reader pauses */
#define SPOOL_FULL 1           /* spool_append: taken, but stop reading until the resume callback */

struct spool;
struct spool_writer;

/* The writer thread; its completions come back on loop (an ev_async, unreferenced). NULL on failure. */
struct spool_writer *spool_writer_start(struct ev_loop *loop);
/* Finish every queued write, then stop the thread. Spools must be destroyed after this only. */
void spool_writer_stop(struct spool_writer *w);

/* Empty DIR/spool/ of what an earlier process left (unreadable without its keys) and create it. 0 or -1. */
int spool_dir_reset(const char *data_dir);
/* A new spool file DIR/spool/<id> with a fresh random key and IV, written by w (NULL: written on the calling thread).
 * NULL on failure (errno). */
struct spool *spool_create(const char *data_dir, const char *id, struct spool_writer *w);
/* Append len bytes at the spool's end (tus writes in order): 0, SPOOL_FULL (taken; resume(arg) runs on the loop when
 * there is room again), or -1 (a write failed: the spool is broken). */
int spool_append(struct spool *sp, const void *data, size_t len);
/* Who to tell when a full spool has room again (NULL: nobody). */
void spool_on_resume(struct spool *sp, void (*resume)(void *arg), void *arg);
/* Write what is buffered; done(arg, ok) runs on the loop once every byte is in the file (at once without a writer).
 * ok = 0 when a write failed. */
void spool_flush(struct spool *sp, void (*done)(void *arg, int ok), void *arg);
/* Bytes appended so far (received; not necessarily written yet). */
uint64_t spool_size(const struct spool *sp);
/* Decrypted bytes at off, after a completed flush (any thread): count, 0 at the end, -1 on error. */
ssize_t spool_pread(struct spool *sp, void *buf, size_t len, uint64_t off);
/* Delete the file and forget the key (the memory goes once the writer is done with it). No callback runs after. */
void spool_destroy(struct spool *sp);

#endif
