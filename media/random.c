/* random.c: CSPRNG for the media path: getrandom(2) from the kernel pool, OpenSSL RAND_bytes if the syscall is unavailable. */
#include "media/random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <openssl/rand.h>

/* Everything from getrandom (blocks only until the pool is first initialised, at boot); on ENOSYS or any other
 * error the rest comes from RAND_bytes (OpenSSL's DRBG, itself seeded from the kernel). */
void media_random_bytes(void *out, size_t n)
{
	unsigned char *p = out;
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got > 0) {
			p += got, n -= (size_t)got;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		break;
	}
	while (n > 0) {
		int chunk = n > 1 << 20 ? 1 << 20 : (int)n;
		if (RAND_bytes(p, chunk) != 1) {
			fputs("media: no source of random bytes (getrandom and RAND_bytes failed)\n", stderr);
			abort();
		}
		p += chunk, n -= (size_t)chunk;
	}
}

uint32_t media_random_u32_nonzero(void)
{
	uint32_t v;
	do
		media_random_bytes(&v, sizeof v);
	while (v == 0);
	return v;
}
