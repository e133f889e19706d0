/* invites_ws.c: invite.open (what the invitation is, to the holder of its code) and invite.accept (a new family
 * account, or the logged-in one, joins the child's case: the agreement is created pending). Codes tried are capped per
 * client address here and per code in invites.c; the new password is hashed on the hasher thread. */
#include "server/invites/invites_ws.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/invites/invites.h"
#include "server/session/auth.h"
#include "server/session/session_internal.h"
#include "server/store/audit.h"
#include "server/store/store_invites.h"

#define CODE_MAX 64 /* characters accepted as a typed code (dashes and spaces included) */

/* A reply sent once the turn's writes (failed tries, the new account and agreement) are durable. */
struct later {
	uint64_t conn_id;
	json_t *id;
	enum proto_error err; /* PROTO_ERR_OK: send result */
	char message[200];    /* "" = the code's default */
	json_t *result;
	int login;                      /* the reply logs the connection in as account */
	struct account account;         /* login: who */
	uint8_t token_hash[32];         /* login: the new session's token */
	int64_t expires_at;             /* login: its expiry */
	char token[AUTH_TOKEN_HEX + 1]; /* login: the token itself (wiped) */
};

static void later_done(void *owner, void *arg, int ok)
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

static struct later *later_new(struct session *s, json_t *id)
{
	struct later *l = calloc(1, sizeof(*l));
	if (l) {
		l->conn_id = s->route.conn->id;
		l->id = json_incref(id);
	}
	return l;
}

/* Reply after the commit (the error's message may be NULL for the code's default). */
static void reply_later(struct session *s, json_t *id, enum proto_error e, const char *message, json_t *result)
{
	struct later *l = later_new(s, id);
	if (!l) {
		json_decref(result);
		session_reply_error(s, id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	l->err = e;
	snprintf(l->message, sizeof(l->message), "%s", message ? message : "");
	l->result = result;
	commit_after(&s->app->commit, later_done, l);
}

static enum proto_error proto_error_of(int rc)
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
		session_reply_extra(s, id, proto_error_code(PROTO_ERR_RATE_LIMITED),
				    proto_error_message(PROTO_ERR_RATE_LIMITED), extra);
		return -1;
	}
	ratelimit_hit(&s->app->invite_tries, addr_key(s), now);
	return 0;
}

/* Find the invitation of the request's `code`, usable now. On INVITES_OK inv is filled (the caller clears it);
 * otherwise the reply has been queued and the caller stops. */
static int redeem(struct session *s, struct proto_request *r, int64_t now, struct invitation *inv)
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
	if (rc == INVITES_ERR)
		log_error("invitations: %s", store_errmsg(s->app->store));
	reply_later(s, r->id, proto_error_of(rc), NULL, NULL);
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
	if (redeem(s, r, now, &inv) != INVITES_OK)
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

static json_t *account_json(const struct account *a)
{
	char initials[16];
	auth_initials(a->display_name, initials);
	return json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)a->id, "username", a->username, "display_name",
			 a->display_name, "role", a->role, "initials", initials);
}

static json_t *joined_json(const struct invites_outcome *out)
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
	if (redeem(s, r, now, &inv) != INVITES_OK)
		return;
	int rc = store_account_by_id(s->app->store, s->account_id, &me) == STORE_OK
	    ? invites_accept(s->app->store, s->app->cfg.approvals, &inv, &me, s->route.conn->peer, now, &out)
	    : INVITES_ERR;
	store_invitation_clear(&inv);
	if (rc != INVITES_OK) {
		reply_later(s, r->id, proto_error_of(rc), rc == INVITES_ERR ? NULL : out.message, NULL);
		return;
	}
	json_t *res = joined_json(&out);
	json_object_set_new(res, "account", account_json(&me));
	reply_later(s, r->id, PROTO_ERR_OK, NULL, res);
	session_agreements_changed(s->app); /* the child's caseworkers and the new contact see the pending agreement */
}

/* What a new account asks for, kept while its password is hashed. */
struct join {
	struct app *app;
	char code[CODE_MAX + 1];
	char username[65];
	char display_name[129];
	char language[16];
};

static int read_join(struct session *s, struct proto_request *r, struct join *j, const char **password, size_t *pwlen)
{
	char err[PROTO_ERRBUF];
	const char *code, *user, *name, *lang = "";
	if (proto_param_string(r, "code", 1, CODE_MAX, &code, NULL, err) ||
	    proto_param_string(r, "username", 2, 64, &user, NULL, err) ||
	    proto_param_string(r, "display_name", 1, 128, &name, NULL, err) ||
	    proto_param_string(r, "password", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX, password, pwlen, err) ||
	    (json_object_get(r->root, "language") && proto_param_string(r, "language", 0, 15, &lang, NULL, err))) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return -1;
	}
	for (const char *p = user; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-')) {
			session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST,
					    "A username has letters a-z, digits and . _ - only.");
			return -1;
		}
	snprintf(j->code, sizeof(j->code), "%s", code);
	for (size_t i = 0; user[i] && i < sizeof(j->username) - 1; i++)
		j->username[i] = (char)tolower((unsigned char)user[i]);
	snprintf(j->display_name, sizeof(j->display_name), "%s", name);
	snprintf(j->language, sizeof(j->language), "%s", lang);
	return 0;
}

static void joined_hashed(struct hasher_job *job, void *arg);

