/* msgpattern.c: finds the named arguments of an ICU MessageFormat pattern and numbers them, because libicu's C API
 * (umsg) formats numbered arguments only. The walk follows ICU's grammar (MessagePattern):
 *   message  = (text | quoted | '{' argument '}' | '#')*      '#' is syntax only directly in a plural's option
 *   argument = name [',' type [',' style | options]]
 *   options  = (selector | "offset:" n)* each selector followed by '{' message '}'
 * and an apostrophe quotes only before '{', '}', '#' (in a plural) or another apostrophe (DOUBLE_OPTIONAL). */
#include "server/i18n/msgpattern.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_USES 16 /* argument names written in one pattern */

enum kind { KIND_TEXT, KIND_NUM };

struct use {
	size_t at, len; /* the name in the pattern */
	enum kind kind;
	int slot; /* index into the texts or the numbers of args */
};

struct walk {
	const char *p;
	size_t i, len;
	struct msgpattern_args *args;
	struct use uses[MAX_USES];
	int n_uses;
	char *err;
	size_t errlen;
	int failed;
};

static int fail(struct walk *w, const char *what)
{
	if (!w->failed)
		snprintf(w->err, w->errlen, "msgpattern: %s at byte %zu", what, w->i);
	w->failed = 1;
	return -1;
}

static void skip_space(struct walk *w)
{
	while (w->i < w->len && isspace((unsigned char)w->p[w->i]))
		w->i++;
}

/* A word up to a space or one of stops; returns its length (0 if none). */
static size_t word(struct walk *w, const char *stops)
{
	size_t start = w->i;
	while (w->i < w->len && !isspace((unsigned char)w->p[w->i]) && !strchr(stops, w->p[w->i]))
		w->i++;
	return w->i - start;
}

static int find_slot(char names[][MSGPATTERN_NAME_MAX], int n, const char *name, size_t len)
{
	for (int k = 0; k < n; k++)
		if (strlen(names[k]) == len && !memcmp(names[k], name, len))
			return k;
	return -1;
}

/* Record one use of a name as kind; the same name may not be text in one place and a number in another. */
static int record(struct walk *w, size_t at, size_t len, enum kind kind)
{
	struct msgpattern_args *a = w->args;
	const char *name = w->p + at;
	if (len >= MSGPATTERN_NAME_MAX)
		return fail(w, "an argument name is too long");
	if (find_slot(kind == KIND_TEXT ? a->num : a->text, kind == KIND_TEXT ? a->n_num : a->n_text, name, len) >= 0)
		return fail(w, "one argument is used both as text and as a number (use # inside a plural)");
	char(*names)[MSGPATTERN_NAME_MAX] = kind == KIND_TEXT ? a->text : a->num;
	int *n = kind == KIND_TEXT ? &a->n_text : &a->n_num;
	int slot = find_slot(names, *n, name, len);
	if (slot < 0) {
		if (*n == (kind == KIND_TEXT ? MSGPATTERN_TEXT_MAX : MSGPATTERN_NUM_MAX))
			return fail(w,
				    kind == KIND_TEXT ? "more than 3 text arguments" : "more than 2 number arguments");
		slot = (*n)++;
		memcpy(names[slot], name, len);
		names[slot][len] = '\0';
	}
	if (w->n_uses == MAX_USES)
		return fail(w, "too many arguments");
	w->uses[w->n_uses++] = (struct use){at, len, kind, slot};
	return 0;
}

static int message(struct walk *w, int nested, int in_plural);

/* An apostrophe at w->i: '' is one; before { } (or # in a plural) it quotes up to the next lone one. */
static void apostrophe(struct walk *w, int in_plural)
{
	char next = w->i + 1 < w->len ? w->p[w->i + 1] : '\0';
	if (next == '\'') {
		w->i += 2;
		return;
	}
	w->i++;
	if (next != '{' && next != '}' && !(next == '#' && in_plural))
		return;
	while (w->i < w->len) {
		if (w->p[w->i] == '\'' && w->i + 1 < w->len && w->p[w->i + 1] == '\'') {
			w->i += 2;
			continue;
		}
		if (w->p[w->i++] == '\'')
			return;
	}
}

static int is_selector(const char *s, size_t n, int plural)
{
	static const char *const plural_words[] = {"zero", "one", "two", "few", "many", "other"};
	if (!plural) {
		for (size_t k = 0; k < n; k++)
			if (!isalnum((unsigned char)s[k]) && s[k] != '_' && s[k] != '-')
				return 0;
		return n > 0;
	}
	if (n > 1 && s[0] == '=') {
		for (size_t k = 1; k < n; k++)
			if (!isdigit((unsigned char)s[k]))
				return 0;
		return 1;
	}
	for (size_t k = 0; k < sizeof(plural_words) / sizeof(plural_words[0]); k++)
		if (strlen(plural_words[k]) == n && !memcmp(plural_words[k], s, n))
			return 1;
	return 0;
}

