/* text.h: checks on user-written message text (length in code points, emptiness). */
#ifndef SAMVAER_PROTO_TEXT_H
#define SAMVAER_PROTO_TEXT_H

#include <stddef.h>

#include "proto/errors.h"

#define PROTO_TEXT_MAX_CODEPOINTS 2000

/* Count Unicode code points of valid UTF-8 text; returns (size_t)-1 if the text is not valid UTF-8. */
size_t proto_utf8_length(const char *s, size_t len);
/* OK, TEXT_EMPTY (empty or only white space) or TEXT_TOO_LONG. Invalid UTF-8 is BAD_REQUEST. */
enum proto_error proto_text_check(const char *s, size_t len);

#endif
