/* fuzz_readable_code.c: libFuzzer target for reading a typed pairing or invitation code
 * (server/base/readable_code.c). Rules: never crash; anything accepted is 12 characters of the alphabet, shows as
 * XXXX-XXXX-XXXX, and reads back from that form (and from its lower case) to the same code and the same hash. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/readable_code.h"

static int same(const struct rcode *a, const struct rcode *b)
{
	return !strcmp(a->text, b->text) && !strcmp(a->lookup, b->lookup) && !strcmp(a->secret, b->secret) &&
	    rcode_hash_equal(a->secret_hash, b->secret_hash);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char typed[128], lower[RCODE_TEXT_LEN + 1];
	struct rcode c, back, low;
	if (size >= sizeof(typed))
		return 0;
	memcpy(typed, data, size);
	typed[size] = 0; /* the server reads a JSON string: NUL-terminated */
	if (rcode_parse(typed, &c))
		return 0;
	if (strlen(c.lookup) != RCODE_LOOKUP_LEN || strlen(c.secret) != RCODE_SECRET_LEN ||
	    strspn(c.lookup, RCODE_ALPHABET) != RCODE_LOOKUP_LEN ||
	    strspn(c.secret, RCODE_ALPHABET) != RCODE_SECRET_LEN || strlen(c.text) != RCODE_TEXT_LEN ||
	    c.text[4] != '-' || c.text[9] != '-')
		abort();
	for (size_t i = 0; i <= RCODE_TEXT_LEN; i++)
		lower[i] = (char)tolower((unsigned char)c.text[i]);
	if (rcode_parse(c.text, &back) || !same(&c, &back) || rcode_parse(lower, &low) || !same(&c, &low))
		abort();
	return 0;
}