/* `selector {message} ...` up to the argument's closing brace; `other` is required. */
static int options(struct walk *w, int plural)
{
	int other = 0;
	for (;;) {
		skip_space(w);
		if (w->i >= w->len)
			return fail(w, "a \"{\" is not closed");
		if (w->p[w->i] == '}')
			return other ? 0 : fail(w, "\"other\" is missing");
		size_t at = w->i, n = word(w, "{}");
		if (plural && n >= 7 && !memcmp(w->p + at, "offset:", 7)) {
			skip_space(w);
			if (n == 7)
				word(w, "{}");
			continue;
		}
		if (!is_selector(w->p + at, n, plural))
			return fail(w, "a selector is not valid here");
		other |= n == 5 && !memcmp(w->p + at, "other", 5);
		skip_space(w);
		if (w->i >= w->len || w->p[w->i] != '{')
			return fail(w, "a selector has no {message}");
		w->i++;
		if (message(w, 1, plural))
			return -1;
		w->i++; /* the option's } */
	}
}

static int type_is(const char *s, size_t n, const char *t)
{
	return strlen(t) == n && !memcmp(s, t, n);
}

/* At the character after '{': name [, type [, style | options]] up to (not past) the closing '}'. */
static int argument(struct walk *w)
{
	skip_space(w);
	size_t at = w->i, n = word(w, ",}");
	for (size_t k = 0; k < n; k++)
		if (!isalnum((unsigned char)w->p[at + k]) && w->p[at + k] != '_')
			return fail(w, "an argument name may have letters, digits and _ only");
	if (n == 0 || isdigit((unsigned char)w->p[at]))
		return fail(w, "an argument needs a name");
	skip_space(w);
	if (w->i < w->len && w->p[w->i] == '}')
		return record(w, at, n, KIND_TEXT);
	if (w->i >= w->len || w->p[w->i] != ',')
		return fail(w, "expected , or } after an argument name");
	w->i++;
	skip_space(w);
	size_t tat = w->i, tn = word(w, ",}");
	const char *t = w->p + tat;
	skip_space(w);
	if (type_is(t, tn, "number")) {
		if (record(w, at, n, KIND_NUM))
			return -1;
		while (w->i < w->len && w->p[w->i] != '}' && w->p[w->i] != '{')
			w->i++;
		return w->i < w->len && w->p[w->i] == '}' ? 0 : fail(w, "a number argument is not closed");
	}
	int plural = type_is(t, tn, "plural") || type_is(t, tn, "selectordinal");
	if (!plural && !type_is(t, tn, "select"))
		return fail(w, "argument types are number, plural, selectordinal and select");
	if (record(w, at, n, plural ? KIND_NUM : KIND_TEXT))
		return -1;
	if (w->i >= w->len || w->p[w->i] != ',')
		return fail(w, "expected , before the options");
	w->i++;
	return options(w, plural);
}

static int message(struct walk *w, int nested, int in_plural)
{
	while (w->i < w->len) {
		char c = w->p[w->i];
		if (c == '}')
			return nested ? 0 : fail(w, "a \"}\" has no \"{\"");
		if (c == '\'') {
			apostrophe(w, in_plural);
		} else if (c == '{') {
			w->i++;
			if (argument(w))
				return -1;
			w->i++; /* the argument's } */
		} else {
			w->i++;
		}
	}
	return nested ? fail(w, "a \"{\" is not closed") : 0;
}

/* Copy the pattern, each name replaced by its number: texts 0.., numbers after them. */
static int emit(const struct walk *w, char *out, size_t cap, char *err, size_t errlen)
{
	size_t o = 0, from = 0;
	for (int k = 0; k <= w->n_uses; k++) {
		size_t to = k < w->n_uses ? w->uses[k].at : w->len;
		char num[8] = "";
		if (k < w->n_uses)
			snprintf(num, sizeof(num), "%d",
				 w->uses[k].kind == KIND_TEXT ? w->uses[k].slot : w->args->n_text + w->uses[k].slot);
		size_t need = (to - from) + strlen(num);
		if (o + need + 1 > cap) {
			snprintf(err, errlen, "msgpattern: the message is too long");
			return -1;
		}
		memcpy(out + o, w->p + from, to - from);
		o += to - from;
		memcpy(out + o, num, strlen(num));
		o += strlen(num);
		if (k < w->n_uses)
			from = w->uses[k].at + w->uses[k].len;
	}
	out[o] = '\0';
	return 0;
}

int msgpattern_number(const char *pattern, struct msgpattern_args *args, char *out, size_t cap, char *err,
		      size_t errlen)
{
	memset(args, 0, sizeof(*args));
	struct walk w = {.p = pattern, .len = strlen(pattern), .args = args, .err = err, .errlen = errlen};
	if (message(&w, 0, 0))
		return -1;
	return emit(&w, out, cap, err, errlen);
}
