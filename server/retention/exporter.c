/* exporter.c: the export thread. Jobs go in a queue under a mutex; finished ones come back on a second list and an
 * ev_async wakes the loop, which hands each to its done callback unless it was cancelled meanwhile. Cancelling is a
 * flag the thread reads before it starts a job and libzip reads while it writes. */
#include "server/retention/exporter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/base/cpu_place.h"
#include "server/retention/export_zip.h"
#include "server/store/fsdir.h"

struct export_job {
	json_t *doc;
	export_done_fn done;
	void *ctx;
	atomic_int cancelled;
	int fd; /* the result: the unlinked zip, or -1 with err */
	uint64_t len;
	char err[256];
	struct export_job *next;
};

struct exporter {
	struct ev_loop *loop;
	char data_dir[512];
	char dir[600]; /* data_dir/exports */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct export_job *waiting, *waiting_tail; /* oldest first */
	struct export_job *finished;               /* made, for the loop */
	struct export_job *running;
	int queued; /* submitted and not yet handed back */
	int stopping;
	unsigned seq; /* file names */
	ev_async wake;
};

static int job_stopped(void *arg)
{
	struct export_job *j = arg;
	return atomic_load(&j->cancelled);
}

static void make(struct exporter *x, struct export_job *j, unsigned seq)
{
	char path[700];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/export-%u.zip", x->dir, seq);
	if (export_zip(j->doc, x->data_dir, path, job_stopped, j, j->err, sizeof(j->err)) != 0)
		return;
	j->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (j->fd < 0 || fstat(j->fd, &sb) != 0) {
		snprintf(j->err, sizeof(j->err), "export: reading %s back: %s", path, strerror(errno));
		if (j->fd >= 0)
			close(j->fd);
		j->fd = -1;
	} else {
		j->len = (uint64_t)sb.st_size;
	}
	unlink(path); /* the open descriptor keeps the bytes until the answer is sent */
}

static void *run(void *arg)
{
	struct exporter *x = arg;
	cpu_place_background();
	pthread_mutex_lock(&x->mu);
	for (;;) {
		while (!x->waiting && !x->stopping)
			pthread_cond_wait(&x->cv, &x->mu);
		if (x->stopping)
			break;
		struct export_job *j = x->waiting;
		x->waiting = j->next;
		if (!x->waiting)
			x->waiting_tail = NULL;
		x->running = j;
		unsigned seq = x->seq++;
		pthread_mutex_unlock(&x->mu);
		if (!atomic_load(&j->cancelled))
			make(x, j, seq);
		json_decref(j->doc); /* the job owns the whole document: nothing else refers to it */
		j->doc = NULL;
		pthread_mutex_lock(&x->mu);
		x->running = NULL;
		j->next = x->finished;
		x->finished = j;
		pthread_mutex_unlock(&x->mu);
		ev_async_send(x->loop, &x->wake);
		pthread_mutex_lock(&x->mu);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

static void job_free(struct export_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	json_decref(j->doc);
	free(j);
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	struct exporter *x = w->data;
	pthread_mutex_lock(&x->mu);
	struct export_job *j = x->finished;
	x->finished = NULL;
	pthread_mutex_unlock(&x->mu);
	while (j) {
		struct export_job *next = j->next;
		x->queued--;
		if (!atomic_load(&j->cancelled)) {
			j->done(j->ctx, j->fd, j->len, j->err);
			j->fd = -1; /* the callee's now */
		}
		job_free(j);
		j = next;
	}
}

struct exporter *exporter_start(struct ev_loop *loop, const char *data_dir, char *err, size_t errlen)
{
	struct exporter *x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "exporter: out of memory");
		return NULL;
	}
	x->loop = loop;
	snprintf(x->data_dir, sizeof(x->data_dir), "%s", data_dir);
	snprintf(x->dir, sizeof(x->dir), "%s/exports", data_dir);
	if ((mkdir(x->dir, 0700) != 0 && errno != EEXIST) || fsdir_empty(x->dir) != 0) {
		snprintf(err, errlen, "exporter: cannot prepare %s: %s", x->dir, strerror(errno));
		free(x);
		return NULL;
	}
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	ev_async_init(&x->wake, on_wake);
	x->wake.data = x;
	ev_async_start(loop, &x->wake);
	ev_unref(loop); /* an idle exporter does not keep the loop running */
	if (pthread_create(&x->thread, NULL, run, x) != 0) {
		snprintf(err, errlen, "exporter: cannot start its thread");
		ev_ref(loop);
		ev_async_stop(loop, &x->wake);
		pthread_cond_destroy(&x->cv);
		pthread_mutex_destroy(&x->mu);
		free(x);
		return NULL;
	}
	pthread_setname_np(x->thread, "exporter");
	return x;
}

struct export_job *exporter_submit(struct exporter *x, json_t *doc, export_done_fn done, void *ctx)
{
	struct export_job *j = x->queued < EXPORTER_QUEUE ? calloc(1, sizeof(*j)) : NULL;
	if (!j) {
		json_decref(doc);
		return NULL;
	}
	j->doc = doc;
	j->done = done;
	j->ctx = ctx;
	j->fd = -1;
	x->queued++;
	pthread_mutex_lock(&x->mu);
	if (x->waiting_tail)
		x->waiting_tail->next = j;
	else
		x->waiting = j;
	x->waiting_tail = j;
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	return j;
}

void exporter_cancel(struct exporter *x, struct export_job *job)
{
	(void)x;
	atomic_store(&job->cancelled, 1); /* freed only by on_wake or exporter_stop, on this thread */
}

void exporter_stop(struct exporter *x)
{
	if (!x)
		return;
	pthread_mutex_lock(&x->mu);
	x->stopping = 1;
	if (x->running)
		atomic_store(&x->running->cancelled, 1);
	pthread_cond_signal(&x->cv);
	pthread_mutex_unlock(&x->mu);
	pthread_join(x->thread, NULL);
	struct export_job *lists[2] = {x->waiting, x->finished};
	for (int i = 0; i < 2; i++)
		while (lists[i]) {
			struct export_job *next = lists[i]->next;
			job_free(lists[i]);
			lists[i] = next;
		}
	ev_ref(x->loop);
	ev_async_stop(x->loop, &x->wake);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	free(x);
}
