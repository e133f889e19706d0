/* pairing.c: scope checks, pairing codes (create, revoke, redeem), device sign-in and device revocation. */
#include <stdio.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/devices/devices.h"
#include "server/session/auth.h"
#include "server/store/audit.h"

static int fail(struct devices_outcome *out, int rc, const char *field, const char *message)
{
	snprintf(out->field, sizeof(out->field), "%s", field ? field : "");
	snprintf(out->message, sizeof(out->message), "%s", message);
	return rc;
}

static int in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !strncmp(p, word, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

struct scope_walk {
	struct store *s;
	const struct account *who;
	int64_t want_case; /* 0: any */
	int64_t found;     /* first case that puts target in who's care */
};

static void scope_case(int64_t case_id, void *ctx)
{
	struct scope_walk *w = ctx;
	if (w->found || (w->want_case && case_id != w->want_case))
		return;
	if (store_case_has_member(w->s, case_id, w->who->id, w->who->role))
		w->found = case_id;
}

int devices_check(struct store *s, const struct account *who, int64_t target, int64_t case_id, int self_ok,
		  struct devices_outcome *out)
{
	out->case_id = 0;
	if (who->id == target && self_ok && !case_id)
		return DEVICES_OK;
	if (!in_list(DEVICES_ROLES_CARE, who->role))
		return fail(out, who->id == target ? DEVICES_FORBIDDEN : DEVICES_NOT_FOUND, NULL,
			    who->id == target ? "Your role may not do this." : "No such person in your care.");
	struct scope_walk w = {s, who, case_id, 0};
	if (store_cases_of_person(s, target, scope_case, &w) != STORE_OK)
		return fail(out, DEVICES_ERR, NULL, "The store is not available.");
	if (!w.found) /* exactly like a missing id: scope is not revealed */
		return fail(out, DEVICES_NOT_FOUND, NULL, "No such person in your care.");
	out->case_id = w.found;
	return DEVICES_OK;
}

/* Children never pair for themselves; operators look after no one's devices. */
static int may_pair_self(const struct account *who)
{
	return strcmp(who->role, "child") && strcmp(who->role, "operator");
}

int devices_pairing_create(struct store *s, const struct account *who, int64_t target, int64_t case_id, int hours,
			   const char *via, struct devices_code *code, struct devices_outcome *out)
{
	struct account t;
	if (hours < 0 || hours > DEVICES_PAIR_HOURS_MAX)
		return fail(out, DEVICES_BAD_REQUEST, "hours", "A pairing code lasts 1 to 168 hours.");
	int rc = devices_check(s, who, target, case_id, may_pair_self(who), out);
	if (rc != DEVICES_OK)
		return rc;
	if (store_account_by_id(s, target, &t) != STORE_OK)
		return fail(out, DEVICES_NOT_FOUND, NULL, "No such person in your care.");
	if (t.disabled)
		return fail(out, DEVICES_CONFLICT, NULL, "This account is disabled.");
	code->expires_at = clock_now_ms() + (int64_t)(hours ? hours : DEVICES_PAIR_HOURS_DEFAULT) * 3600 * 1000;
	for (int attempt = 0;; attempt++) { /* a lookup part already taken: draw another code */
		if (rcode_new(&code->code) != 0)
			return fail(out, DEVICES_ERR, NULL, "No randomness for a code.");
		rc = store_pairing_add(s, code->code.lookup, code->code.secret_hash, target, who->id, code->expires_at,
				       &code->pairing_id);
		if (rc != STORE_DUPLICATE || attempt == 16)
			break;
	}
	if (rc != STORE_OK ||
	    audit_append(s, who->id, AUDIT_PAIRING, out->case_id, 0,
			 json_pack("{s:s,s:I,s:I,s:s,s:I,s:s}", "action", "created", "pairing_id",
				   (json_int_t)code->pairing_id, "account", (json_int_t)target, "username", t.username,
				   "expires_at", (json_int_t)code->expires_at, "via", via)) != STORE_OK)
		return fail(out, DEVICES_ERR, NULL, "The code could not be saved.");
	return DEVICES_OK;
}

int devices_pairing_revoke(struct store *s, const struct account *who, int64_t pairing_id, int64_t case_id,
			   const char *via, struct devices_outcome *out)
{
	struct pairing p;
	int rc = store_pairing_get(s, pairing_id, &p);
	if (rc == STORE_ERR)
		return fail(out, DEVICES_ERR, NULL, "The store is not available.");
	if (rc != STORE_OK)
		return fail(out, DEVICES_NOT_FOUND, NULL, "No such pairing code in your care.");
	if ((rc = devices_check(s, who, p.account_id, case_id, 1, out)) != DEVICES_OK)
		return rc == DEVICES_FORBIDDEN
		    ? fail(out, DEVICES_NOT_FOUND, NULL, "No such pairing code in your care.")
		    : rc;
	rc = store_pairing_end(s, pairing_id, "revoked", 0);
	if (rc == STORE_NOT_FOUND)
		return fail(out, DEVICES_CONFLICT, NULL, "This code was used, revoked or locked already.");
	if (rc != STORE_OK ||
	    audit_append(s, who->id, AUDIT_PAIRING, out->case_id, 0,
			 json_pack("{s:s,s:I,s:I,s:s}", "action", "revoked", "pairing_id", (json_int_t)pairing_id,
				   "account", (json_int_t)p.account_id, "via", via)) != STORE_OK)
		return fail(out, DEVICES_ERR, NULL, "The change could not be saved.");
	return DEVICES_OK;
}

/* The case to file a device's entries under: the child's own case (0 for adults, whose cases may be many). */
static int64_t case_of(struct store *s, int64_t account)
{
	int64_t case_id = 0;
	return store_case_of_child(s, account, &case_id) == STORE_OK ? case_id : 0;
}

static int pairing_note(struct store *s, int64_t actor, const struct pairing *p, const char *action, int64_t device,
			const char *peer)
{
	json_t *d = json_pack("{s:s,s:I,s:I,s:s}", "action", action, "pairing_id", (json_int_t)p->id, "account",
			      (json_int_t)p->account_id, "from", peer);
	if (device)
		json_object_set_new(d, "device_id", json_integer(device));
	return audit_append(s, actor, AUDIT_PAIRING, case_of(s, p->account_id), 0, d);
}

int devices_issue(struct store *s, int64_t account, const char *name, int64_t created_by, struct devices_paired *out)
{
	uint8_t cred_hash[32];
	int rc = store_account_by_id(s, account, &out->account);
	if (rc != STORE_OK)
		return DEVICES_SIGNIN_ERR;
	if (out->account.disabled)
		return DEVICES_SIGNIN_DISABLED;
	if (auth_token_new(out->credential, cred_hash) != 0 ||
	    store_device_add(s, account, name, cred_hash, created_by, &out->device.id) != STORE_OK ||
	    store_device_seen(s, out->device.id, clock_now_ms()) != STORE_OK ||
	    store_device_get(s, out->device.id, &out->device) != STORE_OK) {
		explicit_bzero(out->credential, sizeof(out->credential));
		return DEVICES_SIGNIN_ERR;
	}
	return DEVICES_SIGNIN_OK;
}

int devices_pair(struct store *s, const char *typed, const char *name, const char *peer, struct devices_paired *out)
{
	struct rcode code;
	struct pairing p;
	int64_t now = clock_now_ms();
	memset(out, 0, sizeof(*out));
	if (rcode_parse(typed, &code) != 0)
		return DEVICES_SIGNIN_INVALID;
	int rc = store_pairing_by_lookup(s, code.lookup, &p);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? DEVICES_SIGNIN_INVALID : DEVICES_SIGNIN_ERR;
	if (!rcode_hash_equal(code.secret_hash, p.secret_hash)) {
		if (strcmp(p.state, "open"))
			return DEVICES_SIGNIN_INVALID; /* ended codes count nothing more */
		if (store_pairing_failed(s, p.id, DEVICES_PAIR_TRIES, &out->locked) != STORE_OK ||
		    pairing_note(s, 0, &p, out->locked ? "locked" : "failed", 0, peer) != STORE_OK)
			return DEVICES_SIGNIN_ERR;
		return DEVICES_SIGNIN_INVALID;
	}
	/* The right code: its holder may learn why it no longer works (but a revoked or locked one stays silent). */
	if (!strcmp(p.state, "used"))
		return DEVICES_SIGNIN_USED;
	if (strcmp(p.state, "open"))
		return DEVICES_SIGNIN_INVALID;
	if (p.expires_at <= now)
		return DEVICES_SIGNIN_EXPIRED;
	if ((rc = devices_issue(s, p.account_id, name, p.created_by, out)) != DEVICES_SIGNIN_OK)
		return rc;
	if (store_pairing_end(s, p.id, "used", out->device.id) != STORE_OK ||
	    pairing_note(s, p.account_id, &p, "used", out->device.id, peer) != STORE_OK) {
		explicit_bzero(out->credential, sizeof(out->credential));
		return DEVICES_SIGNIN_ERR;
	}
	return DEVICES_SIGNIN_OK;
}

int devices_signin(struct store *s, const char *credential, size_t len, const char *peer, struct devices_paired *out)
{
	uint8_t hash[32];
	int64_t now = clock_now_ms();
	memset(out, 0, sizeof(*out));
	if (auth_token_hash(credential, len, hash) != 0)
		return DEVICES_SIGNIN_INVALID;
	int rc = store_device_by_credential(s, hash, &out->device);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? DEVICES_SIGNIN_INVALID : DEVICES_SIGNIN_ERR;
	if (store_account_by_id(s, out->device.account_id, &out->account) != STORE_OK)
		return DEVICES_SIGNIN_ERR;
	if (out->account.disabled)
		return DEVICES_SIGNIN_DISABLED;
	if (store_device_seen(s, out->device.id, now) != STORE_OK ||
	    audit_append(s, out->account.id, AUDIT_LOGIN, 0, 0,
			 json_pack("{s:s,s:b,s:I,s:s}", "username", out->account.username, "ok", 1, "device_id",
				   (json_int_t)out->device.id, "from", peer)) != STORE_OK)
		return DEVICES_SIGNIN_ERR;
	out->device.last_seen_at = now;
	return DEVICES_SIGNIN_OK;
}

int devices_revoke(struct store *s, const struct account *who, int64_t device_id, int64_t case_id, const char *via,
		   struct devices_outcome *out)
{
	struct device d;
	int rc = store_device_get(s, device_id, &d);
	if (rc == STORE_ERR)
		return fail(out, DEVICES_ERR, NULL, "The store is not available.");
	if (rc != STORE_OK)
		return fail(out, DEVICES_NOT_FOUND, NULL, "No such device in your care.");
	if ((rc = devices_check(s, who, d.account_id, case_id, 1, out)) != DEVICES_OK)
		return rc == DEVICES_FORBIDDEN ? fail(out, DEVICES_NOT_FOUND, NULL, "No such device in your care.")
					       : rc;
	out->account_id = d.account_id;
	rc = store_device_revoke(s, device_id, who->id, clock_now_ms());
	if (rc == STORE_NOT_FOUND)
		return fail(out, DEVICES_CONFLICT, NULL, "This device was revoked already.");
	if (rc != STORE_OK ||
	    audit_append(s, who->id, AUDIT_DEVICE, out->case_id ? out->case_id : case_of(s, d.account_id), 0,
			 json_pack("{s:s,s:I,s:I,s:s,s:s}", "action", "revoked", "device_id", (json_int_t)device_id,
				   "account", (json_int_t)d.account_id, "name", d.name, "via", via)) != STORE_OK)
		return fail(out, DEVICES_ERR, NULL, "The change could not be saved.");
	return DEVICES_OK;
}
