/* wordlist.c: normalising text into comparable words (ICU) and finding a list's entries in it. Both the list and the
 * message pass through text_make, so whatever a trick does to a letter it does on both sides. */
#include "server/policy/wordlist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#define MAX_TEXT 16384
#define MIN_RUN 3 /* spaced-out single letters joined from this many on */

struct span {
	uint32_t off, len; /* in the owner's code point buffer; len 0 = a number (breaks phrases and runs) */
};

struct wordlist_text {
	UChar32 *buf; /* every token, chunk and run below */
	size_t len, cap;
	struct span *tok, *chunk, *run; /* words; letters of each space-separated chunk; joined spaced-out letters */
	size_t ntok, nchunk, nrun, tcap, ccap, rcap;
};

struct entry {
	size_t tok0, ntok; /* its words in wordlist.tok */
	struct span joined;
	int prefix, line;
};

/* The index: each entry under the hash of its first word (kind 0) and of its words joined (kind 1), sorted by hash,
 * so a message's words look up their few candidates instead of trying every entry. */
struct key {
	uint64_t h;
	uint32_t entry;
	uint32_t kind;
};

struct wordlist {
	UChar32 *buf;
	size_t len, cap;
	struct span *tok;
	size_t ntok, tcap;
	struct entry *e;
	size_t n, ecap;
	struct key *keys; /* 2 per entry, by h */
	int has_prefix;   /* some entry ends in '*': look up every prefix of a word too */
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * size);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int put(UChar32 **buf, size_t *len, size_t *cap, UChar32 c)
{
	if (grow((void **)buf, cap, *len + 1, sizeof(UChar32)))
		return -1;
	(*buf)[(*len)++] = c;
	return 0;
}

static int add_span(struct span **a, size_t *n, size_t *cap, struct span s)
{
	if (grow((void **)a, cap, *n + 1, sizeof(struct span)))
		return -1;
	(*a)[(*n)++] = s;
	return 0;
}

/* Letters that imitate Latin ones (Cyrillic, Greek, a few Latin variants), as case-folded text has them. */
static UChar32 latin_lookalike(UChar32 c)
{
	if (c < 0x80)
		return c;
	static const UChar32 map[][2] = {
	    {0x0430, 'a'}, {0x0435, 'e'}, {0x0456, 'i'}, {0x0458, 'j'}, {0x043A, 'k'}, {0x043C, 'm'}, {0x043D, 'h'},
	    {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0442, 't'}, {0x0443, 'y'}, {0x0445, 'x'}, {0x0455, 's'},
	    {0x0501, 'd'}, {0x0261, 'g'}, {0x03B1, 'a'}, {0x03B2, 'b'}, {0x03B5, 'e'}, {0x03B7, 'n'}, {0x03B9, 'i'},
	    {0x03BA, 'k'}, {0x03BD, 'v'}, {0x03BF, 'o'}, {0x03C1, 'p'}, {0x03C4, 't'}, {0x03C5, 'u'}, {0x03C7, 'x'},
	    {0x00F8, 'o'}, {0x0142, 'l'}, {0x0111, 'd'}, {0x0131, 'i'}, {0x0251, 'a'}, {0x0269, 'i'},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i][0] == c)
			return map[i][1];
	return c;
}

/* Digits and signs written for letters ("s3x", "$ex", "p0rn"); 0 when c is none. */
static UChar32 leet(UChar32 c)
{
	static const char from[] = "01345789@$", to[] = "oieastbgas";
	const char *p = c > 0 && c < 0x80 ? strchr(from, (int)c) : NULL;
	return p ? (UChar32)to[p - from] : 0;
}

