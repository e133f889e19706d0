/* i18n.h: the server's human messages in a person's language: catalogs server/i18n/<lang>.json (flat
 * {"area.key": "ICU MessageFormat"}, as docs/I18N.md describes) formatted with libicu's umsg. Control thread only. */
#ifndef SAMVAER_I18N_H
#define SAMVAER_I18N_H

#include <stddef.h>

#define I18N_FALLBACK "en"
#define I18N_TAG_MAX 8    /* a supported tag with its NUL ("ro") */
#define I18N_TEXT_MAX 512 /* bytes of one formatted message, as replies use it */

/* One argument of a message: a text (text != NULL) or a number. */
struct i18n_arg {
	const char *name;
	const char *text;
	double num;
};

/* Load the catalog of every supported language from dir (replacing any loaded before); each message is opened with
 * ICU, so a message that does not parse fails the load. The fallback (en) must be there; a missing translation
 * only leaves that language to the fallback. 0, or -1 with err. */
int i18n_load(const char *dir, char *err, size_t errlen);
/* Where the catalogs are by default: the configured dir, else ./server/i18n, else the source tree's. */
const char *i18n_default_dir(void);
/* Forget the catalogs (every text is then the caller's English default). */
void i18n_unload(void);
/* Whether a language's catalog is loaded. */
int i18n_loaded(const char *lang);

/* The supported language a tag names ("ro-RO" and "RO" give "ro"), or NULL. */
const char *i18n_match(const char *tag);
/* The supported language an HTTP Accept-Language header prefers (the highest q; the first of equals), or NULL:
 * "da-DK,da;q=0.9,en;q=0.8" gives "da", "fr, ro;q=0.5" gives "ro", "ro;q=0" nothing. */
const char *i18n_accept_language(const char *header);
/* Whether tag may be stored as a preference: "" (follow the device) or a supported language. */
int i18n_valid_pref(const char *tag);
/* The language to answer in: the account's preference if supported, else the client's, else en. */
const char *i18n_choose(const char *account_pref, const char *client_tag);

/* Format key in lang (en when lang lacks it) with args into out (UTF-8, always NUL-terminated). Returns out, or
 * NULL when no catalog has the key or an argument it names is missing (then out holds ""). */
const char *i18n_format(const char *lang, const char *key, const struct i18n_arg *args, size_t n, char *out,
			size_t cap);
/* A message without arguments; `fallback` (the code's English default) when no catalog has the key. */
const char *i18n_text(const char *lang, const char *key, const char *fallback, char *out, size_t cap);

#endif
