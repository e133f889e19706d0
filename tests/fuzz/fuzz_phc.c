/* fuzz_phc.c: libFuzzer target for reading a stored password hash (server/session/phc.c). Rules: never crash; what
 * is accepted is within the bounds and writes back to exactly the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/session/phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256], back[256];
	struct phc h;
	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0; /* stored as TEXT: NUL-terminated */
	if (phc_decode(s, &h))
		return 0;
	if (h.m_kib > PHC_M_MAX || h.t < 1 || h.t > PHC_T_MAX || h.p < 1 || h.p > PHC_P_MAX ||
	    h.salt_len < PHC_SALT_MIN || h.salt_len > PHC_SALT_MAX || h.hash_len < PHC_HASH_MIN ||
	    h.hash_len > PHC_HASH_MAX)
		abort();
	if (phc_encode(&h, back, sizeof back) != (int)strlen(s) || strcmp(back, s))
		abort();
	return 0;
}
