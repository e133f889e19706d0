/* base64.h: base64 of RFC 4648 without padding, in either alphabet: url (section 5: Web Push keys, salts and JWT
 * parts) or standard (section 4: stored password hashes, and tus metadata once its padding is checked). */
#ifndef SAMVAER_BASE_BASE64_H
#define SAMVAER_BASE_BASE64_H

#include <stddef.h>
#include <stdint.h>

enum b64_alphabet {
	B64_URL, /* ... 0-9 - _ */
	B64_STD, /* ... 0-9 + / */
};

/* Characters b64_encode writes for n bytes (without the terminating 0). */
#define B64_LEN(n) (((n)*4 + 2) / 3)

/* Encode n bytes into out (cap >= B64_LEN(n) + 1), 0-terminated. Returns the length, or -1 if cap is short. */
int b64_encode(enum b64_alphabet a, const uint8_t *in, size_t n, char *out, size_t cap);
/* Decode len characters (no padding, no other characters; trailing '=' tolerated) into out. Returns the byte count,
 * or -1 on a bad character, a bad length, non-zero bits after the last byte, or when cap is short. */
int b64_decode(enum b64_alphabet a, const char *in, size_t len, uint8_t *out, size_t cap);

#endif
