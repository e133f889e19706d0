/* username.c: NFKC case folding of usernames with ICU (unorm2), and which names a new account may take. */
#include "server/base/username.h"

#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#define UBUF 512 /* UTF-16 units: a 64-byte name is at most 64 units, its fold a few times that */

/* NFKC_Casefold of UTF-8 `name` into UTF-16 `out`; its length, or -1. */
static int32_t fold16(const char *name, UChar *out, int32_t cap)
{
	UChar in[UBUF];
	int32_t n = 0;
	UErrorCode e = U_ZERO_ERROR;
	u_strFromUTF8(in, UBUF, &n, name, -1, &e);
	if (U_FAILURE(e) || n >= UBUF)
		return -1;
	const UNormalizer2 *nfkc_cf = unorm2_getNFKCCasefoldInstance(&e);
	if (U_FAILURE(e))
		return -1;
	int32_t len = unorm2_normalize(nfkc_cf, in, n, out, cap, &e);
	return U_FAILURE(e) || len >= cap ? -1 : len;
}

int username_key(const char *name, char *out, size_t cap)
{
	UChar folded[UBUF];
	int32_t len = fold16(name, folded, UBUF), n = 0;
	UErrorCode e = U_ZERO_ERROR;
	if (len < 0)
		return -1;
	u_strToUTF8(out, (int32_t)cap, &n, folded, len, &e);
	return U_FAILURE(e) || (size_t)n >= cap ? -1 : 0;
}

int username_valid(const char *name)
{
	size_t bytes = strlen(name);
	UChar folded[UBUF];
	int32_t len;
	if (bytes < USERNAME_MIN || bytes > USERNAME_MAX || (len = fold16(name, folded, UBUF)) <= 0)
		return 0;
	for (int32_t i = 0; i < len;) {
		UChar32 c;
		U16_NEXT(folded, i, len, c);
		if (!(u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK) || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
