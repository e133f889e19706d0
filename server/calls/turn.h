/* turn.h: time-limited TURN relay credentials (the TURN REST scheme, coturn's use-auth-secret) and call.ice. */
#ifndef SAMVAER_TURN_H
#define SAMVAER_TURN_H

#include <stddef.h>
#include <stdint.h>

struct session;
struct proto_request;
struct agreement_list;

#define TURN_USERNAME_MAX 48   /* "<expiry>:<account>" with two 64-bit integers, plus NUL */
#define TURN_CREDENTIAL_MAX 32 /* base64 of a 20-byte HMAC-SHA1 is 28 characters, plus NUL */

/* username = "<expiry unix seconds>:<account id>". Returns its length, or -1 if it does not fit. */
int turn_username(int64_t expires_s, int64_t account, char *out, size_t cap);
/* credential = base64(HMAC-SHA1(secret, username)). Returns its length (28), or -1 on error. */
int turn_credential(const char *secret, size_t secret_len, const char *username, char *out, size_t cap);
/* May an account with these agreements get relay credentials? Yes when one is active with a call channel
 * not off. Otherwise 0, with *reason set to the policy reason (enum policy_reason) to refuse with. */
int turn_may_relay(const struct agreement_list *mine, int *reason);

/* call.ice: the ICE servers (STUN/TURN) a client should use for calls, with fresh credentials. */
void turn_handle_ice(struct session *s, struct proto_request *r);

#endif
