/* api_cases.c: admin API routes for cases, agreements, proposals and approvals, pauses, notices (docs/ADMIN-API.md). */
#include <stdlib.h>
#include <string.h>

#include "server/api/api_routes.h"
#include "server/agreements/approvals.h"
#include "server/session/auth.h"
#include "server/store/store_admin.h"

/* ---- JSON views ---- */

static json_t *person(struct api_call *c, int64_t id)
{
	struct account a;
	char initials[16];
	if (store_account_by_id(c->app->store, id, &a) != STORE_OK)
		return json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "display_name", "?", "initials", "?");
	auth_initials(a.display_name, initials);
	return json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)id, "username", a.username, "display_name",
			 a.display_name, "initials", initials);
}

static json_t *channels_json(const struct agreement *a)
{
	json_t *o = json_object();
	for (int ch = 0; ch < CH__COUNT; ch++)
		json_object_set_new(o, channel_name((enum channel)ch), json_string(channel_mode_name(a->channels[ch])));
	return o;
}

static json_t *agreement_summary(struct api_call *c, const struct agreement *a)
{
	return json_pack("{s:I,s:o,s:s,s:s,s:s,s:o,s:I,s:b}", "id", (json_int_t)a->id, "contact",
			 person(c, a->contact_id), "relationship", a->relationship, "status",
			 agreement_status_name(a->status), "status_reason", a->status_reason, "channels",
			 channels_json(a), "paused_until", (json_int_t)a->paused_until, "paused_by_child",
			 a->paused_by_child);
}

static void add_approval(const struct approval *ap, void *ctx)
{
	json_array_append_new(ctx,
			      json_pack("{s:{s:I,s:s},s:s,s:s,s:s,s:I}", "account", "id", (json_int_t)ap->account_id,
					"display_name", ap->display_name, "role", ap->role, "decision", ap->decision,
					"note", ap->note, "at", (json_int_t)ap->at));
}

/* Required roles still missing, as an array. */
static json_t *needs_json(struct api_call *c, const struct proposal *p)
{
	char missing[128];
	json_t *arr = json_array();
	if (strcmp(p->status, "pending") ||
	    approvals_missing(c->app->store, c->app->cfg.approvals, p->id, missing, sizeof(missing)) != STORE_OK)
		return arr;
	for (char *save = NULL, *r = strtok_r(missing, ",", &save); r; r = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(r));
	return arr;
}

static json_t *proposal_json(struct api_call *c, const struct proposal *p)
{
	json_t *approvals = json_array(), *terms = json_loads(p->terms, 0, NULL);
	store_admin_approvals_list(c->app->store, p->id, add_approval, approvals);
	return json_pack("{s:I,s:I,s:s,s:o,s:s,s:I,s:I,s:o,s:o,s:o}", "id", (json_int_t)p->id, "agreement_id",
			 (json_int_t)p->agreement_id, "status", p->status, "proposed_by", person(c, p->proposed_by),
			 "proposed_role", p->proposed_role, "created_at", (json_int_t)p->created_at, "decided_at",
			 (json_int_t)p->decided_at, "terms", terms ? terms : json_object(), "approvals", approvals,
			 "needs", needs_json(c, p));
}

struct list_ctx {
	struct api_call *c;
	json_t *arr;
};

static void add_proposal(const struct proposal *p, void *ctx)
{
	struct list_ctx *l = ctx;
	json_array_append_new(l->arr, proposal_json(l->c, p));
}

static void add_pause(const struct pause *p, void *ctx)
{
	json_array_append_new(ctx,
			      json_pack("{s:I,s:{s:I,s:s},s:s,s:s,s:I,s:I,s:I}", "id", (json_int_t)p->id, "by", "id",
					(json_int_t)p->by_account, "display_name", p->by_name, "by_role", p->by_role,
					"reason", p->reason, "started_at", (json_int_t)p->started_at, "expires_at",
					(json_int_t)p->expires_at, "ended_at", (json_int_t)p->ended_at));
}

static json_t *agreement_full(struct api_call *c, const struct agreement *a)
{
	struct list_ctx proposals = {c, json_array()};
	json_t *pauses = json_array();
	store_admin_proposals_list(c->app->store, a->id, 0, add_proposal, &proposals);
	store_admin_pauses_list(c->app->store, a->id, 0, add_pause, pauses);
	json_t *o = agreement_summary(c, a);
	json_object_set_new(o, "case_id", json_integer(a->case_id));
	json_object_set_new(o, "child", person(c, a->child_id));
	json_object_set_new(o, "time_zone", json_string(a->zone));
	json_object_set_new(o, "terms", terms_to_json(&a->terms));
	json_object_set_new(o, "pauses", pauses);
	json_object_set_new(o, "proposals", proposals.arr);
	return o;
}

