/* test_cpu_place.c: server/base/cpu_place.c and the media pool's workers — with two CPUs or more the control thread
 * ends on one CPU, background threads (and the pool's workers, at SCHED_IDLE) on the others, threads started before
 * the pin run anywhere; a CPU the process may not use is refused at start; "off" pins nothing. With one CPU the test
 * checks that nothing is pinned. */
#include <dirent.h>
#include <ev.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "server/base/config.h"
#include "server/base/cpu_place.h"
#include "server/mediaproc/mediaproc.h"

static cpu_set_t allowed;

static int first_cpu(const cpu_set_t *s)
{
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, s))
			return i;
	return -1;
}

static cpu_set_t mine(void)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	pthread_getaffinity_np(pthread_self(), sizeof s, &s);
	return s;
}

static cpu_set_t seen_bg, seen_plain;

static void *background(void *arg)
{
	cpu_place_background();
	seen_bg = mine();
	return NULL;
}

static void *plain(void *arg)
{
	seen_plain = mine();
	return NULL;
}

static void run_thread(void *(*fn)(void *))
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, NULL) == 0)
		pthread_join(t, NULL);
}

/* The pool's worker thread, found by its name: its CPUs and scheduling policy. 0 when found. */
static int find_worker(cpu_set_t *cpus, int *policy)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int found = -1;
	while (d && (e = readdir(d)) && found != 0) {
		char path[300], name[32] = "";
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof name, f) && !strncmp(name, "mediaproc", 9)) {
			pid_t tid = atoi(e->d_name);
			*policy = sched_getscheduler(tid);
			found = sched_getaffinity(tid, sizeof *cpus, cpus);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

int main(void)
{
	sched_getaffinity(0, sizeof allowed, &allowed);
	int n = CPU_COUNT(&allowed), first = first_cpu(&allowed);
	char err[160] = "";

	struct config c;
	config_defaults(&c);
	CHECK(c.control_cpu == CPU_PLACE_AUTO, "control_cpu is auto by default");
	CHECK(config_set(&c, "control_cpu", "off", err, sizeof err) == 0 && c.control_cpu == CPU_PLACE_OFF, "off");
	CHECK(config_set(&c, "control_cpu", "3", err, sizeof err) == 0 && c.control_cpu == 3, "a CPU number");
	CHECK(config_set(&c, "control_cpu", "first", err, sizeof err) == -1, "anything else is refused");

	CHECK(cpu_place_init(CPU_SETSIZE - 1, err, sizeof err) == -1 && strstr(err, "may not run"),
	      "a CPU the process may not use is refused at start, with the reason");
	CHECK(cpu_place_init(CPU_PLACE_OFF, err, sizeof err) == 0 && cpu_place_pin_control() == -1,
	      "off: nothing is pinned");

	CHECK(cpu_place_init(CPU_PLACE_AUTO, err, sizeof err) == 0, "auto placement decided");
	run_thread(plain); /* before the pin, as the server's long-lived threads */
	{
		cpu_set_t before = seen_plain;
		CHECK(CPU_EQUAL(&before, &allowed), "a thread started before the pin may run on every CPU");
	}
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct mediaproc_config cfg = {.threads = 1, .slots = 1};
	struct mediaproc_pool *p = mediaproc_pool_create(loop, &cfg, err, sizeof err);
	CHECK(p != NULL, "a pool starts");
	int pinned = cpu_place_pin_control();
	cpu_set_t control = mine(), worker;
	int policy = -1, tries = 0;
	while (find_worker(&worker, &policy) != 0 || policy != SCHED_IDLE) /* the worker sets itself up as it starts */
		if (++tries > 200 || usleep(10000))
			break;
	run_thread(background);
	run_thread(plain);
	if (n >= 2) {
		cpu_set_t others = allowed;
		CPU_CLR(first, &others);
		CHECK(pinned == first && CPU_COUNT(&control) == 1 && CPU_ISSET(first, &control),
		      "two CPUs or more: the control thread keeps the first one to itself");
		CHECK(CPU_EQUAL(&seen_bg, &others), "a background thread runs on the other CPUs");
		CHECK(CPU_EQUAL(&worker, &others), "the media pool's worker runs on the other CPUs");
		CHECK(CPU_COUNT(&seen_plain) == 1 && CPU_ISSET(first, &seen_plain),
		      "a thread the control thread starts later inherits its CPU (hence cpu_place_background)");
	} else {
		CHECK(pinned == -1 && CPU_EQUAL(&control, &allowed), "one CPU: nothing is pinned");
		CHECK(CPU_EQUAL(&seen_bg, &allowed) && CPU_EQUAL(&worker, &allowed), "and background threads share it");
	}
	CHECK(policy == SCHED_IDLE, "the media pool's worker runs at SCHED_IDLE: any other thread takes the CPU first");
	mediaproc_pool_destroy(p);
	ev_loop_destroy(loop);
	printf("CPUs allowed: %d, control on %d\n", n, pinned);
	return check_done("cpu_place");
}
