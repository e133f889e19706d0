/* vapid.h: the server's VAPID identity (RFC 8292) — a P-256 key kept in the data directory, ES256 JWTs. */
#ifndef SAMVAER_PUSH_VAPID_H
#define SAMVAER_PUSH_VAPID_H

#include <stddef.h>
#include <stdint.h>

#include "server/push/ece.h"

#define VAPID_KEY_FILE "vapid.pem" /* in the data directory, mode 0600 */
#define VAPID_PUBLIC_B64_LEN 87    /* base64url of the 65-byte point */
#define VAPID_TTL_S (12 * 3600)    /* a JWT's exp: 12 h ahead (RFC 8292 §2: at most 24 h) */
#define VAPID_ORIGIN_MAX 256
#define VAPID_AUTH_MAX 1024 /* "vapid t=JWT, k=KEY" */

struct vapid;

/* Load data_dir/vapid.pem, or generate the key and write it there (0600) on the first start. NULL with err. */
struct vapid *vapid_open(const char *data_dir, char *err, size_t errlen);
void vapid_free(struct vapid *v);
/* The public key as an uncompressed point, raw and as base64url (what PushManager.subscribe takes). */
const uint8_t *vapid_public_raw(const struct vapid *v);
const char *vapid_public_b64(const struct vapid *v);

/* The origin of a push endpoint URL ("https://push.example.net" — scheme and host lowercased, a default port
 * dropped): the JWT's aud. 0, or -1 when the URL has no scheme://host or carries user info. */
int vapid_origin(const char *endpoint, char *out, size_t cap);
/* An ES256 JWT {"aud","exp","sub"} signed with the key. Returns its length, or -1. Thread-safe. */
int vapid_jwt(const struct vapid *v, const char *aud, int64_t exp_s, const char *sub, char *out, size_t cap);
/* The Authorization header value "vapid t=JWT, k=KEY" for a push to endpoint at now_s. Length, or -1. */
int vapid_authorization(const struct vapid *v, const char *endpoint, const char *sub, int64_t now_s, char *out,
			size_t cap);

#endif
