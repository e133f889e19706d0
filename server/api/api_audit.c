/* api_audit.c: admin API routes for the audit trail: entries of a case, and chain verification (docs/ADMIN-API.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/api_routes.h"
#include "server/store/audit.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200

/* A query parameter as an integer in [min, max]; `dflt` when absent. 0 on success, -1 after a 400 reply. */
static int query_int(struct api_call *c, const char *name, int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
	char buf[32], msg[96];
	const char *v = api_query(c, name, buf, sizeof(buf));
	*out = dflt;
	if (!v)
		return 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (*v && !*end && *v != '+' && *v != '-' && n >= min && n <= max) {
		*out = n;
		return 0;
	}
	snprintf(msg, sizeof(msg), "%s must be a whole number from %lld to %lld.", name, (long long)min,
		 (long long)max);
	api_error(c, 400, "bad_request", msg, name);
	return -1;
}

struct list_ctx {
	struct api_call *c;
	json_t *entries;
	int64_t last_seq;
};

/* Who acted, for people: the account's name and role, or the operator console for CLI changes. */
static json_t *actor_json(struct api_call *c, int64_t actor)
{
	struct account a;
	if (!actor)
		return json_pack("{s:n,s:s,s:s}", "id", "display_name", "operator console", "role", "operator");
	if (store_account_by_id(c->app->store, actor, &a) != STORE_OK)
		return json_pack("{s:I,s:s,s:s}", "id", (json_int_t)actor, "display_name", "", "role", "");
	return json_pack("{s:I,s:s,s:s}", "id", (json_int_t)actor, "display_name", a.display_name, "role", a.role);
}

static json_t *opt_id(int64_t id)
{
	return id ? json_integer(id) : json_null();
}

static void add_entry(const struct audit_entry *e, void *arg)
{
	struct list_ctx *lc = arg;
	json_t *detail = json_loads(e->detail, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(detail)) { /* cannot come from audit_append; show it as it is */
		json_decref(detail);
		detail = json_pack("{s:s}", "raw", e->detail);
	}
	json_array_append_new(lc->entries,
			      json_pack("{s:I,s:I,s:o,s:s,s:o,s:o,s:o}", "seq", (json_int_t)e->seq, "at",
					(json_int_t)e->at, "actor", actor_json(lc->c, e->actor), "kind", e->kind,
					"case_id", opt_id(e->case_id), "agreement_id", opt_id(e->agreement_id),
					"detail", detail));
	lc->last_seq = e->seq;
}

/* GET /api/audit?case=ID[&before=SEQ][&limit=N]: the case's entries, newest first, paged by seq. */
static void route_list(struct api_call *c)
{
	int64_t case_id, before, limit;
	if (!api_require_role(c, "caseworker,supervisor"))
		return;
	if (query_int(c, "case", 1, INT64_MAX, 0, &case_id) || query_int(c, "before", 0, INT64_MAX, 0, &before) ||
	    query_int(c, "limit", 1, LIST_MAX, LIST_DEFAULT, &limit))
		return;
	if (!case_id) {
		api_error(c, 400, "bad_request", "Say which case: ?case=ID.", "case");
		return;
	}
	if (!api_require_case(c, case_id, "caseworker,supervisor"))
		return;
	struct list_ctx lc = {c, json_array(), 0};
	int more = 0;
	if (audit_list(c->app->store, case_id, before, (int)limit, &more, add_entry, &lc) != STORE_OK) {
		json_decref(lc.entries);
		api_error(c, 500, "internal", "The audit trail could not be read.", NULL);
		return;
	}
	json_t *res = json_pack("{s:I,s:o,s:b}", "case_id", (json_int_t)case_id, "entries", lc.entries, "more", more);
	if (more)
		json_object_set_new(res, "next_before", json_integer(lc.last_seq));
	api_reply(c, 200, res);
}

/* GET /api/audit/verify: walk the whole chain; the head lets the caller record it elsewhere. */
static void route_verify(struct api_call *c)
{
	struct audit_check chk;
	char hex[2 * AUDIT_HASH_LEN + 1];
	if (!api_require_role(c, "operator,caseworker"))
		return;
	if (audit_verify(c->app->store, &chk) != STORE_OK) {
		api_error(c, 500, "internal", "The audit trail could not be read.", NULL);
		return;
	}
	audit_hex(chk.head_hash, hex);
	json_t *res = json_pack("{s:b,s:I,s:I,s:s}", "ok", chk.ok, "entries", (json_int_t)chk.entries, "head_seq",
				(json_int_t)chk.head_seq, "head_hash", hex);
	if (!chk.ok) {
		json_object_set_new(res, "first_bad_seq", json_integer(chk.first_bad_seq));
		json_object_set_new(res, "problem", json_string(chk.problem));
		json_object_set_new(res, "problem_kind", json_string(audit_problem_name(chk.kind)));
	}
	api_reply(c, 200, res);
}

const struct api_route api_routes_audit[] = {
    {"GET", "/api/audit", route_list},
    {"GET", "/api/audit/verify", route_verify},
    {NULL, NULL, NULL},
};
