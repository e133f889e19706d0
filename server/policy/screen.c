/* screen.c: contact-detail detection over NFKC-normalised, lower-cased text. Heuristics, tuned to err on the
 * side of holding: a held message costs a supervisor a click; a leaked address can cost a placement. */
#include "server/policy/screen.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#define MAX_TEXT 16384

/* NFKC + lower case into a malloc'd UTF-8 buffer. */
static char *normalise(const char *text, size_t len)
{
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nfkc = unorm2_getNFKCCasefoldInstance(&e);
	if (U_FAILURE(e) || len > MAX_TEXT)
		return NULL;
	UChar *u = malloc(sizeof(UChar) * (len + 1)), *n = malloc(sizeof(UChar) * (len * 4 + 16));
	char *out = malloc(len * 12 + 16);
	int32_t ulen = 0, nlen = 0, olen = 0;
	if (u && n && out)
		u_strFromUTF8(u, (int32_t)len + 1, &ulen, text, (int32_t)len, &e);
	if (u && n && out && U_SUCCESS(e))
		nlen = unorm2_normalize(nfkc, u, ulen, n, (int32_t)(len * 4 + 16), &e);
	if (u && n && out && U_SUCCESS(e))
		u_strToUTF8(out, (int32_t)(len * 12 + 16), &olen, n, nlen, &e);
	free(u);
	free(n);
	if (!out || U_FAILURE(e)) {
		free(out);
		return NULL;
	}
	out[olen] = 0;
	return out;
}

/* Whether a run of digit groups joined only by '.', '/' or '-' looks like a date (d.m.yyyy, yyyy-mm-dd). */
static int looks_like_date(const int *groups, int n, int only_date_seps)
{
	if (!only_date_seps || n != 3)
		return 0;
	int a = groups[0], b = groups[1], c = groups[2];
	return (a <= 2 && b <= 2 && (c == 2 || c == 4)) || (a == 4 && b <= 2 && c <= 2);
}

/* 7 or more digits, separated by at most two of " -.()/" between neighbours, optionally after '+'. */
static int has_phone(const char *s)
{
	int groups[16], n = 0, digits = 0, gap = 0, date_seps = 1;
	for (;; s++) {
		if (isdigit((unsigned char)*s)) {
			if (gap || n == 0) {
				if (n < 16)
					groups[n++] = 0;
				gap = 0;
			}
			groups[n - 1 < 15 ? n - 1 : 15]++;
			digits++;
			continue;
		}
		if (digits && *s && strchr(" -.()/", *s) && ++gap <= 2) {
			if (!strchr("./-", *s))
				date_seps = 0;
			continue;
		}
		if (*s == '+' && !digits)
			continue;
		if (digits >= 7 && !looks_like_date(groups, n, date_seps))
			return 1;
		if (!*s)
			return 0;
		digits = gap = n = 0;
		date_seps = 1;
	}
}

static int is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == '+' || (unsigned char)c >= 0x80;
}

static const char *skip_spaces(const char *p)
{
	while (*p == ' ')
		p++;
	return p;
}

/* local@domain.tld, also written with (at) / [at] / " at " and " dot ". */
static int has_email(const char *s)
{
	static const char *const ats[] = {"@", "(at)", "[at]", " at "};
	for (size_t k = 0; k < sizeof(ats) / sizeof(ats[0]); k++) {
		int spaced = k > 0; /* obfuscated forms may have spaces around them */
		for (const char *p = strstr(s, ats[k]); p; p = strstr(p + 1, ats[k])) {
			const char *before = p, *after = p + strlen(ats[k]);
			if (spaced) {
				while (before > s && before[-1] == ' ')
					before--;
				after = skip_spaces(after);
			}
			if (before == s || !is_word(before[-1]) || !is_word(*after))
				continue;
			const char *end = after;
			while (is_word(*end) && *end != '.')
				end++;
			if (*end == '.' && isalpha((unsigned char)end[1]) && isalpha((unsigned char)end[2]))
				return 1;
			if (!strncmp(end, " dot ", 5) && isalpha((unsigned char)end[5]))
				return 1;
		}
	}
	return 0;
}

/* A house number next to a street word ("strada florilor 12", "12 baker street", "nørregade 5"). */
static int has_address(const char *s)
{
	static const char *const words[] = {"strada", "str.",    "street", "st.",   "road",       "rd.",     "avenue",
					    "ave",    "lane",    "drive",  "calea", "bulevardul", "blvd",    "bd.",
					    "aleea",  "soseaua", "vej",    "gade",  "allé",       "via ",    "viale",
					    "piazza", "corso",   "rue ",   "platz", "straße",     "strasse", "weg "};
	/* Danish and German street names are compounds ("nørregade", "hauptstraße"): these may end a word. */
	static const char *const suffixes = "|vej|gade|allé|platz|straße|strasse|weg |";
	for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		size_t wl = strlen(words[k]);
		for (const char *p = strstr(s, words[k]); p; p = strstr(p + 1, words[k])) {
			/* whole words only ("have" is not "ave"); a word ending in '.' or ' ' carries its own end */
			char probe[16];
			snprintf(probe, sizeof(probe), "|%s|", words[k]);
			int compound = strstr(suffixes, probe) != NULL;
			if ((!compound && p > s && isalpha((unsigned char)p[-1])) ||
			    (words[k][wl - 1] != '.' && words[k][wl - 1] != ' ' && isalpha((unsigned char)p[wl])))
				continue;
			/* a number within 30 bytes before or after the street word */
			const char *from = p - 30 > s ? p - 30 : s, *to = p + strlen(words[k]) + 30;
			for (const char *q = from; q < to && *q; q++)
				if (isdigit((unsigned char)*q))
					return 1;
		}
	}
	return 0;
}

enum screen_hit screen_contact_details(const char *text, size_t len)
{
	char *n = normalise(text, len);
	if (!n)
		return SCREEN_NONE;
	enum screen_hit h = has_email(n) ? SCREEN_EMAIL
	    : has_phone(n)               ? SCREEN_PHONE
	    : has_address(n)             ? SCREEN_ADDRESS
					 : SCREEN_NONE;
	free(n);
	return h;
}

const char *screen_hit_name(enum screen_hit h)
{
	static const char *const names[] = {"none", "phone", "email", "address"};
	return (unsigned)h < 4 ? names[h] : "none";
}
