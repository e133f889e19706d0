/* phc.c: the PHC string of an Argon2id hash: writing it, and reading it strictly. */
#include "server/session/phc.h"

#include <stdio.h>
#include <string.h>

#include "server/base/base64.h"

#define PREFIX "$argon2id$v=19$m="

static int in_bounds(const struct phc *h)
{
	return h->m_kib >= 8 * h->p && h->m_kib <= PHC_M_MAX && h->t >= 1 && h->t <= PHC_T_MAX && h->p >= 1 &&
	    h->p <= PHC_P_MAX && h->salt_len >= PHC_SALT_MIN && h->salt_len <= PHC_SALT_MAX &&
	    h->hash_len >= PHC_HASH_MIN && h->hash_len <= PHC_HASH_MAX;
}

int phc_encode(const struct phc *h, char *out, size_t cap)
{
	if (!in_bounds(h))
		return -1;
	int n = snprintf(out, cap, PREFIX "%u,t=%u,p=%u$", h->m_kib, h->t, h->p);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	int s = b64_encode(B64_STD, h->salt, h->salt_len, out + n, cap - (size_t)n);
	if (s < 0 || (size_t)(n + s + 1) >= cap)
		return -1;
	out[n + s] = '$';
	int k = b64_encode(B64_STD, h->hash, h->hash_len, out + n + s + 1, cap - (size_t)(n + s + 1));
	return k < 0 ? -1 : n + s + 1 + k;
}

/* A decimal of 1 to 7 digits, no leading zero, then `end`. Moves *s past `end`. */
static int get_u32(const char **s, char end, uint32_t *v)
{
	const char *p = *s;
	uint32_t x = 0;
	size_t n = 0;
	for (; p[n] >= '0' && p[n] <= '9'; n++) {
		if (n == 7 || (n == 1 && p[0] == '0'))
			return -1;
		x = x * 10 + (uint32_t)(p[n] - '0');
	}
	if (n == 0 || p[n] != end)
		return -1;
	*v = x;
	*s = p + n + 1;
	return 0;
}

/* Standard base64 without padding, `len` characters at s, into out (at most cap bytes). The byte count or -1. */
static int get_b64(const char *s, size_t len, uint8_t *out, size_t cap)
{
	if (len == 0 || memchr(s, '=', len))
		return -1;
	return b64_decode(B64_STD, s, len, out, cap);
}

int phc_decode(const char *s, struct phc *h)
{
	memset(h, 0, sizeof *h);
	if (strncmp(s, PREFIX, strlen(PREFIX)))
		return -1;
	s += strlen(PREFIX);
	if (get_u32(&s, ',', &h->m_kib) || strncmp(s, "t=", 2))
		return -1;
	s += 2;
	if (get_u32(&s, ',', &h->t) || strncmp(s, "p=", 2))
		return -1;
	s += 2;
	if (get_u32(&s, '$', &h->p))
		return -1;
	const char *dollar = strchr(s, '$');
	if (!dollar)
		return -1;
	int salt = get_b64(s, (size_t)(dollar - s), h->salt, sizeof h->salt);
	int hash = get_b64(dollar + 1, strlen(dollar + 1), h->hash, sizeof h->hash);
	if (salt < 0 || hash < 0)
		return -1;
	h->salt_len = (size_t)salt, h->hash_len = (size_t)hash;
	return in_bounds(h) ? 0 : -1;
}