/* src normalised by n into a malloc'd buffer (preflighted: NFKC may expand a code point many times). */
static UChar *normalise(const UNormalizer2 *n, const UChar *src, int32_t len, int32_t *out)
{
	UErrorCode e = U_ZERO_ERROR;
	int32_t need = unorm2_normalize(n, src, len, NULL, 0, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return NULL;
	UChar *d = malloc(sizeof(UChar) * ((size_t)need + 1));
	e = U_ZERO_ERROR;
	if (d)
		*out = unorm2_normalize(n, src, len, d, need + 1, &e);
	if (d && U_FAILURE(e)) {
		free(d);
		return NULL;
	}
	return d;
}

/* UTF-8 -> NFKC case-folded -> NFD (so accents are separate marks, dropped by the reader). */
static UChar *folded(const char *text, size_t len, int32_t *out)
{
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *cf = unorm2_getNFKCCasefoldInstance(&e), *nfd = unorm2_getNFDInstance(&e);
	if (U_FAILURE(e) || len > MAX_TEXT)
		return NULL;
	UChar *u = malloc(sizeof(UChar) * (len + 1));
	int32_t ulen = 0, clen = 0;
	if (u)
		u_strFromUTF8(u, (int32_t)len + 1, &ulen, text, (int32_t)len, &e);
	UChar *c = u && U_SUCCESS(e) ? normalise(cf, u, ulen, &clen) : NULL;
	UChar *d = c ? normalise(nfd, c, clen, out) : NULL;
	free(u);
	free(c);
	return d;
}

/* Collapse repeated letters of the last len code points of buf ("seeeex" -> "sex"); returns the new length. */
static uint32_t collapse(UChar32 *buf, size_t *buflen, uint32_t off)
{
	size_t w = off;
	for (size_t r = off; r < *buflen; r++)
		if (w == off || buf[w - 1] != buf[r])
			buf[w++] = buf[r];
	*buflen = w;
	return (uint32_t)(w - off);
}

struct reader {
	struct wordlist_text *t;
	uint32_t tok_off; /* where the current word's raw code points start in t->buf */
	int chunk_toks;   /* words in the current space-separated chunk */
};

/* Whether p[i] is a digit next to another digit: part of a number ("s350", "lina2009"), not a letter. */
static int in_number(const UChar32 *p, size_t n, size_t i)
{
	return u_isdigit(p[i]) && ((i > 0 && u_isdigit(p[i - 1])) || (i + 1 < n && u_isdigit(p[i + 1])));
}

/* End the current word: its letters kept, and signs read as letters where the word has two letters of its own
 * ("s3x", "p0rn", "$ex"); a word without letters is a number (a break) unless it is a single sign in a row of
 * spaced-out letters ("s 3 x"). */
static int end_token(struct reader *r)
{
	struct wordlist_text *t = r->t;
	size_t raw = t->len - r->tok_off, letters = 0, w = 0;
	if (!raw)
		return 0; /* (t->buf may still be NULL: an empty text) */
	UChar32 *p = t->buf + r->tok_off;
	for (size_t i = 0; i < raw; i++)
		letters += u_isalpha(p[i]) != 0;
	if (!letters && raw == 1 && leet(p[0]))
		p[w++] = leet(p[0]);
	for (size_t i = 0; letters && i < raw; i++)
		if (u_isalpha(p[i]))
			p[w++] = p[i];
		else if (letters >= 2 && leet(p[i]) && !in_number(p, raw, i))
			p[w++] = leet(p[i]);
	t->len = r->tok_off + w;
	uint32_t n = collapse(t->buf, &t->len, r->tok_off);
	r->chunk_toks++;
	int rc = add_span(&t->tok, &t->ntok, &t->tcap, (struct span){r->tok_off, n});
	r->tok_off = (uint32_t)t->len;
	return rc;
}

/* End the space-separated chunk: its words' letters together ("se.x" -> "sex"), when it had more than one. */
static int end_chunk(struct reader *r)
{
	struct wordlist_text *t = r->t;
	if (end_token(r))
		return -1;
	if (r->chunk_toks > 1) {
		uint32_t off = (uint32_t)t->len;
		for (size_t i = t->ntok - (size_t)r->chunk_toks; i < t->ntok; i++)
			for (uint32_t k = 0; k < t->tok[i].len; k++)
				if (put(&t->buf, &t->len, &t->cap, t->buf[t->tok[i].off + k]))
					return -1;
		uint32_t n = collapse(t->buf, &t->len, off);
		if (n && add_span(&t->chunk, &t->nchunk, &t->ccap, (struct span){off, n}))
			return -1;
	}
	r->chunk_toks = 0;
	r->tok_off = (uint32_t)t->len;
	return 0;
}

static int read_cp(struct reader *r, UChar32 c)
{
	struct wordlist_text *t = r->t;
	int8_t type = (int8_t)u_charType(c);
	if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK || c == 0x27 || c == 0x2019 || c == 0x02BC)
		return 0; /* accents and apostrophes ("don't" is "dont") */
	if (u_isUWhiteSpace(c))
		return end_chunk(r);
	c = latin_lookalike(c);
	if (!u_isalpha(c) && !u_isdigit(c) && !leet(c))
		return end_token(r);
	return put(&t->buf, &t->len, &t->cap, c);
}

