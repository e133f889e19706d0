/* fuzz_push_subscription.c: libFuzzer target for the push.subscribe checks (server/push/subscription.c) and the
 * base64url decoder under them. Rules: never crash; anything accepted is an https:// endpoint (or loopback
 * http:// when allowed) whose keys encode back to the same base64url the request carried, and an accepted
 * endpoint is accepted again on its own. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/base/base64.h"
#include "server/push/subscription.h"

static void same_key(json_t *keys, const char *name, const uint8_t *raw, size_t n)
{
	char enc[128];
	const char *given = json_string_value(json_object_get(keys, name));
	if (b64_encode(B64_URL, raw, n, enc, sizeof(enc)) < 0 || !given)
		abort();
	size_t glen = strlen(given);
	while (glen > 0 && given[glen - 1] == '=')
		glen--;
	if (glen != strlen(enc) || memcmp(given, enc, glen) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int allow_http = data[0] & 1;
	json_t *root = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
	if (!root)
		return 0;
	struct push_subscription sub;
	const char *why = NULL;
	enum proto_error e = push_subscription_parse(root, allow_http, &sub, &why);
	if (e != PROTO_ERR_OK && (!why || strncmp(why, "proto: ", 7) != 0))
		abort();
	if (e == PROTO_ERR_OK) {
		if (!push_endpoint_valid(sub.endpoint, allow_http) || sub.p256dh[0] != 0x04)
			abort();
		/* schemes are case-insensitive (RFC 3986 3.1): "HtTpS://" is https */
		if (strncasecmp(sub.endpoint, "https://", 8) != 0 &&
		    (!allow_http || strncasecmp(sub.endpoint, "http://", 7) != 0))
			abort();
		json_t *keys = json_object_get(root, "keys");
		same_key(keys, "p256dh", sub.p256dh, sizeof(sub.p256dh));
		same_key(keys, "auth", sub.auth, sizeof(sub.auth));
	}
	json_decref(root);
	return 0;
}
