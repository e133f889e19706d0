/* call_plan.h: the control thread's picture of a call's streams: which source each m-section of each receiver carries. */
#ifndef SAMVAER_MEDIA_CALL_PLAN_H
#define SAMVAER_MEDIA_CALL_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "media/dtls.h"
#include "media/ice.h"
#include "media/sdp.h"
#include "media/router.h"

/*
 * Model
 *   A call plan has one member per participant with media, in the slot its SFU participant uses. For each
 *   member it remembers the m-sections of its last answer and, per section, the source it carries (a source
 *   participant and a kind) with the SSRCs announced for it. Assignments are sticky by MID: a renegotiation
 *   keeps each section's source and SSRCs while that source still sends, so the receiver's tracks carry on;
 *   sections left free take the sources nobody carries yet, in slot order (the order participants joined).
 *   A member is stale when its answer misses a stream it could receive or carries one that ended. A change
 *   (a member added, removed, or sending other kinds) marks every stale member for renegotiation; the call
 *   layer takes that list (call_plan_take_renegotiate) and asks those clients to offer again.
 *   Mixing: a member is mixed when it asked (mix_wanted) or when more than CALL_PLAN_MIX_ABOVE members send.
 *   A mixed member's audio sections carry no one's audio but one, the first, carries the call's mix (source
 *   CALL_PLAN_MIX); video stays per person. Switching is a change like any other: the member goes stale.
 * Thread rules: the control thread only (worker_api.c); the workers get the result as router_participant_params.
 */

#define CALL_PLAN_MID_MAX (RTP_EXT_MID_MAX + 1)
#define CALL_PLAN_MIX UINT64_MAX /* the source id of the mix section (no participant has it) */
#define CALL_PLAN_MIX_ABOVE 3    /* more senders than this: everyone receives the mix */

struct plan_section {
	char mid[CALL_PLAN_MID_MAX]; /* "" for a section with no (or too long a) MID: never carries a stream */
	int kind;                    /* ROUTER_AUDIO / ROUTER_VIDEO, -1 other */
	uint64_t src;                /* participant carried, 0: none */
	uint32_t ssrc, rtx_ssrc;     /* announced for it */
};

struct plan_member {
	bool used;
	uint64_t pid;
	bool can_send, can_recv;
	bool sends[ROUTER_KINDS];                                     /* its last offer sends this kind */
	char ufrag[ICE_CRED_MAX], pwd[ICE_CRED_MAX];                  /* ours, for its current transport */
	char rufrag[ICE_CRED_MAX], fingerprint[DTLS_FINGERPRINT_MAX]; /* its, to tell a re-offer from a new transport */
	unsigned version; /* answers on this transport (o= session version) */
	unsigned n_sec;
	struct plan_section sec[SDP_MAX_MEDIA];
	bool renegotiate; /* marked stale by a change, not yet taken */
	bool mix_wanted;  /* asked for the mix (call.mix: weak connection, a supervisor listening in) */
};

struct call_plan {
	uint64_t call_id;
	unsigned worker;
	char session_id[24]; /* o= session id, random per call */
	struct plan_member m[ROUTER_MAX_PARTICIPANTS];
};

/* ROUTER_AUDIO / ROUTER_VIDEO for an m-section's media kind, -1 for any other. */
int call_plan_kind(enum sdp_kind k);
struct plan_member *call_plan_member(struct call_plan *cp, uint64_t pid);
/* A free slot for a new member, or NULL when the call is full. */
struct plan_member *call_plan_add(struct call_plan *cp, uint64_t pid, bool can_send, bool can_recv);
void call_plan_remove(struct call_plan *cp, struct plan_member *m);
static inline unsigned call_plan_slot(const struct call_plan *cp, const struct plan_member *m)
{
	return (unsigned)(m - cp->m);
}
/* Assign sources to the receiving sections of m's offer o (see Model); fills m->sec and m->n_sec. */
void call_plan_assign(struct call_plan *cp, struct plan_member *m, const struct sdp_session *o);
/* After the answer a is built: forget assignments of sections it rejected or does not send on. */
void call_plan_settle(struct plan_member *m, const struct sdp_session *a);
/* m's offer changed what it sends, or it joined or left: mark the stale members (except `except`). */
void call_plan_changed(struct call_plan *cp, const struct plan_member *except);
/* Should m receive the mix now (see Model)? */
bool call_plan_mixed(const struct call_plan *cp, const struct plan_member *m);
/* Does m's last answer carry the mix? */
bool call_plan_carries_mix(const struct plan_member *m);
/* Members marked for renegotiation since the last call (their pids into out); clears the marks. */
size_t call_plan_take_renegotiate(struct call_plan *cp, uint64_t *out, size_t max);

#endif
