/* session_auth.c: auth.login (password checked on the hasher thread), auth.resume and auth.logout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/audit.h"
#include "server/session/auth.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/base/username.h"
#include "server/session/session_internal.h"
#include "server/store/store_devices.h"

static uint64_t key_of(const char *kind, const char *value)
{
	char buf[400];
	int n = snprintf(buf, sizeof(buf), "%s:%s", kind, value);
	return intmap_hash_bytes(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static json_t *account_json(const struct account *a)
{
	char initials[16];
	auth_initials(a->display_name, initials);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(a->id));
	json_object_set_new(o, "username", json_string(a->username));
	json_object_set_new(o, "display_name", json_string(a->display_name));
	json_object_set_new(o, "role", json_string(a->role));
	json_object_set_new(o, "initials", json_string(initials));
	json_object_set_new(o, "locale", json_string(a->locale));
	return o;
}

static void reply_rate_limited(struct session *s, json_t *id, int64_t wait_ms)
{
	json_t *extra = json_object();
	json_object_set_new(extra, "retry_after_s", json_integer((wait_ms + 999) / 1000));
	s->app->metrics.logins_rate_limited++;
	char said[I18N_TEXT_MAX];
	struct i18n_arg seconds = {"seconds", NULL, (double)((wait_ms + 999) / 1000)};
	const char *msg = i18n_format(session_lang(s), "error.rate_limited_wait", &seconds, 1, said, sizeof(said));
	if (msg)
		session_reply_said(s, id, proto_error_code(PROTO_ERR_RATE_LIMITED), msg, extra);
	else
		session_reply_extra(s, id, proto_error_code(PROTO_ERR_RATE_LIMITED),
				    proto_error_message(PROTO_ERR_RATE_LIMITED), extra);
}

/* Shared checks: not yet authenticated, not over the per-address limit. Returns 0 to go on. */
int auth_precheck(struct session *s, json_t *id, int64_t now)
{
	if (s->account_id || s->auth_pending) {
		session_reply_error(s, id, PROTO_ERR_ALREADY_AUTHENTICATED,
				    s->auth_pending ? "A login is already in progress." : NULL);
		return -1;
	}
	uint64_t addr = key_of("addr", s->route.conn->peer);
	int64_t wait = ratelimit_check(&s->app->login_by_addr, addr, now);
	if (wait) {
		reply_rate_limited(s, id, wait);
		return -1;
	}
	ratelimit_hit(&s->app->login_by_addr, addr, now);
	return 0;
}

