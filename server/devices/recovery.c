/* recovery.c: recovery without e-mail — a carer or caseworker in scope resets a person's password. */
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

/* "XXXX-XXXX-XXXX" of the code alphabet: easy to read out and to type once. */
static int temporary_password(char *out)
{
	char sym[13];
	if (rcode_random_symbols(sym, 12) != 0)
		return -1;
	snprintf(out, DEVICES_TEMP_PASSWORD_LEN + 1, "%.4s-%.4s-%.4s", sym, sym + 4, sym + 8);
	explicit_bzero(sym, sizeof(sym));
	return 0;
}

int devices_password_reset(struct store *s, const struct account *who, int64_t target, int64_t case_id,
			   const char *password, const char *via, char *temp, struct devices_outcome *out)
{
	struct account t;
	char hash[AUTH_HASH_MAX];
	int rc = devices_check(s, who, target, case_id, 0, out);
	if (rc != DEVICES_OK)
		return rc;
	if (password && (strlen(password) < AUTH_PASSWORD_MIN || strlen(password) > AUTH_PASSWORD_MAX))
		return fail(out, DEVICES_BAD_REQUEST, "password", "A password has at least 8 characters.");
	if (store_account_by_id(s, target, &t) != STORE_OK)
		return fail(out, DEVICES_NOT_FOUND, NULL, "No such person in your care.");
	if (!password && temporary_password(temp) != 0)
		return fail(out, DEVICES_ERR, NULL, "No randomness for a password.");
	if (auth_password_hash(password ? password : temp, hash) != 0)
		return fail(out, DEVICES_ERR, NULL, "The password could not be hashed.");
	out->account_id = target;
	rc = store_account_password_reset(s, target, hash, clock_now_ms());
	explicit_bzero(hash, sizeof(hash));
	if (rc != STORE_OK ||
	    audit_append(s, who->id, AUDIT_PASSWORD_RESET, out->case_id, 0,
			 json_pack("{s:I,s:s,s:b,s:s}", "account", (json_int_t)target, "username", t.username,
				   "temporary", password == NULL, "via", via)) != STORE_OK)
		return fail(out, DEVICES_ERR, NULL, "The change could not be saved.");
	return DEVICES_OK;
}
