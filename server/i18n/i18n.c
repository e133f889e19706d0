/* i18n.c: loads the server's catalogs (one per language) into ICU message formats and formats them by key. Each
 * message's named arguments are numbered first (msgpattern.c), texts before numbers, so one umsg_format call per
 * shape (how many texts, how many numbers) passes every argument with the C type ICU reads for it. */
#include "server/i18n/i18n.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/umsg.h>
#include <unicode/ustring.h>

#include "server/i18n/msgpattern.h"

#ifndef SAMVAER_I18N_SOURCE_DIR
#define SAMVAER_I18N_SOURCE_DIR "server/i18n"
#endif

static const char *const LANGS[] = {"en", "ro", "da", "it", "es"};
#define N_LANGS (sizeof(LANGS) / sizeof(LANGS[0]))

struct entry {
	char *key;
	UMessageFormat *fmt;
	struct msgpattern_args args;
};

struct catalog {
	struct entry *entries; /* sorted by key */
	size_t n;
};

static struct catalog catalogs[N_LANGS];

static int lang_index(const char *lang)
{
	for (size_t i = 0; i < N_LANGS; i++)
		if (lang && !strcmp(lang, LANGS[i]))
			return (int)i;
	return -1;
}

static void catalog_free(struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].key);
		umsg_close(c->entries[i].fmt);
	}
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

void i18n_unload(void)
{
	for (size_t i = 0; i < N_LANGS; i++)
		catalog_free(&catalogs[i]);
}

int i18n_loaded(const char *lang)
{
	int i = lang_index(lang);
	return i >= 0 && catalogs[i].n > 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

/* One message: numbered, converted to UTF-16 and opened by ICU in its language. */
static int open_entry(struct entry *e, const char *lang, const char *key, const char *src, char *err, size_t errlen)
{
	char numbered[2048], why[160];
	UChar pattern[2048];
	int32_t plen;
	UErrorCode st = U_ZERO_ERROR;
	if (msgpattern_number(src, &e->args, numbered, sizeof(numbered), why, sizeof(why))) {
		snprintf(err, errlen, "i18n: %s.json: %s: %s", lang, key, why);
		return -1;
	}
	u_strFromUTF8(pattern, 2048, &plen, numbered, -1, &st);
	UParseError pe;
	if (U_SUCCESS(st))
		e->fmt = umsg_open(pattern, plen, lang, &pe, &st);
	if (U_FAILURE(st)) {
		snprintf(err, errlen, "i18n: %s.json: %s: ICU cannot read it (%s)", lang, key, u_errorName(st));
		return -1;
	}
	e->key = strdup(key);
	return e->key ? 0 : -1;
}

static int load_one(struct catalog *c, const char *dir, const char *lang, char *err, size_t errlen)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s.json", dir, lang);
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root || !json_is_object(root)) {
		snprintf(err, errlen, "i18n: %s: %s", path, root ? "not a JSON object" : je.text);
		json_decref(root);
		return -1;
	}
	c->entries = calloc(json_object_size(root) + 1, sizeof(*c->entries));
	const char *key;
	json_t *v;
	int rc = c->entries ? 0 : -1;
	json_object_foreach(root, key, v)
	{
		if (rc)
			break;
		if (!json_is_string(v)) {
			snprintf(err, errlen, "i18n: %s: %s: not a string", path, key);
			rc = -1;
		} else if ((rc = open_entry(&c->entries[c->n], lang, key, json_string_value(v), err, errlen)) == 0) {
			c->n++;
		}
	}
	json_decref(root);
	qsort(c->entries, c->n, sizeof(*c->entries), by_key);
	return rc;
}

int i18n_load(const char *dir, char *err, size_t errlen)
{
	i18n_unload();
	for (size_t i = 0; i < N_LANGS; i++) {
		char path[600];
		snprintf(path, sizeof(path), "%s/%s.json", dir, LANGS[i]);
		FILE *f = i ? fopen(path, "r") : NULL;
		if (i && !f)
			continue; /* a translation not there: that language falls back to en */
		if (f)
			fclose(f);
		if (load_one(&catalogs[i], dir, LANGS[i], err, errlen)) {
			i18n_unload();
			return -1;
		}
	}
	return 0;
}

const char *i18n_default_dir(void)
{
	FILE *f = fopen("server/i18n/en.json", "r");
	if (f) {
		fclose(f);
		return "server/i18n";
	}
	return SAMVAER_I18N_SOURCE_DIR;
}

const char *i18n_match(const char *tag)
{
	if (!tag)
		return NULL;
	size_t n = strcspn(tag, "-_");
	for (size_t i = 0; i < N_LANGS; i++)
		if (n == strlen(LANGS[i]) && !strncasecmp(tag, LANGS[i], n))
			return LANGS[i];
	return NULL;
}

/* One item of an Accept-Language list: its tag (up to ';' or ','), and q (1 when not given, 0 when unreadable). */
static const char *accept_item(const char *p, char *tag, size_t cap, double *q)
{
	size_t n = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != ';' && *p != ',' && *p != ' ') {
		if (n + 1 < cap)
			tag[n++] = *p;
		p++;
	}
	tag[n] = 0;
	*q = 1;
	const char *end = p + strcspn(p, ",");
	const char *qp = strstr(p, "q=");
	if (qp && qp < end) {
		char *e;
		*q = strtod(qp + 2, &e);
		if (e == qp + 2 || *q < 0 || *q > 1)
			*q = 0;
	}
	return *end ? end + 1 : end;
}

