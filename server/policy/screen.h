/* screen.h: finds contact details (phone numbers, e-mail addresses, street addresses) in message text, for
 * agreements that hold such messages for review. Text is NFKC-normalised first (ICU), so full-width digits
 * and similar look-alikes are caught too. */
#ifndef SAMVAER_SCREEN_H
#define SAMVAER_SCREEN_H

#include <stddef.h>

enum screen_hit { SCREEN_NONE, SCREEN_PHONE, SCREEN_EMAIL, SCREEN_ADDRESS };

/* What kind of contact detail the text contains first, or SCREEN_NONE. Invalid UTF-8 counts as none. */
enum screen_hit screen_contact_details(const char *text, size_t len);
const char *screen_hit_name(enum screen_hit h); /* "phone", "email", "address", "none" */

#endif
