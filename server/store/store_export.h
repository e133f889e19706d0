/* store_export.h: one person's data for a subject-access request (GDPR art. 15), as one JSON document: the account,
 * the cases they are in, their agreements (terms included), every message of their conversations (sent and
 * received) still kept, their held messages, pauses of their agreements, and the audit entries about them (the same
 * entries an erasure would reach: as actor, on their agreements, or naming their username), and under "media" the
 * photos, clips and voice notes they may open (uploaded by them, or sent to them), each with its blob's hash and the
 * name of its copy in the zip. server/retention/export_zip.h packs it as a zip. */
#ifndef SAMVAER_STORE_EXPORT_H
#define SAMVAER_STORE_EXPORT_H

#include <jansson.h>
#include <stdint.h>

#include "server/store/store.h"

#define EXPORT_FORMAT "samvaer-subject-access-1"

/* The document (a new reference), or NULL with store_errmsg (STORE_NOT_FOUND: *missing = 1). */
json_t *store_export_account(struct store *s, int64_t account_id, int *missing);

#endif
