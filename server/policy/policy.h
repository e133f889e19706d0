/* policy.h: the one policy engine — a pure function from (agreement, actor, action, now) to a decision. */
#ifndef SAMVAER_POLICY_H
#define SAMVAER_POLICY_H

#include <stdint.h>

#include "server/policy/agreement.h"

enum policy_verdict { VERDICT_ALLOW, VERDICT_DENY, VERDICT_HOLD, VERDICT_NEEDS_SUPERVISOR };

/* X(enum suffix, wire code, verdict, rule, message) — codes are stable; see proto/PROTOCOL.md §5.
 * A rule ending in "." gets the channel name appended ("channels." -> "channels.text"). */
#define POLICY_REASONS(X)                                                                                             \
	X(ALLOWED, "allowed", VERDICT_ALLOW, "channels.", "You can get in touch now.")                                \
	X(NO_AGREEMENT, "no_agreement", VERDICT_DENY, "agreement", "You have no contact agreement with this person.") \
	X(AGREEMENT_DRAFT, "agreement_draft", VERDICT_DENY, "agreement.status",                                       \
	  "The contact agreement is still being prepared.")                                                           \
	X(AGREEMENT_PENDING, "agreement_pending", VERDICT_DENY, "agreement.status",                                   \
	  "The contact agreement is waiting for approval.")                                                           \
	X(AGREEMENT_SUSPENDED, "agreement_suspended", VERDICT_DENY, "agreement.status",                               \
	  "Contact with this person is paused by the caseworker.")                                                    \
	X(AGREEMENT_ENDED, "agreement_ended", VERDICT_DENY, "agreement.status", "The contact agreement has ended.")   \
	X(AGREEMENT_NOT_STARTED, "agreement_not_started", VERDICT_DENY, "agreement.valid_from",                       \
	  "Contact has not started yet.")                                                                             \
	X(AGREEMENT_EXPIRED, "agreement_expired", VERDICT_DENY, "agreement.valid_until",                              \
	  "The contact agreement has expired.")                                                                       \
	X(PAUSED_BY_CHILD, "paused_by_child", VERDICT_DENY, "pause.child",                                            \
	  "You paused contact with this person. You can turn it back on.")                                            \
	X(PAUSED_BY_CARER, "paused_by_carer", VERDICT_DENY, "pause.carer", "Contact is paused for now.")              \
	X(NOT_AVAILABLE, "not_available", VERDICT_DENY, "availability", "Not available right now.")                   \
	X(CHANNEL_OFF, "channel_off", VERDICT_DENY, "channels.", "This is turned off for this contact.")              \
	X(OUTSIDE_WINDOW, "outside_window", VERDICT_DENY, "windows",                                                  \
	  "Not now. Contact opens again at the next contact time.")                                                   \
	X(LIMIT_CALLS_PER_DAY, "limit_calls_per_day", VERDICT_DENY, "limits.calls_per_day", "No more calls today.")   \
	X(LIMIT_CALLS_PER_WEEK, "limit_calls_per_week", VERDICT_DENY, "limits.calls_per_week",                        \
	  "No more calls this week.")                                                                                 \
	X(LIMIT_MIN_GAP, "limit_min_gap", VERDICT_DENY, "limits.min_gap_minutes",                                     \
	  "Please wait a little before the next call.")                                                               \
	X(NEEDS_SUPERVISOR, "needs_supervisor", VERDICT_NEEDS_SUPERVISOR, "supervision.calls",                        \
	  "The call starts when the supervisor joins.")                                                               \
	X(HELD_FOR_REVIEW, "held_for_review", VERDICT_HOLD, "channels.",                                              \
	  "Messages are checked before they are delivered.")                                                          \
	X(REVIEW_BEFORE, "review_before", VERDICT_HOLD, "supervision.messages",                                       \
	  "Messages are checked before they are delivered.")                                                          \
	X(CONTACT_DETAILS, "contact_details", VERDICT_HOLD, "privacy.screen_contact_details",                         \
	  "Messages with phone numbers, e-mail or home addresses are checked before they are delivered.")             \
	X(LINKS, "links", VERDICT_HOLD, "privacy.screen_contact_details",                                             \
	  "Messages with links or social media names are checked before they are delivered.")                         \
	X(WORD_LIST, "word_list", VERDICT_HOLD, "privacy.screen_words",                                               \
	  "Messages with some words are checked before they are delivered.")

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
	int64_t closes_at;           /* ms when an allowed window closes; 0 = not limited by a window */
};

/* How much contact already happened, for the limits (the caller counts in the child's time zone). */
struct policy_usage {
	int calls_today;       /* calls started today */
	int calls_this_week;   /* calls started this ISO week */
	int64_t last_call_end; /* ms; 0 = none */
	int64_t day_ends_at;   /* ms of the child's next local midnight (next_at for the daily limit) */
	int64_t week_ends_at;  /* ms of the child's next local Monday 00:00 */
};

/* Decide whether `actor` may use `ch` under agreement `a` (NULL = none) at `now_ms`, given `usage` (NULL =
 * nothing used yet; only calls consult it). Deny by default. Checks run in a fixed order — party, status,
 * validity, pause, channel, window, limits, supervision, review — and the first that refuses decides.
 * Pure apart from the schedule's internal cache (single-threaded use). */
struct policy_decision policy_decide(const struct agreement *a, int64_t actor, enum channel ch, int64_t now_ms,
				     const struct policy_usage *usage);
/* When the decision for this agreement may next change by itself (window edge, pause expiry, start/end
 * date), after now_ms; 0 if never. Used to push fresh contact states to connected clients. */
int64_t policy_next_change(const struct agreement *a, int64_t now_ms);

/* The decision a given reason stands for (used where a rule outside policy_decide, like content
 * screening, decides). */
struct policy_decision policy_decision_for(enum policy_reason r, enum channel ch);
const char *policy_reason_name(enum policy_reason r);
const char *policy_reason_message(enum policy_reason r);
const char *policy_verdict_name(enum policy_verdict v);

#endif
