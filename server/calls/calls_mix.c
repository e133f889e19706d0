/* calls_mix.c: mixed receive in calls: call.mix (weak connection), listen-in on the mix, call.speak, call.levels. */
#include <string.h>

#include "media/worker.h"
#include "server/calls/calls_internal.h"

unsigned calls__media_role(const struct call *c, const struct call_party *p)
{
	bool listen_in = p->role == PARTY_SUPERVISOR && !c->supervised;
	return MEDIA_ROLE_DEFAULT | (p->mix_wanted || listen_in ? MEDIA_ROLE_MIX : 0);
}

static int flag(struct session *s, struct proto_request *r, int *on)
{
	json_t *v = json_object_get(r->root, "on");
	if (!json_is_boolean(v)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, "proto: member 'on' must be a boolean");
		return -1;
	}
	*on = json_is_true(v);
	return 0;
}

/* "Sound only" (call.sending) is the weak-connection mode: it also turns the mix on, and off again when it ends,
 * unless the party asked for the mix itself (call.mix). */
void calls__sound_only_mix(struct call *c, struct call_party *p, int on)
{
	if (on && p->mix_wanted)
		return; /* asked already */
	if (!on && !p->mix_by_sending)
		return; /* their own call.mix stays */
	p->mix_wanted = on, p->mix_by_sending = on;
	if (p->in_media)
		media_call_set_mix(c->id, (uint64_t)p->account, on || (calls__media_role(c, p) & MEDIA_ROLE_MIX));
	calls__renegotiate(c);
}

/* call.mix {call_id, on}: receive one mixed audio stream instead of one per person (a weak connection). Takes
 * effect at the party's next offer (call.renegotiate is sent when its answer must change). */
void calls_handle_mix(struct session *s, struct proto_request *r)
{
	struct call *c = NULL;
	struct call_party *p = calls__own_party(s, r, &c);
	int on;
	if (!p || flag(s, r, &on))
		return;
	p->mix_wanted = on, p->mix_by_sending = 0;
	if (p->in_media) /* else the first offer carries it (calls__media_role) */
		media_call_set_mix(c->id, (uint64_t)p->account, on || (calls__media_role(c, p) & MEDIA_ROLE_MIX));
	session_reply_ok(s, r->id, json_pack("{s:I,s:b}", "call_id", (json_int_t)c->id, "on", on));
	calls__renegotiate(c);
}

/* call.speak {call_id, on}: a supervisor listening in lets the others hear them (on) or goes quiet again. */
void calls_handle_speak(struct session *s, struct proto_request *r)
{
	struct call *c = NULL;
	struct call_party *p = calls__own_party(s, r, &c);
	int on;
	if (!p || flag(s, r, &on))
		return;
	if (p->role != PARTY_SUPERVISOR) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE,
				    "proto: only a supervisor listening in uses call.speak");
		return;
	}
	p->listening = !on;
	if (p->in_media)
		calls__apply_gates(c, p);
	session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
	calls__broadcast(c, NULL, on ? "supervisor_speaks" : "supervisor_listens", s->account_id);
}

/* MEDIA_EV_LEVELS: call.levels to everyone in the call (the worker sends at most 5 a second per call). */
void calls__levels(struct call *c, const struct media_event *ev)
{
	json_t *list = json_array();
	for (unsigned i = 0; i < ev->n_levels && i < 8; i++) {
		const struct media_level *l = &ev->levels[i];
		const struct call_party *p = calls__party(c, (int64_t)l->participant_id);
		if (!p || p->state != PARTY_JOINED)
			continue;
		int loud = l->level >= 60 ? 0 : 100 - l->level * 100 / 60; /* -60 dBov and quieter: 0; 0 dBov: 100 */
		json_array_append_new(list,
				      json_pack("{s:I,s:i,s:b}", "participant", (json_int_t)p->account, "level", loud,
						"talking", l->talking));
	}
	calls__to_parties(c, "call.levels", json_pack("{s:I,s:o}", "call_id", (json_int_t)c->id, "levels", list));
}
