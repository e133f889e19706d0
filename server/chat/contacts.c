/* contacts.c: contacts.list — each agreement of the caller with the peer, its terms and whether text is possible now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/audit.h"
#include "server/session/auth.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/blobs/profile_photo.h"
#include "server/chat/chat.h"
#include "server/session/session_internal.h"
#include "server/store/store_invites.h"

static json_t *peer_json(struct app *app, const struct account *p)
{
	char initials[16];
	auth_initials(p->display_name, initials);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(p->id));
	json_object_set_new(o, "display_name", json_string(p->display_name));
	json_object_set_new(o, "initials", json_string(initials));
	json_object_set_new(o, "role", json_string(p->role));
	profile_photo_json(app->store, p->id, o); /* "photo": the thumbnail URL, when the person has one */
	return o;
}

static json_t *channels_json(const struct agreement *a)
{
	json_t *o = json_object();
	for (int c = 0; c < CH__COUNT; c++)
		json_object_set_new(o, channel_name((enum channel)c), json_string(channel_mode_name(a->channels[c])));
	return o;
}

/* A policy reason's sentence in lang (policy.<reason> of the catalog, else the code's English). */
static const char *policy_text(const char *lang, enum policy_reason r, char *buf, size_t cap)
{
	char key[64];
	snprintf(key, sizeof(key), "policy.%s", policy_reason_name(r));
	return i18n_text(lang, key, policy_reason_message(r), buf, cap);
}

static json_t *contacts_entry(struct app *app, const struct agreement *a, int64_t self)
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
	const char *lang = session_lang_of(app, self);
	char said[I18N_TEXT_MAX];
	struct policy_decision d = policy_decide(a, self, CH_TEXT, clock_now_ms(), NULL);
	json_t *text = session_decision_json(&d);
	json_object_set_new(text, "message",
			    json_string(d.reason == REASON_ALLOWED ? i18n_text(lang, "contact.can_write",
									       "You can write now.", said, sizeof(said))
								   : policy_text(lang, d.reason, said, sizeof(said))));
	/* Whether a call may start now (window, pause, status; the call limits are checked when it starts), so a
	 * missed call's "call back" shows only when it would work. Video when the agreement has it, else voice. */
	enum channel call_ch = a->channels[CH_VIDEO_CALL] != MODE_OFF ? CH_VIDEO_CALL : CH_VOICE_CALL;
	struct policy_decision cd = policy_decide(a, self, call_ch, clock_now_ms(), NULL);
	json_t *call = session_decision_json(&cd);
	json_object_set_new(call, "channel", json_string(channel_name(call_ch)));
	json_object_set_new(
	    call, "message",
	    json_string(cd.verdict == VERDICT_DENY
			    ? policy_text(lang, cd.reason, said, sizeof(said))
			    : i18n_text(lang, "contact.can_call", "You can call now.", said, sizeof(said))));
	json_t *o = json_object();
	json_object_set_new(o, "agreement_id", json_integer(a->id));
	json_object_set_new(o, "call", call);
	json_object_set_new(o, "peer", peer_json(app, &peer));
	json_object_set_new(o, "relationship", json_string(a->relationship));
	json_object_set_new(o, "status", json_string(agreement_status_name(a->status)));
	json_object_set_new(o, "channels", channels_json(a));
	json_object_set_new(o, "text", text);
	json_object_set_new(o, "last_seq", json_integer(a->last_seq));
	json_object_set_new(o, "read_seq", json_integer(my_read));
	json_object_set_new(o, "unread", json_integer(unread));
	json_object_set_new(o, "peer_delivered_seq", json_integer(peer_delivered));
	json_object_set_new(o, "peer_read_seq", json_integer(peer_read));
	if (self == a->child_id && a->paused_until > clock_now_ms()) /* the child sees its pause and who made it */
		json_object_set_new(
		    o, "paused",
		    json_pack("{s:s,s:o}", "by", a->paused_by_child ? "child" : "carer", "until",
			      a->paused_until == INT64_MAX ? json_null() : json_integer(a->paused_until)));
	return o;
}

/* A person who joined by invitation reaches the child's list only once the agreement is approved: until then
 * the child sees nothing of them, not even the name they chose. */
static int hidden_from(struct app *app, const struct agreement *a, int64_t self)
{
	return self == a->child_id && a->status == AG_PENDING &&
	    store_invitation_of_agreement(app->store, a->id) == STORE_OK;
}

