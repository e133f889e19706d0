/* invites_ws.c: invite.open (what the invitation is, to the holder of its code) and invite.accept (here: linking the
 * logged-in family account; a new account is invites_join.c). The agreement is created pending. Codes tried are
 * capped per client address here and per code in invites.c. */
#include "server/invites/invites_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/invites/invites_ws_internal.h"
#include "server/store/store_invites.h"

void invites_ws__later_done(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct later *l = arg;
	struct session *s = session_by_conn(app, l->conn_id);
	if (s && l->login)
		s->auth_pending = 0;
	if (s && !ok) {
		session_reply_error(s, l->id, PROTO_ERR_STORE_UNAVAILABLE,
				    "This could not be saved. Please try again.");
	} else if (s && l->err != PROTO_ERR_OK) {
		session_reply_error(s, l->id, l->err, l->message[0] ? l->message : NULL);
	} else if (s && l->login) {
		memcpy(s->token_hash, l->token_hash, sizeof(s->token_hash));
		s->expires_at = l->expires_at;
		app->metrics.logins_ok++;
		session_authenticated(s, l->account.id, l->account.role, l->id, l->result);
		l->result = NULL;
	} else if (s) {
		session_reply_ok(s, l->id, l->result);
		l->result = NULL;
	}
	json_decref(l->result);
	json_decref(l->id);
	explicit_bzero(l->token, sizeof(l->token));
	free(l);
}

struct later *invites_ws__later_new(struct session *s, json_t *id)
{
	struct later *l = calloc(1, sizeof(*l));
	if (l) {
		l->conn_id = s->route.conn->id;
		l->id = json_incref(id);
	}
	return l;
}

