/* approvals.h: who may change a contact agreement and how — new agreements, proposals and their approvals,
 * life-cycle moves, emergency pauses — with role and scope checks and the audit trail. Shared by the admin
 * API and samvaer-admin; knows nothing of HTTP. Every function writes inside the caller's open transaction
 * (store_begin); on anything but APPROVALS_OK the caller rolls back. */
#ifndef SAMVAER_APPROVALS_H
#define SAMVAER_APPROVALS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

/* Results; the API maps them to 400/403/404/409/500 (docs/ADMIN-API.md). */
enum approvals_result {
	APPROVALS_OK,
	APPROVALS_BAD_REQUEST,   /* a member is missing or wrong (field + message) */
	APPROVALS_INVALID_TERMS, /* the terms fail validation (field + message) */
	APPROVALS_FORBIDDEN,     /* the caller's role may not do this at all */
	APPROVALS_NOT_FOUND,     /* no such object in the caller's scope */
	APPROVALS_CONFLICT,      /* the object's state does not allow it */
	APPROVALS_ERR,           /* store failure */
};

/* Which account roles may do what (comma lists). Approving takes a role from the `approvals` setting. */
#define APPROVALS_ROLES_VIEW "caseworker,supervisor,carer"
#define APPROVALS_ROLES_CREATE "caseworker"
#define APPROVALS_ROLES_PROPOSE "caseworker,carer"
#define APPROVALS_ROLES_STATUS "caseworker"
#define APPROVALS_ROLES_PAUSE "carer"
#define APPROVALS_ROLES_UNPAUSE "carer,caseworker"
#define APPROVALS_ROLES_NOTICES "caseworker"
#define APPROVALS_ROLES_INVITE "caseworker,carer"

#define APPROVALS_PAUSE_HOURS_DEFAULT 48
#define APPROVALS_PAUSE_HOURS_MAX 72
#define APPROVALS_REASON_MAX 500

/* What happened, or why not. */
struct approvals_outcome {
	int64_t agreement_id; /* created or acted on */
	int64_t proposal_id;  /* created or decided */
	int applied;          /* 1: the terms took effect now */
	int64_t expires_at;   /* pause: ms */
	char message[256];    /* why not (for people) */
	char field[96];       /* the request member that is wrong, or "" */
};

/* 1 if `word` is one of the comma-separated `list`. */
int approvals_in_list(const char *list, const char *word);
/* Role, then scope: APPROVALS_FORBIDDEN unless who's role is in `roles`, APPROVALS_NOT_FOUND unless who is
 * linked to the case in that role, else APPROVALS_OK. */
int approvals_check(struct store *s, const struct account *who, int64_t case_id, const char *roles);
/* Same for an agreement (fills *case_id when not NULL). */
int approvals_check_agreement(struct store *s, const struct account *who, int64_t agreement_id, const char *roles,
			      int64_t *case_id);
/* Required roles (from `required`) that have not approved the proposal yet, as a comma list in out. */
int approvals_missing(struct store *s, const char *required, int64_t proposal_id, char *out, size_t cap);

/* A new agreement in the case with a contact, `pending` with a proposal of `terms` approved by the proposer's
 * role (active at once if that is all `required` asks). */
int approvals_create(struct store *s, const char *required, const struct account *who, int64_t case_id,
		     const char *contact_username, const char *relationship, const json_t *terms,
		     struct approvals_outcome *out);
/* The same for a person who accepted an invitation (server/invites): the inviter (a caseworker or carer of the
 * case) is the proposer. Always left pending: the inviter's approval counts only when another required role must
 * still approve, so someone approves after seeing who joined. */
int approvals_create_invited(struct store *s, const char *required, const struct account *inviter, int64_t case_id,
			     const char *contact_username, const char *relationship, const json_t *terms,
			     struct approvals_outcome *out);
/* Propose new terms; the agreement keeps its terms until every required role has approved. */
int approvals_propose(struct store *s, const char *required, const struct account *who, int64_t agreement_id,
		      const json_t *terms, struct approvals_outcome *out);
/* Approve (approve = 1) or reject a pending proposal for who's role. */
int approvals_decide(struct store *s, const char *required, const struct account *who, int64_t proposal_id, int approve,
		     const char *note, struct approvals_outcome *out);
/* verb: "suspend", "resume" or "end"; reason required for suspend and end. */
int approvals_set_status(struct store *s, const struct account *who, int64_t agreement_id, const char *verb,
			 const char *reason, struct approvals_outcome *out);
/* A carer's emergency pause for `hours` (1..72); tells the caseworkers through a notice. */
int approvals_pause(struct store *s, const struct account *who, int64_t agreement_id, const char *reason, int hours,
		    struct approvals_outcome *out);
/* End every open pause of the agreement. */
int approvals_unpause(struct store *s, const struct account *who, int64_t agreement_id, struct approvals_outcome *out);

#endif
