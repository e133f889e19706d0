/* retention.h: forgetting what the law says to forget, in the server — the periodic retention sweep (per-case
 * periods, store_retention.h) and erasure of an account or a case (store_erase.h), each followed by a compaction of
 * DIR/messages.log so the removed messages leave the file, and each reported in the audit trail, the log and
 * /metrics.
 *
 * Both commit on the control thread between loop turns: the group commit is flushed first (every acknowledged
 * message durable), then the floors and the audit entries are committed durably, which hides the removed messages.
 * The same sweep removes media (attachments older than their case's media_days, or whose message was removed, and
 * processed uploads never sent within unsent_upload_grace_s) and expired call recordings; their blob files go right
 * after the commit (blobstore_sweep).
 *
 * The sweep (every retention_sweep_s seconds, default an hour) then compacts in the background: a thread copies the
 * kept records to messages.log.compact while sends go on, and the loop finishes (the records appended meanwhile, one
 * fdatasync, a rename) when it is done. An erasure compacts at once, on the loop, so its reply can say the messages
 * left the file. */
#ifndef SAMVAER_RETENTION_H
#define SAMVAER_RETENTION_H

#include <stdint.h>

#include "server/store/store_erase.h"

struct app;

struct retention_report {
	int64_t cases, conversations, messages; /* what the sweep removed */
	uint64_t bytes_before, bytes_after;     /* messages.log around the compaction */
	int recordings;                         /* call recording files removed (recordings_days) */
	int media;            /* attachments removed: older than media_days, or their message removed */
	int64_t media_bytes;  /* their bytes (a blob another kept attachment shares stays on disk) */
	int unsent;           /* processed uploads never sent, removed after unsent_upload_grace_s */
	int64_t unsent_bytes; /* their bytes */
};

/* Start / stop the periodic sweep (app.c). */
void retention_start(struct app *app);
void retention_stop(struct app *app);
/* One sweep now: 0, or -1 (logged; nothing half-done is acknowledged: floors commit before the file changes). */
int retention_sweep(struct app *app, int64_t now, struct retention_report *out);
/* Erase an account (case_id 0) or a case (account_id ignored). actor: who asked. STORE_OK, STORE_NOT_FOUND,
 * STORE_ERR. The connections of the erased account are closed. */
int retention_erase(struct app *app, int64_t actor, int64_t account_id, int64_t case_id, const char *reference,
		    struct erase_result *out);

#endif