struct case_ctx {
	struct api_call *c;
	json_t *arr;
	int full; /* agreements in full */
};

static void add_agreement(int64_t id, void *ctx)
{
	struct case_ctx *cc = ctx;
	struct agreement a;
	if (store_agreement_get(cc->c->app->store, id, &a) == STORE_OK)
		json_array_append_new(cc->arr, cc->full ? agreement_full(cc->c, &a) : agreement_summary(cc->c, &a));
}

struct member_ctx {
	struct api_call *c;
	json_t *arr;
};

/* A member as a person (with the user name the audit trail names them by) and their role in the case. */
static void add_member(int64_t id, const char *name, const char *role, void *ctx)
{
	struct member_ctx *m = ctx;
	json_t *p = person(m->c, id);
	json_object_set_new(p, "display_name", json_string(name));
	json_object_set_new(p, "role", json_string(role));
	json_array_append_new(m->arr, p);
}

static json_t *case_json(struct api_call *c, const struct admin_case *cs, int full)
{
	struct case_ctx ag = {c, json_array(), full};
	json_t *members = json_array();
	struct member_ctx mc = {c, members};
	int64_t pending = 0, notices = 0;
	store_admin_case_members(c->app->store, cs->id, add_member, &mc);
	store_admin_case_agreements(c->app->store, cs->id, add_agreement, &ag);
	store_admin_case_counts(c->app->store, cs->id, &pending, &notices);
	return json_pack("{s:I,s:o,s:s,s:o,s:o,s:I,s:I}", "id", (json_int_t)cs->id, "child", person(c, cs->child_id),
			 "time_zone", cs->time_zone, "members", members, "agreements", ag.arr, "pending_proposals",
			 (json_int_t)pending, "open_notices", (json_int_t)notices);
}

/* ---- errors and writes ---- */

static void reply_outcome(struct api_call *c, int rc, const struct approvals_outcome *out)
{
	static const struct {
		int status;
		const char *code;
	} map[] = {
	    [APPROVALS_BAD_REQUEST] = {400, "bad_request"}, [APPROVALS_INVALID_TERMS] = {400, "invalid_terms"},
	    [APPROVALS_FORBIDDEN] = {403, "forbidden"},     [APPROVALS_NOT_FOUND] = {404, "not_found"},
	    [APPROVALS_CONFLICT] = {409, "conflict"},       [APPROVALS_ERR] = {500, "internal"},
	};
	int i = rc > APPROVALS_OK && rc <= APPROVALS_ERR ? rc : APPROVALS_ERR;
	api_error(c, map[i].status, map[i].code, out->message[0] ? out->message : map[i].code,
		  out->field[0] ? out->field : NULL);
}

/* Finish it: roll back and answer the error, or commit (and push agreement changes). 1 if committed. */
static int write_end(struct api_call *c, int rc, const struct approvals_outcome *out, int changed)
{
	if (rc != APPROVALS_OK) {
		store_rollback(c->app->store);
		reply_outcome(c, rc, out);
		return 0;
	}
	return api_write_commit(c, changed);
}

static json_t *outcome_json(const struct approvals_outcome *out)
{
	return json_pack("{s:I,s:I,s:b}", "agreement_id", (json_int_t)out->agreement_id, "proposal_id",
			 (json_int_t)out->proposal_id, "applied", out->applied);
}

/* ---- routes ---- */

static void add_case(const struct admin_case *cs, void *ctx)
{
	struct list_ctx *l = ctx;
	json_array_append_new(l->arr, case_json(l->c, cs, 0));
}

static void route_cases(struct api_call *c)
{
	if (!api_require_role(c, APPROVALS_ROLES_VIEW))
		return;
	struct list_ctx l = {c, json_array()};
	if (store_admin_cases_of(c->app->store, c->me.id, c->me.role, add_case, &l) != STORE_OK) {
		json_decref(l.arr);
		api_error(c, 500, "internal", store_errmsg(c->app->store), NULL);
		return;
	}
	api_reply(c, 200, l.arr);
}

static void route_case(struct api_call *c)
{
	struct admin_case cs;
	if (!api_require_role(c, APPROVALS_ROLES_VIEW) || !api_require_case(c, c->ids[0], APPROVALS_ROLES_VIEW))
		return;
	if (store_admin_case_get(c->app->store, c->ids[0], &cs) != STORE_OK) {
		api_error(c, 404, "not_found", "No such case in your caseload.", NULL);
		return;
	}
	api_reply(c, 200, case_json(c, &cs, 1));
}

