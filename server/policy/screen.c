/* screen.c: contact-detail detection over NFKC-normalised, lower-cased text, and the built-in word lists. Heuristics,
 * tuned to err on the side of holding: a held message costs a supervisor a click; a leaked address can cost a
 * placement. */
#include "server/policy/screen.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "server/policy/wordlist.h"

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

/* Whether the word of length n at p is one of the space-separated words of `set` (" com net ... "). */
static int word_in(const char *set, const char *p, size_t n)
{
	for (const char *q = strstr(set, " "); q && q[1]; q = strchr(q + 1, ' '))
		if (!strncmp(q + 1, p, n) && q[1 + n] == ' ')
			return 1;
	return 0;
}

/* Top-level domains that are no ordinary word, and those that are ("it", "me"): the second only written tight. */
static const char strong_tlds[] = " com net org info io app dev ly gl gg tv link site online xyz biz club live shop"
				  " store top ro dk eu uk fr nl se pl hu md ru ua ch ca ";
static const char weak_tlds[] = " it es de me to at be us co no so in ";

/* A domain at a dot (or " dot "): "example.com", "example . com", "example dot ro", "fotos.it". */
static int domain_at(const char *s, const char *dot, size_t dotlen)
{
	const char *b = dot, *a = dot + dotlen;
	int spaced = dotlen > 1 || (b > s && b[-1] == ' ') || *a == ' ';
	while (b > s && b[-1] == ' ')
		b--;
	a = skip_spaces(a);
	const char *l = b;
	size_t letters = 0, tld = 0;
	for (; l > s && (isalnum((unsigned char)l[-1]) || l[-1] == '-'); l--)
		letters += isalpha((unsigned char)l[-1]) != 0;
	size_t label = (size_t)(b - l);
	while (isalpha((unsigned char)a[tld]))
		tld++;
	if (label < 2 || !letters || !tld || isalnum((unsigned char)a[tld]) || (unsigned char)a[tld] >= 0x80)
		return 0;
	return word_in(strong_tlds, a, tld) || (!spaced && label >= 3 && word_in(weak_tlds, a, tld));
}

static int has_url(const char *s)
{
	static const char *const starts[] = {"http://", "https://", "hxxp", "www.", "www ."};
	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++)
		if (strstr(s, starts[k]))
			return 1;
	static const char *const dots[] = {".", " dot ", "(dot)", "[dot]"};
	for (size_t k = 0; k < sizeof(dots) / sizeof(dots[0]); k++)
		for (const char *p = strstr(s, dots[k]); p; p = strstr(p + 1, dots[k]))
			if (domain_at(s, p, strlen(dots[k])))
				return 1;
	return 0;
}

/* Social-media names written out (spacing and look-alike tricks included) and handles. */
static const char platforms[] = "snapchat\ninstagram\ntiktok\ntelegram\nwhatsapp\ndiscord\nkik\nskype\nviber\n"
				"wechat\nthreema\nfacebook\nmessenger\nonlyfans\nsnap me\ninsta me\n";
static struct wordlist *platform_list;
static struct {
	const char *lang;
	struct wordlist *list;
} word_lists[8];
static size_t word_list_count;
static pthread_once_t lists_once = PTHREAD_ONCE_INIT;

struct screen_words_file { /* generated from server/policy/words/LANG.txt (CMakeLists.txt) */
	const char *lang, *text;
	size_t len;
};
extern const struct screen_words_file screen_words_files[];
extern const size_t screen_words_file_count;

static void lists_load(void)
{
	platform_list = wordlist_parse(platforms, sizeof(platforms) - 1);
	for (size_t i = 0; i < screen_words_file_count && word_list_count < 8; i++) {
		struct wordlist *w = wordlist_parse(screen_words_files[i].text, screen_words_files[i].len);
		if (w) {
			word_lists[word_list_count].lang = screen_words_files[i].lang;
			word_lists[word_list_count++].list = w;
		}
	}
}

/* "@name" (not an e-mail's), "ig: name", "snap: name". */
static int has_handle_mark(const char *s)
{
	for (const char *p = strchr(s, '@'); p; p = strchr(p + 1, '@'))
		if ((p == s || !is_word(p[-1])) && (isalnum((unsigned char)p[1]) || p[1] == '_') &&
		    (isalnum((unsigned char)p[2]) || p[2] == '_' || p[2] == '.'))
			return 1;
	static const char *const tags[] = {"ig", "insta", "snap", "sc", "fb", "tg", "tiktok", "tt", "discord"};
	for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
		size_t n = strlen(tags[k]);
		for (const char *p = strstr(s, tags[k]); p; p = strstr(p + 1, tags[k])) {
			const char *a = skip_spaces(p + n);
			if ((p == s || !isalnum((unsigned char)p[-1])) && *a == ':' && is_word(*skip_spaces(a + 1)))
				return 1;
		}
	}
	return 0;
}

static int has_handle(const char *n, const char *text, size_t len)
{
	if (has_handle_mark(n))
		return 1;
	pthread_once(&lists_once, lists_load);
	struct wordlist_text *t = wordlist_text_make(text, len);
	int hit = wordlist_find(platform_list, t) > 0;
	wordlist_text_free(t);
	return hit;
}

enum screen_hit screen_contact_details(const char *text, size_t len)
{
	char *n = normalise(text, len);
	if (!n)
		return SCREEN_NONE;
	enum screen_hit h = has_email(n) ? SCREEN_EMAIL
	    : has_phone(n)               ? SCREEN_PHONE
	    : has_address(n)             ? SCREEN_ADDRESS
	    : has_url(n)                 ? SCREEN_URL
	    : has_handle(n, text, len)   ? SCREEN_HANDLE
					 : SCREEN_NONE;
	free(n);
	return h;
}

const char *screen_hit_name(enum screen_hit h)
{
	static const char *const names[] = {"none", "phone", "email", "address", "url", "handle"};
	return (unsigned)h < 6 ? names[h] : "none";
}

const char *screen_words(const char *text, size_t len, int *line)
{
	pthread_once(&lists_once, lists_load);
	struct wordlist_text *t = wordlist_text_make(text, len);
	const char *lang = NULL;
	for (size_t i = 0; t && !lang && i < word_list_count; i++) {
		int l = wordlist_find(word_lists[i].list, t);
		if (l) {
			lang = word_lists[i].lang;
			if (line)
				*line = l;
		}
	}
	wordlist_text_free(t);
	return lang;
}
