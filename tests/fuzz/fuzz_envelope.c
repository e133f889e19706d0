/* fuzz_envelope.c: libFuzzer target for the samvaer.v1 request decoder, its flat fast path and the text checks.
 * Rules: never crash; the decoder answers exactly as the jansson-only decoder does (same code; when accepted the
 * same id, type and member readings), so the flat path can never accept what the tree refuses or read a member
 * differently; anything accepted must encode again and decode to the same id and type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/envelope.h"
#include "proto/text.h"

static const char *const members[] = {"id", "type", "text", "client_key", "agreement_id", "kind", "seq", "x"};

/* proto_param_string and proto_param_int read every member alike through both decoders. */
static void same_members(const struct proto_request *a, const struct proto_request *b)
{
	char ea[PROTO_ERRBUF], eb[PROTO_ERRBUF];
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		const char *sa = NULL, *sb = NULL;
		size_t la = 0, lb = 0;
		enum proto_error ra = proto_param_string(a, members[i], 0, PROTO_MAX_FRAME, &sa, &la, ea);
		enum proto_error rb = proto_param_string(b, members[i], 0, PROTO_MAX_FRAME, &sb, &lb, eb);
		if (ra != rb || (ra == PROTO_ERR_OK && (la != lb || memcmp(sa, sb, la) != 0 || sa[la] != '\0')) ||
		    (ra != PROTO_ERR_OK && strcmp(ea, eb) != 0))
			abort();
		int64_t va = -1, vb = -1;
		ra = proto_param_int(a, members[i], 1, 0, INT64_MAX, &va, ea);
		rb = proto_param_int(b, members[i], 1, 0, INT64_MAX, &vb, eb);
		if (ra != rb || va != vb || (ra != PROTO_ERR_OK && strcmp(ea, eb) != 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request r, tree, again;
	char err[PROTO_ERRBUF], terr[PROTO_ERRBUF];
	enum proto_error e = proto_decode_request(&r, (const char *)data, size, err);
	enum proto_error te = proto_decode_request_tree(&tree, (const char *)data, size, terr);
	if (e != te || (!r.id) != (!tree.id) || (r.id && !json_equal(r.id, tree.id)))
		abort();
	if (e == PROTO_ERR_OK) {
		if (strcmp(r.type, tree.type) != 0)
			abort();
		same_members(&r, &tree);
		char *text = json_dumps(tree.root, JSON_COMPACT);
		if (!text || proto_decode_request(&again, text, strlen(text), err) != PROTO_ERR_OK)
			abort();
		if (strcmp(r.type, again.type) != 0 || !json_equal(r.id, again.id))
			abort();
		const char *t;
		size_t len;
		if (proto_param_string(&r, "text", 0, PROTO_MAX_FRAME, &t, &len, err) == PROTO_ERR_OK)
			proto_text_check(t, len);
		size_t n;
		char *resp = proto_encode_ok(r.id, json_deep_copy(tree.root), &n);
		free(resp);
		proto_request_free(&again);
		free(text);
	} else if (strncmp(err, "proto: ", 7) != 0 || strcmp(err, terr) != 0) {
		abort();
	}
	if (r.id) {
		size_t n;
		free(proto_encode_error(r.id, "bad_request", err, NULL, &n));
	}
	proto_request_free(&r);
	proto_request_free(&tree);
	proto_utf8_length((const char *)data, size);
	return 0;
}
