/* agreements.c: samvaer-admin agreement commands — create, suspend/resume/end, change a channel, list; each
 * change commits together with its audit entry (actor 0, via cli). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "server/store/audit.h"

static int agreement_add(struct admin *a, int argc, char **argv)
{
	if (argc < 2)
		return admin_usage("agreement add needs CHILD and CONTACT usernames");
	struct agreement ag = {0};
	terms_defaults(&ag.terms);
	ag.child_id = admin_account_id(a, argv[0], "child");
	ag.contact_id = ag.child_id ? admin_account_id(a, argv[1], "contact") : 0;
	if (!ag.contact_id)
		return ADMIN_FAIL;
	if (store_case_of_child(a->store, ag.child_id, &ag.case_id) != STORE_OK)
		return admin_fail("'%s' has no case (use: case add %s)", argv[0], argv[0]);
	const char *rel = admin_opt(argc, argv, "--relationship"), *text = admin_opt(argc, argv, "--text");
	const char *status = admin_opt(argc, argv, "--status"), *from = admin_opt(argc, argv, "--from");
	const char *until = admin_opt(argc, argv, "--until");
	if (!rel || !*rel || strlen(rel) >= sizeof(ag.relationship))
		return admin_usage("--relationship is required (at most 63 bytes)");
	snprintf(ag.relationship, sizeof(ag.relationship), "%s", rel);
	int mode = text ? channel_mode_parse(text) : MODE_ALLOWED;
	if (mode < 0 || mode == MODE_MODERATED)
		return admin_usage("--text must be off or allowed (moderation comes with message review)");
	ag.channels[CH_TEXT] = (uint8_t)mode;
	int st = status ? agreement_status_parse(status) : AG_ACTIVE;
	if (st != AG_DRAFT && st != AG_PENDING && st != AG_ACTIVE)
		return admin_usage("--status must be draft, pending or active");
	ag.status = (enum agreement_status)st;
	if ((from && (ag.valid_from = admin_parse_date(from)) < 0) ||
	    (until && (ag.valid_until = admin_parse_date(until)) < 0))
		return admin_usage("dates are YYYY-MM-DD");
	if (ag.valid_from && ag.valid_until && ag.valid_until <= ag.valid_from)
		return admin_usage("--until must be after --from");
	int64_t id;
	int rc = store_begin(a->store);
	if (rc == STORE_OK && (rc = store_agreement_add(a->store, &ag, &id)) != STORE_OK)
		store_rollback(a->store);
	if (rc == STORE_DUPLICATE)
		return admin_fail("'%s' and '%s' already have an agreement", argv[0], argv[1]);
	json_t *detail = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "child", argv[0], "contact", argv[1], "relationship",
				   ag.relationship, "status", agreement_status_name(ag.status), "text",
				   channel_mode_name(ag.channels[CH_TEXT]), "via", "cli");
	if (rc != STORE_OK ||
	    audit_append_commit(a->store, 0, AUDIT_AGREEMENT_CREATED, ag.case_id, id, detail) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	printf("%lld\n", (long long)id);
	return ADMIN_OK;
}

static int64_t parse_id(const char *s)
{
	char *end;
	long long v = s ? strtoll(s, &end, 10) : 0;
	return s && *s && !*end && v > 0 ? v : 0;
}

/* The status an allowed life-cycle move leads to — suspend an active one, resume a suspended one, end anything
 * not ended — or -1 after printing why not. */
static int next_status(const struct agreement *ag, const char *verb)
{
	long long id = (long long)ag->id;
	if (!strcmp(verb, "suspend")) {
		if (ag->status == AG_ACTIVE)
			return AG_SUSPENDED;
		admin_fail("agreement %lld is %s; only an active one can be suspended", id,
			   agreement_status_name(ag->status));
	} else if (!strcmp(verb, "resume")) {
		if (ag->status == AG_SUSPENDED)
			return AG_ACTIVE;
		admin_fail("agreement %lld is %s, not suspended", id, agreement_status_name(ag->status));
	} else {
		if (ag->status != AG_ENDED)
			return AG_ENDED;
		admin_fail("agreement %lld has already ended", id);
	}
	return -1;
}

