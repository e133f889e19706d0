/* username.h: usernames as people type them and as the store matches them — ICU's NFKC case folding, so "Mia",
 * "MIA" and fullwidth "ＭＩＡ" are one name (accounts.username_key holds the folded form). */
#ifndef SAMVAER_USERNAME_H
#define SAMVAER_USERNAME_H

#include <stddef.h>

#define USERNAME_MIN 2       /* bytes of a username as given */
#define USERNAME_MAX 64      /* bytes of a username as given */
#define USERNAME_KEY_MAX 256 /* bytes of a folded key, with its terminator (folding may lengthen a name) */

/* The matching key of `name`: NFKC_Casefold (Unicode's NFKC_CF, unorm2_getNFKCCasefoldInstance) as UTF-8.
 * The fold is idempotent: a key folds to itself. 0, or -1 if name is not valid UTF-8 or the key does not fit. */
int username_key(const char *name, char *out, size_t cap);
/* 1 if `name` may name a new account: 2-64 bytes of valid UTF-8 whose folded key holds only letters (with their marks), digits
 * and '.', '_', '-' (no spaces, no symbols, no controls); else 0. */
int username_valid(const char *name);

#endif
