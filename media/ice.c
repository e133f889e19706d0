/* ice.c: ICE-lite responder and minimal controlling initiator for one peer connection (RFC 8445, RFC 7675). */
#include "media/ice.h"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "base/siphash.h"
#include "media/stun.h"

static const char ice_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; /* RFC 8839 ice-char */

static int random_token(char *out, size_t n)
{
	uint8_t r[ICE_CRED_MAX];
	if (n >= sizeof r || RAND_bytes(r, (int)n) != 1)
		return ICE_ERR_ARG;
	for (size_t i = 0; i < n; i++)
		out[i] = ice_chars[r[i] & 63];
	out[n] = 0;
	return 0;
}

int ice_credentials_generate(char *ufrag, char *pwd)
{
	if (!ufrag || !pwd)
		return ICE_ERR_ARG;
	return random_token(ufrag, ICE_UFRAG_GEN_LEN) ? ICE_ERR_ARG : random_token(pwd, ICE_PWD_GEN_LEN);
}

static bool copy_cred(char *dst, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= ICE_CRED_MAX)
		return false;
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

int ice_agent_init(struct ice_agent *a, enum ice_role role, const char *local_ufrag, const char *local_pwd,
		   const char *remote_ufrag, const char *remote_pwd, const struct ice_addr *remote_cand)
{
	if (!a || (role == ICE_ROLE_CONTROLLING && !remote_cand))
		return ICE_ERR_ARG;
	memset(a, 0, sizeof *a);
	a->role = role;
	a->consent_timeout_ms = ICE_CONSENT_TIMEOUT_MS;
	if (!copy_cred(a->local_ufrag, local_ufrag) || !copy_cred(a->local_pwd, local_pwd) ||
	    !copy_cred(a->remote_ufrag, remote_ufrag) || !copy_cred(a->remote_pwd, remote_pwd) || !a->local_ufrag[0])
		return ICE_ERR_ARG;
	if (remote_cand)
		a->remote_cand = *remote_cand;
	if (RAND_bytes((uint8_t *)&a->tie_breaker, sizeof a->tie_breaker) != 1)
		return ICE_ERR_ARG;
	return 0;
}

static int select_addr(struct ice_agent *a, const struct ice_addr *from)
{
	if (a->selected_gen && ice_addr_equal(&a->selected, from))
		return 0;
	a->selected = *from;
	a->selected_gen++;
	return ICE_RX_SELECTED;
}

/* Answer a Binding request addressed to us (RFC 8445 §7.3). Lite: it selects the pair and refreshes consent.
 * Controlling (the test peer): answered only, so a peer that checks us too (libnice) sees the pair work. */
static int handle_request(struct ice_agent *a, const struct stun_msg *m, const uint8_t *buf, size_t len,
			  const struct ice_addr *from, int64_t now, uint8_t *out, size_t cap, size_t *out_len)
{
	const uint8_t *key = (const uint8_t *)a->local_pwd;
	size_t klen = strlen(a->local_pwd);
	if (!stun_msg_username_is_for(m, a->local_ufrag))
		return ICE_ERR_NOT_FOR_US;
	if (stun_msg_verify_integrity(m, buf, len, key, klen) != STUN_OK) { /* RFC 8489 §9.1.3: 401 */
		int n = stun_build_binding_error(out, cap, m->tid, 401, NULL, NULL, 0, NULL, 0);
		*out_len = n > 0 ? (size_t)n : 0;
		return ICE_ERR_AUTH;
	}
	struct stun_addr mapped;
	if (stun_addr_from_sockaddr(&mapped, &from->u.sa) != STUN_OK)
		return ICE_ERR_ARG;
	int n = stun_build_binding_success(out, cap, m->tid, &mapped, key, klen);
	if (n < 0)
		return ICE_ERR_ARG;
	*out_len = (size_t)n;
	int rc = ICE_RX_REPLY;
	if (a->role == ICE_ROLE_CONTROLLING)
		return rc;
	if (!a->selected_gen || STUN_HAS(m, STUN_ATTR_USE_CANDIDATE))
		rc |= select_addr(a, from);
	if (ice_addr_equal(&a->selected, from)) { /* RFC 7675: consent from the selected pair */
		a->last_consent_ms = now;
		a->state = ICE_STATE_CONNECTED;
	}
	a->requests_answered++;
	return rc;
}

/* Controlling: accept the success response to our outstanding request. */
static int handle_response(struct ice_agent *a, const struct stun_msg *m, const uint8_t *buf, size_t len,
			   const struct ice_addr *from, int64_t now)
{
	if (a->role != ICE_ROLE_CONTROLLING || !a->tid_valid || memcmp(m->tid, a->tid, sizeof a->tid) != 0)
		return ICE_ERR_NOT_FOR_US;
	if (m->type != STUN_BINDING_SUCCESS)
		return ICE_ERR_AUTH;
	if (stun_msg_verify_integrity(m, buf, len, (const uint8_t *)a->remote_pwd, strlen(a->remote_pwd)) != STUN_OK)
		return ICE_ERR_AUTH;
	a->tid_valid = false;
	a->last_consent_ms = now;
	a->state = ICE_STATE_CONNECTED;
	a->requests_answered++;
	return select_addr(a, from);
}

