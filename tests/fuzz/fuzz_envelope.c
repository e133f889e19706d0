/* fuzz_envelope.c: libFuzzer target for the samvaer.v1 request decoder and the text checks.
 * Rules: never crash; anything accepted must encode again and decode to the same id and type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/envelope.h"
#include "proto/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request r, again;
	char err[PROTO_ERRBUF];
	enum proto_error e = proto_decode_request(&r, (const char *)data, size, err);
	if (e == PROTO_ERR_OK) {
		char *text = json_dumps(r.root, JSON_COMPACT);
		if (!text || proto_decode_request(&again, text, strlen(text), err) != PROTO_ERR_OK)
			abort();
		if (strcmp(r.type, again.type) != 0 || !json_equal(r.id, again.id))
			abort();
		const char *t;
		size_t len;
		if (proto_param_string(&r, "text", 0, PROTO_MAX_FRAME, &t, &len, err) == PROTO_ERR_OK)
			proto_text_check(t, len);
		int64_t v;
		proto_param_int(&r, "agreement_id", 1, 1, INT64_MAX, &v, err);
		size_t n;
		char *resp = proto_encode_ok(r.id, json_deep_copy(r.root), &n);
		free(resp);
		proto_request_free(&again);
		free(text);
	} else if (strncmp(err, "proto: ", 7) != 0) {
		abort();
	}
	if (r.id) {
		size_t n;
		free(proto_encode_error(r.id, "bad_request", err, NULL, &n));
	}
	proto_request_free(&r);
	proto_utf8_length((const char *)data, size);
	return 0;
}