void auth_handle_login(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *username, *password;
	size_t pwlen;
	int64_t now = clock_now_ms();
	if (proto_param_string(r, "username", 1, 64, &username, NULL, err) ||
	    proto_param_string(r, "password", 1, AUTH_PASSWORD_MAX, &password, &pwlen, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	if (auth_precheck(s, r->id, now))
		return;
	/* Known and unknown usernames alike: the limits must not tell which names exist. */
	char pair[400], folded[USERNAME_KEY_MAX]; /* "Mia" and "MIA" are one name to the limits too */
	if (username_key(username, folded, sizeof(folded)) != 0)
		snprintf(folded, sizeof(folded), "%s", username);
	snprintf(pair, sizeof(pair), "%s\n%s", folded, s->route.conn->peer);
	uint64_t user_key = key_of("user", folded), pair_key = key_of("pair", pair);
	int64_t wait = ratelimit_check(&s->app->login_by_pair, pair_key, now);
	int64_t user_wait = ratelimit_check(&s->app->login_by_user, user_key, now);
	if (wait || user_wait) {
		reply_rate_limited(s, r->id, wait > user_wait ? wait : user_wait);
		return;
	}
	struct hasher_job *job = calloc(1, sizeof(*job));
	struct account a;
	int rc = store_account_by_name(s->app->store, username, &a);
	if (!job || rc == STORE_ERR) {
		free(job);
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	job->conn_id = s->route.conn->id;
	job->request_id = json_incref(r->id);
	job->account_id = rc == STORE_OK ? a.id : 0;
	snprintf(job->hash, sizeof(job->hash), "%s", rc == STORE_OK ? a.password_hash : "");
	memcpy(job->password, password, pwlen);
	job->password_len = pwlen;
	/* Counted now, as a failure until the hash says otherwise: parallel attempts cannot outrun the limits. */
	job->user_key = user_key;
	job->pair_key = pair_key;
	ratelimit_hit(&s->app->login_by_pair, pair_key, now);
	ratelimit_hit(&s->app->login_by_user, user_key, now);
	s->auth_pending = 1;
	hasher_submit(s->app->hasher, job);
}

/* A failed login of a known account is audited (unknown usernames are only counted: they name nobody). */
static void audit_login_failed(struct app *app, int64_t account, const char *username, const char *peer,
			       const char *why)
{
	if (store_begin(app->store) != STORE_OK ||
	    audit_append(app->store, account, AUDIT_LOGIN, 0, 0,
			 json_pack("{s:s,s:b,s:s,s:s}", "username", username, "ok", 0, "reason", why, "from", peer)) !=
		STORE_OK) /* audit_append is only reached (and takes the detail) once the transaction is open */
		log_error("audit: %s", store_errmsg(app->store));
}

void auth_forgive_addr(struct session *s)
{
	ratelimit_reset(&s->app->login_by_addr, key_of("addr", s->route.conn->peer));
}

struct login_commit {
	uint64_t conn_id;
	json_t *id;
	struct account account;
	char token[AUTH_TOKEN_HEX + 1];
	uint8_t token_hash[32];
	int64_t expires_at;
};

json_t *auth_result(const struct account *a, int64_t expires_at, const char *token)
{
	json_t *res = json_object();
	if (token)
		json_object_set_new(res, "token", json_string(token));
	json_object_set_new(res, "expires_at", json_integer(expires_at));
	json_object_set_new(res, "account", account_json(a));
	return res;
}

static void login_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct login_commit *lc = arg;
	struct session *s = session_by_conn(app, lc->conn_id);
	if (s) {
		s->auth_pending = 0;
		if (ok) {
			memcpy(s->token_hash, lc->token_hash, sizeof(s->token_hash));
			s->expires_at = lc->expires_at;
			app->metrics.logins_ok++;
			json_t *res = auth_result(&lc->account, lc->expires_at, lc->token);
			if (lc->account.password_reset_at)
				json_object_set_new(res, "notice",
						    json_pack("{s:s,s:I}", "kind", "password_reset", "at",
							      (json_int_t)lc->account.password_reset_at));
			session_authenticated(s, lc->account.id, lc->account.role, lc->id, res);
		} else {
			session_reply_error(s, lc->id, PROTO_ERR_STORE_UNAVAILABLE,
					    "The login could not be saved. Please try again.");
		}
	}
	explicit_bzero(lc->token, sizeof(lc->token));
	json_decref(lc->id);
	free(lc);
}

/* The password is right: create the session row; the reply goes out after the commit. */
static void login_accept(struct session *s, json_t *id, const struct account *a)
{
	struct app *app = s->app;
	struct login_commit *lc = calloc(1, sizeof(*lc));
	if (!lc || auth_token_new(lc->token, lc->token_hash) != 0 || store_begin(app->store) != STORE_OK) {
		free(lc);
		s->auth_pending = 0;
		session_reply_error(s, id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	lc->conn_id = s->route.conn->id;
	lc->id = json_incref(id);
	lc->account = *a;
	lc->expires_at = clock_now_ms() + app->cfg.session_ttl_s * 1000;
	/* A carer or caseworker reset the password: say so in this reply, once (devices/recovery.c). */
	if (a->password_reset_at && store_account_reset_told(app->store, a->id) != STORE_OK) {
		log_error("%s", store_errmsg(app->store));
		login_committed(app, lc, 0);
		return;
	}
	if (store_session_add(app->store, lc->token_hash, a->id, lc->expires_at) != STORE_OK ||
	    audit_append(app->store, a->id, AUDIT_LOGIN, 0, 0,
			 json_pack("{s:s,s:b,s:s}", "username", a->username, "ok", 1, "from", s->route.conn->peer)) !=
		STORE_OK) {
		log_error("%s", store_errmsg(app->store));
		login_committed(app, lc, 0);
		return;
	}
	commit_after(&app->commit, login_committed, lc);
}

void session_login_verified(struct hasher_job *job, void *arg)
{
	struct app *app = arg;
	struct session *s = session_by_conn(app, job->conn_id);
	json_t *id = job->request_id;
	struct account a;
	if (!s)
		goto out;
	int found = job->account_id && store_account_by_id(app->store, job->account_id, &a) == STORE_OK;
	if (job->result != 1 || !found) {
		if (job->result < 0)
			log_warn("account %lld has a malformed password hash", (long long)job->account_id);
		s->auth_pending = 0;
		app->metrics.logins_failed++;
		ratelimit_touch(&app->login_by_user, job->user_key,
				clock_now_ms()); /* the backoff runs from the answer */
		if (found)                       /* already counted, like an unknown name's attempt */
			audit_login_failed(app, a.id, a.username, s->route.conn->peer, "bad_credentials");
		else /* an unknown name waits for the same commit and fsync: the timing must not tell which names exist */
			store_begin(app->store);
		session_reply_error_durable(s, id, PROTO_ERR_BAD_CREDENTIALS); /* after its audit entry */
		goto out;
	}
	if (a.disabled) {
		s->auth_pending = 0;
		audit_login_failed(app, a.id, a.username, s->route.conn->peer, "account_disabled");
		session_reply_error_durable(s, id, PROTO_ERR_ACCOUNT_DISABLED);
		goto out;
	}
	ratelimit_reset(&app->login_by_pair, job->pair_key);
	ratelimit_undo(&app->login_by_user, job->user_key);
	login_accept(s, id, &a);
out:
	json_decref(id);
	free(job);
}

void auth_handle_resume(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *token;
	size_t len;
	uint8_t hash[32];
	int64_t account_id, expires_at, now = clock_now_ms();
	struct account a;
	if (proto_param_string(r, "token", 1, 256, &token, &len, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	if (auth_precheck(s, r->id, now))
		return;
	if (auth_token_hash(token, len, hash) != 0 ||
	    store_session_get(s->app->store, hash, &account_id, &expires_at) != STORE_OK || expires_at <= now ||
	    store_account_by_id(s->app->store, account_id, &a) != STORE_OK) {
		session_reply_error(s, r->id, PROTO_ERR_TOKEN_INVALID, NULL);
		return;
	}
	if (a.disabled) {
		session_reply_error(s, r->id, PROTO_ERR_ACCOUNT_DISABLED, NULL);
		return;
	}
	auth_forgive_addr(s); /* a resume proves the client holds the token */
	memcpy(s->token_hash, hash, sizeof(hash));
	s->expires_at = expires_at;
	session_authenticated(s, a.id, a.role, r->id, auth_result(&a, expires_at, NULL));
}

struct logout_commit {
	uint64_t conn_id;
	json_t *id;
	uint8_t token_hash[32];
};

static void logout_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct logout_commit *lc = arg;
	struct session *s = session_by_conn(app, lc->conn_id);
	if (s && ok) {
		session_reply_ok(s, lc->id, json_object());
		conn_close(s->route.conn, 1000, "logout");
	}
	if (ok) /* the token is gone: so is every other connection that authenticated with it */
		session_end_token(app, lc->token_hash, 1008, "session_ended");
	else if (s) {
		session_reply_error(s, lc->id, PROTO_ERR_STORE_UNAVAILABLE,
				    "Logout could not be saved. Please try again.");
	}
	json_decref(lc->id);
	free(lc);
}

void auth_handle_logout(struct session *s, struct proto_request *r)
{
	struct logout_commit *lc = calloc(1, sizeof(*lc));
	if (!lc || store_begin(s->app->store) != STORE_OK ||
	    store_session_del(s->app->store, s->token_hash) != STORE_OK) {
		free(lc);
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE,
				    "Logout could not be saved. Please try again.");
		return;
	}
	lc->conn_id = s->route.conn->id;
	lc->id = json_incref(r->id);
	memcpy(lc->token_hash, s->token_hash, sizeof(lc->token_hash));
	commit_after(&s->app->commit, logout_committed, lc);
}
