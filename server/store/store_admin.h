/* store_admin.h: the queries behind the admin API and CLI — caseloads, proposals and approvals, pauses,
 * notices. Uncached statements on the store's connection; writes join the caller's open transaction. */
#ifndef SAMVAER_STORE_ADMIN_H
#define SAMVAER_STORE_ADMIN_H

#include <jansson.h>
#include <stdint.h>

#include "server/store/store.h"

/* A child's case. */
struct admin_case {
	int64_t id;         /* cases.id */
	int64_t child_id;   /* the child's account */
	char time_zone[48]; /* IANA zone of the child */
};

/* A proposed set of terms for one agreement. */
struct proposal {
	int64_t id;
	int64_t agreement_id;
	int64_t case_id;        /* the agreement's case */
	char *terms;            /* canonical terms JSON (malloc'd; store_admin_proposal_clear frees it) */
	int64_t proposed_by;    /* account */
	char proposed_role[16]; /* its role in the case */
	char status[16];        /* pending, approved, rejected, withdrawn */
	int64_t created_at;     /* ms */
	int64_t decided_at;     /* ms; 0 while pending */
};

/* One approval or rejection of a proposal. */
struct approval {
	int64_t account_id;
	char display_name[129];
	char role[16];
	char decision[8]; /* approve, reject */
	const char *note; /* valid during the callback */
	int64_t at;       /* ms */
};

/* One pause of an agreement. */
struct pause {
	int64_t id;
	int64_t by_account;
	char by_name[129];
	char by_role[16];                         /* child, carer, caseworker */
	const char *reason;                       /* valid during the callback */
	int64_t started_at, expires_at, ended_at; /* ms; expires_at 0 = until resumed, ended_at 0 = open */
};

/* A notice for the caseworkers of a case (e.g. a pause). */
struct notice {
	int64_t id;
	int64_t case_id;
	int64_t agreement_id; /* 0 = none */
	char kind[24];        /* "pause", ... */
	const char *detail;   /* JSON text; valid during the callback */
	int64_t at;           /* ms */
	int64_t read_at;      /* ms; 0 = unread */
};

typedef void (*store_admin_case_cb)(const struct admin_case *c, void *ctx);
typedef void (*store_admin_member_cb)(int64_t account_id, const char *display_name, const char *role, void *ctx);
typedef void (*store_admin_id_cb)(int64_t id, void *ctx);
typedef void (*store_admin_proposal_cb)(const struct proposal *p, void *ctx);
typedef void (*store_admin_approval_cb)(const struct approval *a, void *ctx);
typedef void (*store_admin_pause_cb)(const struct pause *p, void *ctx);
typedef void (*store_admin_notice_cb)(const struct notice *n, void *ctx);

/* Cases */
int store_admin_case_get(struct store *s, int64_t case_id, struct admin_case *out);
/* Cases where `account` is linked in `role`, by id. */
int store_admin_cases_of(struct store *s, int64_t account, const char *role, store_admin_case_cb cb, void *ctx);
int store_admin_case_members(struct store *s, int64_t case_id, store_admin_member_cb cb, void *ctx);
/* Agreement ids of a case, by id. */
int store_admin_case_agreements(struct store *s, int64_t case_id, store_admin_id_cb cb, void *ctx);
/* Pending proposals and unread notices of a case. */
int store_admin_case_counts(struct store *s, int64_t case_id, int64_t *pending_proposals, int64_t *open_notices);

/* Proposals */
int store_admin_proposal_add(struct store *s, int64_t agreement, const char *terms, int64_t by, const char *role,
			     int64_t *id);
int store_admin_proposal_get(struct store *s, int64_t id, struct proposal *out);
void store_admin_proposal_clear(struct proposal *p);
/* Close a pending proposal (approved/rejected/withdrawn); STORE_NOT_FOUND if it was not pending. */
int store_admin_proposal_close(struct store *s, int64_t id, const char *status);
/* Withdraw the agreement's other pending proposals (superseded by `except`). */
int store_admin_proposals_withdraw(struct store *s, int64_t agreement, int64_t except);
/* Proposals of one agreement (agreement 0 = all), newest first; only pending ones if pending_only. */
int store_admin_proposals_list(struct store *s, int64_t agreement, int pending_only, store_admin_proposal_cb cb,
			       void *ctx);

/* Approvals: STORE_DUPLICATE if the account already decided on the proposal. */
int store_admin_approval_add(struct store *s, int64_t proposal, int64_t account, const char *role, const char *decision,
			     const char *note);
int store_admin_approvals_list(struct store *s, int64_t proposal, store_admin_approval_cb cb, void *ctx);

/* Pauses of an agreement, newest first (open_only: not ended). */
int store_admin_pauses_list(struct store *s, int64_t agreement, int open_only, store_admin_pause_cb cb, void *ctx);

/* Notices. store_admin_notice_add steals detail (an object, stored as JSON text) — use it for every pause
 * (carer's emergency pause and the child's own), kind "pause". */
int store_admin_notice_add(struct store *s, int64_t case_id, int64_t agreement, const char *kind, json_t *detail,
			   int64_t *id);
/* Notices of the cases where `account` is linked as caseworker, newest first, at most limit. */
int store_admin_notices_list(struct store *s, int64_t account, int limit, store_admin_notice_cb cb, void *ctx);
int store_admin_notice_case(struct store *s, int64_t id, int64_t *case_id);
int store_admin_notice_read(struct store *s, int64_t id);

#endif
