/* check.h: a tiny table-test helper — CHECK records failures by name, check_done prints the summary line. */
#ifndef SAMVAER_TEST_CHECK_H
#define SAMVAER_TEST_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, name)                                                                          \
	do {                                                                                       \
		if (cond)                                                                          \
			check_passed++;                                                            \
		else {                                                                             \
			check_failed++;                                                            \
			fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, name, #cond); \
		}                                                                                  \
	} while (0)

static inline int check_done(const char *suite)
{
	printf("%s: %d passed, %d failed\n", suite, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
