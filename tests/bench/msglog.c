/* msglog.c (bench-msglog): the message log's index on its own — the cost of an append, the longest single
 * append (what one send can hold the event loop for while the key table grows), and an idempotency-key lookup
 * that misses, as every new send's does. Three million messages over 500 conversations, written 2,000 at a
 * time without fsync, into a new temporary directory (under argv[1] when given) that is removed at the end. */
#include "server/store/msglog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MESSAGES 3000000L
#define CONVERSATIONS 500
#define LOOKUPS 1000000L

static double ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	/* Always a fresh directory of our own (under argv[1] when given), so no existing log is touched. */
	char dir[256], path[300], err[256], key[32];
	snprintf(dir, sizeof(dir), "%s/samvaer-bench-msglog-XXXXXX", argc > 1 ? argv[1] : "/tmp");
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	snprintf(path, sizeof(path), "%s/messages.log", dir);
	struct msglog *l = msglog_open(path, 1, err, sizeof(err));
	if (!l)
		return fprintf(stderr, "%s\n", err), 1;
	static int64_t seq[CONVERSATIONS];
	double worst = 0, start = ms_now();
	long worst_at = 0;
	for (long i = 0; i < MESSAGES; i++) {
		int c = (int)(i % CONVERSATIONS);
		int kl = snprintf(key, sizeof(key), "k%ld", i);
		struct msglog_record r = {c + 1, ++seq[c], 7, i, key, (size_t)kl, "see you on sunday", 17};
		double t = ms_now();
		if (msglog_append(l, &r) != MSGLOG_OK)
			return fprintf(stderr, "append %ld failed\n", i), 1;
		double d = ms_now() - t;
		if (d > worst) {
			worst = d;
			worst_at = i;
		}
		if (i % 2000 == 1999 && msglog_write(l) != 0)
			return perror("msglog_write"), 1;
	}
	double appended = ms_now();
	long wrong = 0;
	for (long i = 0; i < LOOKUPS; i++) {
		int kl = snprintf(key, sizeof(key), "new-%ld", i);
		wrong += msglog_find_key(l, i % CONVERSATIONS + 1, 7, key, (size_t)kl) != 0;
	}
	double looked = ms_now();
	printf("bench-msglog: %ld appends: %.0f ns each; longest single append %.2f ms (message %ld)\n", MESSAGES,
	       (appended - start) * 1e6 / MESSAGES, worst, worst_at);
	printf("bench-msglog: %ld key lookups that miss: %.0f ns each\n", LOOKUPS, (looked - appended) * 1e6 / LOOKUPS);
	msglog_close(l);
	unlink(path);
	rmdir(dir);
	return wrong != 0;
}
