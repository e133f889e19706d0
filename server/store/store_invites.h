/* store_invites.h: the invitations table — one-time codes (lookup + hashed secret) inviting a named person into a
 * child's case, their state (open, used, revoked, locked) and failed tries. Uncached statements on the store's
 * connection; writes join the caller's open transaction. */
#ifndef SAMVAER_STORE_INVITES_H
#define SAMVAER_STORE_INVITES_H

#include <stdint.h>

#include "server/store/store.h"

#define STORE_INVITE_HASH_LEN 32

struct invitation {
	int64_t id;
	char lookup[8];                             /* public part of the code */
	uint8_t secret_hash[STORE_INVITE_HASH_LEN]; /* SHA-256 of the code (rcode secret_hash) */
	int64_t case_id, child_id;                  /* whose case */
	char invitee_name[129];                     /* "Maria", as the inviter wrote it */
	char relationship[64];                      /* "Mother": the agreement's label */
	char language[16];                          /* suggested language of the invited person, or "" */
	char *terms;                                /* proposed terms JSON, "{}" for defaults (malloc'd) */
	int64_t created_by;                         /* the inviter */
	char created_role[16];                      /* its role in the case then */
	int64_t created_at, expires_at;             /* ms */
	int failed_tries;                           /* wrong secrets typed for this lookup */
	char state[16];                             /* open, used, revoked, locked */
	int64_t ended_by;                           /* who used or revoked it (0 = nobody) */
	int64_t ended_at;                           /* ms; 0 while open */
	int64_t agreement_id;                       /* the agreement it created (0 = none) */
};

/* Free what the row owns (terms). Safe on a zeroed struct. */
void store_invitation_clear(struct invitation *inv);
/* Insert (id is set). STORE_DUPLICATE when the lookup is taken. */
int store_invitation_add(struct store *s, struct invitation *inv);
int store_invitation_get(struct store *s, int64_t id, struct invitation *out);
int store_invitation_by_lookup(struct store *s, const char *lookup, struct invitation *out);
/* Invitations of a case, newest first (terms are not filled). */
typedef void (*store_invitation_cb)(const struct invitation *inv, void *ctx);
int store_invitations_of_case(struct store *s, int64_t case_id, store_invitation_cb cb, void *ctx);
/* One more wrong secret; the invitation becomes `locked` at `max` tries. Fills *tries and *locked. */
int store_invitation_failed_try(struct store *s, int64_t id, int max, int64_t now, int *tries, int *locked);
/* open -> used (by, agreement) or revoked (by). STORE_NOT_FOUND unless it was open. */
int store_invitation_use(struct store *s, int64_t id, int64_t by, int64_t agreement_id, int64_t now);
int store_invitation_revoke(struct store *s, int64_t id, int64_t by, int64_t now);
/* STORE_OK if an invitation created this agreement, else STORE_NOT_FOUND (or STORE_ERR). */
int store_invitation_of_agreement(struct store *s, int64_t agreement_id);
/* The preferred language of an account ("" = the server's default). */
int store_account_set_language(struct store *s, int64_t account, const char *language);

#endif
