/* invites.c: invitations — create, revoke, redeem a typed code (counting wrong secrets), accept into a pending
 * agreement; every step in the audit trail (see invites.h). */
#include "server/invites/invites.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/agreements/approvals.h"
#include "server/i18n/i18n.h"
#include "server/policy/terms.h"
#include "server/store/audit.h"
#include "server/store/store_admin.h"

static int say(struct invites_outcome *out, int rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int say(struct invites_outcome *out, int rc, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	snprintf(out->field, sizeof(out->field), "%s", field ? field : "");
	return rc;
}

static int store_failed(struct store *s, struct invites_outcome *out)
{
	return say(out, INVITES_ERR, NULL, "store: %s", store_errmsg(s));
}

const char *invites_state(const struct invitation *inv, int64_t now)
{
	if (!strcmp(inv->state, "open") && inv->expires_at <= now)
		return "expired";
	return inv->state;
}

int invites_check_scope(struct store *s, const struct account *who, int64_t case_id)
{
	if (!approvals_in_list(INVITES_ROLES, who->role))
		return INVITES_FORBIDDEN;
	return case_id > 0 && store_case_has_member(s, case_id, who->id, who->role) ? INVITES_OK : INVITES_NOT_FOUND;
}

static int check_text(const char *v, size_t max, const char *field, struct invites_outcome *out)
{
	if (!v || !*v)
		return say(out, INVITES_BAD_REQUEST, field, "%s is required", field);
	if (strlen(v) > max)
		return say(out, INVITES_BAD_REQUEST, field, "%s is longer than %zu bytes", field, max);
	return INVITES_OK;
}

/* The invited person's language: one the apps and the server speak (server/i18n), or none. */
static int check_language(const char *v, struct invites_outcome *out)
{
	return !v || i18n_valid_pref(v)
	    ? INVITES_OK
	    : say(out, INVITES_BAD_REQUEST, "locale", "locale must be en, ro, da, it or es");
}

/* Validate the proposed terms in the child's zone; on INVITES_OK *text is their canonical JSON (malloc'd). */
static int check_terms(const json_t *j, const char *zone, char **text, struct invites_outcome *out)
{
	struct terms t;
	char err[200];
	*text = NULL;
	json_t *empty = j ? NULL : json_object();
	if (j && !json_is_object(j))
		return say(out, INVITES_BAD_REQUEST, "terms", "terms must be an object");
	int bad = terms_from_json(&t, j ? j : empty, zone, err, sizeof(err));
	json_decref(empty);
	if (bad)
		return say(out, INVITES_BAD_REQUEST, "terms", "%s", err);
	json_t *canon = terms_to_json(&t);
	*text = canon ? json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(canon);
	return *text ? INVITES_OK : say(out, INVITES_ERR, NULL, "out of memory");
}

static int check_request(const struct invites_request *req, struct invites_outcome *out)
{
	struct invitation probe;
	int rc;
	if ((rc = check_text(req->invitee_name, sizeof(probe.invitee_name) - 1, "invitee_name", out)) ||
	    (rc = check_text(req->relationship, sizeof(probe.relationship) - 1, "relationship", out)) ||
	    (rc = check_language(req->language, out)))
		return rc;
	if (req->expires_in_s < 0 || req->expires_in_s > INVITES_EXPIRY_MAX_S)
		return say(out, INVITES_BAD_REQUEST, "expires_in_s", "expires_in_s must be from 1 second to 30 days");
	return INVITES_OK;
}

static int audit(struct store *s, int64_t actor, const struct invitation *inv, const char *action, json_t *detail)
{
	if (!detail)
		detail = json_object();
	json_object_set_new(detail, "action", json_string(action));
	json_object_set_new(detail, "invitation_id", json_integer(inv->id));
	return audit_append(s, actor, AUDIT_INVITATION, inv->case_id, inv->agreement_id, detail);
}

/* Insert with a fresh code; a lookup already taken (rare: 31^4 of them) draws again. */
static int insert_new(struct store *s, struct invitation *inv, struct invites_outcome *out)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		if (rcode_new(&out->code))
			return say(out, INVITES_ERR, NULL, "no randomness available");
		snprintf(inv->lookup, sizeof(inv->lookup), "%s", out->code.lookup);
		memcpy(inv->secret_hash, out->code.secret_hash, sizeof(inv->secret_hash));
		int rc = store_invitation_add(s, inv);
		if (rc == STORE_OK)
			return INVITES_OK;
		if (rc != STORE_DUPLICATE)
			return store_failed(s, out);
	}
	return say(out, INVITES_ERR, NULL, "no free invitation code; try again");
}

