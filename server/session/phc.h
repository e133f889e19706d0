/* phc.h: the PHC string of an Argon2id hash, as libargon2 writes it: $argon2id$v=19$m=M,t=T,p=P$SALT$HASH. */
#ifndef SAMVAER_SESSION_PHC_H
#define SAMVAER_SESSION_PHC_H

#include <stddef.h>
#include <stdint.h>

/*
 * SALT and HASH are standard base64 (RFC 4648 section 4) without padding. phc_decode is strict: only version 19,
 * the parameters in this order as plain decimals (no sign, no leading zero), and within the PHC_* bounds below, so a
 * damaged row can neither ask for gigabytes nor read as some other string's hash. What it accepts, phc_encode
 * writes back byte for byte.
 */

#define PHC_SALT_MIN 8
#define PHC_SALT_MAX 64
#define PHC_HASH_MIN 16
#define PHC_HASH_MAX 64
#define PHC_M_MAX (1u << 20) /* KiB: 1 GiB */
#define PHC_T_MAX 64
#define PHC_P_MAX 16

struct phc {
	uint32_t m_kib, t, p;
	uint8_t salt[PHC_SALT_MAX], hash[PHC_HASH_MAX];
	size_t salt_len, hash_len;
};

/* The string of h into out (0-terminated). Its length, or -1 when cap is short or h is out of bounds. */
int phc_encode(const struct phc *h, char *out, size_t cap);
/* Parse a 0-terminated string. 0, or -1 when it is not such a string. */
int phc_decode(const char *s, struct phc *h);

#endif
