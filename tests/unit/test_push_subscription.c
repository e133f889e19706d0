/* test_push_subscription.c: the push.subscribe checks — which endpoints are accepted (https; http only on loopback
 * and only when allowed), and which keys (a P-256 point, a 16-byte auth secret), each with its error code; the
 * addresses the sender may connect to; the push_* settings. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <string.h>

#include "server/base/config.h"
#include "server/push/netcheck.h"
#include "server/push/subscription.h"
#include "tests/unit/check.h"

#define UA_PUBLIC "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
#define AUTH "BTBZMqHH6r4Tts7J_aSIgg"

static const struct {
	const char *url;
	int allow_http, want;
} endpoints[] = {
    {"https://fcm.googleapis.com/fcm/send/abc:def", 0, 1},
    {"https://updates.push.services.mozilla.com/wpush/v2/gAAAA", 0, 1},
    {"HTTPS://web.push.apple.com/QGuQ", 0, 1},
    {"http://push.example.net/x", 0, 0},
    {"http://push.example.net/x", 1, 0}, /* http only on loopback, even when allowed */
    {"http://127.0.0.1:8999/push/child", 0, 0},
    {"http://127.0.0.1:8999/push/child", 1, 1},
    {"http://localhost:8999/p", 1, 1},
    {"http://[::1]:8999/p", 1, 1},
    {"http://127.0.0.1.example.net/p", 1, 0},
    {"http://localhost.example.net/p", 1, 0},
    {"http://[::2]/p", 1, 0},
    {"https://user:pw@push.example.net/x", 0, 0},
    {"https://push.example.net/a b", 0, 0},
    {"https://push.example.net/\x7f", 0, 0},
    {"https://push.example.net/\"", 0, 0},
    {"ftp://push.example.net/x", 1, 0},
    {"javascript://push.example.net/x", 1, 0},
    {"https://", 0, 0},
    {"//push.example.net/x", 0, 0},
    {"", 0, 0},
};

static void test_endpoints(void)
{
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		CHECK(push_endpoint_valid(endpoints[i].url, endpoints[i].allow_http) == endpoints[i].want,
		      endpoints[i].url);
	char longer[STORE_PUSH_ENDPOINT_MAX + 2] = "https://push.example.net/";
	memset(longer + strlen(longer), 'a', sizeof(longer) - 1 - strlen(longer));
	longer[sizeof(longer) - 1] = 0;
	CHECK(!push_endpoint_valid(longer, 0), "an endpoint over 1024 bytes");
	longer[STORE_PUSH_ENDPOINT_MAX] = 0;
	CHECK(push_endpoint_valid(longer, 0), "an endpoint of exactly 1024 bytes");
}

static const struct {
	const char *name, *json;
	enum proto_error want;
} requests[] = {
    {"valid", "{\"endpoint\":\"https://p.example/1\",\"keys\":{\"p256dh\":\"" UA_PUBLIC "\",\"auth\":\"" AUTH "\"}}",
     PROTO_ERR_OK},
    {"padded base64url",
     "{\"endpoint\":\"https://p.example/1\",\"keys\":{\"p256dh\":\"" UA_PUBLIC "=\",\"auth\":\"" AUTH "==\"}}",
     PROTO_ERR_OK},
    {"no keys", "{\"endpoint\":\"https://p.example/1\"}", PROTO_ERR_BAD_REQUEST},
    {"keys not an object", "{\"endpoint\":\"https://p.example/1\",\"keys\":\"x\"}", PROTO_ERR_BAD_REQUEST},
    {"endpoint not a string", "{\"endpoint\":5,\"keys\":{}}", PROTO_ERR_BAD_REQUEST},
    {"http endpoint",
     "{\"endpoint\":\"http://p.example/1\",\"keys\":{\"p256dh\":\"" UA_PUBLIC "\",\"auth\":\"" AUTH "\"}}",
     PROTO_ERR_PUSH_ENDPOINT_INVALID},
    {"NUL inside the endpoint", "{\"endpoint\":\"https://p.example/\\u0000x\",\"keys\":{}}",
     PROTO_ERR_PUSH_ENDPOINT_INVALID},
    {"p256dh missing", "{\"endpoint\":\"https://p.example/1\",\"keys\":{\"auth\":\"" AUTH "\"}}",
     PROTO_ERR_PUSH_KEYS_INVALID},
    {"p256dh base64, not base64url",
     "{\"endpoint\":\"https://p.example/1\",\"keys\":{\"p256dh\":\"" UA_PUBLIC "+\",\"auth\":\"" AUTH "\"}}",
     PROTO_ERR_PUSH_KEYS_INVALID},
    {"p256dh off the curve",
     "{\"endpoint\":\"https://p.example/1\",\"keys\":{\"p256dh\":\"BAAAAAAAAAAAAAAAAAAAAAAAAAAA"
     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"auth\":\"" AUTH "\"}}",
     PROTO_ERR_PUSH_KEYS_INVALID},
    {"auth of 15 bytes",
     "{\"endpoint\":\"https://p.example/1\",\"keys\":{\"p256dh\":\"" UA_PUBLIC "\",\"auth\":\"BTBZMqHH6r4Tts7J_aSI\"}}",
     PROTO_ERR_PUSH_KEYS_INVALID},
    {"auth not a string", "{\"endpoint\":\"https://p.example/1\",\"keys\":{\"p256dh\":\"" UA_PUBLIC "\",\"auth\":16}}",
     PROTO_ERR_PUSH_KEYS_INVALID},
};

