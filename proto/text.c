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

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

enum proto_error proto_text_check(const char *s, size_t len)
{
	size_t cps = proto_utf8_length(s, len);
	if (cps == (size_t)-1)
		return PROTO_ERR_BAD_REQUEST;
	size_t i = 0;
	while (i < len && is_space((unsigned char)s[i]))
		i++;
	if (i == len)
		return PROTO_ERR_TEXT_EMPTY;
	if (cps > PROTO_TEXT_MAX_CODEPOINTS)
		return PROTO_ERR_TEXT_TOO_LONG;
	return PROTO_ERR_OK;
}
