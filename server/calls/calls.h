/* calls.h: call signalling on the control thread — ring, accept, end — and the calls' media on the workers. */
#ifndef SAMVAER_CALLS_H
#define SAMVAER_CALLS_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "server/policy/agreement.h"
#include "server/base/intmap.h"
#include "server/policy/policy.h"
#include "server/session/session.h"

/*
 * Model
 *   A call joins a child and one or more of the child's contacts (each under its own agreement), and the
 *   supervisors of the child's case who join it: ringing -> active (or waiting_for_supervisor while an
 *   agreement makes calls supervised and no supervisor's media is up) -> ended. An account is in at most
 *   one live call. The media call on the workers is created at the first answer; each party adds itself
 *   with call.offer (participant id = account id) from its call session. While a supervised call has no
 *   supervisor the server pauses all media; a supervisor's mute drops that participant's packets on the
 *   worker. Every contact's part is re-decided when its agreement changes and once a second (calls_sweep),
 *   and a per-call timer warns two minutes before the window end or the time limit and ends it on time.
 *   See proto/PROTOCOL.md "Calls". Files: calls.c (signalling), calls_supervision.c, calls_timing.c,
 *   calls_sending.c (a party hides its face or goes sound only).
 * Thread rules: control thread only.
 */

struct app;
struct media_event;

/* call.* and calls.live (calls.c, calls_supervision.c), call.ice (turn.c) and call.sending (calls_sending.c). */
extern const struct session_method calls_methods[];
extern const size_t calls_method_count;
/* A connection closed: end the call it carried; an agreement changed: re-decide its live call. */
extern const struct session_listener calls_listener;

struct calls {
	struct intmap by_id;      /* call id -> struct call* (live calls, owned) */
	struct intmap by_account; /* account id -> struct call* (borrowed from by_id) */
	struct intmap usage;      /* agreement id -> call counts for the limits (calls_usage.c, owned) */
	uint64_t next_id;         /* call ids, never reused in a process */
	int media_started;        /* media_workers_start succeeded */
};

/* Start the media workers (config media_*). 0, or -1 with err. */
int calls_init(struct app *app, char *err, size_t errlen);
/* End every call (reason shutdown) and stop the workers. */
void calls_free(struct app *app);
/* Re-decide the live call of this agreement (agreement changed or a boundary passed). */
void calls_agreement_changed(struct app *app, const struct agreement *a);
/* Re-decide every live call (1 s sweep). */
void calls_sweep(struct app *app);
/* A session's connection closed: end the call it was carrying (reason disconnected). */
void calls_conn_closed(struct app *app, int64_t account, uint64_t conn_id);
/* One event from the media workers. */
void calls_media_event(struct app *app, const struct media_event *ev);

/* Shared internals (calls_usage.c): answered calls count towards calls_per_day / calls_per_week from the
 * moment they are answered; min_gap_minutes runs from the end of the last answered call. */
void calls__usage_get(struct calls *cs, const struct agreement *a, int64_t now, struct policy_usage *out);
void calls__usage_answered(struct calls *cs, const struct agreement *a, int64_t now);
void calls__usage_ended(struct calls *cs, int64_t agreement_id, int64_t now);
void calls__usage_free(struct calls *cs);
/* Rebuild the counts from the audit trail (answered calls of the last 8 days). Returns how many, or -1. */
int calls__usage_restore(struct app *app, int64_t now);

#endif