int invites_create(struct store *s, const struct account *who, int64_t case_id, const struct invites_request *req,
		   int64_t now, struct invites_outcome *out)
{
	struct admin_case cs;
	struct invitation inv = {0};
	int rc = invites_check_scope(s, who, case_id);
	if (rc != INVITES_OK)
		return say(out, rc, NULL,
			   rc == INVITES_FORBIDDEN ? "Your role may not invite anyone." : "No such case.");
	if ((rc = check_request(req, out)) != INVITES_OK)
		return rc;
	if (store_admin_case_get(s, case_id, &cs) != STORE_OK)
		return store_failed(s, out);
	if ((rc = check_terms(req->terms, cs.time_zone, &inv.terms, out)) != INVITES_OK)
		return rc;
	inv.case_id = case_id;
	inv.child_id = cs.child_id;
	snprintf(inv.invitee_name, sizeof(inv.invitee_name), "%s", req->invitee_name);
	snprintf(inv.relationship, sizeof(inv.relationship), "%s", req->relationship);
	snprintf(inv.language, sizeof(inv.language), "%s", req->language ? req->language : "");
	inv.created_by = who->id;
	snprintf(inv.created_role, sizeof(inv.created_role), "%s", who->role);
	inv.created_at = now;
	inv.expires_at = now + (req->expires_in_s ? req->expires_in_s : INVITES_EXPIRY_DEFAULT_S) * 1000;
	rc = insert_new(s, &inv, out);
	if (rc == INVITES_OK &&
	    audit(s, who->id, &inv, "created",
		  json_pack("{s:s,s:s,s:I}", "invitee_name", inv.invitee_name, "relationship", inv.relationship,
			    "expires_at", (json_int_t)inv.expires_at)) != STORE_OK)
		rc = store_failed(s, out);
	out->invitation_id = inv.id;
	store_invitation_clear(&inv);
	return rc;
}

int invites_revoke(struct store *s, const struct account *who, int64_t invitation_id, int64_t now,
		   struct invites_outcome *out)
{
	struct invitation inv;
	int rc = store_invitation_get(s, invitation_id, &inv);
	if (rc == STORE_ERR)
		return store_failed(s, out);
	if (rc != STORE_OK)
		return say(out, INVITES_NOT_FOUND, NULL, "No such invitation.");
	store_invitation_clear(&inv);
	if (who && (rc = invites_check_scope(s, who, inv.case_id)) != INVITES_OK)
		return say(out, rc, NULL,
			   rc == INVITES_FORBIDDEN ? "Your role may not do this." : "No such invitation.");
	out->invitation_id = inv.id;
	rc = store_invitation_revoke(s, inv.id, who ? who->id : 0, now);
	if (rc == STORE_NOT_FOUND)
		return say(out, INVITES_CONFLICT, NULL, "This invitation is already %s.", invites_state(&inv, now));
	json_t *detail = json_pack("{s:s}", "invitee_name", inv.invitee_name);
	if (!who)
		json_object_set_new(detail, "via", json_string("cli"));
	if (rc != STORE_OK || audit(s, who ? who->id : 0, &inv, "revoked", detail) != STORE_OK)
		return store_failed(s, out);
	return INVITES_OK;
}

/* A wrong secret for this lookup: count it (and lock at the limit), audited. */
static int failed_try(struct store *s, const struct invitation *inv, const char *from, int64_t now)
{
	int tries = 0, locked = 0;
	if (store_invitation_failed_try(s, inv->id, INVITES_MAX_TRIES, now, &tries, &locked) != STORE_OK ||
	    audit(s, 0, inv, "failed_try", json_pack("{s:i,s:s}", "tries", tries, "from", from)) != STORE_OK ||
	    (locked && audit(s, 0, inv, "locked", json_pack("{s:i}", "tries", tries)) != STORE_OK))
		return INVITES_ERR;
	return locked ? INVITES_LOCKED : INVITES_UNKNOWN;
}

