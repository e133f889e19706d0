/* invites_join.c: invite.accept before login — check the code and the username, hash the password on the hasher
 * thread, then create the family account, the pending agreement, the used invitation and a login session together.
 * With a device name the session is a paired device's, and its credential signs the device in from then on; without
 * a password too, the account's password is a random one nobody is told (a device credential instead). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/devices/devices.h"
#include "server/invites/invites_ws_internal.h"
#include "server/store/audit.h"
#include "server/store/store_invites.h"

/* What a new account asks for, kept while its password is hashed. */
struct join {
	struct app *app;
	char code[CODE_MAX + 1];
	char username[65];
	char display_name[129];
	char language[16];
	char device_name[DEVICES_NAME_MAX + 1]; /* "" = a password login, no device */
};

static int read_join(struct session *s, struct proto_request *r, struct join *j, const char **password, size_t *pwlen)
{
	char err[PROTO_ERRBUF];
	const char *code, *user, *name, *lang = "", *device = "";
	int with_device = json_object_get(r->root, "device_name") != NULL;
	*password = NULL;
	*pwlen = 0;
	if (proto_param_string(r, "code", 1, CODE_MAX, &code, NULL, err) ||
	    proto_param_string(r, "username", 2, 64, &user, NULL, err) ||
	    proto_param_string(r, "display_name", 1, 128, &name, NULL, err) ||
	    (with_device && proto_param_string(r, "device_name", 1, DEVICES_NAME_MAX, &device, NULL, err)) ||
	    ((!with_device || json_object_get(r->root, "password")) &&
	     proto_param_string(r, "password", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX, password, pwlen, err)) ||
	    (json_object_get(r->root, "language") && proto_param_string(r, "language", 0, 15, &lang, NULL, err))) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, err);
		return -1;
	}
	const char *why = NULL;
	for (const char *p = user; *p && !why; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '_' || *p == '-'))
			why = "A username has letters a-z, digits and . _ - only.";
	int blank = 1;
	for (const unsigned char *p = (const unsigned char *)name; *p && !why; p++) {
		blank &= *p == ' ';
		if (*p < 0x20 || *p == 0x7f)
			why = "display_name: control characters are not allowed";
	}
	for (const char *p = lang; *p && !why; p++)
		if (!(isalnum((unsigned char)*p) || (*p == '-' && p > lang)))
			why = "language: a tag such as \"it\"";
	if (why || blank) {
		session_reply_error(s, r->id, PROTO_ERR_BAD_REQUEST, why ? why : "display_name: please write a name");
		return -1;
	}
	snprintf(j->code, sizeof(j->code), "%s", code);
	for (size_t i = 0; user[i] && i < sizeof(j->username) - 1; i++)
		j->username[i] = (char)tolower((unsigned char)user[i]);
	snprintf(j->display_name, sizeof(j->display_name), "%s", name);
	snprintf(j->language, sizeof(j->language), "%s", lang);
	snprintf(j->device_name, sizeof(j->device_name), "%s", device);
	return 0;
}

static void joined_hashed(struct hasher_job *job, void *arg);

