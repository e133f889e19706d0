/* invites.h: invitations into a child's case — a caseworker or carer of the case invites a named person with a
 * relationship and optional proposed terms; the person redeems the one-time code once, and the agreement is created
 * pending through the approvals rule (agreements/approvals.h). Shared by the admin API, samvaer-admin and the
 * WebSocket methods (invites_ws.c); knows nothing of HTTP. Writes join the caller's open transaction; on anything
 * but INVITES_OK the caller rolls back (except invites_redeem's failed tries, which must be kept: see there). */
#ifndef SAMVAER_INVITES_H
#define SAMVAER_INVITES_H

#include <jansson.h>
#include <stdint.h>

#include "server/base/readable_code.h"
#include "server/store/store.h"
#include "server/store/store_invites.h"

#define INVITES_ROLES "caseworker,carer"         /* who may invite, list and revoke (in the case) */
#define INVITES_EXPIRY_DEFAULT_S (7 * 24 * 3600) /* an invitation is good for a week */
#define INVITES_EXPIRY_MAX_S (30 * 24 * 3600)
#define INVITES_MAX_TRIES 5 /* wrong secrets before a code locks */

enum invites_result {
	INVITES_OK,
	INVITES_BAD_REQUEST, /* a member is missing or wrong (field + message) */
	INVITES_FORBIDDEN,   /* the caller's role may not do this */
	INVITES_NOT_FOUND,   /* no such case or invitation in the caller's scope */
	INVITES_CONFLICT,    /* the invitation is not open */
	INVITES_ERR,         /* store failure */
	/* redeeming a code (WebSocket; the stable error codes in proto/errors.h) */
	INVITES_UNKNOWN, /* no such code, or the secret is wrong */
	INVITES_USED,
	INVITES_EXPIRED,
	INVITES_REVOKED,
	INVITES_LOCKED,
};

/* What the caller asks for when inviting. */
struct invites_request {
	const char *invitee_name; /* "Maria" (required) */
	const char *relationship; /* "Mother" (required): the label of the agreement */
	const char *language;     /* "it", or NULL */
	const json_t *terms;      /* proposed terms (POST /api/cases/#/agreements' form), or NULL for defaults */
	int64_t expires_in_s;     /* 0 = INVITES_EXPIRY_DEFAULT_S */
};

struct invites_outcome {
	struct rcode code; /* the new code (create only: it is never stored in clear) */
	int64_t invitation_id;
	int64_t agreement_id, proposal_id; /* accept */
	char message[256];                 /* why not, for people */
	char field[64];                    /* the member that is wrong, or "" */
};

/* The state a person would see: open, used, revoked, locked, or expired (open but past expires_at). */
const char *invites_state(const struct invitation *inv, int64_t now);
/* Role, then scope: INVITES_FORBIDDEN unless who's role is in INVITES_ROLES, INVITES_NOT_FOUND unless who is linked
 * to the case in that role. */
int invites_check_scope(struct store *s, const struct account *who, int64_t case_id);
/* A new invitation (audited `invitation` created). out->code holds the code to give the person. */
int invites_create(struct store *s, const struct account *who, int64_t case_id, const struct invites_request *req,
		   int64_t now, struct invites_outcome *out);
/* Revoke an open invitation of the caller's case (audited). who NULL = the operator (samvaer-admin). */
int invites_revoke(struct store *s, const struct account *who, int64_t invitation_id, int64_t now,
		   struct invites_outcome *out);
/* Find the invitation a typed code names and check it can be used now (fills inv; free with
 * store_invitation_clear). A wrong secret for an open invitation counts against it (`failed_try`, audited, and
 * `locked` at INVITES_MAX_TRIES): those writes stand even though the result is not INVITES_OK, so the caller
 * commits rather than rolls back. `from` names the client address for the audit trail. */
int invites_redeem(struct store *s, const char *typed, const char *from, int64_t now, struct invitation *inv);
/* Use it: the agreement between the child and `contact` (a contact account), pending through the approvals rule
 * (`required`) with the inviter as proposer; the invitation becomes `used` (audited). */
int invites_accept(struct store *s, const char *required, const struct invitation *inv, const struct account *contact,
		   const char *from, int64_t now, struct invites_outcome *out);
/* The link the family app opens: base (e.g. "https://samvaer.example/") + "#join=" + the grouped code. */
void invites_link(const char *base, const struct rcode *code, char *out, size_t cap);
/* The invitation as the admin API lists it (no secret). */
json_t *invites_json(struct store *s, const struct invitation *inv, int64_t now);

#endif
