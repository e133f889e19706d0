/* test_turn.c: TURN REST credentials (HMAC-SHA1 vectors), usernames, who may get them, and the turn_* settings. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/agreements/agreements.h"
#include "server/base/config.h"
#include "server/policy/policy.h"
#include "server/calls/turn.h"
#include "tests/unit/check.h"

/* Base64 of HMAC-SHA1(key, message): RFC 2202 §3 test cases 1 and 2, and TURN REST usernames
 * (expected values computed independently with Python's hmac module). */
static const struct {
	const char *name;
	const char *key;
	size_t key_len;
	const char *message;
	const char *want;
} hmac_cases[] = {
    {"rfc2202 case 1", "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b", 20,
     "Hi There", "thcxhlUFcmTii8C2+zeMjvFGvgA="}, /* hex b617318655057264e28bc0b6fb378c8ef146be00 */
    {"rfc2202 case 2", "Jefe", 4, "what do ya want for nothing?", "7/zfauXrL6LSdBbV8YTfnCWafHk="},
    {"turn rest username", "north-secret", 12, "1735689600:42", "hwMvliwSaK2xeOyKMn7eWcSTcek="},
    {"empty key and message", "", 0, "", "+9sdGxiqbAgyS31ktx+3Y3BpDh0="},
};

static void test_credentials(void)
{
	for (size_t i = 0; i < sizeof(hmac_cases) / sizeof(hmac_cases[0]); i++) {
		char out[TURN_CREDENTIAL_MAX];
		int n =
		    turn_credential(hmac_cases[i].key, hmac_cases[i].key_len, hmac_cases[i].message, out, sizeof(out));
		CHECK(n == 28, hmac_cases[i].name);
		CHECK(n == 28 && strcmp(out, hmac_cases[i].want) == 0, hmac_cases[i].name);
	}
	char small[28];
	CHECK(turn_credential("k", 1, "m", small, sizeof(small)) == -1,
	      "credential refuses a buffer without room for NUL");
}

static void test_usernames(void)
{
	char out[TURN_USERNAME_MAX];
	CHECK(turn_username(1735689600, 42, out, sizeof(out)) == 13 && !strcmp(out, "1735689600:42"), "username");
	CHECK(turn_username(INT64_MAX, INT64_MAX, out, sizeof(out)) == 39, "largest username fits TURN_USERNAME_MAX");
	char tiny[8];
	CHECK(turn_username(1735689600, 42, tiny, sizeof(tiny)) == -1, "username too long for the buffer");
}

/* Accounts may get relay credentials only with an active agreement whose voice or video call is not off. */
static void test_may_relay(void)
{
	struct agreement a = {.id = 1, .status = AG_ACTIVE}, b = {.id = 2, .status = AG_SUSPENDED};
	struct agreement *items[2] = {&a, &b};
	struct agreement_list none = {0, 0, NULL}, one = {1, 1, items}, two = {2, 2, items}, only_b = {1, 1, items + 1};
	int reason = -1;
	CHECK(!turn_may_relay(&none, &reason) && reason == REASON_NO_AGREEMENT, "no agreement: denied");
	CHECK(!turn_may_relay(&one, &reason) && reason == REASON_CHANNEL_OFF, "active, calls off: channel_off");
	a.channels[CH_TEXT] = MODE_ALLOWED;
	CHECK(!turn_may_relay(&one, &reason) && reason == REASON_CHANNEL_OFF, "text only: channel_off");
	a.channels[CH_VOICE_CALL] = MODE_MODERATED;
	CHECK(turn_may_relay(&one, &reason), "supervised voice call: allowed");
	a.channels[CH_VOICE_CALL] = MODE_OFF;
	a.channels[CH_VIDEO_CALL] = MODE_ALLOWED;
	CHECK(turn_may_relay(&two, &reason), "video call on one of two: allowed");
	b.channels[CH_VIDEO_CALL] = MODE_ALLOWED;
	reason = -1;
	CHECK(!turn_may_relay(&only_b, &reason) && reason == REASON_NO_AGREEMENT, "suspended agreement: no_agreement");
	a.status = AG_ENDED;
	CHECK(!turn_may_relay(&two, &reason), "ended and suspended: denied");
}

static void test_config(void)
{
	struct config c;
	char err[256];
	config_defaults(&c);
	CHECK(c.turn_ttl_s == 3600 && !c.turn_uris[0] && !c.turn_secret[0], "defaults: no TURN, 1 h");
	CHECK(config_set(&c, "turn_uris", "turn:127.0.0.1:3478?transport=udp", err, sizeof(err)) == 0, "turn_uris");
	CHECK(config_set(&c, "turn_ttl_s", "59", err, sizeof(err)) == -1, "turn_ttl_s below a minute refused");
	CHECK(config_set(&c, "turn_ttl_s", "600", err, sizeof(err)) == 0 && c.turn_ttl_s == 600, "turn_ttl_s");
	char path[] = "/tmp/samvaer-turn-secret-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0, "temp file");
	if (fd < 0)
		return;
	CHECK(write(fd, "s3cret value\nignored\n", 21) == 21, "write secret");
	close(fd);
	CHECK(config_set(&c, "turn_secret_file", path, err, sizeof(err)) == 0 && !strcmp(c.turn_secret, "s3cret value"),
	      "turn_secret_file reads the first line");
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
	CHECK(config_set(&c, "turn_secret_file", path, err, sizeof(err)) == -1, "empty turn_secret_file refused");
	unlink(path);
	CHECK(config_set(&c, "turn_secret_file", path, err, sizeof(err)) == -1, "missing turn_secret_file refused");
}

int main(void)
{
	test_credentials();
	test_usernames();
	test_may_relay();
	test_config();
	return check_done("turn");
}
