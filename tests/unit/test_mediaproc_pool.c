/* test_mediaproc_pool.c: server/mediaproc/pool.c — slots bound the queue (a full pool refuses a reservation, a
 * released or finished slot frees it), results come back on the loop's thread through the eventfd, once per job, and
 * destroying the pool answers what it still held as cancelled. */
#include <ev.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "server/mediaproc/mediaproc.h"

/* 16x16 PNG (greyscale), a real image the photo path accepts. */
static uint8_t png[512];
static size_t png_len;

struct mem {
	const uint8_t *d;
	size_t n;
	int *gate; /* while *gate is 1, pread waits: the test keeps a worker busy */
};

static ssize_t mem_pread(void *ctx, void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;
	while (m->gate && __atomic_load_n(m->gate, __ATOMIC_ACQUIRE))
		usleep(1000);
	if (off >= m->n)
		return 0;
	size_t k = m->n - off < len ? (size_t)(m->n - off) : len;
	memcpy(buf, m->d + off, k);
	return (ssize_t)k;
}

struct seen {
	int calls, ok, cancelled, refused;
	pthread_t thread;
	int wrong_thread;
	struct ev_loop *loop;
	int want;
};

static void on_done(void *arg, const struct mediaproc_result *r)
{
	struct seen *s = arg;
	s->calls++;
	s->ok += r->err == MEDIAPROC_OK;
	s->cancelled += r->err == MEDIAPROC_ERR_CANCELLED;
	s->refused += r->err != MEDIAPROC_OK && r->err != MEDIAPROC_ERR_CANCELLED;
	if (!pthread_equal(pthread_self(), s->thread))
		s->wrong_thread++;
	if (s->loop && s->calls >= s->want)
		ev_break(s->loop, EVBREAK_ALL);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop until `want` results arrived or 20 s passed. */
static void wait_for(struct ev_loop *loop, struct seen *s, int want)
{
	ev_timer t;
	s->want = want;
	s->loop = loop;
	ev_timer_init(&t, on_timeout, 20.0, 0);
	ev_timer_start(loop, &t);
	if (s->calls < want)
		ev_run(loop, 0);
	ev_timer_stop(loop, &t);
	s->loop = NULL;
}

static void *open_gate_later(void *gate)
{
	usleep(200000);
	__atomic_store_n((int *)gate, 0, __ATOMIC_RELEASE);
	return NULL;
}

static int make_png(const char *dir)
{
	char cmd[512], path[300];
	snprintf(path, sizeof path, "%s/p.png", dir);
	snprintf(cmd, sizeof cmd, "ffmpeg -v error -y -f lavfi -i testsrc2=size=16x16 -frames:v 1 -pix_fmt gray %s",
		 path);
	if (system(cmd) != 0)
		return -1;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	png_len = fread(png, 1, sizeof png, f);
	fclose(f);
	return png_len > 0 && png_len < sizeof png ? 0 : -1;
}

int main(void)
{
	char dir[] = "/tmp/samvaer-mpool-XXXXXX", root[64], err[200];
	if (!mkdtemp(dir) || make_png(dir) != 0)
		return 1;
	snprintf(root, sizeof root, "%s/blobs", dir);
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mediaproc_config cfg = {.threads = 1, .slots = 2};
	struct mediaproc_pool *p = mediaproc_pool_create(loop, &cfg, err, sizeof err);
	CHECK(p != NULL, "a pool of one thread and two slots starts");
	if (!p)
		return check_done("mediaproc_pool");
	struct seen s = {.thread = pthread_self()};
	int gate = 0;
	struct mem open_src = {png, png_len, NULL}, held_src = {png, png_len, &gate};

	struct mediaproc_slot *a = mediaproc_slot_reserve(p), *b = mediaproc_slot_reserve(p);
	CHECK(a && b && a != b, "two slots reserved");
	CHECK(mediaproc_slot_reserve(p) == NULL, "a third reservation is refused: the upload answers 503 upload_busy");
	struct mediaproc_stats st;
	mediaproc_pool_stats(p, &st);
	CHECK(st.slots == 2 && st.reserved == 2 && st.busy == 1, "stats: two reserved, one refusal counted");
	mediaproc_slot_release(p, b);
	CHECK((b = mediaproc_slot_reserve(p)) != NULL, "a released slot (tus termination) can be reserved again");

	struct mediaproc_job job = {MEDIAPROC_PHOTO, {mem_pread, &open_src, png_len}, root, 0, NULL};
	CHECK(mediaproc_submit(p, a, &job, on_done, &s) == MEDIAPROC_OK, "a job submitted on its slot");
	wait_for(loop, &s, 1);
	CHECK(s.calls == 1 && s.ok == 1, "its result arrives once, accepted");
	CHECK(s.wrong_thread == 0, "on the loop's thread, not the worker's");
	CHECK((a = mediaproc_slot_reserve(p)) != NULL, "a finished job's slot is free again");

	job.kind = MEDIAPROC_VOICE_NOTE; /* a PNG sent as a voice note */
	CHECK(mediaproc_submit(p, a, &job, on_done, &s) == MEDIAPROC_OK, "a wrong job is queued all the same");
	wait_for(loop, &s, 2);
	CHECK(s.calls == 2 && s.refused == 1, "and answered with its refusal");

	/* One job held inside its source keeps the only thread busy; the next waits in the queue. */
	__atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
	struct mediaproc_job held = {MEDIAPROC_PHOTO, {mem_pread, &held_src, png_len}, root, 0, NULL};
	a = mediaproc_slot_reserve(p);
	CHECK(a && mediaproc_submit(p, a, &held, on_done, &s) == MEDIAPROC_OK, "a slow job runs");
	job.kind = MEDIAPROC_PHOTO;
	CHECK(mediaproc_submit(p, b, &job, on_done, &s) == MEDIAPROC_OK, "another waits behind it");
	for (int i = 0; i < 200; i++) {
		mediaproc_pool_stats(p, &st);
		if (st.running == 1)
			break;
		usleep(10000);
	}
	CHECK(st.running == 1 && st.queued == 1 && mediaproc_slot_reserve(p) == NULL,
	      "one running, one queued: the pool is full");
	CHECK(mediaproc_submit(p, NULL, &job, on_done, &s) == MEDIAPROC_ERR_INTERNAL, "no slot, no job");
	pthread_t opener; /* opens the gate a moment after destroy has begun: the queued job never starts */
	pthread_create(&opener, NULL, open_gate_later, &gate);
	mediaproc_pool_destroy(p);
	pthread_join(opener, NULL);
	CHECK(s.calls == 4 && s.ok == 2 && s.cancelled == 1,
	      "destroy: the running job finished and was answered, the queued one answered as cancelled");
	CHECK(s.wrong_thread == 0, "every answer on the control thread");
	ev_loop_destroy(loop);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return check_done("mediaproc_pool");
}
