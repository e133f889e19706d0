/* wordlist.h: word lists (one entry a line) matched against message text after the same normalisation on both
 * sides — ICU NFKC case folding, accents removed, look-alike letters (Cyrillic, Greek) and digits ("s3x") read
 * as the Latin letters they imitate, repeated letters collapsed, and spaced-out letters ("s e x", "s.e.x") joined.
 *
 * A list is plain text: an entry per line, '#' starts a comment line, an entry ending in '*' also matches longer
 * words ("sex*" matches "sexy"), an entry of several words matches those words in a row. */
#ifndef SAMVAER_WORDLIST_H
#define SAMVAER_WORDLIST_H

#include <stddef.h>

struct wordlist;
struct wordlist_text;

/* Compile a list; NULL when out of memory. Entries that normalise to nothing are skipped. */
struct wordlist *wordlist_parse(const char *text, size_t len);
void wordlist_free(struct wordlist *w);
size_t wordlist_count(const struct wordlist *w);

/* Normalise message text once for any number of lists; NULL on invalid UTF-8, text past 16 KiB or no memory. */
struct wordlist_text *wordlist_text_make(const char *text, size_t len);
void wordlist_text_free(struct wordlist_text *t);

/* The line number (1-based) of the first entry of `w` found in `t`, or 0. */
int wordlist_find(const struct wordlist *w, const struct wordlist_text *t);

#endif
