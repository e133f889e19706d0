/* policy.c: decisions in a fixed order — party, status, validity, pause, channel, window, limits, supervision,
 * review — each naming its rule and, where it can be known, when the action becomes possible. */
#include "server/policy/policy.h"

#include <stdio.h>
#include <string.h>

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

static struct policy_decision decide(enum policy_reason r, enum channel ch, int64_t next_at)
{
	struct policy_decision d = {reason_verdicts[r], r, "", next_at, 0};
	const char *rule = reason_rules[r];
	size_t n = strlen(rule);
	if (n && rule[n - 1] == '.')
		snprintf(d.rule, sizeof(d.rule), "%s%s", rule, channel_name(ch));
	else
		snprintf(d.rule, sizeof(d.rule), "%s", rule);
	return d;
}

struct policy_decision policy_decision_for(enum policy_reason r, enum channel ch)
{
	return decide((unsigned)r < POLICY_REASON__COUNT ? r : REASON_NO_AGREEMENT, ch, 0);
}

static int is_call(enum channel ch)
{
	return ch == CH_VOICE_CALL || ch == CH_VIDEO_CALL;
}

static int status_reason(enum agreement_status st, enum policy_reason *r)
{
	switch (st) {
	case AG_ACTIVE: return 0;
	case AG_DRAFT: *r = REASON_AGREEMENT_DRAFT; return 1;
	case AG_PENDING: *r = REASON_AGREEMENT_PENDING; return 1;
	case AG_SUSPENDED: *r = REASON_AGREEMENT_SUSPENDED; return 1;
	default: *r = REASON_AGREEMENT_ENDED; return 1;
	}
}

/* Pauses: the child sees who paused; the contact only learns "not available right now". */
static int pause_reason(const struct agreement *a, int64_t actor, int64_t now, enum policy_reason *r)
{
	if (!a->paused_until || a->paused_until <= now)
		return 0;
	if (actor == a->contact_id)
		*r = REASON_NOT_AVAILABLE;
	else
		*r = a->paused_by_child ? REASON_PAUSED_BY_CHILD : REASON_PAUSED_BY_CARER;
	return 1;
}

/* Limits apply to starting calls. */
static int limit_reason(const struct terms *t, const struct policy_usage *u, int64_t now, enum policy_reason *r,
			int64_t *next)
{
	if (!u)
		return 0;
	if (t->calls_per_day && u->calls_today >= t->calls_per_day) {
		*r = REASON_LIMIT_CALLS_PER_DAY;
		*next = u->day_ends_at;
		return 1;
	}
	if (t->calls_per_week && u->calls_this_week >= t->calls_per_week) {
		*r = REASON_LIMIT_CALLS_PER_WEEK;
		*next = u->week_ends_at;
		return 1;
	}
	int64_t gap = (int64_t)t->min_gap_minutes * 60000;
	if (gap && u->last_call_end && now < u->last_call_end + gap) {
		*r = REASON_LIMIT_MIN_GAP;
		*next = u->last_call_end + gap;
		return 1;
	}
	return 0;
}

struct policy_decision policy_decide(const struct agreement *a, int64_t actor, enum channel ch, int64_t now,
				     const struct policy_usage *usage)
{
	enum policy_reason r;
	int64_t next = 0, closes = 0;
	if (!a || actor <= 0 || agreement_peer(a, actor) == 0 || (unsigned)ch >= CH__COUNT)
		return decide(REASON_NO_AGREEMENT, CH_TEXT, 0);
	if (status_reason(a->status, &r))
		return decide(r, ch, 0);
	if (a->valid_from && now < a->valid_from)
		return decide(REASON_AGREEMENT_NOT_STARTED, ch, a->valid_from);
	if (a->valid_until && now >= a->valid_until)
		return decide(REASON_AGREEMENT_EXPIRED, ch, 0);
	if (pause_reason(a, actor, now, &r))
		return decide(r, ch, r == REASON_NOT_AVAILABLE || a->paused_until == INT64_MAX ? 0 : a->paused_until);
	if (a->channels[ch] == MODE_OFF || a->channels[ch] >= MODE__COUNT)
		return decide(REASON_CHANNEL_OFF, ch, 0);
	if (a->sched) {
		int open = schedule_is_open(a->sched, now, &closes);
		if (open != 1) {
			int64_t n = open == 0 ? schedule_next_open(a->sched, now) : -1;
			if (a->valid_until && n >= a->valid_until)
				n = -1;
			return decide(REASON_OUTSIDE_WINDOW, ch, n > 0 ? n : 0);
		}
		if (closes < 0)
			closes = 0;
	}
	if (is_call(ch) && limit_reason(&a->terms, usage, now, &r, &next))
		return decide(r, ch, next);
	if (a->valid_until && (closes == 0 || closes > a->valid_until))
		closes = a->valid_until; /* nothing stays open past the end of the agreement */
	struct policy_decision d;
	if (is_call(ch) && (a->terms.calls == SUPERVISION_SUPERVISED || a->channels[ch] == MODE_MODERATED))
		d = decide(REASON_NEEDS_SUPERVISOR, ch, 0);
	else if (a->channels[ch] == MODE_MODERATED)
		d = decide(REASON_HELD_FOR_REVIEW, ch, 0);
	else if (!is_call(ch) && a->terms.messages == REVIEW_BEFORE)
		d = decide(REASON_REVIEW_BEFORE, ch, 0);
	else
		d = decide(REASON_ALLOWED, ch, 0);
	d.closes_at = closes;
	return d;
}

static void earliest(int64_t *best, int64_t t, int64_t now)
{
	if (t > now && (*best == 0 || t < *best))
		*best = t;
}

int64_t policy_next_change(const struct agreement *a, int64_t now)
{
	int64_t best = 0, closes = 0;
	earliest(&best, a->valid_from, now);
	earliest(&best, a->valid_until, now);
	if (a->paused_until != INT64_MAX)
		earliest(&best, a->paused_until, now);
	if (a->sched) {
		int open = schedule_is_open(a->sched, now, &closes);
		if (open == 1)
			earliest(&best, closes, now);
		else if (open == 0)
			earliest(&best, schedule_next_open(a->sched, now), now);
	}
	return best;
}
