/* text.c: UTF-8 validation and code point counting for message text (RFC 3629). */
#include "proto/text.h"

#include <stdint.h>

/* Length of the UTF-8 sequence starting at s[i], or 0 when invalid (overlong, surrogate, > U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t i, size_t len)
{
	unsigned char c = s[i];
	if (c < 0x80)
		return 1;
	size_t n = (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
	if (n == 0 || i + n > len)
		return 0;
	for (size_t k = 1; k < n; k++)
		if ((s[i + k] & 0xC0) != 0x80)
			return 0;
	if (c == 0xE0 && s[i + 1] < 0xA0)
		return 0; /* overlong */
	if (c == 0xED && s[i + 1] >= 0xA0)
		return 0; /* UTF-16 surrogate */
	if (c == 0xF0 && s[i + 1] < 0x90)
		return 0; /* overlong */
	if (c == 0xF4 && s[i + 1] >= 0x90)
		return 0; /* above U+10FFFF */
	return n;
}

size_t proto_utf8_length(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t count = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s, i, len);
		if (n == 0)
			return (size_t)-1;
		i += n;
		count++;
	}
	return count;
}

/* Decode the code point of a valid sequence of length n. */
static uint32_t decode(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0];
	uint32_t cp = s[0] & (0x7F >> n);
	for (size_t k = 1; k < n; k++)
		cp = (cp << 6) | (s[k] & 0x3F);
	return cp;
}

/* White space and invisible spacing a child could send by accident (Unicode White_Space plus zero-width marks). */
static int is_blank(uint32_t cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200D) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
	    cp == 0x2060 || cp == 0x3000 || cp == 0xFEFF;
}

enum proto_error proto_text_check(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t cps = 0;
	int blank = 1;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s, i, len);
		if (n == 0)
			return PROTO_ERR_BAD_REQUEST;
		if (blank && !is_blank(decode(s + i, n)))
			blank = 0;
		i += n;
		cps++;
	}
	if (blank)
		return PROTO_ERR_TEXT_EMPTY;
	if (cps > PROTO_TEXT_MAX_CODEPOINTS)
		return PROTO_ERR_TEXT_TOO_LONG;
	return PROTO_ERR_OK;
}
