/* fuzz_mediaproc_sniff.c: libFuzzer target for content sniffing (server/mediaproc/sniff.c). Rules: never crash or
 * read out of bounds; every answer is a documented code; an accepted file has a type and its MIME type, and the
 * answer does not change when the same bytes are read again (the walk keeps no state between files). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/mediaproc/sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sniff_result a, b;
	int rc = sniff_buffer(data, size, &a);
	switch (rc) {
	case MEDIAPROC_OK:
		if (a.type == SNIFF_UNKNOWN || !a.mime[0] || strcmp(a.mime, sniff_type_mime(a.type)) != 0)
			abort();
		break;
	case MEDIAPROC_ERR_UNSUPPORTED:
	case MEDIAPROC_ERR_CORRUPT:
	case MEDIAPROC_ERR_TRUNCATED:
	case MEDIAPROC_ERR_POLYGLOT:
	case MEDIAPROC_ERR_EMPTY:
		if (a.type != SNIFF_UNKNOWN || !a.detail[0])
			abort();
		break;
	default: abort(); /* a memory source never fails to read */
	}
	if (sniff_buffer(data, size, &b) != rc || b.type != a.type || strcmp(a.detail, b.detail) != 0)
		abort();
	return 0;
}
