/* pool.c: the processing pool — a fixed set of slots (reserved, queued, running, done), worker threads at idle
 * priority and off the control thread's CPU taking queued jobs, and finished jobs handed back to the control thread through an eventfd on its loop. */
#include "server/mediaproc/mediaproc.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server/base/cpu_place.h"
#include "server/mediaproc/mediaproc_internal.h"

enum slot_state { SLOT_FREE, SLOT_RESERVED, SLOT_QUEUED, SLOT_RUNNING, SLOT_DONE };

struct mediaproc_slot {
	struct mediaproc_slot *next; /* in the queue or the done list */
	enum slot_state state;       /* changed under the pool's lock */
	struct mediaproc_job job;    /* blob_root points at root */
	char root[512];              /* copied at submit */
	mediaproc_done_cb done;      /* called on the control thread */
	void *arg;
	struct mediaproc_result result; /* written by the worker that ran it */
};

struct mediaproc_pool {
	struct ev_loop *loop;
	ev_io io; /* efd readable: results are waiting */
	int efd;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a job was queued, or stopping */
	struct mediaproc_slot *slots;
	unsigned nslots;
	struct mediaproc_slot *q_head, *q_tail; /* queued, oldest first */
	struct mediaproc_slot *d_head, *d_tail; /* done, not yet reported */
	pthread_t *threads;
	unsigned nthreads, started;
	int stopping;
	struct mediaproc_limits limits;
	uint64_t done_ok, done_refused, busy;
};

static void push(struct mediaproc_slot **head, struct mediaproc_slot **tail, struct mediaproc_slot *s)
{
	s->next = NULL;
	if (*tail)
		(*tail)->next = s;
	else
		*head = s;
	*tail = s;
}

static void wake_control(struct mediaproc_pool *p)
{
	uint64_t one = 1;
	if (write(p->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		perror("mediaproc: eventfd write");
}

static void *worker_main(void *arg)
{
	struct mediaproc_pool *p = arg;
	/* Below everything else: any thread that wakes up (the control thread, a media worker) takes the CPU at once
	 * (SCHED_IDLE; nice 19 where that is refused); and on a CPU other than the control thread's when it has one. */
	pthread_setname_np(pthread_self(), "mediaproc"); /* in top -H, ps -T and /proc/PID/task/TID/comm */
	/* The CPU first: once idle, a busy machine may not run this thread again for a while. */
	if (cpu_place_background() != 0)
		perror("mediaproc: CPU affinity");
	struct sched_param idle = {0};
	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle) != 0 &&
	    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0)
		perror("mediaproc: setpriority");
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stopping && !p->q_head)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping)
			break;
		struct mediaproc_slot *s = p->q_head;
		p->q_head = s->next;
		if (!p->q_head)
			p->q_tail = NULL;
		s->state = SLOT_RUNNING;
		pthread_mutex_unlock(&p->mu);
		mediaproc_process(&s->job, &p->limits, &s->result);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		push(&p->d_head, &p->d_tail, s);
		wake_control(p);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Report every finished job on the control thread, then free its slot. */
static void deliver(struct mediaproc_pool *p)
{
	pthread_mutex_lock(&p->mu);
	struct mediaproc_slot *s = p->d_head;
	p->d_head = p->d_tail = NULL;
	pthread_mutex_unlock(&p->mu);
	while (s) {
		struct mediaproc_slot *next = s->next;
		if (s->result.err == MEDIAPROC_OK)
			p->done_ok++;
		else
			p->done_refused++;
		s->done(s->arg, &s->result);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_FREE;
		pthread_mutex_unlock(&p->mu);
		s = next;
	}
}

static void on_results(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mediaproc_pool *p = w->data;
	uint64_t v;
	if (read(p->efd, &v, sizeof v) < 0 && errno != EAGAIN)
		perror("mediaproc: eventfd read");
	deliver(p);
}

/* One fewer than the CPUs this process may use (the control thread keeps one), at least 1. */
static unsigned default_threads(void)
{
	cpu_set_t allowed;
	int n = sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? CPU_COUNT(&allowed) : 1;
	return n > 2 ? (unsigned)(n - 1) : 1;
}

