/* approvals.c: agreement changes under the approvals rule — create, propose, approve/reject, apply, status
 * moves, emergency pauses — with role/scope checks and audit entries (see approvals.h). */
#include "server/agreements/approvals.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/store/audit.h"
#include "server/base/clock.h"
#include "server/store/store_admin.h"
#include "server/policy/terms.h"

static int say(struct approvals_outcome *out, int rc, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int say(struct approvals_outcome *out, int rc, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	snprintf(out->field, sizeof(out->field), "%s", field ? field : "");
	return rc;
}

static int store_failed(struct store *s, struct approvals_outcome *out)
{
	return say(out, APPROVALS_ERR, NULL, "store: %s", store_errmsg(s));
}

int approvals_in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && *p == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if (n && len == n && strncmp(p, word, n) == 0)
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int approvals_check(struct store *s, const struct account *who, int64_t case_id, const char *roles)
{
	if (!approvals_in_list(roles, who->role))
		return APPROVALS_FORBIDDEN;
	return case_id > 0 && store_case_has_member(s, case_id, who->id, who->role) ? APPROVALS_OK
										    : APPROVALS_NOT_FOUND;
}

int approvals_check_agreement(struct store *s, const struct account *who, int64_t agreement_id, const char *roles,
			      int64_t *case_id)
{
	if (!approvals_in_list(roles, who->role))
		return APPROVALS_FORBIDDEN;
	struct agreement a;
	int rc = store_agreement_get(s, agreement_id, &a);
	if (rc == STORE_ERR)
		return APPROVALS_ERR;
	if (rc != STORE_OK)
		return APPROVALS_NOT_FOUND;
	if (case_id)
		*case_id = a.case_id;
	return approvals_check(s, who, a.case_id, roles);
}

/* ---- approvals bookkeeping ---- */

struct approved {
	char roles[128]; /* comma list of roles that approved */
};

static void collect_approved(const struct approval *ap, void *ctx)
{
	struct approved *a = ctx;
	if (strcmp(ap->decision, "approve") != 0 || approvals_in_list(a->roles, ap->role))
		return;
	size_t n = strlen(a->roles);
	snprintf(a->roles + n, sizeof(a->roles) - n, "%s%s", n ? "," : "", ap->role);
}

int approvals_missing(struct store *s, const char *required, int64_t proposal_id, char *out, size_t cap)
{
	struct approved have = {{0}};
	if (store_admin_approvals_list(s, proposal_id, collect_approved, &have) != STORE_OK)
		return STORE_ERR;
	out[0] = 0;
	char list[128];
	snprintf(list, sizeof(list), "%s", required);
	for (char *save = NULL, *r = strtok_r(list, ", ", &save); r; r = strtok_r(NULL, ", ", &save)) {
		size_t n = strlen(out);
		if (!approvals_in_list(have.roles, r) && !approvals_in_list(out, r))
			snprintf(out + n, cap - n, "%s%s", n ? "," : "", r);
	}
	return STORE_OK;
}

/* Validate terms in the child's zone; on APPROVALS_OK *text is the canonical JSON (malloc'd). */
static int check_terms(const json_t *j, const char *zone, struct terms *t, char **text, struct approvals_outcome *out)
{
	char err[200];
	*text = NULL;
	if (!json_is_object(j))
		return say(out, APPROVALS_BAD_REQUEST, "terms", "terms must be an object");
	if (terms_from_json(t, j, zone, err, sizeof(err)) != 0) {
		const char *colon = strstr(err, ": ");
		snprintf(out->message, sizeof(out->message), "%s", err);
		snprintf(out->field, sizeof(out->field), "%.*s", colon ? (int)(colon - err) : 5, colon ? err : "terms");
		return APPROVALS_INVALID_TERMS;
	}
	json_t *canon = terms_to_json(t);
	*text = canon ? json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(canon);
	return *text ? APPROVALS_OK : say(out, APPROVALS_ERR, NULL, "out of memory");
}

/* The proposal's terms become the agreement's; a pending/draft agreement becomes active. */
static int apply(struct store *s, const struct proposal *p, int64_t actor, struct approvals_outcome *out)
{
	struct agreement a;
	struct terms t;
	char err[200];
	json_t *j = json_loads(p->terms, 0, NULL);
	int bad = store_agreement_get(s, p->agreement_id, &a) != STORE_OK || !j ||
	    terms_from_json(&t, j, a.zone, err, sizeof(err)) != 0;
	if (bad) {
		json_decref(j);
		return say(out, APPROVALS_ERR, NULL, "proposal %lld cannot be applied", (long long)p->id);
	}
	a.terms = t;
	memcpy(a.channels, t.channels, sizeof(a.channels));
	a.valid_from = t.valid_from;
	a.valid_until = t.valid_until;
	int ok = store_agreement_set_terms(s, &a) == STORE_OK &&
	    store_admin_proposal_close(s, p->id, "approved") == STORE_OK &&
	    store_admin_proposals_withdraw(s, a.id, p->id) == STORE_OK &&
	    audit_append(s, actor, AUDIT_TERMS_CHANGED, a.case_id, a.id,
			 json_pack("{s:I,s:O}", "proposal_id", (json_int_t)p->id, "terms", j)) == STORE_OK;
	json_decref(j);
	if (!ok)
		return store_failed(s, out);
	if (a.status == AG_PENDING || a.status == AG_DRAFT) {
		if (store_agreement_set_status(s, a.id, AG_ACTIVE, "") != STORE_OK ||
		    audit_append(s, actor, AUDIT_AGREEMENT_STATUS, a.case_id, a.id,
				 json_pack("{s:s,s:s,s:s}", "from", agreement_status_name(a.status), "to", "active",
					   "reason", "approved")) != STORE_OK)
			return store_failed(s, out);
	}
	out->applied = 1;
	return APPROVALS_OK;
}

/* Record who's approval of a new proposal and apply it if that was all `required` asks. */
static int propose_terms(struct store *s, const char *required, const struct account *who, int64_t case_id,
			 int64_t agreement_id, const char *terms, struct approvals_outcome *out)
{
	struct proposal p;
	char missing[128];
	if (store_admin_proposal_add(s, agreement_id, terms, who->id, who->role, &out->proposal_id) != STORE_OK ||
	    store_admin_approval_add(s, out->proposal_id, who->id, who->role, "approve", "") != STORE_OK ||
	    audit_append(s, who->id, AUDIT_PROPOSAL, case_id, agreement_id,
			 json_pack("{s:I,s:s}", "proposal_id", (json_int_t)out->proposal_id, "role", who->role)) !=
		STORE_OK ||
	    approvals_missing(s, required, out->proposal_id, missing, sizeof(missing)) != STORE_OK)
		return store_failed(s, out);
	if (missing[0])
		return APPROVALS_OK;
	if (store_admin_proposal_get(s, out->proposal_id, &p) != STORE_OK)
		return store_failed(s, out);
	int rc = apply(s, &p, who->id, out);
	store_admin_proposal_clear(&p);
	return rc;
}

static int check_text(const char *v, size_t max, const char *field, struct approvals_outcome *out)
{
	if (!v || !*v)
		return say(out, APPROVALS_BAD_REQUEST, field, "%s is required", field);
	if (strlen(v) > max)
		return say(out, APPROVALS_BAD_REQUEST, field, "%s is longer than %zu bytes", field, max);
	return APPROVALS_OK;
}

/* Propose an invited person's first terms: the inviter's approval counts unless it would be the only one needed,
 * so someone always approves after seeing who joined; never applied here. */
static int propose_invited(struct store *s, const char *required, const struct account *who, int64_t case_id,
			   int64_t agreement_id, const char *terms, struct approvals_outcome *out)
{
	char missing[128];
	if (store_admin_proposal_add(s, agreement_id, terms, who->id, who->role, &out->proposal_id) != STORE_OK ||
	    approvals_missing(s, required, out->proposal_id, missing, sizeof(missing)) != STORE_OK)
		return store_failed(s, out);
	int others = 0;
	char list[128];
	snprintf(list, sizeof(list), "%s", missing);
	for (char *save = NULL, *r = strtok_r(list, ",", &save); r; r = strtok_r(NULL, ",", &save))
		others |= strcmp(r, who->role) != 0;
	if (others && store_admin_approval_add(s, out->proposal_id, who->id, who->role, "approve", "") != STORE_OK)
		return store_failed(s, out);
	if (audit_append(s, who->id, AUDIT_PROPOSAL, case_id, agreement_id,
			 json_pack("{s:I,s:s,s:s}", "proposal_id", (json_int_t)out->proposal_id, "role", who->role,
				   "via", "invitation")) != STORE_OK)
		return store_failed(s, out);
	return APPROVALS_OK;
}

/* The new agreement itself; `invited` takes the invitation's rule for the first proposal. */
static int create_agreement(struct store *s, const char *required, const struct account *who, const char *roles,
			    int64_t case_id, const char *contact_username, const char *relationship,
			    const json_t *terms, int invited, struct approvals_outcome *out)
{
	struct admin_case cs;
	struct account contact;
	struct agreement a = {0};
	int rc = approvals_check(s, who, case_id, roles);
	if (rc != APPROVALS_OK)
		return say(out, rc, NULL,
			   rc == APPROVALS_FORBIDDEN ? "your role may not create agreements" : "no such case");
	if (store_admin_case_get(s, case_id, &cs) != STORE_OK)
		return store_failed(s, out);
	if ((rc = check_text(contact_username, 64, "contact_username", out)) ||
	    (rc = check_text(relationship, sizeof(a.relationship) - 1, "relationship", out)))
		return rc;
	if (store_account_by_name(s, contact_username, &contact) != STORE_OK || strcmp(contact.role, "contact") != 0)
		return say(out, APPROVALS_BAD_REQUEST, "contact_username", "no contact account '%s'", contact_username);
	char *text;
	if ((rc = check_terms(terms, cs.time_zone, &a.terms, &text, out)) != APPROVALS_OK)
		return rc;
	a.case_id = case_id;
	a.child_id = cs.child_id;
	a.contact_id = contact.id;
	a.status = AG_PENDING;
	snprintf(a.relationship, sizeof(a.relationship), "%s", relationship);
	memcpy(a.channels, a.terms.channels, sizeof(a.channels));
	a.valid_from = a.terms.valid_from;
	a.valid_until = a.terms.valid_until;
	rc = store_agreement_add(s, &a, &out->agreement_id);
	if (rc == STORE_OK) {
		json_t *detail = json_pack("{s:s,s:s}", "contact", contact.username, "relationship", relationship);
		if (invited)
			json_object_set_new(detail, "via", json_string("invitation"));
		rc = audit_append(s, who->id, AUDIT_AGREEMENT_CREATED, case_id, out->agreement_id, detail);
	}
	if (rc == STORE_OK)
		rc = invited ? propose_invited(s, required, who, case_id, out->agreement_id, text, out)
			     : propose_terms(s, required, who, case_id, out->agreement_id, text, out);
	else if (rc == STORE_DUPLICATE)
		rc = say(out, APPROVALS_CONFLICT, "contact_username", "the child already has an agreement with '%s'",
			 contact_username);
	else
		rc = store_failed(s, out);
	free(text);
	return rc;
}

int approvals_create(struct store *s, const char *required, const struct account *who, int64_t case_id,
		     const char *contact_username, const char *relationship, const json_t *terms,
		     struct approvals_outcome *out)
{
	return create_agreement(s, required, who, APPROVALS_ROLES_CREATE, case_id, contact_username, relationship,
				terms, 0, out);
}

int approvals_create_invited(struct store *s, const char *required, const struct account *inviter, int64_t case_id,
			     const char *contact_username, const char *relationship, const json_t *terms,
			     struct approvals_outcome *out)
{
	return create_agreement(s, required, inviter, APPROVALS_ROLES_INVITE, case_id, contact_username, relationship,
				terms, 1, out);
}

int approvals_propose(struct store *s, const char *required, const struct account *who, int64_t agreement_id,
		      const json_t *terms, struct approvals_outcome *out)
{
	struct agreement a;
	struct terms t;
	int64_t case_id = 0;
	int rc = approvals_check_agreement(s, who, agreement_id, APPROVALS_ROLES_PROPOSE, &case_id);
	if (rc != APPROVALS_OK)
		return say(out, rc, NULL,
			   rc == APPROVALS_FORBIDDEN ? "your role may not propose terms" : "no such agreement");
	if (store_agreement_get(s, agreement_id, &a) != STORE_OK)
		return store_failed(s, out);
	if (a.status == AG_ENDED)
		return say(out, APPROVALS_CONFLICT, NULL, "the agreement has ended");
	char *text;
	if ((rc = check_terms(terms, a.zone, &t, &text, out)) != APPROVALS_OK)
		return rc;
	out->agreement_id = agreement_id;
	rc = propose_terms(s, required, who, case_id, agreement_id, text, out);
	free(text);
	return rc;
}

static int audit_decision(struct store *s, const struct account *who, const struct proposal *p, int yes,
			  const char *note)
{
	return audit_append(s, who->id, AUDIT_APPROVAL, p->case_id, p->agreement_id,
			    json_pack("{s:I,s:s,s:s,s:s}", "proposal_id", (json_int_t)p->id, "role", who->role,
				      "decision", yes ? "approve" : "reject", "note", note ? note : ""));
}

/* Approve: the role's approval, then apply once nothing is missing. */
static int approve(struct store *s, const char *required, const struct account *who, const struct proposal *p,
		   const char *note, struct approvals_outcome *out)
{
	char missing[128];
	if (approvals_missing(s, required, p->id, missing, sizeof(missing)) != STORE_OK)
		return store_failed(s, out);
	if (!approvals_in_list(missing, who->role))
		return say(out, APPROVALS_CONFLICT, NULL, "a %s has already approved this proposal", who->role);
	struct agreement a;
	if (store_agreement_get(s, p->agreement_id, &a) != STORE_OK)
		return store_failed(s, out);
	if (a.status == AG_ENDED)
		return say(out, APPROVALS_CONFLICT, NULL, "the agreement has ended");
	int rc = store_admin_approval_add(s, p->id, who->id, who->role, "approve", note);
	if (rc == STORE_DUPLICATE)
		return say(out, APPROVALS_CONFLICT, NULL, "you have already decided on this proposal");
	if (rc != STORE_OK || audit_decision(s, who, p, 1, note) != STORE_OK ||
	    approvals_missing(s, required, p->id, missing, sizeof(missing)) != STORE_OK)
		return store_failed(s, out);
	return missing[0] ? APPROVALS_OK : apply(s, p, who->id, out);
}

int approvals_decide(struct store *s, const char *required, const struct account *who, int64_t proposal_id, int yes,
		     const char *note, struct approvals_outcome *out)
{
	struct proposal p;
	out->proposal_id = proposal_id;
	if (!approvals_in_list(required, who->role))
		return say(out, APPROVALS_FORBIDDEN, NULL, "a %s's approval is not asked for here", who->role);
	if (note && strlen(note) > APPROVALS_REASON_MAX)
		return say(out, APPROVALS_BAD_REQUEST, "note", "note is longer than %d bytes", APPROVALS_REASON_MAX);
	int rc = store_admin_proposal_get(s, proposal_id, &p);
	if (rc != STORE_OK)
		return rc == STORE_NOT_FOUND ? say(out, APPROVALS_NOT_FOUND, NULL, "no such proposal")
					     : store_failed(s, out);
	out->agreement_id = p.agreement_id;
	if ((rc = approvals_check(s, who, p.case_id, required)) != APPROVALS_OK)
		rc = say(out, rc, NULL, "no such proposal");
	else if (strcmp(p.status, "pending") != 0)
		rc = say(out, APPROVALS_CONFLICT, NULL, "the proposal is already %s", p.status);
	else if (yes)
		rc = approve(s, required, who, &p, note, out);
	else {
		int w = store_admin_approval_add(s, p.id, who->id, who->role, "reject", note);
		if (w == STORE_DUPLICATE)
			rc = say(out, APPROVALS_CONFLICT, NULL, "you have already decided on this proposal");
		else if (w != STORE_OK || store_admin_proposal_close(s, p.id, "rejected") != STORE_OK ||
			 audit_decision(s, who, &p, 0, note) != STORE_OK)
			rc = store_failed(s, out);
	}
	store_admin_proposal_clear(&p);
	return rc;
}

/* Which move a verb makes from which status; -1 if the status does not allow it. */
static int status_move(const char *verb, enum agreement_status from)
{
	if (!strcmp(verb, "suspend"))
		return from == AG_ACTIVE ? AG_SUSPENDED : -1;
	if (!strcmp(verb, "resume"))
		return from == AG_SUSPENDED ? AG_ACTIVE : -1;
	if (!strcmp(verb, "end"))
		return from != AG_ENDED ? AG_ENDED : -1;
	return -2;
}

int approvals_set_status(struct store *s, const struct account *who, int64_t agreement_id, const char *verb,
			 const char *reason, struct approvals_outcome *out)
{
	struct agreement a;
	out->agreement_id = agreement_id;
	int rc = approvals_check_agreement(s, who, agreement_id, APPROVALS_ROLES_STATUS, NULL);
	if (rc != APPROVALS_OK)
		return say(out, rc, NULL,
			   rc == APPROVALS_FORBIDDEN ? "your role may not %s agreements" : "no such agreement", verb);
	if (store_agreement_get(s, agreement_id, &a) != STORE_OK)
		return store_failed(s, out);
	int to = status_move(verb, a.status);
	if (to == -2)
		return say(out, APPROVALS_BAD_REQUEST, NULL, "unknown move '%s'", verb);
	if (strcmp(verb, "resume") != 0 &&
	    (rc = check_text(reason, APPROVALS_REASON_MAX, "reason", out)) != APPROVALS_OK)
		return rc;
	if (to < 0)
		return say(out, APPROVALS_CONFLICT, NULL, "the agreement is %s; it cannot %s",
			   agreement_status_name(a.status), verb);
	const char *why = to == AG_ACTIVE ? "" : reason;
	if (store_agreement_set_status(s, agreement_id, (enum agreement_status)to, why) != STORE_OK ||
	    (to == AG_ENDED && store_admin_proposals_withdraw(s, agreement_id, 0) != STORE_OK) ||
	    audit_append(s, who->id, AUDIT_AGREEMENT_STATUS, a.case_id, agreement_id,
			 json_pack("{s:s,s:s,s:s}", "from", agreement_status_name(a.status), "to",
				   agreement_status_name((enum agreement_status)to), "reason", why ? why : "")) !=
		STORE_OK)
		return store_failed(s, out);
	return APPROVALS_OK;
}

int approvals_pause(struct store *s, const struct account *who, int64_t agreement_id, const char *reason, int hours,
		    struct approvals_outcome *out)
{
	struct agreement a;
	int64_t pause_id;
	out->agreement_id = agreement_id;
	int rc = approvals_check_agreement(s, who, agreement_id, APPROVALS_ROLES_PAUSE, NULL);
	if (rc != APPROVALS_OK)
		return say(out, rc, NULL,
			   rc == APPROVALS_FORBIDDEN ? "only a carer can pause contact" : "no such agreement");
	if ((rc = check_text(reason, APPROVALS_REASON_MAX, "reason", out)) != APPROVALS_OK)
		return rc;
	if (hours < 1 || hours > APPROVALS_PAUSE_HOURS_MAX)
		return say(out, APPROVALS_BAD_REQUEST, "hours", "hours must be 1 to %d", APPROVALS_PAUSE_HOURS_MAX);
	if (store_agreement_get(s, agreement_id, &a) != STORE_OK)
		return store_failed(s, out);
	if (a.status == AG_ENDED)
		return say(out, APPROVALS_CONFLICT, NULL, "the agreement has ended");
	out->expires_at = clock_now_ms() + (int64_t)hours * 3600 * 1000;
	if (store_pause_add(s, agreement_id, who->id, "carer", reason, out->expires_at, &pause_id) != STORE_OK ||
	    store_admin_notice_add(s, a.case_id, agreement_id, "pause",
				   json_pack("{s:I,s:s,s:s,s:s,s:I}", "pause_id", (json_int_t)pause_id, "by_role",
					     "carer", "by", who->display_name, "reason", reason, "expires_at",
					     (json_int_t)out->expires_at),
				   NULL) != STORE_OK ||
	    audit_append(s, who->id, AUDIT_PAUSE, a.case_id, agreement_id,
			 json_pack("{s:s,s:s,s:I}", "by_role", "carer", "reason", reason, "expires_at",
				   (json_int_t)out->expires_at)) != STORE_OK)
		return store_failed(s, out);
	return APPROVALS_OK;
}

int approvals_unpause(struct store *s, const struct account *who, int64_t agreement_id, struct approvals_outcome *out)
{
	int64_t case_id = 0;
	out->agreement_id = agreement_id;
	int rc = approvals_check_agreement(s, who, agreement_id, APPROVALS_ROLES_UNPAUSE, &case_id);
	if (rc != APPROVALS_OK)
		return say(out, rc, NULL,
			   rc == APPROVALS_FORBIDDEN ? "your role may not end pauses" : "no such agreement");
	rc = store_pause_end(s, agreement_id, who->id);
	if (rc == STORE_NOT_FOUND)
		return say(out, APPROVALS_CONFLICT, NULL, "the agreement is not paused");
	if (rc != STORE_OK ||
	    audit_append(s, who->id, AUDIT_UNPAUSE, case_id, agreement_id, json_pack("{s:s}", "by_role", who->role)) !=
		STORE_OK)
		return store_failed(s, out);
	return APPROVALS_OK;
}
