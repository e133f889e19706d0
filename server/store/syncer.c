/* syncer.c: the fsync thread and WAL checkpoints (see syncer.h). */
#include "server/store/syncer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/base/log.h"

#define CHECKPOINT_EVERY_MS 1000 /* fewer, larger checkpoints copy a hot page once instead of ten times */
#define CHECKPOINT_NICE 10       /* the loop thread preempts the checkpointer when both want the CPU */
#define SYNC_SPACING_US 1000     /* fsyncs start at least this far apart */
/* A WAL this long after a checkpoint asks the loop to start it over. Well below journal_size_limit (store.c), so
 * after its first growth the file keeps its size and commits overwrite it in place instead of appending (an
 * append also changes the file's size and block allocation, which its fdatasync must write too). */
#define WAL_RESTART_BYTES (16 << 20)

struct syncer {
	struct ev_loop *loop;
	ev_async wake; /* tells the loop that synced_gen moved */
	syncer_done_cb done;
	void *ctx;
	char wal_path[600];
	char db_path[600];
	char log_path[600];
	int wal_fd;              /* opened lazily: the WAL file exists after the first commit */
	int log_fd;              /* the message log, opened lazily too */
	atomic_int log_replaced; /* the log was renamed over (compaction): reopen it before the next fsync */
	int db_fd;               /* the database file, for the checkpointer's own fdatasync */
	sqlite3 *ckpt;           /* the checkpointing connection */
	pthread_t thread;        /* fsyncs */
	pthread_t ckpt_thread;   /* checkpoints, apart so a long checkpoint never delays an fsync */
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* wakes the fsync thread */
	pthread_cond_t ckpt_cond; /* wakes the checkpoint thread (only to stop it) */
	uint64_t requested;       /* highest generation committed (under lock) */
	unsigned files;           /* SYNCER_* written by the commits not yet synced (under lock) */
	uint64_t synced;          /* highest generation durable (under lock) */
	int failed;               /* an fsync failed: report ok = 0 for what it covered */
	int stopping;
	int has_ckpt_thread;
	int restart_frames;        /* WAL_RESTART_BYTES in frames of this database's page size */
	atomic_int restart_wanted; /* the last checkpoint left a WAL of restart_frames or more */
	struct timespec last_sync; /* when the last fsync started (CLOCK_MONOTONIC) */
};

/* fdatasync a file (any descriptor of the file flushes the file's dirty pages). */
static int sync_file(const char *path, int *fd)
{
	if (*fd < 0) {
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			return errno == ENOENT ? 0 : -1; /* not created yet: nothing committed to it */
	}
	return fdatasync(*fd);
}

static int sync_files(struct syncer *s, unsigned files)
{
	int rc = 0;
	if (atomic_exchange(&s->log_replaced, 0) && s->log_fd >= 0) {
		close(s->log_fd); /* the old, unlinked file: the new one was fsynced before the rename */
		s->log_fd = -1;
	}
	if (files & SYNCER_LOG)
		rc |= sync_file(s->log_path, &s->log_fd);
	if (files & SYNCER_WAL)
		rc |= sync_file(s->wal_path, &s->wal_fd);
	return rc;
}