struct mediaproc_pool *mediaproc_pool_create(struct ev_loop *loop, const struct mediaproc_config *cfg, char *err,
					     size_t errlen)
{
	struct mediaproc_pool *p = calloc(1, sizeof *p);
	if (!p) {
		snprintf(err, errlen, "mediaproc: out of memory");
		return NULL;
	}
	p->loop = loop;
	p->nthreads = cfg && cfg->threads ? cfg->threads : default_threads();
	p->nslots = cfg && cfg->slots ? cfg->slots : 4 * p->nthreads;
	if (cfg)
		p->limits = cfg->limits;
	mediaproc_limits_default(&p->limits);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->slots = calloc(p->nslots, sizeof *p->slots);
	p->threads = calloc(p->nthreads, sizeof *p->threads);
	if (p->efd < 0 || !p->slots || !p->threads || mediaproc__vips_init() != 0) {
		snprintf(err, errlen, "mediaproc: eventfd, memory or libvips setup failed");
		goto fail;
	}
	for (; p->started < p->nthreads; p->started++)
		if (pthread_create(&p->threads[p->started], NULL, worker_main, p) != 0) {
			snprintf(err, errlen, "mediaproc: cannot start a worker thread");
			goto fail;
		}
	ev_io_init(&p->io, on_results, p->efd, EV_READ);
	p->io.data = p;
	ev_io_start(loop, &p->io);
	ev_unref(loop);
	return p;
fail:
	p->loop = NULL; /* no watcher was started */
	mediaproc_pool_destroy(p);
	return NULL;
}

void mediaproc_pool_destroy(struct mediaproc_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	for (struct mediaproc_slot *s = p->q_head, *next; s; s = next) { /* not started: answered as cancelled */
		next = s->next;
		memset(&s->result, 0, sizeof s->result);
		s->result.kind = s->job.kind;
		s->result.err = MEDIAPROC_ERR_CANCELLED;
		s->state = SLOT_DONE;
		push(&p->d_head, &p->d_tail, s);
	}
	p->q_head = p->q_tail = NULL;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->threads[i], NULL);
	deliver(p); /* running jobs finished before their thread stopped */
	if (p->loop) {
		ev_ref(p->loop);
		ev_io_stop(p->loop, &p->io);
	}
	if (p->efd >= 0)
		close(p->efd);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p->slots);
	free(p);
}

struct mediaproc_slot *mediaproc_slot_reserve(struct mediaproc_pool *p)
{
	struct mediaproc_slot *found = NULL;
	pthread_mutex_lock(&p->mu);
	for (unsigned i = 0; i < p->nslots && !found && !p->stopping; i++)
		if (p->slots[i].state == SLOT_FREE) {
			found = &p->slots[i];
			found->state = SLOT_RESERVED;
		}
	if (!found)
		p->busy++;
	pthread_mutex_unlock(&p->mu);
	return found;
}

void mediaproc_slot_release(struct mediaproc_pool *p, struct mediaproc_slot *s)
{
	pthread_mutex_lock(&p->mu);
	if (s && s->state == SLOT_RESERVED)
		s->state = SLOT_FREE;
	pthread_mutex_unlock(&p->mu);
}

int mediaproc_submit(struct mediaproc_pool *p, struct mediaproc_slot *s, const struct mediaproc_job *job,
		     mediaproc_done_cb done, void *arg)
{
	if (!s || !job || !done || !job->blob_root || strlen(job->blob_root) >= sizeof s->root) {
		mediaproc_slot_release(p, s);
		return MEDIAPROC_ERR_INTERNAL;
	}
	pthread_mutex_lock(&p->mu);
	if (s->state != SLOT_RESERVED) {
		pthread_mutex_unlock(&p->mu);
		return MEDIAPROC_ERR_INTERNAL;
	}
	s->job = *job;
	snprintf(s->root, sizeof s->root, "%s", job->blob_root);
	s->job.blob_root = s->root;
	s->done = done;
	s->arg = arg;
	s->state = SLOT_QUEUED;
	push(&p->q_head, &p->q_tail, s);
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return MEDIAPROC_OK;
}

void mediaproc_pool_stats(const struct mediaproc_pool *p, struct mediaproc_stats *out)
{
	struct mediaproc_pool *m = (struct mediaproc_pool *)p; /* the lock only */
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&m->mu);
	out->slots = p->nslots;
	for (unsigned i = 0; i < p->nslots; i++) {
		out->reserved += p->slots[i].state == SLOT_RESERVED;
		out->queued += p->slots[i].state == SLOT_QUEUED;
		out->running += p->slots[i].state == SLOT_RUNNING;
	}
	out->done_ok = p->done_ok;
	out->done_refused = p->done_refused;
	out->busy = p->busy;
	pthread_mutex_unlock(&m->mu);
}
