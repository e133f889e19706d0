/* cpu_place.c: the control thread on a CPU of its own, background threads on the others (cpu_place.h). */
#include "server/base/cpu_place.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static struct {
	int control;      /* the control thread's CPU; -1: no placement */
	cpu_set_t others; /* every other CPU the process may use */
} place = {.control = -1};

static int first_cpu(const cpu_set_t *set)
{
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, set))
			return i;
	return -1;
}

int cpu_place_init(int want, char *err, int errlen)
{
	place.control = -1;
	cpu_set_t allowed;
	if (want == CPU_PLACE_OFF || sched_getaffinity(0, sizeof allowed, &allowed) != 0)
		return 0;
	if (want >= 0 && (want >= CPU_SETSIZE || !CPU_ISSET(want, &allowed))) {
		snprintf(err, errlen, "control_cpu %d: this process may not run on that CPU", want);
		return -1;
	}
	if (CPU_COUNT(&allowed) < 2)
		return 0; /* one CPU: everything shares it, the scheduler's priorities decide */
	place.control = want >= 0 ? want : first_cpu(&allowed);
	place.others = allowed;
	CPU_CLR(place.control, &place.others);
	return 0;
}

int cpu_place_pin_control(void)
{
	if (place.control < 0)
		return -1;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(place.control, &one);
	return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0 ? place.control : -1;
}

int cpu_place_background(void)
{
	if (place.control < 0)
		return 0;
	return pthread_setaffinity_np(pthread_self(), sizeof place.others, &place.others) == 0 ? 0 : -1;
}