int invites_redeem(struct store *s, const char *typed, const char *from, int64_t now, struct invitation *inv)
{
	struct rcode code;
	memset(inv, 0, sizeof(*inv));
	if (rcode_parse(typed, &code))
		return INVITES_UNKNOWN;
	int rc = store_invitation_by_lookup(s, code.lookup, inv);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? INVITES_UNKNOWN : INVITES_ERR;
	int right = rcode_hash_equal(code.secret_hash, inv->secret_hash);
	explicit_bzero(&code, sizeof(code));
	if (!right) /* only the right code learns what became of it */
		return strcmp(inv->state, "open") ? INVITES_UNKNOWN : failed_try(s, inv, from, now);
	if (!strcmp(inv->state, "used"))
		return INVITES_USED;
	if (!strcmp(inv->state, "revoked"))
		return INVITES_REVOKED;
	if (!strcmp(inv->state, "locked"))
		return INVITES_LOCKED;
	return inv->expires_at <= now ? INVITES_EXPIRED : INVITES_OK;
}

int invites_accept(struct store *s, const char *required, const struct invitation *inv, const struct account *contact,
		   const char *from, int64_t now, struct invites_outcome *out)
{
	struct account inviter;
	struct approvals_outcome ao = {0};
	if (strcmp(contact->role, "contact"))
		return say(out, INVITES_FORBIDDEN, NULL, "Only a family member's account can accept an invitation.");
	int rc = store_account_by_id(s, inv->created_by, &inviter);
	if (rc != STORE_OK)
		return rc == STORE_ERR ? store_failed(s, out) : say(out, INVITES_REVOKED, NULL, "No such inviter.");
	json_t *terms = json_loads(inv->terms ? inv->terms : "{}", 0, NULL);
	rc = inviter.disabled ? APPROVALS_NOT_FOUND
			      : approvals_create_invited(s, required, &inviter, inv->case_id, contact->username,
							 inv->relationship, terms, &ao);
	json_decref(terms);
	if (rc == APPROVALS_CONFLICT)
		return say(out, INVITES_CONFLICT, NULL, "You are already connected with this child.");
	if (rc == APPROVALS_FORBIDDEN || rc == APPROVALS_NOT_FOUND)
		return say(out, INVITES_REVOKED, NULL,
			   "The person who invited you is no longer responsible for this child. Please ask for a new "
			   "invitation.");
	if (rc != APPROVALS_OK)
		return say(out, INVITES_ERR, NULL, "%s", ao.message);
	out->invitation_id = inv->id;
	out->agreement_id = ao.agreement_id;
	out->proposal_id = ao.proposal_id;
	struct invitation used = *inv;
	used.agreement_id = ao.agreement_id;
	rc = store_invitation_use(s, inv->id, contact->id, ao.agreement_id, now);
	if (rc == STORE_NOT_FOUND)
		return say(out, INVITES_USED, NULL, "This invitation has already been used.");
	if (rc != STORE_OK ||
	    audit(s, contact->id, &used, "used",
		  json_pack("{s:s,s:I,s:s}", "contact", contact->username, "proposal_id", (json_int_t)ao.proposal_id,
			    "from", from)) != STORE_OK)
		return store_failed(s, out);
	return INVITES_OK;
}

void invites_link(const char *base, const struct rcode *code, char *out, size_t cap)
{
	size_t n = base ? strlen(base) : 0;
	snprintf(out, cap, "%s%s#join=%s", base ? base : "", n && base[n - 1] == '/' ? "" : "/", code->text);
}

static json_t *person(struct store *s, int64_t id)
{
	struct account a;
	if (!id)
		return json_null();
	if (store_account_by_id(s, id, &a) != STORE_OK)
		return json_pack("{s:I,s:s}", "id", (json_int_t)id, "display_name", "?");
	return json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "display_name", a.display_name, "username", a.username);
}

json_t *invites_json(struct store *s, const struct invitation *inv, int64_t now)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:I,s:I,s:i,s:I,s:o,s:o}", "id", (json_int_t)inv->id,
			 "case_id", (json_int_t)inv->case_id, "lookup", inv->lookup, "invitee_name", inv->invitee_name,
			 "relationship", inv->relationship, "language", inv->language, "state", invites_state(inv, now),
			 "created_by", person(s, inv->created_by), "created_role", inv->created_role, "created_at",
			 (json_int_t)inv->created_at, "expires_at", (json_int_t)inv->expires_at, "failed_tries",
			 inv->failed_tries, "ended_at", (json_int_t)inv->ended_at, "ended_by", person(s, inv->ended_by),
			 "agreement_id", inv->agreement_id ? json_integer(inv->agreement_id) : json_null());
}
