/* audit.h: the append-only, hash-chained audit trail (table `audit`): every refusal and hold, every agreement
 * change, approval, pause and login. Entry n stores SHA-256(entry n-1's hash || canonical form of entry n),
 * so editing, removing or reordering any entry breaks the chain from there on. */
#ifndef SAMVAER_AUDIT_H
#define SAMVAER_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store.h"

/* Kinds in use (stable strings; reports and the console read them). */
#define AUDIT_LOGIN "login"                     /* detail: {username, ok, reason?} */
#define AUDIT_REFUSAL "refusal"                 /* detail: {channel, verdict, reason, rule} */
#define AUDIT_HOLD "hold"                       /* detail: {channel, reason, rule, seq?} */
#define AUDIT_AGREEMENT_CREATED "agreement_created"
#define AUDIT_AGREEMENT_STATUS "agreement_status" /* detail: {from, to, reason} */
#define AUDIT_TERMS_CHANGED "terms_changed"     /* detail: {proposal_id, terms} */
#define AUDIT_PROPOSAL "proposal"               /* detail: {proposal_id, role} */
#define AUDIT_APPROVAL "approval"               /* detail: {proposal_id, role, decision, note} */
#define AUDIT_PAUSE "pause"                     /* detail: {by_role, reason, expires_at} */
#define AUDIT_UNPAUSE "unpause"                 /* detail: {by_role} */
#define AUDIT_MESSAGE_REVIEW "message_review"   /* detail: {seq, decision} */
#define AUDIT_ACCOUNT "account"                 /* detail: {username, action} */
#define AUDIT_CASE "case"                       /* detail: {action, member?, role?} */

/* Append one entry inside the caller's open write transaction (store_begin). Steals `detail` (an object;
 * NULL = {}). case_id/agreement_id/actor may be 0 (stored as NULL). Returns STORE_OK or STORE_ERR. */
int audit_append(struct store *s, int64_t actor, const char *kind, int64_t case_id, int64_t agreement_id,
		 json_t *detail);

struct audit_check {
	int ok;                /* 1 if the whole chain verifies */
	int64_t entries;       /* entries checked */
	int64_t first_bad_seq; /* first entry that does not verify (0 if ok) */
	char problem[160];     /* what is wrong with it: "hash mismatch", "gap after seq 41", ... */
};

/* Walk the whole chain. Returns STORE_OK (see check->ok) or STORE_ERR. */
int audit_verify(struct store *s, struct audit_check *check);

#endif
