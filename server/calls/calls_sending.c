/* calls_sending.c: call.sending — a child or contact hides their face or goes sound only; the server enforces it. */
#include <string.h>

#include "server/calls/calls_internal.h"

const char *const calls__sending_names[] = {"on", "hidden", "sound_only"};

/* The enum for a wire name, or -1. */
static int sending_from_name(const char *name)
{
	for (int i = 0; i < (int)(sizeof(calls__sending_names) / sizeof(calls__sending_names[0])); i++)
		if (!strcmp(name, calls__sending_names[i]))
			return i;
	return -1;
}

/*
 * call.sending {call_id, video: "on"|"hidden"|"sound_only"}: "hidden" stops the party's video at the server
 * (whatever the client still sends); "sound_only" also stops every video to it. Every party and the case's
 * supervisors are told (event call.sending and call.state change "sending"), so a receiver shows a label
 * instead of a frozen picture.
 */
void calls_handle_sending(struct session *s, struct proto_request *r)
{
	struct call *c = NULL;
	struct call_party *p = calls__own_party(s, r, &c);
	if (!p)
		return;
	if (p->role == PARTY_SUPERVISOR) {
		session_reply_error(s, r->id, PROTO_ERR_CALL_STATE,
				    "proto: only a child or contact who is in the call chooses what they send");
		return;
	}
	json_t *v = json_object_get(r->root, "video");
	int mode = json_is_string(v) ? sending_from_name(json_string_value(v)) : -1;
	if (mode < 0) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST,
				    "proto: member 'video' must be \"on\", \"hidden\" or \"sound_only\"");
		return;
	}
	int changed = p->sending != (enum party_sending)mode;
	int was_sound_only = p->sending == SENDING_SOUND_ONLY;
	p->sending = (enum party_sending)mode;
	calls__apply_gates(c, p);
	if (changed && (was_sound_only || mode == SENDING_SOUND_ONLY))
		calls__sound_only_mix(c, p, mode == SENDING_SOUND_ONLY);
	session_reply_ok(s, r->id, calls__json(c, NULL, NULL, 0));
	if (!changed)
		return;
	json_t *data = json_pack("{s:I,s:I,s:s}", "call_id", (json_int_t)c->id, "participant", (json_int_t)p->account,
				 "video", calls__sending_names[mode]);
	calls__to_parties(c, "call.sending", data);
	calls__broadcast(c, NULL, "sending", p->account);
}
