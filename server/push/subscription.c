/* subscription.c: checks a PushSubscription from the network — the endpoint URL (https, or http on loopback when
 * configured; no user info, printable ASCII) and the browser's keys (a P-256 point, a 16-byte auth secret). */
#include "server/push/subscription.h"

#include <string.h>

#include "server/base/base64.h"
#include "server/push/vapid.h"

/* The host part of an origin "scheme://host[:port]", as bytes [host, host+len) without the port. */
static int loopback_host(const char *origin)
{
	const char *h = strstr(origin, "://") + 3;
	size_t n = strlen(h);
	if (h[0] == '[') /* IPv6 literal */
		return !strncmp(h, "[::1]", 5) && (h[5] == 0 || h[5] == ':');
	const char *colon = strchr(h, ':');
	if (colon)
		n = (size_t)(colon - h);
	if (n == 9 && !strncmp(h, "localhost", 9))
		return 1;
	if (n < 9 || n > 15 || strncmp(h, "127.", 4) != 0)
		return 0;
	for (size_t i = 4; i < n; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || h[i] == '.'))
			return 0;
	return 1;
}

int push_endpoint_valid(const char *endpoint, int allow_http)
{
	size_t len = strlen(endpoint);
	if (len == 0 || len > STORE_PUSH_ENDPOINT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)endpoint[i] <= 0x20 || (unsigned char)endpoint[i] >= 0x7f || endpoint[i] == '"' ||
		    endpoint[i] == '\\')
			return 0;
	char origin[VAPID_ORIGIN_MAX];
	if (vapid_origin(endpoint, origin, sizeof(origin)) != 0)
		return 0;
	if (!strncmp(origin, "https://", 8))
		return 1;
	return allow_http && !strncmp(origin, "http://", 7) && loopback_host(origin);
}

static int key_member(json_t *keys, const char *name, uint8_t *out, size_t want)
{
	json_t *v = json_object_get(keys, name);
	uint8_t buf[ECE_POINT_LEN + 3];
	if (!json_is_string(v))
		return -1;
	int n = b64_decode(B64_URL, json_string_value(v), json_string_length(v), buf, sizeof(buf));
	if (n != (int)want)
		return -1;
	memcpy(out, buf, want);
	return 0;
}

enum proto_error push_subscription_parse(json_t *root, int allow_http, struct push_subscription *out, const char **why)
{
	json_t *ep = json_object_get(root, "endpoint"), *keys = json_object_get(root, "keys");
	if (!json_is_string(ep) || !json_is_object(keys)) {
		*why = "proto: push.subscribe needs 'endpoint' (a string) and 'keys' (an object)";
		return PROTO_ERR_BAD_REQUEST;
	}
	const char *e = json_string_value(ep);
	if (json_string_length(ep) != strlen(e) || !push_endpoint_valid(e, allow_http)) {
		*why = allow_http ? "proto: 'endpoint' must be an https:// URL (or http:// on this machine)"
				  : "proto: 'endpoint' must be an https:// URL";
		return PROTO_ERR_PUSH_ENDPOINT_INVALID;
	}
	if (key_member(keys, "p256dh", out->p256dh, ECE_POINT_LEN) != 0 || !ece_point_valid(out->p256dh)) {
		*why = "proto: 'keys.p256dh' must be a base64url P-256 public key (65 bytes, uncompressed)";
		return PROTO_ERR_PUSH_KEYS_INVALID;
	}
	if (key_member(keys, "auth", out->auth, ECE_AUTH_LEN) != 0) {
		*why = "proto: 'keys.auth' must be a base64url 16-byte secret";
		return PROTO_ERR_PUSH_KEYS_INVALID;
	}
	memcpy(out->endpoint, e, strlen(e) + 1);
	return PROTO_ERR_OK;
}
