/* screen.h: finds what agreements may hold a message for: contact details (phone numbers, e-mail and street
 * addresses, links, social-media names) and words from the built-in lists (server/policy/words/LANG.txt). Text is
 * NFKC-normalised and case-folded first (ICU), so full-width digits and similar look-alikes are caught too. */
#ifndef SAMVAER_SCREEN_H
#define SAMVAER_SCREEN_H

#include <stddef.h>

enum screen_hit { SCREEN_NONE, SCREEN_PHONE, SCREEN_EMAIL, SCREEN_ADDRESS, SCREEN_URL, SCREEN_HANDLE };

/* What kind of contact detail the text contains first, or SCREEN_NONE. Invalid UTF-8 counts as none. */
enum screen_hit screen_contact_details(const char *text, size_t len);
const char *screen_hit_name(enum screen_hit h); /* "phone", "email", "address", "url", "handle", "none" */

/* Whether the text contains an entry of a word list: the list's language ("ro") with *line set to the entry's line
 * in server/policy/words/LANG.txt, or NULL. Every language's list applies: families write in more than one. */
const char *screen_words(const char *text, size_t len, int *line);

#endif
