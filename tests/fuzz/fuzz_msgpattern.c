/* fuzz_msgpattern.c: libFuzzer target for numbering a catalog message's named arguments (server/i18n/msgpattern.c)
 * and handing it to ICU. Rules: never crash; anything accepted has at most 3 text and 2 number arguments, each a
 * name of letters, digits and _ that occurs in the message, and is no longer than the message plus the digits; a
 * numbered message ICU opens formats with arguments of those kinds without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/umsg.h>
#include <unicode/ustring.h>

#include "server/i18n/msgpattern.h"

static void check_name(const char *name, const char *pattern)
{
	size_t n = strlen(name);
	if (!n || n >= MSGPATTERN_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != n ||
	    !strstr(pattern, name))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pattern[1024], out[2048], err[160];
	struct msgpattern_args a;
	if (size >= sizeof(pattern))
		return 0;
	memcpy(pattern, data, size);
	pattern[size] = 0; /* catalogs hold JSON strings: NUL-terminated */
	if (msgpattern_number(pattern, &a, out, sizeof(out), err, sizeof(err)))
		return strncmp(err, "msgpattern: ", 12) ? (abort(), 0) : 0;
	if (a.n_text < 0 || a.n_text > MSGPATTERN_TEXT_MAX || a.n_num < 0 || a.n_num > MSGPATTERN_NUM_MAX)
		abort();
	for (int i = 0; i < a.n_text; i++)
		check_name(a.text[i], pattern);
	for (int i = 0; i < a.n_num; i++)
		check_name(a.num[i], pattern);
	UChar u[2048], res[4096];
	int32_t ulen;
	UErrorCode st = U_ZERO_ERROR;
	UParseError pe;
	u_strFromUTF8(u, 2048, &ulen, out, -1, &st);
	UMessageFormat *f = U_SUCCESS(st) ? umsg_open(u, ulen, "ro", &pe, &st) : NULL;
	if (U_SUCCESS(st) && f) {
		static UChar t0[] = {'A', 0}, t1[] = {'B', 0}, t2[] = {'C', 0};
		UChar *s[3] = {t0, t1, t2};
		/* texts first, then numbers, as i18n.c passes them (the kinds decide how umsg reads each) */
		switch (a.n_text * 4 + a.n_num) {
		case 0: umsg_format(f, res, 4096, &st); break;
		case 1: umsg_format(f, res, 4096, &st, 2.0); break;
		case 2: umsg_format(f, res, 4096, &st, 2.0, 21.0); break;
		case 4: umsg_format(f, res, 4096, &st, s[0]); break;
		case 5: umsg_format(f, res, 4096, &st, s[0], 1.0); break;
		case 6: umsg_format(f, res, 4096, &st, s[0], 1.0, 5.0); break;
		case 8: umsg_format(f, res, 4096, &st, s[0], s[1]); break;
		case 9: umsg_format(f, res, 4096, &st, s[0], s[1], 3.0); break;
		case 10: umsg_format(f, res, 4096, &st, s[0], s[1], 3.0, 0.0); break;
		case 12: umsg_format(f, res, 4096, &st, s[0], s[1], s[2]); break;
		case 13: umsg_format(f, res, 4096, &st, s[0], s[1], s[2], 7.0); break;
		case 14: umsg_format(f, res, 4096, &st, s[0], s[1], s[2], 7.0, 101.0); break;
		default: abort();
		}
	}
	if (f)
		umsg_close(f);
	return 0;
}
