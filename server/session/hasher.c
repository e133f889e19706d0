/* hasher.c: a mutex/condvar job queue feeding worker threads; results return through ev_async. Off the hot path. */
#include "server/session/hasher.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 8

struct hasher {
	struct ev_loop *loop;
	ev_async wake; /* signalled by workers when results are ready */
	hasher_done_cb done;
	void *ctx;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct hasher_job *todo_head, *todo_tail; /* waiting for a worker */
	struct hasher_job *done_head;             /* finished, for the loop thread */
	int stopping;
	int nthreads;
	pthread_t threads[MAX_THREADS];
};

static void *worker(void *arg)
{
	struct hasher *h = arg;
	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->todo_head && !h->stopping)
			pthread_cond_wait(&h->cond, &h->lock);
		struct hasher_job *job = h->todo_head;
		if (!job)
			break;
		h->todo_head = job->next;
		if (!h->todo_head)
			h->todo_tail = NULL;
		pthread_mutex_unlock(&h->lock);
		if (job->op == HASHER_HASH) {
			job->password[job->password_len] = 0;
			job->result = !h->stopping && auth_password_hash(job->password, job->hash) == 0 ? 1 : -1;
		} else {
			const char *hash = job->account_id ? job->hash : auth_dummy_hash();
			/* Stopping: what is still queued fails unverified, so shutdown never waits for slow hashes. */
			job->result = h->stopping ? 0 : auth_password_verify(hash, job->password, job->password_len);
			if (!job->account_id)
				job->result = 0;
		}
		explicit_bzero(job->password, sizeof(job->password));
		pthread_mutex_lock(&h->lock);
		job->next = h->done_head;
		h->done_head = job;
		ev_async_send(h->loop, &h->wake);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct hasher *h = w->data;
	pthread_mutex_lock(&h->lock);
	struct hasher_job *list = h->done_head;
	h->done_head = NULL;
	pthread_mutex_unlock(&h->lock);
	/* The list is newest first; reverse it so results are handled in completion order. */
	struct hasher_job *ordered = NULL;
	while (list) {
		struct hasher_job *next = list->next;
		list->next = ordered;
		ordered = list;
		list = next;
	}
	while (ordered) {
		struct hasher_job *next = ordered->next;
		if (ordered->done)
			ordered->done(ordered, ordered->done_ctx);
		else
			h->done(ordered, h->ctx);
		ordered = next;
	}
}

struct hasher *hasher_start(struct ev_loop *loop, int threads, hasher_done_cb done, void *ctx)
{
	struct hasher *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->loop = loop;
	h->done = done;
	h->ctx = ctx;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	ev_async_init(&h->wake, on_wake);
	h->wake.data = h;
	ev_async_start(loop, &h->wake);
	ev_unref(loop); /* the hasher alone does not keep the loop alive */
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&h->threads[h->nthreads], NULL, worker, h) == 0)
			h->nthreads++;
	return h;
}

void hasher_submit(struct hasher *h, struct hasher_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&h->lock);
	if (h->todo_tail)
		h->todo_tail->next = job;
	else
		h->todo_head = job;
	h->todo_tail = job;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

void hasher_stop(struct hasher *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	for (int i = 0; i < h->nthreads; i++)
		pthread_join(h->threads[i], NULL);
	on_wake(h->loop, &h->wake, 0); /* deliver what finished, so every job is freed by its owner */
	ev_ref(h->loop);
	ev_async_stop(h->loop, &h->wake);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->cond);
	free(h);
}