int ice_agent_handle(struct ice_agent *a, const uint8_t *buf, size_t len, const struct ice_addr *from, int64_t now_ms,
		     uint8_t *out, size_t cap, size_t *out_len)
{
	struct stun_msg m;
	if (!a || !buf || !from || !out_len)
		return ICE_ERR_ARG;
	*out_len = 0;
	if (stun_msg_parse(&m, buf, len, NULL) != STUN_OK || stun_msg_verify_fingerprint(&m, buf, len) != STUN_OK)
		return ICE_ERR_PARSE;
	if (m.type == STUN_BINDING_REQUEST)
		return handle_request(a, &m, buf, len, from, now_ms, out, cap, out_len);
	if (m.type == STUN_BINDING_SUCCESS || m.type == STUN_BINDING_ERROR)
		return handle_response(a, &m, buf, len, from, now_ms);
	return ICE_ERR_NOT_FOR_US; /* indications (keep-alives) and other methods: ignored */
}

static int build_check(struct ice_agent *a, uint8_t *out, size_t cap)
{
	char user[2 * ICE_CRED_MAX + 2];
	snprintf(user, sizeof user, "%s:%s", a->remote_ufrag, a->local_ufrag);
	if (RAND_bytes(a->tid, sizeof a->tid) != 1)
		return 0;
	struct stun_binding_request req = {.username = user,
					   .priority = 0x6e0001ffu,
					   .controlling = true,
					   .tie_breaker = a->tie_breaker,
					   .use_candidate = true,
					   .key = (const uint8_t *)a->remote_pwd,
					   .key_len = strlen(a->remote_pwd)};
	memcpy(req.tid, a->tid, sizeof a->tid);
	int n = stun_build_binding_request(out, cap, &req);
	a->tid_valid = n > 0;
	return n > 0 ? n : 0;
}

int ice_agent_tick(struct ice_agent *a, int64_t now_ms, uint8_t *out, size_t cap)
{
	if (!a)
		return 0;
	if (a->state == ICE_STATE_CONNECTED && now_ms - a->last_consent_ms > (int64_t)a->consent_timeout_ms)
		a->state = ICE_STATE_DISCONNECTED; /* RFC 7675 §5.1 */
	if (a->role != ICE_ROLE_CONTROLLING || now_ms < a->next_check_ms || a->state == ICE_STATE_DISCONNECTED)
		return 0;
	a->next_check_ms = now_ms + (a->state == ICE_STATE_CONNECTED ? ICE_CONSENT_INTERVAL_MS : ICE_CHECK_INTERVAL_MS);
	return build_check(a, out, cap);
}

bool ice_addr_equal(const struct ice_addr *a, const struct ice_addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.v4.sin_port == b->u.v4.sin_port && a->u.v4.sin_addr.s_addr == b->u.v4.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return a->u.v6.sin6_port == b->u.v6.sin6_port &&
		    memcmp(&a->u.v6.sin6_addr, &b->u.v6.sin6_addr, sizeof a->u.v6.sin6_addr) == 0;
	return false;
}

/* Keyed (SipHash under the process key): the remote address and port are the client's to choose, and an
 * unkeyed hash would let one pick many that share a slot of the worker's address table. */
uint32_t ice_addr_hash(const struct ice_addr *a)
{
	uint8_t b[18];
	size_t n;
	if (a->u.sa.sa_family == AF_INET) {
		memcpy(b, &a->u.v4.sin_port, 2), memcpy(b + 2, &a->u.v4.sin_addr, 4), n = 6;
	} else {
		memcpy(b, &a->u.v6.sin6_port, 2), memcpy(b + 2, &a->u.v6.sin6_addr, 16), n = 18;
	}
	return (uint32_t)siphash24(siphash_process_key(), b, n);
}

int ice_addr_from_string(struct ice_addr *out, const char *ip, uint16_t port)
{
	memset(out, 0, sizeof *out);
	if (ip && inet_pton(AF_INET, ip, &out->u.v4.sin_addr) == 1) {
		out->u.v4.sin_family = AF_INET, out->u.v4.sin_port = htons(port), out->len = sizeof out->u.v4;
		return 0;
	}
	if (ip && inet_pton(AF_INET6, ip, &out->u.v6.sin6_addr) == 1) {
		out->u.v6.sin6_family = AF_INET6, out->u.v6.sin6_port = htons(port), out->len = sizeof out->u.v6;
		return 0;
	}
	return ICE_ERR_ARG;
}

const char *ice_state_name(enum ice_state s)
{
	static const char *const names[] = {"new", "connected", "disconnected"};
	return (unsigned)s < 3 ? names[s] : "?";
}
