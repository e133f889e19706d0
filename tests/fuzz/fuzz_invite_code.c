/* fuzz_invite_code.c: libFuzzer target for reading a typed invitation code (server/invites/invite_code.c).
 * Rules: never crash; anything accepted is 12 characters of the alphabet, shows as XXXX-XXXX-XXXX, and reads back
 * from that form (and from its lower case) to the same code and the same hash. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/invites/invite_code.h"

static int same(const struct invite_code *a, const struct invite_code *b)
{
	return !strcmp(a->lookup, b->lookup) && !strcmp(a->secret, b->secret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char typed[128], shown[INVITE_DISPLAY_LEN + 1], lower[INVITE_DISPLAY_LEN + 1];
	struct invite_code c, back, low;
	uint8_t h1[INVITE_HASH_LEN], h2[INVITE_HASH_LEN];
	if (size >= sizeof(typed))
		return 0;
	memcpy(typed, data, size);
	typed[size] = 0; /* the server reads a JSON string: NUL-terminated */
	if (invite_code_parse(typed, &c))
		return 0;
	if (strlen(c.lookup) != INVITE_LOOKUP_LEN || strlen(c.secret) != INVITE_SECRET_LEN ||
	    strspn(c.lookup, INVITE_ALPHABET) != INVITE_LOOKUP_LEN ||
	    strspn(c.secret, INVITE_ALPHABET) != INVITE_SECRET_LEN)
		abort();
	invite_code_display(&c, shown);
	for (size_t i = 0; i <= INVITE_DISPLAY_LEN; i++)
		lower[i] = (char)tolower((unsigned char)shown[i]);
	if (invite_code_parse(shown, &back) || !same(&c, &back) || invite_code_parse(lower, &low) || !same(&c, &low))
		abort();
	invite_code_hash(&c, h1);
	invite_code_hash(&back, h2);
	if (!invite_hash_equal(h1, h2))
		abort();
	return 0;
}
