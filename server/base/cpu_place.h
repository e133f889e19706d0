/* cpu_place.h: keeps one CPU for the control thread. Every message, call signal and HTTP request goes through the
 * control thread; photo and clip processing is long, bulky work that would otherwise share its CPU and its caches.
 * When the server may run on two CPUs or more, the control thread is pinned to one of them and background threads
 * (the media processing pool, the upload spool's writer, message-log compaction) keep to the others; every other thread may run anywhere
 * (docs/ARCHITECTURE.md, "Threads"). With one CPU nothing is pinned. Linux only.
 *
 * The placement is one per process: decided once by cpu_place_init at start, before any other thread exists, and
 * only read afterwards. Threads inherit their creator's CPUs, so the control thread pins itself last
 * (cpu_place_pin_control, when the long-lived threads are started), and a background thread started later by the
 * control thread calls cpu_place_background first. */
#ifndef SAMVAER_CPU_PLACE_H
#define SAMVAER_CPU_PLACE_H

#define CPU_PLACE_AUTO (-1) /* control_cpu: the first CPU the process may use, when it may use two or more */
#define CPU_PLACE_OFF (-2)  /* control_cpu: pin nothing */

/* Decides the placement: `want` is CPU_PLACE_AUTO, CPU_PLACE_OFF or a CPU number the process may use. Returns 0, or
 * -1 with err filled when `want` names a CPU the process may not use. */
int cpu_place_init(int want, char *err, int errlen);

/* Pins the calling (control) thread to its CPU, if one was decided. Returns that CPU, or -1. */
int cpu_place_pin_control(void);

/* The calling thread to the CPUs other than the control thread's (nothing when there is no placement). 0 or -1. */
int cpu_place_background(void);

#endif