/* Read, check and change inside one transaction, so the audited "from" is what was really replaced. */
static int change_status(struct admin *a, const char *verb, int argc, char **argv)
{
	int64_t id = argc ? parse_id(argv[0]) : 0;
	if (!id)
		return admin_usage("agreement %s needs an agreement ID", verb);
	struct agreement ag;
	if (store_begin(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	if (store_agreement_get(a->store, id, &ag) != STORE_OK) {
		store_rollback(a->store);
		return admin_fail("no agreement %lld", (long long)id);
	}
	int to = next_status(&ag, verb);
	if (to < 0) {
		store_rollback(a->store);
		return ADMIN_FAIL;
	}
	const char *reason = to == AG_ACTIVE    ? ""
	    : admin_opt(argc, argv, "--reason") ? admin_opt(argc, argv, "--reason")
						: "";
	json_t *detail = json_pack("{s:s,s:s,s:s,s:s}", "from", agreement_status_name(ag.status), "to",
				   agreement_status_name((enum agreement_status)to), "reason", reason, "via", "cli");
	if (store_agreement_set_status(a->store, id, (enum agreement_status)to, reason) != STORE_OK) {
		json_decref(detail);
		store_rollback(a->store);
		return admin_fail("%s", store_errmsg(a->store));
	}
	if (audit_append_commit(a->store, 0, AUDIT_AGREEMENT_STATUS, ag.case_id, id, detail) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	return ADMIN_OK;
}

static int set_channel(struct admin *a, int argc, char **argv)
{
	int64_t id = argc ? parse_id(argv[0]) : 0;
	const char *text = admin_opt(argc, argv, "--text");
	int mode = text ? channel_mode_parse(text) : -1;
	if (!id || mode < 0 || mode == MODE_MODERATED)
		return admin_usage("agreement set needs ID --text off|allowed");
	struct agreement ag;
	if (store_begin(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	int rc = store_agreement_get(a->store, id, &ag);
	if (rc == STORE_OK)
		rc = store_agreement_set_channel(a->store, id, CH_TEXT, (enum channel_mode)mode);
	if (rc != STORE_OK) {
		store_rollback(a->store);
		return rc == STORE_NOT_FOUND ? admin_fail("no agreement %lld", (long long)id)
					     : admin_fail("%s", store_errmsg(a->store));
	}
	json_t *detail =
	    json_pack("{s:s,s:s,s:s,s:s}", "channel", "text", "from", channel_mode_name(ag.channels[CH_TEXT]), "to",
		      channel_mode_name((enum channel_mode)mode), "via", "cli");
	if (audit_append_commit(a->store, 0, AUDIT_TERMS_CHANGED, ag.case_id, id, detail) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	return ADMIN_OK;
}

struct list_ctx {
	struct admin *a;
	int64_t child; /* 0 = all */
};

static void print_agreement(const struct agreement *ag, void *arg)
{
	struct list_ctx *lc = arg;
	if (lc->child && ag->child_id != lc->child)
		return;
	struct account child, contact;
	if (store_account_by_id(lc->a->store, ag->child_id, &child) != STORE_OK ||
	    store_account_by_id(lc->a->store, ag->contact_id, &contact) != STORE_OK)
		return;
	printf("%-5lld %-12s %-12s %-16s %-10s text=%-8s msgs=%-6lld %s\n", (long long)ag->id, child.username,
	       contact.username, ag->relationship, agreement_status_name(ag->status),
	       channel_mode_name(ag->channels[CH_TEXT]), (long long)ag->last_seq, ag->status_reason);
}

int admin_cmd_agreement(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return admin_usage("agreement needs add, suspend, resume, end, set or list");
	const char *verb = argv[0];
	if (!strcmp(verb, "add"))
		return agreement_add(a, argc - 1, argv + 1);
	if (!strcmp(verb, "suspend") || !strcmp(verb, "resume") || !strcmp(verb, "end"))
		return change_status(a, verb, argc - 1, argv + 1);
	if (!strcmp(verb, "set"))
		return set_channel(a, argc - 1, argv + 1);
	if (!strcmp(verb, "list")) {
		struct list_ctx lc = {a, 0};
		const char *child = admin_opt(argc, argv, "--child");
		if (child && !(lc.child = admin_account_id(a, child, "child")))
			return ADMIN_FAIL;
		return store_agreements_load(a->store, print_agreement, &lc) == STORE_OK
		    ? ADMIN_OK
		    : admin_fail("%s", store_errmsg(a->store));
	}
	return admin_usage("unknown agreement command '%s'", verb);
}
