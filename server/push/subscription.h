/* subscription.h: checking a browser's PushSubscription ({"endpoint", "keys": {"p256dh", "auth"}}) from push.subscribe. */
#ifndef SAMVAER_PUSH_SUBSCRIPTION_H
#define SAMVAER_PUSH_SUBSCRIPTION_H

#include <jansson.h>
#include <stdint.h>

#include "proto/errors.h"
#include "server/push/ece.h"
#include "server/store/store_push.h"

struct push_subscription {
	char endpoint[STORE_PUSH_ENDPOINT_MAX +
		      1];              /* https:// URL of the push service (http:// only on loopback, tests) */
	uint8_t p256dh[ECE_POINT_LEN]; /* uncompressed point on P-256 */
	uint8_t auth[ECE_AUTH_LEN];    /* 16-byte auth secret */
};

/* Check the request's members. PROTO_ERR_OK, or bad_request / push_endpoint_invalid / push_keys_invalid with
 * *why set to a stable "proto: ..." description. allow_http: config push_allow_http. */
enum proto_error push_subscription_parse(json_t *root, int allow_http, struct push_subscription *out, const char **why);
/* Check an endpoint alone (push.unsubscribe takes any string it could have stored). 1 = acceptable. */
int push_endpoint_valid(const char *endpoint, int allow_http);

#endif
