/* turn.c: call.ice — hands out time-limited TURN credentials (TURN REST scheme) to accounts that may call. */
#include "server/calls/turn.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/session/session_internal.h"
#include "server/store/store_admin.h"

#define TURN_URIS_MAX 16 /* at most this many URIs from turn_uris are handed out */

int turn_username(int64_t expires_s, int64_t account, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%" PRId64 ":%" PRId64, expires_s, account);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int turn_credential(const char *secret, size_t secret_len, const char *username, char *out, size_t cap)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	static const unsigned char empty_key[1];
	const void *key = secret_len ? (const void *)secret : (const void *)empty_key; /* HMAC wants a non-NULL key */
	if (!HMAC(EVP_sha1(), key, (int)secret_len, (const unsigned char *)username, strlen(username), mac, &mac_len))
		return -1;
	if (cap < 4 * ((mac_len + 2) / 3) + 1)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len); /* NUL-terminates */
}

int turn_may_relay(const struct agreement_list *mine, int *reason)
{
	int any_active = 0;
	for (size_t i = 0; i < mine->n; i++) {
		const struct agreement *a = mine->items[i];
		if (a->status != AG_ACTIVE)
			continue;
		any_active = 1;
		if (a->channels[CH_VOICE_CALL] != MODE_OFF || a->channels[CH_VIDEO_CALL] != MODE_OFF)
			return 1;
	}
	*reason = any_active ? REASON_CHANNEL_OFF : REASON_NO_AGREEMENT;
	return 0;
}

/* The comma-separated turn_uris as a JSON array (empty entries skipped). */
static json_t *uris_json(const char *list)
{
	json_t *urls = json_array();
	const char *p = list;
	while (*p && json_array_size(urls) < TURN_URIS_MAX) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s)
			json_array_append_new(urls, json_stringn(s, (size_t)(e - s)));
		p += n + (p[n] == ',');
	}
	return urls;
}

/* {"urls": [...], "username", "credential"} for this account, or NULL on error. */
static json_t *turn_entry(const struct config *cfg, int64_t account, int64_t expires_s)
{
	char user[TURN_USERNAME_MAX], cred[TURN_CREDENTIAL_MAX];
	if (turn_username(expires_s, account, user, sizeof(user)) < 0 ||
	    turn_credential(cfg->turn_secret, strlen(cfg->turn_secret), user, cred, sizeof(cred)) < 0)
		return NULL;
	return json_pack("{s:o,s:s,s:s}", "urls", uris_json(cfg->turn_uris), "username", user, "credential", cred);
}

/* A supervisor joins the calls of the cases they supervise: the agreements of those cases count. */
struct supervised {
	struct app *app;
	int ok, any_active;
};

static void supervised_agreement(int64_t id, void *ctx)
{
	struct supervised *sv = ctx;
	const struct agreement *a = agreements_get(&sv->app->agreements, id);
	if (!a)
		return;
	struct agreement_list one = {.items = (struct agreement **)&a, .n = 1};
	int reason;
	sv->ok |= turn_may_relay(&one, &reason);
	sv->any_active |= a->status == AG_ACTIVE;
}

static void supervised_case(const struct admin_case *c, void *ctx)
{
	struct supervised *sv = ctx;
	store_admin_case_agreements(sv->app->store, c->id, supervised_agreement, sv);
}

static int may_relay(struct session *s, int *reason)
{
	if (strcmp(s->role, "supervisor") != 0)
		return turn_may_relay(agreements_of(&s->app->agreements, s->account_id), reason);
	struct supervised sv = {s->app, 0, 0};
	store_admin_cases_of(s->app->store, s->account_id, "supervisor", supervised_case, &sv);
	*reason = sv.any_active ? REASON_CHANNEL_OFF : REASON_NO_AGREEMENT;
	return sv.ok;
}

void turn_handle_ice(struct session *s, struct proto_request *r)
{
	struct app *app = s->app;
	const struct config *cfg = &app->cfg;
	int reason;
	if (!may_relay(s, &reason)) {
		struct policy_decision d = policy_decision_for((enum policy_reason)reason, CH_VOICE_CALL);
		session_reply_denied(s, r->id, &d);
		return;
	}
	json_t *servers = json_array();
	int64_t expires_ms = 0;
	if (cfg->turn_uris[0] && cfg->turn_secret[0]) {
		int64_t expires_s = clock_now_ms() / 1000 + cfg->turn_ttl_s;
		json_t *entry = turn_entry(cfg, s->account_id, expires_s);
		if (!entry) {
			json_decref(servers);
			log_error("call.ice: could not compute a TURN credential");
			session_reply_error(s, r->id, PROTO_ERR_INTERNAL, NULL);
			return;
		}
		json_array_append_new(servers, entry);
		expires_ms = expires_s * 1000;
	}
	session_reply_ok(s, r->id,
			 json_pack("{s:o,s:o}", "ice_servers", servers, "expires_at",
				   expires_ms ? json_integer(expires_ms) : json_null()));
}
