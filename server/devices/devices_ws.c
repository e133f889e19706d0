/* devices_ws.c: the WebSocket methods of paired devices — auth.pair and auth.device before login; device.list,
 * device.revoke, pairing.targets and pairing.create after it (proto/PROTOCOL.md, "Paired devices"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/blobs/profile_photo.h"
#include "server/devices/devices.h"
#include "server/session/auth.h"
#include "server/session/session_internal.h"
#include "server/store/store_admin.h"

/* ---- before login: auth.pair, auth.device ---- */

struct signin_commit {
	uint64_t conn_id;
	json_t *id;
	int outcome; /* enum devices_signin */
	struct devices_paired paired;
	char token[AUTH_TOKEN_HEX + 1];
	uint8_t token_hash[32];
	int64_t expires_at;
};

static enum proto_error signin_error(int outcome)
{
	switch (outcome) {
	case DEVICES_SIGNIN_EXPIRED: return PROTO_ERR_PAIRING_EXPIRED;
	case DEVICES_SIGNIN_USED: return PROTO_ERR_PAIRING_USED;
	case DEVICES_SIGNIN_DISABLED: return PROTO_ERR_ACCOUNT_DISABLED;
	default: return PROTO_ERR_STORE_UNAVAILABLE;
	}
}

/* After the commit: log the device in (its session row is durable), or say why not. */
static void signin_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct signin_commit *sc = arg;
	struct session *s = session_by_conn(app, sc->conn_id);
	if (s) {
		s->auth_pending = 0;
		if (ok && sc->outcome == DEVICES_SIGNIN_OK) {
			json_t *res = auth_result(&sc->paired.account, sc->expires_at, sc->token);
			json_object_set_new(res, "device", devices_device_json(&sc->paired.device));
			if (sc->paired.credential[0])
				json_object_set_new(res, "credential", json_string(sc->paired.credential));
			memcpy(s->token_hash, sc->token_hash, sizeof(s->token_hash));
			s->expires_at = sc->expires_at;
			app->metrics.logins_ok++;
			auth_forgive_addr(s);
			session_authenticated(s, sc->paired.account.id, sc->paired.account.role, sc->id, res);
		} else if (!ok) {
			session_reply_error(s, sc->id, PROTO_ERR_STORE_UNAVAILABLE, "The sign-in could not be saved.");
		} else {
			session_reply_error(s, sc->id,
					    sc->outcome == DEVICES_SIGNIN_INVALID ? PROTO_ERR_PAIRING_INVALID
										  : signin_error(sc->outcome),
					    NULL);
		}
	}
	json_decref(sc->id);
	explicit_bzero(sc, sizeof(*sc)); /* the credential and the token */
	free(sc);
}

/* A new login session for the paired device, in the open transaction. */
static int add_device_session(struct app *app, struct signin_commit *sc)
{
	sc->expires_at = clock_now_ms() + app->cfg.session_ttl_s * 1000;
	if (auth_token_new(sc->token, sc->token_hash) != 0 ||
	    store_session_add_device(app->store, sc->token_hash, sc->paired.account.id, sc->expires_at,
				     sc->paired.device.id) != STORE_OK) {
		log_error("device session: %s", store_errmsg(app->store));
		return -1;
	}
	return 0;
}