static void contacts_handle_list(struct session *s, struct proto_request *r)
{
	const struct agreement_list *l = agreements_of(&s->app->agreements, s->account_id);
	json_t *arr = json_array();
	for (size_t i = 0; i < l->n; i++) {
		if (hidden_from(s->app, l->items[i], s->account_id))
			continue;
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

/* contact.pause / contact.resume: the child's own voice. Only the child of the agreement may use them; a
 * child can lift its own pause but never a carer's or caseworker's. */
struct pause_commit {
	uint64_t conn_id;
	json_t *id;
	int64_t agreement_id, case_id;
	int pause; /* 1 pause, 0 resume */
	char detail[256];
};

static void tell_caseworker(int64_t account, void *arg)
{
	struct app *app = ((void **)arg)[0];
	json_t *ev = ((void **)arg)[1];
	session_deliver(app, account, "notice", json_deep_copy(ev), NULL);
}

static void pause_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct pause_commit *pc = arg;
	struct session *s = session_by_conn(app, pc->conn_id);
	if (s && !ok)
		session_reply_error(s, pc->id, PROTO_ERR_STORE_UNAVAILABLE, "That did not work. Please try again.");
	if (ok) {
		if (s)
			session_reply_ok(s, pc->id, json_object());
		session_agreements_changed(app); /* both sides get a fresh `contact` entry */
		json_t *ev = json_pack("{s:I,s:I,s:s,s:s,s:I}", "case_id", (json_int_t)pc->case_id, "agreement_id",
				       (json_int_t)pc->agreement_id, "kind", pc->pause ? "pause" : "resume", "detail",
				       pc->detail, "at", (json_int_t)clock_now_ms());
		void *ctx[2] = {app, ev};
		store_case_members_in_role(app->store, pc->case_id, "caseworker", tell_caseworker, ctx);
		json_decref(ev);
	}
	json_decref(pc->id);
	free(pc);
}

static void pause_or_resume(struct session *s, struct proto_request *r, int pause)
{
	char err[PROTO_ERRBUF];
	int64_t agreement_id;
	struct app *app = s->app;
	if (proto_param_int(r, "agreement_id", 0, 1, INT64_MAX, &agreement_id, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	struct agreement *a = agreements_get(&app->agreements, agreement_id);
	if (!a || a->child_id != s->account_id) {
		struct policy_decision d = policy_decision_for(REASON_NO_AGREEMENT, CH_TEXT);
		session_reply_denied(s, r->id, &d);
		return;
	}
	struct pause_commit *pc = calloc(1, sizeof(*pc));
	if (!pc) {
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	*pc = (struct pause_commit){s->route.conn->id, json_incref(r->id), a->id, a->case_id, pause, ""};
	int64_t pause_id = 0;
	int rc = store_begin(app->store);
	if (rc == STORE_OK && pause)
		rc = store_pause_add(app->store, a->id, s->account_id, "child", "", 0, &pause_id);
	/* the same notice shape as a carer's pause (server/approvals.c) */
	snprintf(pc->detail, sizeof(pc->detail),
		 "{\"pause_id\":%lld,\"by_role\":\"child\",\"by\":%lld,\"reason\":\"\",\"expires_at\":null}",
		 (long long)pause_id, (long long)s->account_id);
	if (rc == STORE_OK && !pause) {
		rc = store_pause_end_role(app->store, a->id, s->account_id, "child");
		if (rc == STORE_NOT_FOUND)
			rc = STORE_OK; /* nothing to lift: resuming twice is fine */
	}
	if (rc == STORE_OK)
		rc = store_notice_add(app->store, a->case_id, a->id, pause ? "pause" : "resume", pc->detail, NULL);
	if (rc == STORE_OK)
		rc = audit_append(app->store, s->account_id, pause ? AUDIT_PAUSE : AUDIT_UNPAUSE, a->case_id, a->id,
				  json_pack("{s:s}", "by_role", "child"));
	if (rc != STORE_OK) {
		log_error("contact.%s: %s", pause ? "pause" : "resume", store_errmsg(app->store));
		json_decref(pc->id);
		free(pc);
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, "That did not work. Please try again.");
		return;
	}
	commit_after(&app->commit, pause_committed, pc);
}

static void contacts_handle_pause(struct session *s, struct proto_request *r)
{
	pause_or_resume(s, r, 1);
}

static void contacts_handle_resume(struct session *s, struct proto_request *r)
{
	pause_or_resume(s, r, 0);
}

/* An agreement changed: its parties, where connected, get its fresh contacts.list entry. */
static void on_agreement_changed(struct app *app, const struct agreement *old, const struct agreement *now)
{
	int64_t parties[2] = {now->child_id, now->contact_id};
	for (int i = 0; i < 2; i++) {
		if (!router_first(&app->router, parties[i]) || hidden_from(app, now, parties[i]))
			continue;
		json_t *entry = contacts_entry(app, now, parties[i]);
		if (entry)
			session_deliver(app, parties[i], "contact", entry, NULL);
	}
}

void contacts_tell_peers(struct app *app, int64_t account)
{
	const struct agreement_list *l = agreements_of(&app->agreements, account);
	for (size_t i = 0; i < l->n; i++) {
		const struct agreement *a = l->items[i];
		int64_t peer = agreement_peer(a, account);
		if (!peer || !router_first(&app->router, peer) || hidden_from(app, a, peer))
			continue;
		json_t *entry = contacts_entry(app, a, peer);
		if (entry)
			session_deliver(app, peer, "contact", entry, NULL);
	}
}

const struct session_method contacts_methods[] = {
    {"contacts.list", 1, contacts_handle_list},
    {"contact.pause", 1, contacts_handle_pause},
    {"contact.resume", 1, contacts_handle_resume},
};
const size_t contacts_method_count = sizeof(contacts_methods) / sizeof(contacts_methods[0]);

const struct session_listener contacts_listener = {
    .agreement_changed = on_agreement_changed,
};
