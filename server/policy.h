/* policy.h: the one policy engine — a pure function from (agreement, actor, action, now) to a decision. */
#ifndef SAMVAER_POLICY_H
#define SAMVAER_POLICY_H

#include <stdint.h>

#include "server/agreement.h"

enum policy_verdict { VERDICT_ALLOW, VERDICT_DENY, VERDICT_HOLD, VERDICT_NEEDS_SUPERVISOR };

/* X(enum suffix, wire code, verdict, rule, message) — codes are stable; see proto/PROTOCOL.md §5. */
#define POLICY_REASONS(X)                                                                                 \
	X(ALLOWED, "allowed", VERDICT_ALLOW, "channels", "You can write now.")                              \
	X(NO_AGREEMENT, "no_agreement", VERDICT_DENY, "agreement", "You have no contact agreement with this person.") \
	X(AGREEMENT_DRAFT, "agreement_draft", VERDICT_DENY, "agreement.status", "The contact agreement is still being prepared.") \
	X(AGREEMENT_PENDING, "agreement_pending", VERDICT_DENY, "agreement.status", "The contact agreement is waiting for approval.") \
	X(AGREEMENT_SUSPENDED, "agreement_suspended", VERDICT_DENY, "agreement.status", "Contact with this person is paused by the caseworker.") \
	X(AGREEMENT_ENDED, "agreement_ended", VERDICT_DENY, "agreement.status", "The contact agreement has ended.") \
	X(AGREEMENT_NOT_STARTED, "agreement_not_started", VERDICT_DENY, "agreement.valid_from", "Contact has not started yet.") \
	X(AGREEMENT_EXPIRED, "agreement_expired", VERDICT_DENY, "agreement.valid_until", "The contact agreement has expired.") \
	X(CHANNEL_OFF, "channel_off", VERDICT_DENY, "channels", "This is turned off for this contact.")        \
	X(HELD_FOR_REVIEW, "held_for_review", VERDICT_HOLD, "channels", "Messages are checked before they are delivered.")

enum policy_reason {
#define POLICY_REASON_ENUM(name, code, verdict, rule, msg) REASON_##name,
	POLICY_REASONS(POLICY_REASON_ENUM)
#undef POLICY_REASON_ENUM
	POLICY_REASON__COUNT
};

struct policy_decision {
	enum policy_verdict verdict; /* allow / deny / hold / needs supervisor */
	enum policy_reason reason;   /* stable code */
	char rule[32];               /* the part of the agreement that decided, e.g. "channels.text" */
	int64_t next_at;             /* ms when the action may be possible again; 0 = unknown */
};

/* Decide whether `actor` may use `ch` under agreement `a` (NULL = none) at `now_ms`. Deny by default. */
struct policy_decision policy_decide(const struct agreement *a, int64_t actor, enum channel ch, int64_t now_ms);

const char *policy_reason_name(enum policy_reason r);
const char *policy_reason_message(enum policy_reason r);
const char *policy_verdict_name(enum policy_verdict v);

#endif
