/* fuzz_stun.c: libFuzzer target for the STUN parser: never crash; accepted messages re-serialize and re-parse equal. */
#include "media/stun.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t key[] = "fuzz-ice-password-22ch";

static bool text_eq(const char *a, uint16_t al, const char *b, uint16_t bl)
{
	return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

static bool addr_eq(const struct stun_addr *a, const struct stun_addr *b)
{
	return a->family == b->family && a->port == b->port && memcmp(a->ip, b->ip, 16) == 0;
}

/* Equal in everything the serializer reproduces (offsets, ignored and unknown attributes excluded). */
static bool msg_eq(const struct stun_msg *a, const struct stun_msg *b)
{
	return a->type == b->type && memcmp(a->tid, b->tid, STUN_TID_LEN) == 0 && a->present == b->present &&
	    text_eq(a->username, a->username_len, b->username, b->username_len) &&
	    text_eq(a->software, a->software_len, b->software, b->software_len) &&
	    text_eq(a->realm, a->realm_len, b->realm, b->realm_len) &&
	    text_eq(a->nonce, a->nonce_len, b->nonce, b->nonce_len) &&
	    text_eq(a->error_reason, a->error_reason_len, b->error_reason, b->error_reason_len) &&
	    addr_eq(&a->xor_mapped, &b->xor_mapped) && addr_eq(&a->mapped, &b->mapped) && a->priority == b->priority &&
	    a->ice_controlling == b->ice_controlling && a->ice_controlled == b->ice_controlled &&
	    a->error_code == b->error_code && a->unknown_attrs_count == b->unknown_attrs_count &&
	    memcmp(a->unknown_attrs, b->unknown_attrs, sizeof a->unknown_attrs) == 0 &&
	    a->order_count == b->order_count && memcmp(a->order, b->order, sizeof a->order) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m, m2;
	const char *err = NULL;
	bool is = stun_is_stun(data, size);
	int rc = stun_msg_parse(&m, data, size, &err);
	if (!err || strncmp(err, "stun: ", 6) != 0)
		abort();
	if (rc != STUN_OK)
		return 0;
	if (!is)
		abort(); /* whatever parses must pass the demux check */
	(void)stun_msg_verify_fingerprint(&m, data, size);
	(void)stun_msg_verify_integrity(&m, data, size, key, sizeof key - 1);
	static uint8_t out[65536 + 64];
	int n = stun_msg_serialize(&m, out, sizeof out, key, sizeof key - 1, 0);
	if (n < 0)
		abort();
	if (stun_msg_parse(&m2, out, (size_t)n, NULL) != STUN_OK || !msg_eq(&m, &m2))
		abort();
	if (STUN_HAS(&m, STUN_ATTR_FINGERPRINT) && stun_msg_verify_fingerprint(&m2, out, (size_t)n) != STUN_OK)
		abort();
	if (STUN_HAS(&m, STUN_ATTR_MESSAGE_INTEGRITY) &&
	    stun_msg_verify_integrity(&m2, out, (size_t)n, key, sizeof key - 1) != STUN_OK)
		abort();
	return 0;
}