/* Rows of single letters ("s e x", "s.e.x") joined into one string each. */
static int join_runs(struct wordlist_text *t)
{
	for (size_t i = 0; i < t->ntok;) {
		size_t j = i;
		while (j < t->ntok && t->tok[j].len == 1)
			j++;
		if (j - i >= MIN_RUN) {
			uint32_t off = (uint32_t)t->len;
			for (size_t k = i; k < j; k++)
				if (put(&t->buf, &t->len, &t->cap, t->buf[t->tok[k].off]))
					return -1;
			uint32_t n = collapse(t->buf, &t->len, off);
			if (add_span(&t->run, &t->nrun, &t->rcap, (struct span){off, n}))
				return -1;
		}
		i = j > i ? j : i + 1;
	}
	return 0;
}

struct wordlist_text *wordlist_text_make(const char *text, size_t len)
{
	int32_t n = 0;
	UChar *u = folded(text, len, &n);
	struct wordlist_text *t = u ? calloc(1, sizeof(*t)) : NULL;
	struct reader r = {t, 0, 0};
	int rc = t ? 0 : -1;
	for (int32_t i = 0; rc == 0 && i < n;) {
		UChar32 c;
		U16_NEXT(u, i, n, c);
		rc = read_cp(&r, c);
	}
	if (rc == 0)
		rc = end_chunk(&r);
	if (rc == 0)
		rc = join_runs(t);
	free(u);
	if (rc) {
		wordlist_text_free(t);
		return NULL;
	}
	return t;
}

void wordlist_text_free(struct wordlist_text *t)
{
	if (!t)
		return;
	free(t->buf);
	free(t->tok);
	free(t->chunk);
	free(t->run);
	free(t);
}

static int build_index(struct wordlist *w);

static int add_entry(struct wordlist *w, const struct wordlist_text *t, int prefix, int line)
{
	struct entry e = {w->ntok, 0, {0, 0}, prefix, line};
	for (size_t i = 0; i < t->ntok; i++) {
		const struct span *s = &t->tok[i];
		if (!s->len) /* a number in an entry cannot be matched: skip the entry */
			return 0;
		for (uint32_t k = 0; k < s->len; k++)
			if (put(&w->buf, &w->len, &w->cap, t->buf[s->off + k]))
				return -1;
		if (add_span(&w->tok, &w->ntok, &w->tcap, (struct span){(uint32_t)w->len - s->len, s->len}))
			return -1;
		e.ntok++;
	}
	if (!e.ntok)
		return 0;
	e.joined.off = (uint32_t)w->len;
	for (size_t i = e.tok0; i < w->ntok; i++) /* the words again, joined */
		for (uint32_t k = 0; k < w->tok[i].len; k++)
			if (put(&w->buf, &w->len, &w->cap, w->buf[w->tok[i].off + k]))
				return -1;
	e.joined.len = collapse(w->buf, &w->len, e.joined.off);
	if (grow((void **)&w->e, &w->ecap, w->n + 1, sizeof(struct entry)))
		return -1;
	w->e[w->n++] = e;
	return 0;
}

struct wordlist *wordlist_parse(const char *text, size_t len)
{
	struct wordlist *w = calloc(1, sizeof(*w));
	int line = 0;
	for (const char *p = text, *end = text + len; w && p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		const char *q = e;
		while (q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'))
			q--;
		int prefix = q > p && q[-1] == '*';
		struct wordlist_text *t = *p != '#' && q > p ? wordlist_text_make(p, (size_t)(q - p - prefix)) : NULL;
		if (t && add_entry(w, t, prefix, line + 1)) {
			wordlist_text_free(t);
			wordlist_free(w);
			return NULL;
		}
		wordlist_text_free(t);
		p = e + 1;
	}
	if (w && build_index(w)) {
		wordlist_free(w);
		return NULL;
	}
	return w;
}

void wordlist_free(struct wordlist *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w->tok);
	free(w->e);
	free(w->keys);
	free(w);
}

size_t wordlist_count(const struct wordlist *w)
{
	return w ? w->n : 0;
}

/* Whether the entry's word a (len alen) is the text's word b: equal, or b starts with it for a prefix entry. */
static int word_is(const UChar32 *a, size_t alen, const UChar32 *b, size_t blen, int prefix)
{
	return alen && (prefix ? blen >= alen : blen == alen) && !memcmp(a, b, alen * sizeof(UChar32));
}

