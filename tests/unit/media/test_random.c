/* test_random.c: unit tests for media/random: bytes fill the whole buffer and differ between calls, u32 is never 0. */
#include "media/random.h"

#include <string.h>
#include "tests/unit/media/check_media.h"

int main(void)
{
	/* Every byte position takes more than one value over 64 draws (a buffer left partly unfilled would not). */
	uint8_t first[37], b[37];
	unsigned changed[37] = {0};
	media_random_bytes(first, sizeof first);
	for (int r = 0; r < 64; r++) {
		memset(b, 0, sizeof b);
		media_random_bytes(b, sizeof b);
		for (size_t i = 0; i < sizeof b; i++)
			changed[i] += b[i] != first[i];
	}
	unsigned stuck = 0;
	for (size_t i = 0; i < sizeof b; i++)
		stuck += changed[i] == 0;
	CHECK(stuck == 0, "%u byte positions never changed over 64 draws", stuck);

	/* A large request (1 MiB + 3: more than one RAND_bytes chunk, and getrandom may return it in parts). */
	static uint8_t big[(1 << 20) + 3];
	media_random_bytes(big, sizeof big);
	size_t zero = 0;
	for (size_t i = 0; i < sizeof big; i++)
		zero += big[i] == 0;
	CHECK(zero < sizeof big / 128, "%zu zero bytes in %zu (expected about 1/256)", zero, sizeof big);

	/* u32: nonzero, and 1,000 draws have no duplicate pair in practice (birthday bound ~1e-4). */
	uint32_t v[1000];
	int zeros = 0, dups = 0;
	for (int i = 0; i < 1000; i++) {
		v[i] = media_random_u32_nonzero();
		zeros += v[i] == 0;
		for (int j = 0; j < i; j++)
			dups += v[j] == v[i];
	}
	CHECK(zeros == 0, "%d zero values", zeros);
	CHECK(dups <= 1, "%d duplicate values in 1,000 draws", dups);

	printf("media random: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
