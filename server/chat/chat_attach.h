/* chat_attach.h: what a message's attachment needs inside chat — may this sender send it here, and the
 * `attachment` member of a stored message (PROTOCOL.md, "Attachments in messages"). Internal to server/chat. */
#ifndef SAMVAER_CHAT_ATTACH_H
#define SAMVAER_CHAT_ATTACH_H

#include <jansson.h>

#include "server/blobs/attachments.h"
#include "server/policy/agreement.h"
#include "server/store/store.h"

enum chat_attach_use {
	CHAT_ATTACH_READY,       /* may be sent now (processed, the sender's, for this conversation, a message kind) */
	CHAT_ATTACH_USED,        /* the sender's for this conversation, but already sent or held: a retry at best */
	CHAT_ATTACH_UNAVAILABLE, /* no such attachment for this sender and conversation (or rejected, or a profile photo) */
	CHAT_ATTACH_STORE_ERROR
};

/* Read attachment `id` into *out and say whether `sender` may send it in conversation `a`. Another person's
 * attachment answers like one that does not exist, so ids cannot be probed. */
enum chat_attach_use chat_attach_check(struct store *st, const char *id, int64_t sender, const struct agreement *a,
				       struct attachment *out);
/* The attachment sent (or approved) as message m, as its wire object (a new reference), or NULL if none. One the
 * retention sweep removed is {"id","kind","expired":true}. */
json_t *chat_attach_of_message(struct store *st, const struct message *m);
/* Whether message m carries attachment `id` (NULL: carries none). */
int chat_attach_is(struct store *st, const struct message *m, const char *id);

#endif
