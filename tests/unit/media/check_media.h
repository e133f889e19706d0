/* check_media.h: what the media unit tests share — a CHECK that records failures with a printf-style reason,
 * and hex vectors to bytes. Header-only: each test binary includes it once. */
#ifndef SAMVAER_TEST_CHECK_MEDIA_H
#define SAMVAER_TEST_CHECK_MEDIA_H

#include <stdint.h>
#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (cond) {                                                    \
			passed++;                                              \
		} else {                                                       \
			failed++;                                              \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
		}                                                              \
	} while (0)

/* Hex to bytes; anything that is not a hex digit (spaces, '|') separates. Returns the length. */
static inline size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0)
			hi = v;
		else
			out[n++] = (uint8_t)(hi << 4 | v), hi = -1;
	}
	return n;
}

#endif
