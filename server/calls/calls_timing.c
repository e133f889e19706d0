/* calls_timing.c: when each contact's part of a call must end (window end, max length), the two-minute warning, and re-deciding live calls. */
#include "media/worker.h"
#include "server/calls/calls_internal.h"
#include "server/base/clock.h"

static void timing_tick(struct call *c);

static void on_clock(struct ev_loop *loop, ev_timer *w, int revents)
{
	timing_tick(w->data);
}

void calls__timing_init(struct call *c)
{
	ev_timer_init(&c->clock, on_clock, 0, 0);
	c->clock.data = c;
}

static enum channel call_channel(const struct call *c)
{
	return c->video ? CH_VIDEO_CALL : CH_VOICE_CALL;
}

/* ends_at: the earlier of the open window's end and answered + max_call_minutes. */
static void ends_compute(struct call *c, struct call_party *p, int64_t now)
{
	const struct agreement *a = agreements_get(&c->app->agreements, p->agreement_id);
	int64_t old = p->ends_at;
	p->ends_at = 0;
	p->ends_because = NULL;
	if (!a)
		return;
	struct policy_decision d = policy_decide(a, c->child, call_channel(c), now, NULL);
	if (d.closes_at) {
		p->ends_at = d.closes_at;
		p->ends_because = "window_closes";
	}
	int64_t limit = a->terms.max_call_minutes ? p->answered_at + a->terms.max_call_minutes * 60000LL : 0;
	if (limit && (!p->ends_at || limit < p->ends_at)) {
		p->ends_at = limit;
		p->ends_because = "time_limit";
	}
	if (p->ends_at != old && (!p->ends_at || p->ends_at - now > CALL_WARNING_MS))
		p->warned = 0; /* a later end (the window grew): warn again when it nears */
}

static void warn(struct call *c, struct call_party *p, int64_t now)
{
	int64_t left = (p->ends_at - now + 999) / 1000;
	json_t *w = json_pack("{s:I,s:I,s:s,s:I,s:I}", "call_id", (json_int_t)c->id, "ends_at", (json_int_t)p->ends_at,
			      "reason", p->ends_because, "participant", (json_int_t)p->account, "seconds_left",
			      (json_int_t)(left > 0 ? left : 0));
	calls__to_parties(c, "call.warning", w);
	p->warned = 1;
}

/* Warn or end what is due, then arm the clock for the next moment. */
static void timing_tick(struct call *c)
{
	int64_t now = clock_now_ms(), next = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct call_party *p = &c->p[i];
		if (p->role != PARTY_CONTACT || p->state != PARTY_JOINED || !p->answered_at || !p->ends_at)
			continue;
		if (now >= p->ends_at) {
			const char *reason = p->ends_because[0] == 't' ? "time_limit" : "window_closed";
			if (calls__party_leave(c, p, reason, 0))
				return;
			continue;
		}
		if (!p->warned && now >= p->ends_at - CALL_WARNING_MS)
			warn(c, p, now);
		int64_t at = p->warned ? p->ends_at : p->ends_at - CALL_WARNING_MS;
		if (!next || at < next)
			next = at;
	}
	ev_timer_stop(c->app->loop, &c->clock);
	if (next) {
		ev_timer_set(&c->clock, (double)(next - now) / 1000.0, 0);
		ev_timer_start(c->app->loop, &c->clock);
	}
}

void calls__timing_update(struct call *c)
{
	int64_t now = clock_now_ms();
	for (size_t i = 0; i < c->n; i++) {
		struct call_party *p = &c->p[i];
		if (p->role == PARTY_CONTACT && p->state == PARTY_JOINED && p->answered_at)
			ends_compute(c, p, now);
	}
	timing_tick(c);
}

/* Whether every contact's agreement still allows the call; a contact whose agreement no longer does leaves
 * (the call ends with the last). Limits on starting calls do not apply to a call in progress. Returns 1 when
 * the call ended. */
static int call_recheck(struct call *c)
{
	int64_t now = clock_now_ms();
	for (size_t i = 0; i < c->n; i++) {
		struct call_party *p = &c->p[i];
		if (p->role != PARTY_CONTACT || p->state == PARTY_LEFT)
			continue;
		const struct agreement *a = agreements_get(&c->app->agreements, p->agreement_id);
		struct policy_decision d = a ? policy_decide(a, c->child, call_channel(c), now, NULL)
					     : policy_decision_for(REASON_NO_AGREEMENT, call_channel(c));
		if (d.verdict == VERDICT_ALLOW || d.verdict == VERDICT_NEEDS_SUPERVISOR)
			continue;
		const char *why =
		    d.reason == REASON_OUTSIDE_WINDOW && p->answered_at ? "window_closed" : "agreement_changed";
		if (calls__party_leave(c, p, why, 0))
			return 1;
	}
	if (c->answered_at)
		calls__timing_update(c);
	return 0;
}

void calls_agreement_changed(struct app *app, const struct agreement *a)
{
	struct call *c = intmap_get(&app->calls->by_account, (uint64_t)a->child_id);
	if (c && calls__party(c, a->contact_id))
		call_recheck(c);
}

void calls_sweep(struct app *app)
{
	size_t pos = 0;
	void *v;
	while (intmap_next(&app->calls->by_id, &pos, NULL, &v))
		call_recheck(v); /* intmap_del leaves a tombstone: iteration stays valid */
}
