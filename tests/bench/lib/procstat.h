/* procstat.h: what the bench tools read of another process from /proc — its CPU time and resident memory. */
#ifndef SAMVAER_BENCH_PROCSTAT_H
#define SAMVAER_BENCH_PROCSTAT_H

/* CPU seconds of process PID, all threads (utime + stime of /proc/PID/stat); -1 when unknown. */
double procstat_cpu_s(int pid);

/* VmRSS of process PID in KB (/proc/PID/status); -1 when unknown. */
long procstat_rss_kb(int pid);

/* CPU seconds of the calling process, user and system. */
double procstat_self_cpu_s(void);

#endif