static struct signin_commit *signin_start(struct session *s, json_t *id)
{
	struct signin_commit *sc = calloc(1, sizeof(*sc));
	if (!sc || store_begin(s->app->store) != STORE_OK) {
		free(sc);
		session_reply_error(s, id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return NULL;
	}
	sc->conn_id = s->route.conn->id;
	sc->id = json_incref(id);
	s->auth_pending = 1;
	return sc;
}

static uint64_t addr_key(struct session *s)
{
	char buf[80];
	int n = snprintf(buf, sizeof(buf), "pair:%s", s->route.conn->peer);
	return intmap_hash_bytes(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

static void handle_pair(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *code, *name;
	int64_t now = clock_now_ms();
	if (proto_param_string(r, "code", 1, 64, &code, NULL, err) ||
	    proto_param_string(r, "device_name", 1, DEVICES_NAME_MAX, &name, NULL, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	if (auth_precheck(s, r->id, now))
		return;
	/* Guessing is capped per address (and per code: DEVICES_PAIR_TRIES wrong secrets lock it). */
	uint64_t key = addr_key(s);
	int64_t wait = ratelimit_check(&s->app->pair_by_addr, key, now);
	if (wait) {
		json_t *extra = json_pack("{s:I}", "retry_after_s", (json_int_t)((wait + 999) / 1000));
		session_reply_extra(s, r->id, proto_error_code(PROTO_ERR_RATE_LIMITED),
				    proto_error_message(PROTO_ERR_RATE_LIMITED), extra);
		return;
	}
	ratelimit_hit(&s->app->pair_by_addr, key, now);
	struct signin_commit *sc = signin_start(s, r->id);
	if (!sc)
		return;
	sc->outcome = devices_pair(s->app->store, code, name, s->route.conn->peer, &sc->paired);
	if (sc->outcome == DEVICES_SIGNIN_OK && add_device_session(s->app, sc) != 0)
		sc->outcome = DEVICES_SIGNIN_ERR;
	if (sc->outcome == DEVICES_SIGNIN_OK)
		ratelimit_undo(&s->app->pair_by_addr, key);
	commit_after(&s->app->commit, signin_committed, sc); /* a failed try is the cap: it commits too */
}

static void handle_device(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	const char *credential;
	size_t len;
	if (proto_param_string(r, "credential", 1, 256, &credential, &len, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	if (auth_precheck(s, r->id, clock_now_ms()))
		return;
	struct signin_commit *sc = signin_start(s, r->id);
	if (!sc)
		return;
	sc->outcome = devices_signin(s->app->store, credential, len, s->route.conn->peer, &sc->paired);
	if (sc->outcome == DEVICES_SIGNIN_OK && add_device_session(s->app, sc) != 0)
		sc->outcome = DEVICES_SIGNIN_ERR;
	if (sc->outcome == DEVICES_SIGNIN_INVALID) {
		s->auth_pending = 0;
		session_reply_error(s, r->id, PROTO_ERR_DEVICE_INVALID, NULL);
		json_decref(sc->id);
		free(sc);
		return;
	}
	commit_after(&s->app->commit, signin_committed, sc);
}

/* ---- after login ---- */

static const struct account *me(struct session *s, struct account *buf)
{
	return store_account_by_id(s->app->store, s->account_id, buf) == STORE_OK ? buf : NULL;
}

static void reply_outcome(struct session *s, json_t *id, int rc, const struct devices_outcome *out)
{
	static const enum proto_error map[] = {
	    [DEVICES_BAD_REQUEST] = PROTO_ERR_BAD_REQUEST,
	    [DEVICES_FORBIDDEN] = PROTO_ERR_FORBIDDEN,
	    [DEVICES_NOT_FOUND] = PROTO_ERR_NOT_FOUND,
	    [DEVICES_CONFLICT] = PROTO_ERR_CONFLICT,
	    [DEVICES_ERR] = PROTO_ERR_INTERNAL,
	};
	session_reply_error(s, id, rc > DEVICES_OK && rc <= DEVICES_ERR ? map[rc] : PROTO_ERR_INTERNAL,
			    out->message[0] ? out->message : NULL);
}

static void add_device(const struct device *d, void *ctx)
{
	json_array_append_new(ctx, devices_device_json(d));
}

/* device.list {account_id?}: the caller's own devices, or those of a person in their care. */
static void handle_list(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	int64_t target = s->account_id, mine = 0;
	struct account buf;
	const struct account *who = me(s, &buf);
	struct devices_outcome out = {0};
	if (proto_param_int(r, "account_id", 1, 1, INT64_MAX, &target, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	int rc = who ? devices_check(s->app->store, who, target, 0, 1, &out) : DEVICES_ERR;
	if (rc != DEVICES_OK) {
		reply_outcome(s, r->id, rc, &out);
		return;
	}
	json_t *arr = json_array();
	store_session_device(s->app->store, s->token_hash, &mine);
	if (store_devices_of(s->app->store, target, add_device, arr) != STORE_OK) {
		json_decref(arr);
		session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	session_reply_ok(s, r->id,
			 json_pack("{s:I,s:o,s:I}", "account_id", (json_int_t)target, "devices", arr, "this_device",
				   (json_int_t)mine));
}

struct write_commit {
	uint64_t conn_id;
	json_t *id;
	json_t *result;  /* the reply once committed */
	int64_t account; /* whose connections to check afterwards (a revoked device's owner), or 0 */
};

static void write_committed(void *owner, void *arg, int ok)
{
	struct app *app = owner;
	struct write_commit *wc = arg;
	struct session *s = session_by_conn(app, wc->conn_id);
	if (s && ok)
		session_reply_ok(s, wc->id, wc->result);
	else {
		if (s)
			session_reply_error(s, wc->id, PROTO_ERR_STORE_UNAVAILABLE, "The change could not be saved.");
		json_decref(wc->result);
	}
	if (ok && wc->account) /* after the reply: a revoked device's connections end now (this one too, if it was) */
		session_check_account(app, wc->account);
	json_decref(wc->id);
	free(wc);
}

static void commit_then_reply(struct session *s, json_t *id, json_t *result, int64_t account)
{
	struct write_commit *wc = calloc(1, sizeof(*wc));
	if (!wc) {
		json_decref(result);
		session_reply_error(s, id, PROTO_ERR_INTERNAL, NULL);
		return;
	}
	wc->conn_id = s->route.conn->id;
	wc->id = json_incref(id);
	wc->result = result;
	wc->account = account;
	commit_after(&s->app->commit, write_committed, wc);
}

/* device.revoke {device_id}: the owner, or a carer or caseworker of a case the owner is in. */
static void handle_revoke(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	int64_t device_id;
	struct account buf;
	const struct account *who = me(s, &buf);
	struct devices_outcome out = {0};
	if (proto_param_int(r, "device_id", 0, 1, INT64_MAX, &device_id, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	if (!who || store_begin(s->app->store) != STORE_OK) {
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	int rc = devices_revoke(s->app->store, who, device_id, 0, "ws", &out);
	if (rc != DEVICES_OK) {
		reply_outcome(s, r->id, rc, &out); /* nothing was written */
		return;
	}
	commit_then_reply(s, r->id, json_pack("{s:I,s:b}", "device_id", (json_int_t)device_id, "revoked", 1),
			  out.account_id);
}

struct targets_ctx {
	struct session *s;
	json_t *arr;
	struct intmap seen;
};

static void add_target(int64_t account, const char *relationship, void *ctx)
{
	struct targets_ctx *t = ctx;
	struct account a;
	if (intmap_get(&t->seen, (uint64_t)account) || store_account_by_id(t->s->app->store, account, &a) != STORE_OK)
		return;
	intmap_put(&t->seen, (uint64_t)account, t);
	json_t *person = json_pack("{s:I,s:s,s:s,s:s,s:s,s:b}", "account_id", (json_int_t)a.id, "username", a.username,
				   "display_name", a.display_name, "role", a.role, "relationship", relationship, "self",
				   a.id == t->s->account_id);
	profile_photo_json(t->s->app->store, a.id, person); /* the photo screen shows the picture now */
	json_array_append_new(t->arr, person);
}

static void add_case_targets(const struct admin_case *c, void *ctx)
{
	struct targets_ctx *t = ctx;
	store_case_people(t->s->app->store, c->id, add_target, t);
}

/* pairing.targets: whom the caller may make a pairing code for — themself (adults) and, for a carer or
 * caseworker, the children and contacts of their cases. */
static void handle_targets(struct session *s, struct proto_request *r)
{
	struct targets_ctx t = {s, json_array(), {0}};
	intmap_init(&t.seen);
	if (strcmp(s->role, "child") && strcmp(s->role, "operator"))
		add_target(s->account_id, "", &t);
	if (!strcmp(s->role, "carer") || !strcmp(s->role, "caseworker"))
		store_admin_cases_of(s->app->store, s->account_id, s->role, add_case_targets, &t);
	intmap_free(&t.seen);
	session_reply_ok(s, r->id, json_pack("{s:o}", "people", t.arr));
}

/* pairing.create {account_id?, hours?, app_url?}: a code (and its QR) for a device of the caller or of a person
 * in their care. */
static void handle_create(struct session *s, struct proto_request *r)
{
	char err[PROTO_ERRBUF];
	int64_t target = s->account_id, hours = 0;
	struct account buf;
	const struct account *who = me(s, &buf);
	struct devices_outcome out = {0};
	struct devices_code code;
	json_t *url = r->root ? json_object_get(r->root, "app_url") : NULL;
	if (proto_param_int(r, "account_id", 1, 1, INT64_MAX, &target, err) ||
	    proto_param_int(r, "hours", 1, 1, DEVICES_PAIR_HOURS_MAX, &hours, err)) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return;
	}
	if (!who || store_begin(s->app->store) != STORE_OK) {
		session_reply_error(s, r->id, PROTO_ERR_STORE_UNAVAILABLE, NULL);
		return;
	}
	int rc = devices_pairing_create(s->app->store, who, target, 0, (int)hours, "ws", &code, &out);
	if (rc != DEVICES_OK) {
		reply_outcome(s, r->id, rc, &out);
		return;
	}
	commit_then_reply(s, r->id, devices_code_json(&code, target, json_string_value(url)), 0);
	explicit_bzero(&code, sizeof(code));
}

const struct session_method devices_methods[] = {
    {"auth.pair", 0, handle_pair},       {"auth.device", 0, handle_device},      {"device.list", 1, handle_list},
    {"device.revoke", 1, handle_revoke}, {"pairing.targets", 1, handle_targets}, {"pairing.create", 1, handle_create},
};
const size_t devices_method_count = sizeof(devices_methods) / sizeof(devices_methods[0]);
