/* proposals.c: samvaer-admin proposal add/approve/reject/list and pause/unpause, acting as a named account
 * under the same role and scope rules as the admin API (server/agreements/approvals.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "server/agreements/approvals.h"
#include "server/base/config.h"
#include "server/store/store_admin.h"

static int64_t parse_id(const char *s)
{
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;
	return s && *s && !*end && v > 0 ? v : 0;
}

/* The account named by --as (enabled), or 0 after printing why not. */
static int acting_as(struct admin *a, int argc, char **argv, struct account *who)
{
	const char *name = admin_opt(argc, argv, "--as");
	if (!name)
		return admin_usage("--as USERNAME is required (the account this change is made for)"), 0;
	if (store_account_by_name(a->store, name, who) != STORE_OK)
		return admin_fail("no account '%s'", name), 0;
	if (who->disabled)
		return admin_fail("account '%s' is disabled", name), 0;
	return 1;
}

/* The roles that must approve: the server's `approvals` setting (from --config FILE, else the default). */
static int required_roles(int argc, char **argv, struct config *cfg)
{
	const char *file = admin_opt(argc, argv, "--config");
	char err[256];
	config_defaults(cfg);
	if (file && config_load_file(cfg, file, err, sizeof(err)) != 0)
		return admin_fail("%s", err), -1;
	return 0;
}

/* Run fn's result through the transaction: commit on success, roll back and explain otherwise. */
static int finish(struct admin *a, int rc, const struct approvals_outcome *out)
{
	if (rc != APPROVALS_OK) {
		store_rollback(a->store);
		if (out->field[0])
			return admin_fail("%s (%s)", out->message, out->field);
		return admin_fail("%s", out->message[0] ? out->message : "refused");
	}
	if (store_commit(a->store) != STORE_OK)
		return admin_fail("could not save: %s", store_errmsg(a->store));
	return ADMIN_OK;
}

static json_t *read_terms(const char *file)
{
	json_error_t jerr;
	json_t *j = !strcmp(file, "-") ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
				       : json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		admin_fail("%s: %s (line %d)", file, jerr.text, jerr.line);
	return j;
}

static int proposal_add(struct admin *a, int argc, char **argv)
{
	struct account who;
	struct config cfg;
	struct approvals_outcome out = {0};
	int64_t id = argc ? parse_id(argv[0]) : 0;
	const char *file = admin_opt(argc, argv, "--terms");
	if (!id || !file)
		return admin_usage("proposal add needs AGREEMENT_ID --terms FILE --as USERNAME");
	if (!acting_as(a, argc, argv, &who) || required_roles(argc, argv, &cfg))
		return ADMIN_FAIL;
	json_t *terms = read_terms(file);
	if (!terms)
		return ADMIN_FAIL;
	if (store_begin(a->store) != STORE_OK) {
		json_decref(terms);
		return admin_fail("%s", store_errmsg(a->store));
	}
	int rc = finish(a, approvals_propose(a->store, cfg.approvals, &who, id, terms, &out), &out);
	json_decref(terms);
	if (rc == ADMIN_OK)
		printf("%lld\n", (long long)out.proposal_id);
	return rc;
}

static int proposal_decide(struct admin *a, int yes, int argc, char **argv)
{
	struct account who;
	struct config cfg;
	struct approvals_outcome out = {0};
	int64_t id = argc ? parse_id(argv[0]) : 0;
	if (!id)
		return admin_usage("proposal %s needs PROPOSAL_ID --as USERNAME", yes ? "approve" : "reject");
	if (!acting_as(a, argc, argv, &who) || required_roles(argc, argv, &cfg))
		return ADMIN_FAIL;
	if (store_begin(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	int rc = approvals_decide(a->store, cfg.approvals, &who, id, yes, admin_opt(argc, argv, "--note"), &out);
	if ((rc = finish(a, rc, &out)) == ADMIN_OK)
		printf("%s%s\n", yes ? "approved" : "rejected", out.applied ? "; the new terms are in force" : "");
	return rc;
}

static void print_proposal(const struct proposal *p, void *ctx)
{
	struct admin *a = ((void **)ctx)[0];
	const char *required = ((void **)ctx)[1];
	struct account by;
	char missing[128] = "", when[32];
	time_t t = (time_t)(p->created_at / 1000);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", gmtime(&t));
	if (!strcmp(p->status, "pending"))
		approvals_missing(a->store, required, p->id, missing, sizeof(missing));
	if (store_account_by_id(a->store, p->proposed_by, &by) != STORE_OK)
		snprintf(by.username, sizeof(by.username), "?");
	printf("%-5lld agreement=%-5lld %-9s by=%s (%s) %sZ%s%s\n", (long long)p->id, (long long)p->agreement_id,
	       p->status, by.username, p->proposed_role, when, missing[0] ? " needs=" : "", missing);
}

static int proposal_list(struct admin *a, int argc, char **argv)
{
	struct config cfg;
	if (required_roles(argc, argv, &cfg))
		return ADMIN_FAIL;
	void *ctx[2] = {a, cfg.approvals};
	int pending = 0;
	for (int i = 0; i < argc; i++)
		pending |= !strcmp(argv[i], "--pending");
	return store_admin_proposals_list(a->store, 0, pending, print_proposal, ctx) == STORE_OK
	    ? ADMIN_OK
	    : admin_fail("%s", store_errmsg(a->store));
}

int admin_cmd_proposal(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return admin_usage("proposal needs add, approve, reject or list");
	if (!strcmp(argv[0], "add"))
		return proposal_add(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "approve") || !strcmp(argv[0], "reject"))
		return proposal_decide(a, !strcmp(argv[0], "approve"), argc - 1, argv + 1);
	if (!strcmp(argv[0], "list"))
		return proposal_list(a, argc - 1, argv + 1);
	return admin_usage("unknown proposal command '%s'", argv[0]);
}

/* argv[0] is "pause" or "unpause". */
int admin_cmd_pause(struct admin *a, int argc, char **argv)
{
	struct account who;
	struct approvals_outcome out = {0};
	int pause = !strcmp(argv[0], "pause");
	int64_t id = argc > 1 ? parse_id(argv[1]) : 0;
	const char *reason = admin_opt(argc, argv, "--reason"), *hours = admin_opt(argc, argv, "--hours");
	if (!id || (pause && !reason))
		return pause ? admin_usage("pause needs AGREEMENT_ID --as CARER --reason TEXT [--hours N]")
			     : admin_usage("unpause needs AGREEMENT_ID --as USERNAME");
	int h = APPROVALS_PAUSE_HOURS_DEFAULT;
	if (hours && (!(h = (int)parse_id(hours)) || h > APPROVALS_PAUSE_HOURS_MAX))
		return admin_usage("--hours must be 1 to %d", APPROVALS_PAUSE_HOURS_MAX);
	if (!acting_as(a, argc, argv, &who))
		return ADMIN_FAIL;
	if (store_begin(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	int rc =
	    pause ? approvals_pause(a->store, &who, id, reason, h, &out) : approvals_unpause(a->store, &who, id, &out);
	if ((rc = finish(a, rc, &out)) == ADMIN_OK && pause) {
		time_t t = (time_t)(out.expires_at / 1000);
		char when[32];
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		printf("paused until %s\n", when);
	}
	return rc;
}
