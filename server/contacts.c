/* contacts.c: contacts.list — each agreement of the caller with the peer, its terms and whether text is possible now. */
#include <string.h>

#include "server/auth.h"
#include "server/clock.h"
#include "server/log.h"
#include "server/session_internal.h"

static json_t *peer_json(const struct account *p)
{
	char initials[16];
	auth_initials(p->display_name, initials);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(p->id));
	json_object_set_new(o, "display_name", json_string(p->display_name));
	json_object_set_new(o, "initials", json_string(initials));
	json_object_set_new(o, "role", json_string(p->role));
	return o;
}

static json_t *channels_json(const struct agreement *a)
{
	json_t *o = json_object();
	for (int c = 0; c < CH__COUNT; c++)
		json_object_set_new(o, channel_name((enum channel)c), json_string(channel_mode_name(a->channels[c])));
	return o;
}

json_t *contacts_entry(struct app *app, const struct agreement *a, int64_t self)
{
	struct account peer;
	int64_t peer_id = agreement_peer(a, self);
	int64_t my_delivered, my_read, peer_delivered, peer_read, unread = 0;
	if (!peer_id || store_account_by_id(app->store, peer_id, &peer) != STORE_OK ||
	    store_receipt_get(app->store, a->id, self, &my_delivered, &my_read) != STORE_OK ||
	    store_receipt_get(app->store, a->id, peer_id, &peer_delivered, &peer_read) != STORE_OK ||
	    store_messages_unread(app->store, a->id, self, my_read, &unread) != STORE_OK) {
		log_error("contacts: %s", store_errmsg(app->store));
		return NULL;
	}
	struct policy_decision d = policy_decide(a, self, CH_TEXT, clock_now_ms(), NULL);
	json_t *text = session_decision_json(&d);
	json_object_set_new(text, "message", json_string(d.reason == REASON_ALLOWED ? "You can write now."
										    : policy_reason_message(d.reason)));
	json_t *o = json_object();
	json_object_set_new(o, "agreement_id", json_integer(a->id));
	json_object_set_new(o, "peer", peer_json(&peer));
	json_object_set_new(o, "relationship", json_string(a->relationship));
	json_object_set_new(o, "status", json_string(agreement_status_name(a->status)));
	json_object_set_new(o, "channels", channels_json(a));
	json_object_set_new(o, "text", text);
	json_object_set_new(o, "last_seq", json_integer(a->last_seq));
	json_object_set_new(o, "read_seq", json_integer(my_read));
	json_object_set_new(o, "unread", json_integer(unread));
	json_object_set_new(o, "peer_delivered_seq", json_integer(peer_delivered));
	json_object_set_new(o, "peer_read_seq", json_integer(peer_read));
	return o;
}

void contacts_handle_list(struct session *s, struct proto_request *r)
{
	const struct agreement_list *l = agreements_of(&s->app->agreements, s->account_id);
	json_t *arr = json_array();
	for (size_t i = 0; i < l->n; i++) {
		json_t *e = contacts_entry(s->app, l->items[i], s->account_id);
		if (!e) {
			json_decref(arr);
			session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
			return;
		}
		json_array_append_new(arr, e);
	}
	json_t *res = json_object();
	json_object_set_new(res, "contacts", arr);
	session_reply_ok(s, r->id, res);
}