static void route_agreement(struct api_call *c)
{
	struct approvals_outcome out = {0};
	struct agreement a;
	int rc = approvals_check_agreement(c->app->store, &c->me, c->ids[0], APPROVALS_ROLES_VIEW, NULL);
	if (rc == APPROVALS_OK && store_agreement_get(c->app->store, c->ids[0], &a) != STORE_OK)
		rc = APPROVALS_ERR;
	if (rc != APPROVALS_OK) {
		snprintf(out.message, sizeof(out.message), "%s",
			 rc == APPROVALS_FORBIDDEN ? "Your role may not do this." : "No such agreement in your scope.");
		reply_outcome(c, rc, &out);
		return;
	}
	api_reply(c, 200, agreement_full(c, &a));
}

static void route_create(struct api_call *c)
{
	struct approvals_outcome out = {0};
	if (!api_write_begin(c))
		return;
	int rc = approvals_create(c->app->store, c->app->cfg.approvals, &c->me, c->ids[0],
				  api_body_str(c, "contact_username"), api_body_str(c, "relationship"),
				  c->body ? json_object_get(c->body, "terms") : NULL, &out);
	if (write_end(c, rc, &out, 1))
		api_reply(c, 201, outcome_json(&out));
}

static void route_propose(struct api_call *c)
{
	struct approvals_outcome out = {0};
	if (!api_write_begin(c))
		return;
	int rc = approvals_propose(c->app->store, c->app->cfg.approvals, &c->me, c->ids[0],
				   c->body ? json_object_get(c->body, "terms") : NULL, &out);
	if (write_end(c, rc, &out, out.applied))
		api_reply(c, 201, outcome_json(&out));
}

static void decide(struct api_call *c, int yes)
{
	struct approvals_outcome out = {0};
	if (!api_write_begin(c))
		return;
	int rc = approvals_decide(c->app->store, c->app->cfg.approvals, &c->me, c->ids[0], yes, api_body_str(c, "note"),
				  &out);
	if (write_end(c, rc, &out, out.applied))
		api_reply(c, 200, outcome_json(&out));
}

static void route_approve(struct api_call *c)
{
	decide(c, 1);
}

static void route_reject(struct api_call *c)
{
	decide(c, 0);
}

static void set_status(struct api_call *c, const char *verb)
{
	struct approvals_outcome out = {0};
	if (!api_write_begin(c))
		return;
	int rc = approvals_set_status(c->app->store, &c->me, c->ids[0], verb, api_body_str(c, "reason"), &out);
	if (write_end(c, rc, &out, 1))
		route_agreement(c);
}

static void route_suspend(struct api_call *c)
{
	set_status(c, "suspend");
}

static void route_resume(struct api_call *c)
{
	set_status(c, "resume");
}

static void route_end(struct api_call *c)
{
	set_status(c, "end");
}

static void route_pause(struct api_call *c)
{
	struct approvals_outcome out = {0};
	json_t *h = c->body ? json_object_get(c->body, "hours") : NULL;
	if (h && !json_is_integer(h)) {
		api_error(c, 400, "bad_request", "hours must be a whole number from 1 to 72", "hours");
		return;
	}
	json_int_t hours = h ? json_integer_value(h) : APPROVALS_PAUSE_HOURS_DEFAULT;
	if (!api_write_begin(c))
		return;
	int rc = approvals_pause(c->app->store, &c->me, c->ids[0], api_body_str(c, "reason"),
				 hours < 0 || hours > 1000 ? 0 : (int)hours, &out);
	if (write_end(c, rc, &out, 1))
		api_reply(c, 201,
			  json_pack("{s:I,s:I}", "agreement_id", (json_int_t)out.agreement_id, "expires_at",
				    (json_int_t)out.expires_at));
}

static void route_unpause(struct api_call *c)
{
	struct approvals_outcome out = {0};
	if (!api_write_begin(c))
		return;
	int rc = approvals_unpause(c->app->store, &c->me, c->ids[0], &out);
	if (write_end(c, rc, &out, 1))
		route_agreement(c);
}

