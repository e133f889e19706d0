/* b64url.h: unpadded base64url (RFC 4648 §5), as Web Push writes keys, salts and JWT parts. */
#ifndef SAMVAER_PUSH_B64URL_H
#define SAMVAER_PUSH_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Characters b64url_encode writes for n bytes (without the terminating 0). */
#define B64URL_LEN(n) (((n)*4 + 2) / 3)

/* Encode n bytes into out (cap >= B64URL_LEN(n) + 1), 0-terminated. Returns the length, or -1 if cap is short. */
int b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Decode len characters (no padding, no other characters; trailing '=' tolerated) into out. Returns the byte
 * count, or -1 on a bad character, a bad length or when cap is short. */
int b64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
