/* profile_photo.h: the `photo` member clients get for a person (contacts.list peers, the account after login): the
 * URL of the thumbnail of their newest profile photo, read on each request with the /media rule. */
#ifndef SAMVAER_PROFILE_PHOTO_H
#define SAMVAER_PROFILE_PHOTO_H

#include <stdint.h>

#include <jansson.h>

#include "server/store/store.h"

#define PROFILE_PHOTO_URL_MAX 48 /* "/media/" + 22-character id + "/thumb" + NUL */

/* The photo URL of `account` into out: 1 when there is one, 0 when not (or the store failed: no photo shown). */
int profile_photo_url(struct store *s, int64_t account, char out[PROFILE_PHOTO_URL_MAX]);

/* Set obj."photo" to that URL when there is one; leave obj alone otherwise. */
void profile_photo_json(struct store *s, int64_t account, json_t *obj);

#endif
