/* profile_photo.c: a person's profile photo as the URL clients show (see profile_photo.h). */
#include <stdio.h>

#include "server/blobs/attachments.h"
#include "server/blobs/profile_photo.h"

int profile_photo_url(struct store *s, int64_t account, char out[PROFILE_PHOTO_URL_MAX])
{
	char id[ATTACHMENT_ID_LEN + 1];
	out[0] = '\0';
	if (account <= 0 || attachment_profile_of(s, account, id) != STORE_OK)
		return 0;
	snprintf(out, PROFILE_PHOTO_URL_MAX, "/media/%s/thumb", id);
	return 1;
}

void profile_photo_json(struct store *s, int64_t account, json_t *obj)
{
	char url[PROFILE_PHOTO_URL_MAX];
	if (obj && profile_photo_url(s, account, url))
		json_object_set_new(obj, "photo", json_string(url));
}
