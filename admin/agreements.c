/* agreements.c: samvaer-admin agreement commands — create, suspend/resume/end, change a channel, list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"

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
	int rc = store_agreement_add(a->store, &ag, &id);
	if (rc == STORE_DUPLICATE)
		return admin_fail("'%s' and '%s' already have an agreement", argv[0], argv[1]);
	if (rc != STORE_OK)
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

/* Allowed life-cycle moves: suspend an active one, resume a suspended one, end anything not ended. */
static int change_status(struct admin *a, const char *verb, int argc, char **argv)
{
	int64_t id = argc ? parse_id(argv[0]) : 0;
	if (!id)
		return admin_usage("agreement %s needs an agreement ID", verb);
	struct agreement ag;
	if (store_agreement_get(a->store, id, &ag) != STORE_OK)
		return admin_fail("no agreement %lld", (long long)id);
	enum agreement_status to;
	if (!strcmp(verb, "suspend")) {
		if (ag.status != AG_ACTIVE)
			return admin_fail("agreement %lld is %s; only an active one can be suspended", (long long)id,
					  agreement_status_name(ag.status));
		to = AG_SUSPENDED;
	} else if (!strcmp(verb, "resume")) {
		if (ag.status != AG_SUSPENDED)
			return admin_fail("agreement %lld is %s, not suspended", (long long)id, agreement_status_name(ag.status));
		to = AG_ACTIVE;
	} else {
		if (ag.status == AG_ENDED)
			return admin_fail("agreement %lld has already ended", (long long)id);
		to = AG_ENDED;
	}
	const char *reason = admin_opt(argc, argv, "--reason");
	if (store_agreement_set_status(a->store, id, to, to == AG_ACTIVE ? "" : reason ? reason : "") != STORE_OK)
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
	int rc = store_agreement_set_channel(a->store, id, CH_TEXT, (enum channel_mode)mode);
	if (rc == STORE_NOT_FOUND)
		return admin_fail("no agreement %lld", (long long)id);
	return rc == STORE_OK ? ADMIN_OK : admin_fail("%s", store_errmsg(a->store));
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
