/* devices.c: samvaer-admin device and password commands — pairing codes, devices, revocation, password resets —
 * acting as a carer or caseworker (--as) with the same scope checks and audit entries as the admin API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "server/devices/devices.h"
#include "server/session/auth.h"

/* The acting account (--as USER), or 0 after printing why not. */
static int as_account(struct admin *a, int argc, char **argv, struct account *who)
{
	const char *as = admin_opt(argc, argv, "--as");
	if (!as) {
		admin_usage("this command needs --as USER (the carer or caseworker who does it)");
		return 0;
	}
	int64_t id = admin_account_id(a, as, NULL);
	return id && store_account_by_id(a->store, id, who) == STORE_OK;
}

/* Commit the transaction, or roll it back and print why not. */
static int finish(struct admin *a, int rc, const struct devices_outcome *out)
{
	if (rc != DEVICES_OK) {
		store_rollback(a->store);
		return admin_fail("%s", out->message[0] ? out->message : "refused");
	}
	if (store_commit(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	return ADMIN_OK;
}

static void print_time(const char *label, int64_t ms)
{
	char buf[32] = "never";
	time_t t = (time_t)(ms / 1000);
	if (ms)
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	printf("%s%s", label, buf);
}

/* device pair USERNAME --as USER [--hours N] */
static int device_pair(struct admin *a, int argc, char **argv)
{
	struct account who;
	struct devices_outcome out = {0};
	struct devices_code code;
	const char *hours = admin_opt(argc, argv, "--hours");
	if (argc < 1 || argv[0][0] == '-')
		return admin_usage("device pair needs a USERNAME");
	int64_t target = admin_account_id(a, argv[0], NULL);
	if (!target || !as_account(a, argc, argv, &who))
		return ADMIN_FAIL;
	if (store_begin(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	int rc = devices_pairing_create(a->store, &who, target, 0, hours ? atoi(hours) : 0, "cli", &code, &out);
	if ((rc = finish(a, rc, &out)) != ADMIN_OK)
		return rc;
	printf("%s\n", code.code.text);
	print_time("expires ", code.expires_at);
	printf("\n");
	explicit_bzero(&code, sizeof(code));
	return ADMIN_OK;
}

static void print_device(const struct device *d, void *ctx)
{
	printf("%-5lld %-30s", (long long)d->id, d->name);
	print_time(" paired ", d->created_at);
	print_time("  last seen ", d->last_seen_at);
	printf("\n");
}

/* device revoke ID --as USER */
static int device_revoke(struct admin *a, int argc, char **argv)
{
	struct account who;
	struct devices_outcome out = {0};
	if (argc < 1 || atoll(argv[0]) <= 0)
		return admin_usage("device revoke needs a device ID (see device list)");
	if (!as_account(a, argc, argv, &who))
		return ADMIN_FAIL;
	if (store_begin(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	return finish(a, devices_revoke(a->store, &who, atoll(argv[0]), 0, "cli", &out), &out);
}

int admin_cmd_device(struct admin *a, int argc, char **argv)
{
	if (argc < 1)
		return admin_usage("device needs pair, list or revoke");
	if (!strcmp(argv[0], "pair"))
		return device_pair(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "revoke"))
		return device_revoke(a, argc - 1, argv + 1);
	if (!strcmp(argv[0], "list") && argc >= 2) {
		int64_t id = admin_account_id(a, argv[1], NULL);
		if (!id)
			return ADMIN_FAIL;
		return store_devices_of(a->store, id, print_device, NULL) == STORE_OK
		    ? ADMIN_OK
		    : admin_fail("%s", store_errmsg(a->store));
	}
	return admin_usage("unknown device command");
}

/* password reset USERNAME --as USER [--password-file FILE|-]: prints the temporary password when none is given. */
int admin_cmd_password(struct admin *a, int argc, char **argv)
{
	struct account who;
	struct devices_outcome out = {0};
	char pw[AUTH_PASSWORD_MAX + 2], temp[DEVICES_TEMP_PASSWORD_LEN + 1];
	const char *file = admin_opt(argc, argv, "--password-file");
	if (argc < 2 || strcmp(argv[0], "reset") || argv[1][0] == '-')
		return admin_usage("password reset needs a USERNAME");
	int64_t target = admin_account_id(a, argv[1], NULL);
	if (!target || !as_account(a, argc, argv, &who))
		return ADMIN_FAIL;
	if (file && admin_read_password(file, pw, sizeof(pw)) != 0)
		return admin_fail("no password read");
	if (store_begin(a->store) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	int rc = devices_password_reset(a->store, &who, target, 0, file ? pw : NULL, "cli", temp, &out);
	explicit_bzero(pw, sizeof(pw));
	if ((rc = finish(a, rc, &out)) != ADMIN_OK)
		return rc;
	if (!file)
		printf("%s\n", temp);
	explicit_bzero(temp, sizeof(temp));
	return ADMIN_OK;
}
