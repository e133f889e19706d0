/* random.h: the media path's CSPRNG (getrandom(2), OpenSSL RAND_bytes as fallback): SSRCs, SDP session ids, anything an outsider must not predict. */
#ifndef SAMVAER_MEDIA_RANDOM_H
#define SAMVAER_MEDIA_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/*
 * RFC 3550 §8.1 asks for random SSRCs, and SDP o= session ids should not repeat across starts; random() is
 * never seeded here and must not be used for either. Both functions are thread-safe and never fail: if the
 * kernel and OpenSSL both refuse (no entropy source at all), the process aborts rather than hand out
 * predictable values.
 */

/* n cryptographically random bytes. */
void media_random_bytes(void *out, size_t n);
/* A random 32-bit value other than 0 (0 means "none" for SSRCs in this code base). */
uint32_t media_random_u32_nonzero(void);

#endif
