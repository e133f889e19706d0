/* policy.c: decisions in a fixed order — party, status, validity dates, channel — each naming its rule. */
#include "server/policy.h"

#include <stdio.h>

static const char *const reason_codes[] = {
#define X(name, code, verdict, rule, msg) code,
	POLICY_REASONS(X)
#undef X
};
static const enum policy_verdict reason_verdicts[] = {
#define X(name, code, verdict, rule, msg) verdict,
	POLICY_REASONS(X)
#undef X
};
static const char *const reason_rules[] = {
#define X(name, code, verdict, rule, msg) rule,
	POLICY_REASONS(X)
#undef X
};
static const char *const reason_messages[] = {
#define X(name, code, verdict, rule, msg) msg,
	POLICY_REASONS(X)
#undef X
};

const char *policy_reason_name(enum policy_reason r)
{
	return (unsigned)r < POLICY_REASON__COUNT ? reason_codes[r] : "no_agreement";
}

const char *policy_reason_message(enum policy_reason r)
{
	return (unsigned)r < POLICY_REASON__COUNT ? reason_messages[r] : reason_messages[REASON_NO_AGREEMENT];
}

const char *policy_verdict_name(enum policy_verdict v)
{
	static const char *const names[] = {"allow", "deny", "hold", "needs_supervisor"};
	return (unsigned)v < 4 ? names[v] : "deny";
}

static struct policy_decision decide(enum policy_reason r, const char *rule_suffix, int64_t next_at)
{
	struct policy_decision d = {reason_verdicts[r], r, "", next_at};
	if (rule_suffix)
		snprintf(d.rule, sizeof(d.rule), "%s.%s", reason_rules[r], rule_suffix);
	else
		snprintf(d.rule, sizeof(d.rule), "%s", reason_rules[r]);
	return d;
}

static struct policy_decision decide_status(const struct agreement *a)
{
	switch (a->status) {
	case AG_DRAFT:
		return decide(REASON_AGREEMENT_DRAFT, NULL, 0);
	case AG_PENDING:
		return decide(REASON_AGREEMENT_PENDING, NULL, 0);
	case AG_SUSPENDED:
		return decide(REASON_AGREEMENT_SUSPENDED, NULL, 0);
	case AG_ENDED:
		return decide(REASON_AGREEMENT_ENDED, NULL, 0);
	case AG_ACTIVE:
	case AG__COUNT:
		break;
	}
	return decide(REASON_NO_AGREEMENT, NULL, 0);
}

struct policy_decision policy_decide(const struct agreement *a, int64_t actor, enum channel ch, int64_t now_ms)
{
	if (!a || actor <= 0 || agreement_peer(a, actor) == 0 || (unsigned)ch >= CH__COUNT)
		return decide(REASON_NO_AGREEMENT, NULL, 0);
	if (a->status != AG_ACTIVE)
		return decide_status(a);
	if (a->valid_from && now_ms < a->valid_from)
		return decide(REASON_AGREEMENT_NOT_STARTED, NULL, a->valid_from);
	if (a->valid_until && now_ms >= a->valid_until)
		return decide(REASON_AGREEMENT_EXPIRED, NULL, 0);
	switch (a->channels[ch]) {
	case MODE_ALLOWED:
		return decide(REASON_ALLOWED, channel_name(ch), 0);
	case MODE_MODERATED:
		return decide(REASON_HELD_FOR_REVIEW, channel_name(ch), 0);
	default:
		return decide(REASON_CHANNEL_OFF, channel_name(ch), 0);
	}
}
