/* msgpattern.h: named arguments of an ICU MessageFormat pattern, and the same pattern with numbers, for umsg. */
#ifndef SAMVAER_MSGPATTERN_H
#define SAMVAER_MSGPATTERN_H

#include <stddef.h>

#define MSGPATTERN_NAME_MAX 32 /* bytes of an argument name, with its NUL */
#define MSGPATTERN_TEXT_MAX 3  /* text arguments ({name}, select) in one message */
#define MSGPATTERN_NUM_MAX 2   /* number arguments (number, plural, selectordinal) in one message */
#define MSGPATTERN_ARGS_MAX (MSGPATTERN_TEXT_MAX + MSGPATTERN_NUM_MAX)

/* The arguments of a pattern, numbered as umsg will read them: texts first (0..n_text-1), then numbers. */
struct msgpattern_args {
	int n_text, n_num;
	char text[MSGPATTERN_TEXT_MAX][MSGPATTERN_NAME_MAX];
	char num[MSGPATTERN_NUM_MAX][MSGPATTERN_NAME_MAX];
};

/* Read `pattern` (UTF-8, ICU syntax, apostrophe mode DOUBLE_OPTIONAL) and write it to out (cap bytes) with each
 * argument name replaced by its number in args. Only the argument types text, number, plural, selectordinal and
 * select are accepted (dates go in as text formatted by the caller). Returns 0, or -1 with err set to a
 * "msgpattern: ..." sentence (a syntax error, an unknown type, too many arguments, one name used as text and number,
 * or out too small). ICU itself checks the rest when the numbered pattern is opened. */
int msgpattern_number(const char *pattern, struct msgpattern_args *args, char *out, size_t cap, char *err,
		      size_t errlen);

#endif