/* Reply after the commit (the error's message may be NULL for the code's default). */
void invites_ws__reply_later(struct session *s, json_t *id, enum proto_error e, const char *message, json_t *result)
{
	struct later *l = invites_ws__later_new(s, id);
	if (!l) {
		json_decref(result);
		session_reply_error(s, id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	l->err = e;
	snprintf(l->message, sizeof(l->message), "%s", message ? message : "");
	l->result = result;
	commit_after(&s->app->commit, invites_ws__later_done, l);
}

enum proto_error invites_ws__error_of(int rc)
{
	switch (rc) {
	case INVITES_UNKNOWN: return PROTO_ERR_INVITE_UNKNOWN;
	case INVITES_USED: return PROTO_ERR_INVITE_USED;
	case INVITES_EXPIRED: return PROTO_ERR_INVITE_EXPIRED;
	case INVITES_REVOKED: return PROTO_ERR_INVITE_REVOKED;
	case INVITES_LOCKED: return PROTO_ERR_INVITE_LOCKED;
	case INVITES_CONFLICT: return PROTO_ERR_INVITE_CONFLICT;
	case INVITES_FORBIDDEN: return PROTO_ERR_INVITE_WRONG_ACCOUNT;
	case INVITES_BAD_REQUEST: return PROTO_ERR_BAD_REQUEST;
	default: return PROTO_ERR_INTERNAL;
	}
}

static uint64_t addr_key(struct session *s)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "invite:%s", s->route.conn->peer);
	return intmap_hash_bytes(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* The per-address cap: 0 to go on (the attempt is counted), else the reply (rate_limited) has been sent. */
static int addr_allows(struct session *s, json_t *id, int64_t now)
{
	int64_t wait = ratelimit_check(&s->app->invite_tries, addr_key(s), now);
	if (wait) {
		json_t *extra = json_object();
		json_object_set_new(extra, "retry_after_s", json_integer((wait + 999) / 1000));
		s->app->metrics.invite_codes_rate_limited++;
		session_reply_extra(s, id, proto_error_code(PROTO_ERR_RATE_LIMITED),
				    proto_error_message(PROTO_ERR_RATE_LIMITED), extra);
		return -1;
	}
	ratelimit_hit(&s->app->invite_tries, addr_key(s), now);
	return 0;
}

/* Find the invitation of the request's `code`, usable now. On INVITES_OK inv is filled (the caller clears it);
 * otherwise the reply has been queued and the caller stops. */
int invites_ws__redeem(struct session *s, struct proto_request *r, int64_t now, struct invitation *inv)
{
	char err[PROTO_ERRBUF];
	const char *code;
	memset(inv, 0, sizeof(*inv));
	if (proto_param_string(r, "code", 1, CODE_MAX, &code, NULL, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return INVITES_BAD_REQUEST;
	}
	if (addr_allows(s, r->id, now))
		return INVITES_BAD_REQUEST;
	if (store_begin(s->app->store) != STORE_OK) {
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, "Please try again.");
		return INVITES_ERR;
	}
	int rc = invites_redeem(s->app->store, code, s->route.conn->peer, now, inv);
	if (rc == INVITES_OK) {
		ratelimit_undo(&s->app->invite_tries, addr_key(s)); /* the right code is not a guess */
		return rc;
	}
	store_invitation_clear(inv);
	s->app->metrics.invite_codes_refused += rc != INVITES_ERR;
	if (rc == INVITES_ERR)
		log_error("invitations: %s", store_errmsg(s->app->store));
	invites_ws__reply_later(s, r->id, invites_ws__error_of(rc), NULL, NULL);
	return rc;
}

/* The first word of a name ("Mia" of "Mia Popescu"): all an invited person learns about the child. */
static json_t *first_name(const char *name)
{
	size_t n = strcspn(name, " ");
	return json_stringn(name, n);
}

static void invite_open(struct session *s, struct proto_request *r)
{
	struct invitation inv;
	struct account child, inviter;
	int64_t now = clock_now_ms();
	if (invites_ws__redeem(s, r, now, &inv) != INVITES_OK)
		return;
	int found = store_account_by_id(s->app->store, inv.child_id, &child) == STORE_OK &&
	    store_account_by_id(s->app->store, inv.created_by, &inviter) == STORE_OK;
	json_t *terms = json_loads(inv.terms ? inv.terms : "{}", 0, NULL);
	int hide = json_is_true(json_object_get(json_object_get(terms, "privacy"), "hide_carer")) &&
	    !strcmp(inv.created_role, "carer");
	json_decref(terms);
	if (!found) {
		store_invitation_clear(&inv);
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	json_t *res =
	    json_pack("{s:{s:o},s:s,s:s,s:{s:s,s:s},s:I,s:s}", "child", "first_name", first_name(child.display_name),
		      "invitee_name", inv.invitee_name, "relationship", inv.relationship, "inviter", "display_name",
		      hide ? "The child's carer" : inviter.display_name, "role", inv.created_role, "expires_at",
		      (json_int_t)inv.expires_at, "language", inv.language);
	store_invitation_clear(&inv);
	session_reply_ok(s, r->id, res);
}

json_t *invites_ws__account_json(const struct account *a)
{
	char initials[16];
	auth_initials(a->display_name, initials);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)a->id, "username", a->username, "display_name",
			 a->display_name, "role", a->role, "initials", initials, "locale", a->locale);
}

json_t *invites_ws__joined_json(const struct invites_outcome *out)
{
	return json_pack("{s:I,s:s,s:I}", "agreement_id", (json_int_t)out->agreement_id, "status", "pending",
			 "invitation_id", (json_int_t)out->invitation_id);
}

/* Logged in as a family member: link this account. */
static void accept_linked(struct session *s, struct proto_request *r)
{
	struct invitation inv;
	struct account me;
	struct invites_outcome out = {0};
	int64_t now = clock_now_ms();
	if (strcmp(s->role, "contact")) {
		session_reply_error(s, r->id, PROTO_ERR_INVITE_WRONG_ACCOUNT, NULL);
		return;
	}
	if (invites_ws__redeem(s, r, now, &inv) != INVITES_OK)
		return;
	int rc = store_account_by_id(s->app->store, s->account_id, &me) == STORE_OK
	    ? invites_accept(s->app->store, s->app->cfg.approvals, &inv, &me, s->route.conn->peer, now, &out)
	    : INVITES_ERR;
	store_invitation_clear(&inv);
	if (rc != INVITES_OK) {
		invites_ws__reply_later(s, r->id, invites_ws__error_of(rc), rc == INVITES_ERR ? NULL : out.message,
					NULL);
		return;
	}
	json_t *res = invites_ws__joined_json(&out);
	json_object_set_new(res, "account", invites_ws__account_json(&me));
	invites_ws__reply_later(s, r->id, PROTO_ERR_OK, NULL, res);
	s->app->metrics.invites_accepted++;
	session_agreements_changed(s->app); /* the child's caseworkers and the new contact see the pending agreement */
}

static void invite_accept(struct session *s, struct proto_request *r)
{
	if (s->account_id)
		accept_linked(s, r);
	else
		invites_ws__accept_new(s, r);
}

const struct session_method invites_methods[] = {
    {"invite.open", 0, invite_open},
    {"invite.accept", 0, invite_accept},
};
const size_t invites_method_count = sizeof(invites_methods) / sizeof(invites_methods[0]);