/* The approvals inbox: pending proposals in the caller's cases that still need the caller's role. */
static void inbox_proposal(const struct proposal *p, void *ctx)
{
	struct list_ctx *l = ctx;
	char missing[128];
	struct agreement a;
	if (approvals_missing(l->c->app->store, l->c->app->cfg.approvals, p->id, missing, sizeof(missing)) !=
		STORE_OK ||
	    !approvals_in_list(missing, l->c->me.role) || store_agreement_get(l->c->app->store, p->agreement_id, &a))
		return;
	json_t *o = proposal_json(l->c, p);
	json_object_set_new(o, "case_id", json_integer(a.case_id));
	json_object_set_new(o, "agreement", agreement_summary(l->c, &a));
	json_object_set_new(o, "agreement_status", json_string(agreement_status_name(a.status)));
	json_object_set_new(o, "child", person(l->c, a.child_id));
	json_object_set_new(o, "contact", person(l->c, a.contact_id));
	json_object_set_new(o, "relationship", json_string(a.relationship));
	json_object_set_new(o, "time_zone", json_string(a.zone));
	json_object_set_new(o, "current_terms", terms_to_json(&a.terms));
	json_array_append_new(l->arr, o);
}

static void inbox_agreement(int64_t id, void *ctx)
{
	store_admin_proposals_list(((struct list_ctx *)ctx)->c->app->store, id, 1, inbox_proposal, ctx);
}

static void inbox_case(const struct admin_case *cs, void *ctx)
{
	store_admin_case_agreements(((struct list_ctx *)ctx)->c->app->store, cs->id, inbox_agreement, ctx);
}

static void route_approvals(struct api_call *c)
{
	if (!api_require_role(c, "caseworker,carer,supervisor"))
		return;
	struct list_ctx l = {c, json_array()};
	if (approvals_in_list(c->app->cfg.approvals, c->me.role))
		store_admin_cases_of(c->app->store, c->me.id, c->me.role, inbox_case, &l);
	api_reply(c, 200, l.arr);
}

static void add_notice(const struct notice *n, void *ctx)
{
	json_t *detail = json_loads(n->detail, 0, NULL);
	json_array_append_new(ctx,
			      json_pack("{s:I,s:I,s:o,s:s,s:o,s:I,s:b,s:I}", "id", (json_int_t)n->id, "case_id",
					(json_int_t)n->case_id, "agreement_id",
					n->agreement_id ? json_integer(n->agreement_id) : json_null(), "kind", n->kind,
					"detail", detail ? detail : json_string(n->detail), "at", (json_int_t)n->at,
					"read", n->read_at != 0, "read_at", (json_int_t)n->read_at));
}

static void route_notices(struct api_call *c)
{
	if (!api_require_role(c, APPROVALS_ROLES_NOTICES))
		return;
	json_t *arr = json_array();
	store_admin_notices_list(c->app->store, c->me.id, 500, add_notice, arr);
	api_reply(c, 200, arr);
}

static void route_notice_read(struct api_call *c)
{
	int64_t case_id = 0;
	if (!api_require_role(c, APPROVALS_ROLES_NOTICES))
		return;
	if (store_admin_notice_case(c->app->store, c->ids[0], &case_id) != STORE_OK || !api_case_role(c, case_id) ||
	    strcmp(api_case_role(c, case_id), "caseworker")) {
		api_error(c, 404, "not_found", "No such notice in your caseload.", NULL);
		return;
	}
	if (!api_write_begin(c))
		return;
	struct approvals_outcome out = {0};
	int rc = store_admin_notice_read(c->app->store, c->ids[0]) == STORE_OK ? APPROVALS_OK : APPROVALS_ERR;
	if (write_end(c, rc, &out, 0))
		api_reply(c, 200, json_pack("{s:I,s:b}", "id", (json_int_t)c->ids[0], "read", 1));
}

const struct api_route api_routes_cases[] = {
    {"GET", "/api/cases", route_cases},
    {"GET", "/api/cases/#", route_case},
    {"POST", "/api/cases/#/agreements", route_create},
    {"GET", "/api/agreements/#", route_agreement},
    {"POST", "/api/agreements/#/proposals", route_propose},
    {"POST", "/api/agreements/#/suspend", route_suspend},
    {"POST", "/api/agreements/#/resume", route_resume},
    {"POST", "/api/agreements/#/end", route_end},
    {"POST", "/api/agreements/#/pause", route_pause},
    {"POST", "/api/agreements/#/unpause", route_unpause},
    {"GET", "/api/approvals", route_approvals},
    {"POST", "/api/proposals/#/approve", route_approve},
    {"POST", "/api/proposals/#/reject", route_reject},
    {"GET", "/api/notices", route_notices},
    {"POST", "/api/notices/#/read", route_notice_read},
    {NULL, NULL, NULL},
};