static void checkpoint(struct syncer *s)
{
	if (!s->ckpt) {
		if (sqlite3_open_v2(s->db_path, &s->ckpt, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK)
			return;
		sqlite3_exec(s->ckpt, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
		sqlite3_stmt *st;
		int page = 4096;
		if (sqlite3_prepare_v2(s->ckpt, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK) {
			if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0)
				page = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		s->restart_frames = WAL_RESTART_BYTES / (page + 24); /* a frame is a 24-byte header and a page */
	}
	int log_frames = 0, done_frames = 0;
	sqlite3_wal_checkpoint_v2(s->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
	/* SQLite syncs the database file only after a checkpoint that copied the whole WAL, which under a stream of
	 * commits is the loop's short one (restart_wal in commit.c): that fdatasync then wrote out every page this
	 * thread had copied in the last second, 4-8 ms on the loop (up to 30). Writing them out here leaves the
	 * loop only the pages it copies itself: 1-3 ms. */
	if (done_frames > 0) {
		if (s->db_fd < 0)
			s->db_fd = open(s->db_path, O_RDONLY | O_CLOEXEC);
		if (s->db_fd >= 0 && fdatasync(s->db_fd) != 0)
			log_warn("syncer: fdatasync of the database file: %s", strerror(errno));
	}
	/* Under a steady stream of commits this checkpoint never catches up with the writer (it copies what was
	 * there when it began), so SQLite never starts the WAL over and it grows without bound. The loop finishes
	 * the job between two of its transactions (syncer_wal_restart_wanted). */
	if (log_frames >= s->restart_frames)
		atomic_store(&s->restart_wanted, 1);
}

static void *run(void *arg)
{
	struct syncer *s = arg;
	pthread_setname_np(pthread_self(), "syncer"); /* in top -H, ps -T and /proc/PID/task/TID/comm */
	pthread_mutex_lock(&s->lock);
	while (!s->stopping || s->requested > s->synced) {
		if (s->requested == s->synced) {
			pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		/* At most one fsync per SYNC_SPACING_US: under a stream of small commits, waiting a moment lets one
		 * fsync cover many turns (each fsync costs the VM a device kick and an interrupt). */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t since =
		    (now.tv_sec - s->last_sync.tv_sec) * 1000000LL + (now.tv_nsec - s->last_sync.tv_nsec) / 1000;
		if (since < SYNC_SPACING_US && !s->stopping) {
			pthread_mutex_unlock(&s->lock);
			usleep((useconds_t)(SYNC_SPACING_US - since));
			pthread_mutex_lock(&s->lock);
		}
		uint64_t target = s->requested;
		unsigned files = s->files;
		s->files = 0;
		clock_gettime(CLOCK_MONOTONIC, &s->last_sync);
		pthread_mutex_unlock(&s->lock);
		int rc = sync_files(s, files);
		pthread_mutex_lock(&s->lock);
		if (rc != 0)
			s->failed = 1;
		s->synced = target;
		ev_async_send(s->loop, &s->wake);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void *run_checkpoints(void *arg)
{
	struct syncer *s = arg;
	pthread_setname_np(pthread_self(), "checkpoint");
	/* Linux nice values are per thread: lower this one only, so checkpoints never delay the loop's replies. */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), CHECKPOINT_NICE) != 0)
		log_warn("syncer: cannot lower the checkpoint thread's priority: %s", strerror(errno));
	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CHECKPOINT_EVERY_MS / 1000;
		until.tv_nsec += CHECKPOINT_EVERY_MS % 1000 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&s->ckpt_cond, &s->lock, &until) != ETIMEDOUT && !s->stopping)
			continue; /* spurious wake-up: wait out the interval */
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->lock);
		checkpoint(s);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct syncer *s = w->data;
	pthread_mutex_lock(&s->lock);
	uint64_t gen = s->synced;
	int ok = !s->failed;
	s->failed = 0;
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		log_error("syncer: fdatasync of the message log or the WAL failed: %s", strerror(errno));
	s->done(gen, ok, s->ctx);
}

struct syncer *syncer_start(struct ev_loop *loop, const char *data_dir, syncer_done_cb done, void *ctx)
{
	struct syncer *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->loop = loop;
	s->done = done;
	s->ctx = ctx;
	s->wal_fd = -1;
	s->log_fd = -1;
	s->db_fd = -1;
	snprintf(s->db_path, sizeof(s->db_path), "%s/samvaer.db", data_dir);
	snprintf(s->wal_path, sizeof(s->wal_path), "%s/samvaer.db-wal", data_dir);
	snprintf(s->log_path, sizeof(s->log_path), "%s/messages.log", data_dir);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_cond_init(&s->ckpt_cond, NULL);
	ev_async_init(&s->wake, on_wake);
	s->wake.data = s;
	ev_async_start(loop, &s->wake);
	ev_unref(loop);
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		ev_ref(loop);
		ev_async_stop(loop, &s->wake);
		free(s);
		return NULL;
	}
	if (pthread_create(&s->ckpt_thread, NULL, run_checkpoints, s) != 0)
		log_warn("syncer: no checkpoint thread; the WAL grows until restart");
	else
		s->has_ckpt_thread = 1;
	return s;
}

int syncer_wal_restart_wanted(struct syncer *s)
{
	return atomic_load_explicit(&s->restart_wanted, memory_order_relaxed);
}

void syncer_wal_restart_done(struct syncer *s)
{
	atomic_store(&s->restart_wanted, 0);
}

void syncer_request(struct syncer *s, uint64_t gen, unsigned files)
{
	pthread_mutex_lock(&s->lock);
	s->files |= files;
	if (gen > s->requested) {
		s->requested = gen;
		pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
}

int syncer_sync_now(struct syncer *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t target = s->requested;
	pthread_mutex_unlock(&s->lock);
	/* fdatasync is safe to run from two threads on the same file */
	int wal = -1, log = -1;
	int rc = sync_file(s->log_path, &log) | sync_file(s->wal_path, &wal);
	if (wal >= 0)
		close(wal);
	if (log >= 0)
		close(log);
	pthread_mutex_lock(&s->lock);
	if (rc == 0 && target > s->synced)
		s->synced = target;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void syncer_log_replaced(struct syncer *s)
{
	atomic_store(&s->log_replaced, 1);
}

void syncer_stop(struct syncer *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->cond);
	pthread_cond_signal(&s->ckpt_cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	if (s->has_ckpt_thread)
		pthread_join(s->ckpt_thread, NULL);
	on_wake(s->loop, &s->wake, 0); /* report what the last fsync covered */
	ev_ref(s->loop);
	ev_async_stop(s->loop, &s->wake);
	if (s->wal_fd >= 0)
		close(s->wal_fd);
	if (s->log_fd >= 0)
		close(s->log_fd);
	if (s->db_fd >= 0)
		close(s->db_fd);
	sqlite3_close(s->ckpt);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	pthread_cond_destroy(&s->ckpt_cond);
	free(s);
}