static void test_requests(void)
{
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		json_t *root = json_loads(requests[i].json, JSON_ALLOW_NUL, NULL);
		struct push_subscription sub;
		const char *why = NULL;
		CHECK(root != NULL, requests[i].name);
		enum proto_error e = root ? push_subscription_parse(root, 0, &sub, &why) : PROTO_ERR__COUNT;
		CHECK(e == requests[i].want, requests[i].name);
		CHECK(e == PROTO_ERR_OK || (why && !strncmp(why, "proto: ", 7)), requests[i].name);
		if (e == PROTO_ERR_OK)
			CHECK(!strcmp(sub.endpoint, "https://p.example/1") && sub.p256dh[0] == 0x04 &&
				  sub.auth[0] == 0x05,
			      "parsed members");
		json_decref(root);
	}
}

static const struct {
	const char *addr;
	int allow_loopback, want;
} addresses[] = {
    {"142.250.74.106", 0, 1},
    {"17.253.144.10", 0, 1},
    {"2a00:1450:400f:80d::200a", 0, 1},
    {"127.0.0.1", 0, 0},
    {"127.0.0.1", 1, 1},
    {"127.9.9.9", 1, 1},
    {"::1", 0, 0},
    {"::1", 1, 1},
    {"::ffff:127.0.0.1", 0, 0},
    {"::ffff:127.0.0.1", 1, 1},
    {"::ffff:10.1.2.3", 1, 0},
    {"::ffff:8.8.8.8", 0, 1},
    {"10.0.0.1", 1, 0},
    {"172.16.0.1", 0, 0},
    {"172.31.255.255", 0, 0},
    {"172.32.0.1", 0, 1},
    {"192.168.1.1", 0, 0},
    {"169.254.169.254", 1, 0},
    {"100.64.0.1", 0, 0},
    {"100.128.0.1", 0, 1},
    {"0.0.0.0", 1, 0},
    {"224.0.0.1", 0, 0},
    {"255.255.255.255", 0, 0},
    {"::", 1, 0},
    {"fd00::1", 0, 0},
    {"fe80::1", 0, 0},
    {"ff02::1", 0, 0},
};

static void test_addresses(void)
{
	for (size_t i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++) {
		struct sockaddr_storage ss = {0};
		if (strchr(addresses[i].addr, ':')) {
			struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
			a6->sin6_family = AF_INET6;
			CHECK(inet_pton(AF_INET6, addresses[i].addr, &a6->sin6_addr) == 1, addresses[i].addr);
		} else {
			struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
			a4->sin_family = AF_INET;
			CHECK(inet_pton(AF_INET, addresses[i].addr, &a4->sin_addr) == 1, addresses[i].addr);
		}
		CHECK(push_address_allowed((struct sockaddr *)&ss, addresses[i].allow_loopback) == addresses[i].want,
		      addresses[i].addr);
	}
	struct sockaddr unix_sa = {.sa_family = AF_UNIX};
	CHECK(!push_address_allowed(&unix_sa, 1), "another address family");
}

static void test_settings(void)
{
	struct config c;
	char err[256];
	config_defaults(&c);
	CHECK(!strcmp(c.push_subject, "mailto:operator@localhost") && c.push_allow_http == 0, "defaults");
	CHECK(config_set(&c, "push_subject", "mailto:care@kommune.example", err, sizeof(err)) == 0 &&
		  !strcmp(c.push_subject, "mailto:care@kommune.example"),
	      "a mailto: subject");
	CHECK(config_set(&c, "push_subject", "https://samvaer.example/contact", err, sizeof(err)) == 0,
	      "an https subject");
	CHECK(config_set(&c, "push_subject", "operator@localhost", err, sizeof(err)) == -1, "no scheme refused");
	CHECK(config_set(&c, "push_subject", "mailto:a\"b", err, sizeof(err)) == -1, "a quote refused");
	CHECK(!strcmp(c.push_subject, "https://samvaer.example/contact"), "a refused value leaves the setting");
	CHECK(config_set(&c, "push_allow_http", "1", err, sizeof(err)) == 0 && c.push_allow_http == 1, "allow http");
	CHECK(config_set(&c, "push_allow_http", "2", err, sizeof(err)) == -1, "allow http is 0 or 1");
}

int main(void)
{
	test_endpoints();
	test_requests();
	test_addresses();
	test_settings();
	return check_done("push_subscription");
}
