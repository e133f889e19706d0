/* accounts.c: samvaer-admin account and case commands; each change commits together with its audit entry. */
#include <stdio.h>
#include <string.h>

#include "admin/admin.h"
#include "server/base/username.h"
#include "server/store/audit.h"
#include "server/session/auth.h"

static const char *const roles[] = {"child", "contact", "carer", "caseworker", "supervisor", "operator"};

static int valid_role(const char *r)
{
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (r && !strcmp(r, roles[i]))
			return 1;
	return 0;
}

static int account_add(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return admin_usage("account add needs a USERNAME");
	const char *user = argv[0], *role = admin_opt(argc, argv, "--role"), *name = admin_opt(argc, argv, "--name");
	if (!username_valid(user)) /* matched case-insensitively: "Mia" signs in as "mia" too */
		return admin_usage("usernames are 2-64 bytes of letters, digits, . _ -");
	if (!valid_role(role))
		return admin_usage("--role must be child, contact, carer, caseworker, supervisor or operator");
	if (!name || !*name || strlen(name) > 128)
		return admin_usage("--name is required (at most 128 bytes)");
	char pw[AUTH_PASSWORD_MAX + 2];
	if (admin_read_password(admin_opt(argc, argv, "--password-file"), pw, sizeof(pw)) != 0)
		return admin_fail("no password read");
	if (strlen(pw) < AUTH_PASSWORD_MIN || strlen(pw) > AUTH_PASSWORD_MAX)
		return admin_fail("passwords must be %d-%d characters", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
	struct account acc = {0};
	snprintf(acc.username, sizeof(acc.username), "%s", user);
	snprintf(acc.display_name, sizeof(acc.display_name), "%s", name);
	snprintf(acc.role, sizeof(acc.role), "%s", role);
	int hrc = auth_password_hash(pw, acc.password_hash);
	explicit_bzero(pw, sizeof(pw));
	if (hrc != 0)
		return admin_fail("password hashing failed");
	int64_t id;
	int rc = store_begin(a->store);
	if (rc == STORE_OK && (rc = store_account_add(a->store, &acc, &id)) != STORE_OK)
		store_rollback(a->store);
	if (rc == STORE_DUPLICATE)
		return admin_fail("username '%s' is taken", user);
	if (rc != STORE_OK ||
	    audit_append_commit(a->store, 0, AUDIT_ACCOUNT, 0, 0,
				json_pack("{s:s,s:s,s:s,s:s}", "action", "add", "username", user, "role", role, "via",
					  "cli")) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	printf("%lld\n", (long long)id);
	return ADMIN_OK;
}

/* account disable|enable USERNAME */
static int account_set_disabled(struct admin *a, const char *verb, const char *user)
{
	int rc = store_begin(a->store);
	if (rc == STORE_OK && (rc = store_account_set_disabled(a->store, user, !strcmp(verb, "disable"))) != STORE_OK)
		store_rollback(a->store);
	if (rc == STORE_NOT_FOUND)
		return admin_fail("no account '%s'", user);
	if (rc != STORE_OK ||
	    audit_append_commit(a->store, 0, AUDIT_ACCOUNT, 0, 0,
				json_pack("{s:s,s:s,s:s}", "action", verb, "username", user, "via", "cli")) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	return ADMIN_OK;
}

static void print_account(const struct account *acc, void *ctx)
{
	printf("%-5lld %-20s %-11s %-30s %s\n", (long long)acc->id, acc->username, acc->role, acc->display_name,
	       acc->disabled ? "disabled" : "");
}

int admin_cmd_account(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return admin_usage("account needs add, list, disable or enable");
	if (!strcmp(argv[0], "add"))
		return account_add(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "list"))
		return store_accounts_list(a->store, print_account, NULL) == STORE_OK
		    ? ADMIN_OK
		    : admin_fail("%s", store_errmsg(a->store));
	if ((!strcmp(argv[0], "disable") || !strcmp(argv[0], "enable")) && argc >= 2)
		return account_set_disabled(a, argv[0], argv[1]);
	return admin_usage("unknown account command");
}

static int case_add(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return admin_usage("case add needs a CHILD username");
	int64_t child = admin_account_id(a, argv[0], "child"), case_id;
	if (!child)
		return ADMIN_FAIL;
	const char *tz = admin_opt(argc, argv, "--tz") ? admin_opt(argc, argv, "--tz") : "UTC";
	int rc = store_begin(a->store);
	if (rc == STORE_OK && (rc = store_case_add(a->store, child, tz, &case_id)) != STORE_OK)
		store_rollback(a->store);
	if (rc == STORE_DUPLICATE)
		return admin_fail("'%s' already has a case", argv[0]);
	if (rc != STORE_OK ||
	    audit_append_commit(a->store, 0, AUDIT_CASE, case_id, 0,
				json_pack("{s:s,s:s,s:s,s:s}", "action", "add", "child", argv[0], "time_zone", tz,
					  "via", "cli")) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	printf("%lld\n", (long long)case_id);
	return ADMIN_OK;
}

/* case link CHILD --carer U --caseworker U --supervisor U: every link and its entry in one transaction. */
static int case_link(struct admin *a, int argc, char **argv)
{
	static const char *const link_roles[] = {"carer", "caseworker", "supervisor"};
	const char *users[3];
	int64_t ids[3], case_id;
	if (argc < 1)
		return admin_usage("case link needs a CHILD username");
	int64_t child = admin_account_id(a, argv[0], "child");
	if (!child)
		return ADMIN_FAIL;
	if (store_case_of_child(a->store, child, &case_id) != STORE_OK)
		return admin_fail("'%s' has no case (use: case add %s)", argv[0], argv[0]);
	int linked = 0;
	for (int r = 0; r < 3; r++) {
		char opt[32];
		snprintf(opt, sizeof(opt), "--%s", link_roles[r]);
		users[r] = admin_opt(argc, argv, opt);
		if (users[r] && !(ids[r] = admin_account_id(a, users[r], link_roles[r])))
			return ADMIN_FAIL;
		linked += users[r] != NULL;
	}
	if (!linked)
		return admin_usage("case link needs --carer, --caseworker or --supervisor");
	int rc = store_begin(a->store);
	for (int r = 0; r < 3 && rc == STORE_OK; r++)
		if (users[r] && (rc = store_case_link(a->store, case_id, ids[r], link_roles[r])) == STORE_OK)
			rc = audit_append(a->store, 0, AUDIT_CASE, case_id, 0,
					  json_pack("{s:s,s:s,s:s,s:s}", "action", "link", "member", users[r], "role",
						    link_roles[r], "via", "cli"));
	if (rc == STORE_OK)
		rc = store_commit(a->store);
	if (rc != STORE_OK) {
		store_rollback(a->store);
		return admin_fail("%s", store_errmsg(a->store));
	}
	return ADMIN_OK;
}

static void print_case(int64_t id, const char *child, const char *tz, const char *members, void *ctx)
{
	printf("%-5lld %-20s %-20s %s\n", (long long)id, child, tz, members);
}

int admin_cmd_case(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return admin_usage("case needs add, link or list");
	if (!strcmp(argv[0], "add"))
		return case_add(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "link"))
		return case_link(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "list"))
		return store_cases_list(a->store, print_case, NULL) == STORE_OK
		    ? ADMIN_OK
		    : admin_fail("%s", store_errmsg(a->store));
	return admin_usage("unknown case command");
}