/* Not logged in: check the code and the name, then hash the password off the loop. */
static void accept_new(struct session *s, struct proto_request *r)
{
	struct join j = {0};
	struct invitation inv;
	struct account taken;
	const char *password;
	size_t pwlen;
	if (s->auth_pending) {
		session_reply_error(s, r->id, PROTO_ERR_ALREADY_AUTHENTICATED, "A login is already in progress.");
		return;
	}
	if (read_join(s, r, &j, &password, &pwlen) || redeem(s, r, clock_now_ms(), &inv) != INVITES_OK)
		return;
	store_invitation_clear(&inv);
	int rc = store_account_by_name(s->app->store, j.username, &taken);
	if (rc != STORE_NOT_FOUND) {
		session_reply_error(s, r->id, rc == STORE_OK ? PROTO_ERR_USERNAME_TAKEN : PROTO_ERR_INTERNAL, NULL);
		return;
	}
	struct hasher_job *job = calloc(1, sizeof(*job));
	struct join *keep = malloc(sizeof(*keep));
	if (!job || !keep) {
		free(job);
		free(keep);
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	*keep = j;
	keep->app = s->app;
	job->op = HASHER_HASH;
	job->done = joined_hashed;
	job->done_ctx = keep;
	job->conn_id = s->route.conn->id;
	job->request_id = json_incref(r->id);
	memcpy(job->password, password, pwlen);
	job->password_len = pwlen;
	s->auth_pending = 1;
	hasher_submit(s->app->hasher, job);
}

/* The new account, its preferred language, the agreement, the invitation used and a login session: one transaction. */
static int create_joined(struct app *app, struct session *s, const struct join *j, const char *hash, struct later *l,
			 struct invites_outcome *out)
{
	struct invitation inv;
	struct account a = {0};
	int64_t now = clock_now_ms();
	int rc = invites_redeem(app->store, j->code, s->route.conn->peer, now, &inv); /* still open? */
	if (rc == INVITES_OK) {
		snprintf(a.username, sizeof(a.username), "%s", j->username);
		snprintf(a.display_name, sizeof(a.display_name), "%s", j->display_name);
		snprintf(a.role, sizeof(a.role), "contact");
		snprintf(a.password_hash, sizeof(a.password_hash), "%s", hash);
		int added = store_account_add(app->store, &a, &a.id);
		if (added == STORE_DUPLICATE)
			rc = INVITES_BAD_REQUEST, l->err = PROTO_ERR_USERNAME_TAKEN;
		else if (added != STORE_OK ||
			 store_account_set_language(app->store, a.id, j->language[0] ? j->language : inv.language) !=
			     STORE_OK ||
			 audit_append(app->store, a.id, AUDIT_ACCOUNT, inv.case_id, 0,
				      json_pack("{s:s,s:s,s:s,s:s}", "action", "add", "username", a.username, "role",
						"contact", "via", "invitation")) != STORE_OK)
			rc = INVITES_ERR;
		else
			rc = invites_accept(app->store, app->cfg.approvals, &inv, &a, s->route.conn->peer, now, out);
	}
	store_invitation_clear(&inv);
	if (rc != INVITES_OK)
		return rc;
	l->account = a;
	l->expires_at = now + app->cfg.session_ttl_s * 1000;
	if (auth_token_new(l->token, l->token_hash) != 0 ||
	    store_session_add(app->store, l->token_hash, a.id, l->expires_at) != STORE_OK ||
	    audit_append(app->store, a.id, AUDIT_LOGIN, 0, 0,
			 json_pack("{s:s,s:b,s:s,s:s}", "username", a.username, "ok", 1, "from", s->route.conn->peer,
				   "via", "invitation")) != STORE_OK)
		return INVITES_ERR;
	return INVITES_OK;
}

/* The password is hashed: create everything in a transaction of its own (what came before this turn is committed
 * first), so a refusal here rolls back only this. */
static void joined_hashed(struct hasher_job *job, void *arg)
{
	struct join *j = arg;
	struct app *app = j->app;
	struct session *s = session_by_conn(app, job->conn_id);
	struct invites_outcome out = {0};
	struct later *l = s ? later_new(s, job->request_id) : NULL;
	if (s && !l) {
		s->auth_pending = 0;
		session_reply_error(s, job->request_id, PROTO_ERR_INTERNAL, NULL);
	}
	if (!s || !l)
		goto out;
	l->login = 1;
	commit_flush(&app->commit);
	int rc = job->result != 1                 ? INVITES_ERR
	    : store_begin(app->store) != STORE_OK ? INVITES_ERR
						  : create_joined(app, s, j, job->hash, l, &out);
	if (rc != INVITES_OK) {
		if (store_in_txn(app->store))
			store_rollback(app->store);
		if (rc == INVITES_ERR)
			log_error("invite.accept: %s", store_errmsg(app->store));
		s->auth_pending = 0;
		session_reply_error(s, l->id, l->err ? l->err : proto_error_of(rc),
				    rc == INVITES_ERR || l->err || !out.message[0] ? NULL : out.message);
		json_decref(l->id);
		explicit_bzero(l->token, sizeof(l->token));
		free(l);
		goto out;
	}
	l->result = json_pack("{s:s,s:I,s:o}", "token", l->token, "expires_at", (json_int_t)l->expires_at, "account",
			      account_json(&l->account));
	json_t *joined = joined_json(&out);
	json_object_update(l->result, joined);
	json_decref(joined);
	commit_after(&app->commit, later_done, l);
	session_agreements_changed(app);
out:
	if (!s)
		log_info("invite.accept: the connection left while its password was hashed");
	explicit_bzero(job->hash, sizeof(job->hash));
	json_decref(job->request_id);
	free(j);
	free(job);
}

static void invite_accept(struct session *s, struct proto_request *r)
{
	if (s->account_id)
		accept_linked(s, r);
	else
		accept_new(s, r);
}

const struct session_method invites_methods[] = {
    {"invite.open", 0, invite_open},
    {"invite.accept", 0, invite_accept},
};
const size_t invites_method_count = sizeof(invites_methods) / sizeof(invites_methods[0]);