const char *i18n_accept_language(const char *header)
{
	const char *best = NULL;
	double best_q = 0, q;
	char tag[32];
	for (const char *p = header; p && *p;) {
		p = accept_item(p, tag, sizeof(tag), &q);
		const char *l = i18n_match(tag);
		if (l && q > best_q) {
			best = l;
			best_q = q;
		}
	}
	return best;
}

int i18n_valid_pref(const char *tag)
{
	return tag && (!tag[0] || lang_index(tag) >= 0);
}

const char *i18n_choose(const char *account_pref, const char *client_tag)
{
	const char *l = account_pref && account_pref[0] ? i18n_match(account_pref) : NULL;
	if (!l)
		l = i18n_match(client_tag);
	return l ? l : I18N_FALLBACK;
}

static const struct entry *find(const char *lang, const char *key)
{
	int i = lang_index(lang);
	struct entry probe = {.key = (char *)key};
	const struct entry *e = NULL;
	if (i >= 0 && catalogs[i].n)
		e = bsearch(&probe, catalogs[i].entries, catalogs[i].n, sizeof(probe), by_key);
	if (!e && i != 0 && catalogs[0].n)
		e = bsearch(&probe, catalogs[0].entries, catalogs[0].n, sizeof(probe), by_key);
	return e;
}

/* umsg reads its arguments by the types the pattern gives them: texts (UChar *) first, then numbers (double). */
static int32_t call_umsg(const struct entry *e, UChar *out, int32_t cap, UErrorCode *st, UChar *const *s,
			 const double *d)
{
	switch (e->args.n_text * 4 + e->args.n_num) {
	case 0: return umsg_format(e->fmt, out, cap, st);
	case 1: return umsg_format(e->fmt, out, cap, st, d[0]);
	case 2: return umsg_format(e->fmt, out, cap, st, d[0], d[1]);
	case 4: return umsg_format(e->fmt, out, cap, st, s[0]);
	case 5: return umsg_format(e->fmt, out, cap, st, s[0], d[0]);
	case 6: return umsg_format(e->fmt, out, cap, st, s[0], d[0], d[1]);
	case 8: return umsg_format(e->fmt, out, cap, st, s[0], s[1]);
	case 9: return umsg_format(e->fmt, out, cap, st, s[0], s[1], d[0]);
	case 10: return umsg_format(e->fmt, out, cap, st, s[0], s[1], d[0], d[1]);
	case 12: return umsg_format(e->fmt, out, cap, st, s[0], s[1], s[2]);
	case 13: return umsg_format(e->fmt, out, cap, st, s[0], s[1], s[2], d[0]);
	case 14: return umsg_format(e->fmt, out, cap, st, s[0], s[1], s[2], d[0], d[1]);
	default: *st = U_UNSUPPORTED_ERROR; return 0; /* msgpattern caps the counts: not reached */
	}
}

static const struct i18n_arg *arg_named(const struct i18n_arg *args, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (args[i].name && !strcmp(args[i].name, name))
			return &args[i];
	return NULL;
}

const char *i18n_format(const char *lang, const char *key, const struct i18n_arg *args, size_t n, char *out, size_t cap)
{
	static UChar texts[MSGPATTERN_TEXT_MAX][I18N_TEXT_MAX];
	static UChar result[I18N_TEXT_MAX * 2];
	UChar *s[MSGPATTERN_TEXT_MAX] = {NULL};
	double d[MSGPATTERN_NUM_MAX] = {0};
	UErrorCode st = U_ZERO_ERROR;
	if (cap)
		out[0] = '\0';
	const struct entry *e = find(lang, key);
	if (!e || !cap)
		return NULL;
	for (int i = 0; i < e->args.n_text && U_SUCCESS(st); i++) {
		const struct i18n_arg *a = arg_named(args, n, e->args.text[i]);
		if (!a || !a->text)
			return NULL;
		u_strFromUTF8(texts[i], I18N_TEXT_MAX, NULL, a->text, -1, &st);
		s[i] = texts[i];
	}
	for (int i = 0; i < e->args.n_num; i++) {
		const struct i18n_arg *a = arg_named(args, n, e->args.num[i]);
		if (!a || a->text)
			return NULL;
		d[i] = a->num;
	}
	int32_t len = U_SUCCESS(st) ? call_umsg(e, result, I18N_TEXT_MAX * 2, &st, s, d) : 0;
	if (U_SUCCESS(st))
		u_strToUTF8(out, (int32_t)cap, NULL, result, len, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) {
		out[0] = '\0';
		return NULL;
	}
	return out;
}

const char *i18n_text(const char *lang, const char *key, const char *fallback, char *out, size_t cap)
{
	if (i18n_format(lang, key, NULL, 0, out, cap))
		return out;
	snprintf(out, cap, "%s", fallback ? fallback : "");
	return out;
}
