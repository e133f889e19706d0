/* attachments_expire.h: media the retention sweep removes (server/retention/) — attachments of messages older than
 * their case's media_days or below their conversation's message floor, and uploads never sent within the grace
 * period — and the mark an expired attachment leaves in its conversation, which history shows (PROTOCOL.md §16). */
#ifndef SAMVAER_ATTACHMENTS_EXPIRE_H
#define SAMVAER_ATTACHMENTS_EXPIRE_H

#include <stdint.h>

#include "server/blobs/attachments.h"
#include "server/store/store.h"

/* What one call removed. */
struct attachment_expiry {
	int removed;   /* attachment rows deleted */
	int64_t bytes; /* their total_bytes (blobs shared with a kept attachment stay on disk) */
};

/* In the caller's transaction: delete, at most `limit`, the attachments that were sent, approved or rejected (held
 * ones wait for their supervisor) and are either older than their case's media_days (by the time they were sent) or
 * in a message below its conversation's floor (messages_days, erasure). Each leaves a mark at its message (sent or
 * approved) and an audit entry (retention, action media_expired) on its case and agreement; its blobs lose a
 * reference, and blobstore_sweep deletes those left with none after the commit. STORE_OK or STORE_ERR. */
int attachment_expire_media(struct store *s, int64_t now, int limit, struct attachment_expiry *out);
/* In the caller's transaction: delete, at most `limit`, the attachments still ready (processed, never sent, held
 * or made a profile photo) created before `before`. STORE_OK or STORE_ERR. */
int attachment_expire_unsent(struct store *s, int64_t before, int limit, struct attachment_expiry *out);

/* The mark of an expired attachment at a message. */
struct attachment_gone {
	char id[ATTACHMENT_ID_LEN + 1];
	enum attachment_kind kind;
	int64_t uploader_id;
	int64_t expired_at; /* ms */
};
/* STORE_OK with *out, STORE_NOT_FOUND (no expired attachment there), or STORE_ERR. */
int attachment_expired_at(struct store *s, int64_t agreement, int64_t seq, struct attachment_gone *out);

#endif
