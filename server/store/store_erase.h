/* store_erase.h: erasing a person or a whole case on a lawful request (GDPR art. 17), inside one write transaction.
 *
 * An account: its conversations' messages are floored away (store_retention.h; store_messages_compact then takes
 * them out of the log file), held messages and receipts deleted, agreements ended with their labels and terms
 * cleared, pause reasons, notices, proposals' notes and invitations' names cleared, sessions, devices, pairings and
 * push subscriptions deleted, the photos, clips and voice notes of those conversations (and any the person uploaded,
 * and their profile photos) deleted with their blob references (the blob sweep deletes the files), case links removed, and the account row kept as a pseudonym ("erased-ID", no name, no
 * password, disabled) because the audit trail and agreements refer to its id. Audit entries about the person
 * (actor, their agreements, their username in a detail; for a child, the whole case) lose their detail
 * (audit_erase.h), and an `erasure` entry names them so the trail still verifies.
 * A case: the child's account as above, plus every audit entry, notice, invitation and the retention setting of
 * the case; the contacts' accounts stay (erase them separately when the request covers them). */
#ifndef SAMVAER_STORE_ERASE_H
#define SAMVAER_STORE_ERASE_H

#include <stdint.h>

#include "server/store/store.h"

struct erase_result {
	int64_t account_id;    /* who was erased (the child for a case) */
	int64_t case_id;       /* the case erased, or 0 */
	int64_t conversations; /* agreements whose messages went */
	int64_t messages;      /* messages removed */
	int64_t audit_entries; /* details erased */
	int64_t audit_seq;     /* the erasure entry */
};

/* actor: who asked (0 = operator console); reference: the request's reference (case file number), required.
 * STORE_OK, STORE_NOT_FOUND (no such account/case, or already erased), STORE_ERR. */
int store_erase_account(struct store *s, int64_t actor, int64_t account_id, const char *reference,
			struct erase_result *out);
int store_erase_case(struct store *s, int64_t actor, int64_t case_id, const char *reference, struct erase_result *out);

#endif