static int in_run(const UChar32 *a, size_t alen, const UChar32 *b, size_t blen)
{
	for (size_t i = 0; alen >= MIN_RUN && i + alen <= blen; i++)
		if (!memcmp(a, b + i, alen * sizeof(UChar32)))
			return 1;
	return 0;
}

/* FNV-1a over code points, one step at a time (so every prefix of a word costs one step more). */
#define HASH_START 1469598103934665603ull
static uint64_t hash_step(uint64_t h, UChar32 c)
{
	return (h ^ (uint64_t)(uint32_t)c) * 1099511628211ull;
}

static uint64_t hash_cps(const UChar32 *p, size_t n)
{
	uint64_t h = HASH_START;
	for (size_t i = 0; i < n; i++)
		h = hash_step(h, p[i]);
	return h;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	return x->h < y->h ? -1 : x->h > y->h;
}

static int build_index(struct wordlist *w)
{
	w->keys = malloc(sizeof(struct key) * (w->n * 2 + 1));
	if (!w->keys)
		return -1;
	for (size_t i = 0; i < w->n; i++) {
		const struct span *first = &w->tok[w->e[i].tok0];
		w->keys[2 * i] = (struct key){hash_cps(w->buf + first->off, first->len), (uint32_t)i, 0};
		w->keys[2 * i + 1] =
		    (struct key){hash_cps(w->buf + w->e[i].joined.off, w->e[i].joined.len), (uint32_t)i, 1};
		w->has_prefix |= w->e[i].prefix;
	}
	qsort(w->keys, w->n * 2, sizeof(struct key), key_cmp);
	return 0;
}

/* Whether entry e's words are the text's words from word i on. */
static int words_at(const struct wordlist *w, const struct entry *e, const struct wordlist_text *t, size_t i)
{
	if (i + e->ntok > t->ntok)
		return 0;
	for (size_t k = 0; k < e->ntok; k++) {
		const struct span *a = &w->tok[e->tok0 + k], *b = &t->tok[i + k];
		if (!word_is(w->buf + a->off, a->len, t->buf + b->off, b->len, e->prefix && k == e->ntok - 1))
			return 0;
	}
	return 1;
}

struct search {
	const struct wordlist *w;
	const struct wordlist_text *t;
	int best; /* smallest line found, 0 = none */
};

static void found(struct search *q, const struct entry *e)
{
	if (!q->best || e->line < q->best)
		q->best = e->line;
}

/* Entries filed under h, the hash of a word's first n code points as `kind`; whole: n is the whole word. */
static void candidates(struct search *q, const struct span *s, uint64_t h, uint32_t kind, size_t word, int whole)
{
	const struct wordlist *w = q->w;
	size_t lo = 0, hi = w->n * 2;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->keys[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < w->n * 2 && w->keys[lo].h == h; lo++) {
		const struct entry *e = &w->e[w->keys[lo].entry];
		if (w->keys[lo].kind != kind || (!whole && !(e->prefix && (kind == 1 || e->ntok == 1))))
			continue;
		if (kind == 0 ? words_at(w, e, q->t, word)
			      : word_is(w->buf + e->joined.off, e->joined.len, q->t->buf + s->off, s->len, e->prefix))
			found(q, e);
	}
}

/* A word (or chunk) and, when some entry is a prefix, each of its beginnings. */
static void look_up(struct search *q, const struct span *s, uint32_t kind, size_t word)
{
	const UChar32 *p = q->t->buf + s->off;
	uint64_t h = HASH_START;
	for (size_t n = 1; n <= s->len; n++) {
		h = hash_step(h, p[n - 1]);
		if (n == s->len || q->w->has_prefix)
			candidates(q, s, h, kind, word, n == s->len);
	}
}

int wordlist_find(const struct wordlist *w, const struct wordlist_text *t)
{
	if (!w || !t || !w->n)
		return 0;
	struct search q = {w, t, 0};
	for (size_t i = 0; i < t->ntok; i++)
		look_up(&q, &t->tok[i], 0, i);
	for (size_t i = 0; i < t->nchunk; i++)
		look_up(&q, &t->chunk[i], 1, 0);
	for (size_t r = 0; r < t->nrun; r++) /* rare: spaced-out letters; every entry */
		for (size_t i = 0; i < w->n; i++)
			if (in_run(w->buf + w->e[i].joined.off, w->e[i].joined.len, t->buf + t->run[r].off,
				   t->run[r].len))
				found(&q, &w->e[i]);
	return q.best;
}
