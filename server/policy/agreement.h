/* agreement.h: the contact agreement as plain data — what the store loads and the policy engine reads. */
#ifndef SAMVAER_AGREEMENT_H
#define SAMVAER_AGREEMENT_H

#include <stdint.h>

#include "server/policy/agreement_enums.h"
#include "server/policy/schedule.h"
#include "server/policy/terms.h"

struct agreement {
	int64_t id;         /* agreements.id; also the conversation id */
	int64_t case_id;    /* the child's case */
	int64_t child_id;   /* account of the child */
	int64_t contact_id; /* account of the contact */
	enum agreement_status status;
	uint8_t channels[CH__COUNT]; /* enum channel_mode per channel */
	int64_t valid_from;          /* ms; 0 = no start date */
	int64_t valid_until;         /* ms; 0 = no end date */
	char relationship[64];       /* label the child sees, e.g. "Dad" */
	char status_reason[160];     /* why suspended/ended (shown to adults only) */
	char zone[48];               /* the child's IANA time zone (from the case) */
	struct terms terms;          /* windows, limits, supervision, privacy, goal (channels/validity mirrored) */
	int64_t paused_until;        /* ms; 0 = not paused, INT64_MAX = until resumed */
	int paused_by_child;         /* 1: the child paused, 0: a carer or caseworker did */
	/* runtime state, not terms (never compared when diffing a reload) */
	schedule *sched;       /* compiled windows, NULL = any time (owned by the agreement cache) */
	int64_t next_boundary; /* ms when a window or pause next opens/closes; 0 = none known */
	int64_t last_seq;      /* highest message seq stored (owned by messaging) */
};

/* The other party of an agreement for account `self`, or 0 if self is not a party. */
static inline int64_t agreement_peer(const struct agreement *a, int64_t self)
{
	return self == a->child_id ? a->contact_id : self == a->contact_id ? a->child_id : 0;
}

#endif
