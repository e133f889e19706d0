/* chat_attach.c: attachment checks for msg.send and the attachment member of history, over the attachments table
 * (server/blobs/attachments.h). */
#include "server/chat/chat_attach.h"

#include <string.h>

#include "server/blobs/attachments_expire.h"

enum chat_attach_use chat_attach_check(struct store *st, const char *id, int64_t sender, const struct agreement *a,
				       struct attachment *out)
{
	if (strlen(id) != ATTACHMENT_ID_LEN)
		return CHAT_ATTACH_UNAVAILABLE;
	int rc = attachment_get(st, id, out);
	if (rc == STORE_ERR)
		return CHAT_ATTACH_STORE_ERROR;
	if (rc != STORE_OK || out->uploader_id != sender || out->agreement_id != a->id ||
	    attachment_kind_channel(out->kind) < 0)
		return CHAT_ATTACH_UNAVAILABLE;
	if (out->state == ATT_READY)
		return CHAT_ATTACH_READY;
	return out->state == ATT_SENT || out->state == ATT_HELD || out->state == ATT_APPROVED ? CHAT_ATTACH_USED
											      : CHAT_ATTACH_UNAVAILABLE;
}

/* The attachment recorded at (agreement, seq), if its uploader is the message's sender. */
static int attachment_at(struct store *st, const struct message *m, struct attachment *a)
{
	if (m->sender_id <= 0 || attachment_by_message(st, m->agreement_id, m->seq, a) != STORE_OK)
		return 0;
	return a->uploader_id == m->sender_id && (a->state == ATT_SENT || a->state == ATT_APPROVED);
}

/* An attachment the retention sweep removed: {"id","kind","expired":true}, no URL (PROTOCOL.md §16). */
static json_t *expired_at(struct store *st, const struct message *m)
{
	struct attachment_gone g;
	if (m->sender_id <= 0 || attachment_expired_at(st, m->agreement_id, m->seq, &g) != STORE_OK ||
	    g.uploader_id != m->sender_id)
		return NULL;
	return json_pack("{s:s,s:s,s:b}", "id", g.id, "kind", attachment_kind_name(g.kind), "expired", 1);
}

json_t *chat_attach_of_message(struct store *st, const struct message *m)
{
	struct attachment a;
	return attachment_at(st, m, &a) ? attachment_json(&a) : expired_at(st, m);
}

int chat_attach_is(struct store *st, const struct message *m, const char *id)
{
	struct attachment a;
	struct attachment_gone g;
	if (attachment_at(st, m, &a))
		return id && !strcmp(a.id, id);
	if (m->sender_id > 0 && attachment_expired_at(st, m->agreement_id, m->seq, &g) == STORE_OK &&
	    g.uploader_id == m->sender_id)
		return id && !strcmp(g.id, id); /* it carried one, since expired */
	return !id;
}