/* Not logged in: check the code and the name, then hash the password off the loop. */
void invites_ws__accept_new(struct session *s, struct proto_request *r)
{
	struct join j = {0};
	struct invitation inv;
	struct account taken;
	const char *password;
	size_t pwlen;
	char never_told[AUTH_TOKEN_HEX + 1];
	uint8_t unused[32];
	if (s->auth_pending) {
		session_reply_error(s, r->id, PROTO_ERR_ALREADY_AUTHENTICATED, "A login is already in progress.");
		return;
	}
	if (read_join(s, r, &j, &password, &pwlen) || invites_ws__redeem(s, r, clock_now_ms(), &inv) != INVITES_OK)
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
	if (!password) { /* a device credential instead: the password is 256 random bits, forgotten once hashed */
		if (auth_token_new(never_told, unused) != 0) {
			free(job);
			free(keep);
			session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
			return;
		}
		password = never_told;
		pwlen = AUTH_TOKEN_HEX;
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
	explicit_bzero(never_told, sizeof(never_told));
	s->auth_pending = 1;
	hasher_submit(s->app->hasher, job);
}

/* The joining person's phone as a paired device of the new account, made by that account (audited). */
static int add_device(struct app *app, const struct account *a, int64_t case_id, const char *name, const char *peer,
		      struct devices_paired *paired)
{
	if (devices_issue(app->store, a->id, name, a->id, paired) != DEVICES_SIGNIN_OK)
		return -1;
	return audit_append(app->store, a->id, AUDIT_DEVICE, case_id, 0,
			    json_pack("{s:s,s:I,s:I,s:s,s:s,s:s}", "action", "added", "device_id",
				      (json_int_t)paired->device.id, "account", (json_int_t)a->id, "name",
				      paired->device.name, "via", "invitation", "from", peer)) == STORE_OK
	    ? 0
	    : -1;
}

/* The new account, its preferred language, the agreement, the invitation used and a login session: one transaction. */
static int create_joined(struct app *app, struct session *s, const struct join *j, const char *hash, struct later *l,
			 struct invites_outcome *out, struct devices_paired *paired)
{
	struct invitation inv;
	struct account a = {0};
	int64_t now = clock_now_ms();
	int rc = invites_redeem(app->store, j->code, s->route.conn->peer, now, &inv); /* still open? */
	int64_t case_id = inv.case_id;
	if (rc == INVITES_OK) {
		snprintf(a.username, sizeof(a.username), "%s", j->username);
		snprintf(a.display_name, sizeof(a.display_name), "%s", j->display_name);
		snprintf(a.role, sizeof(a.role), "contact");
		snprintf(a.password_hash, sizeof(a.password_hash), "%s", hash);
		snprintf(a.locale, sizeof(a.locale), "%s", j->language[0] ? j->language : inv.language);
		int added = store_account_add(app->store, &a, &a.id);
		if (added == STORE_DUPLICATE)
			rc = INVITES_BAD_REQUEST, l->err = PROTO_ERR_USERNAME_TAKEN;
		else if (added != STORE_OK || store_account_set_language(app->store, a.id, a.locale) != STORE_OK ||
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
	if (j->device_name[0] && add_device(app, &a, case_id, j->device_name, s->route.conn->peer, paired) != 0)
		return INVITES_ERR;
	json_t *login = json_pack("{s:s,s:b,s:s,s:s}", "username", a.username, "ok", 1, "from", s->route.conn->peer,
				  "via", "invitation");
	if (paired->device.id)
		json_object_set_new(login, "device_id", json_integer(paired->device.id));
	if (auth_token_new(l->token, l->token_hash) != 0 ||
	    (paired->device.id
		 ? store_session_add_device(app->store, l->token_hash, a.id, l->expires_at, paired->device.id)
		 : store_session_add(app->store, l->token_hash, a.id, l->expires_at)) != STORE_OK ||
	    audit_append(app->store, a.id, AUDIT_LOGIN, 0, 0, login) != STORE_OK)
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
	struct devices_paired paired = {0};
	struct later *l = s ? invites_ws__later_new(s, job->request_id) : NULL;
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
						  : create_joined(app, s, j, job->hash, l, &out, &paired);
	if (rc != INVITES_OK) {
		if (store_in_txn(app->store))
			store_rollback(app->store);
		if (rc == INVITES_ERR)
			log_error("invite.accept: %s", store_errmsg(app->store));
		s->auth_pending = 0;
		session_reply_error(s, l->id, l->err ? l->err : invites_ws__error_of(rc),
				    rc == INVITES_ERR || l->err || !out.message[0] ? NULL : out.message);
		json_decref(l->id);
		explicit_bzero(l->token, sizeof(l->token));
		free(l);
		goto out;
	}
	l->result = json_pack("{s:s,s:I,s:o}", "token", l->token, "expires_at", (json_int_t)l->expires_at, "account",
			      invites_ws__account_json(&l->account));
	if (paired.device.id) { /* as auth.pair answers */
		json_object_set_new(l->result, "credential", json_string(paired.credential));
		json_object_set_new(l->result, "device", devices_device_json(&paired.device));
	}
	json_t *joined = invites_ws__joined_json(&out);
	json_object_update(l->result, joined);
	json_decref(joined);
	commit_after(&app->commit, invites_ws__later_done, l);
	app->metrics.invites_accepted++;
	session_agreements_changed(app);
out:
	explicit_bzero(&paired, sizeof(paired)); /* the credential */
	if (!s)
		log_info("invite.accept: the connection left while its password was hashed");
	explicit_bzero(job->hash, sizeof(job->hash));
	json_decref(job->request_id);
	free(j);
	free(job);
}
