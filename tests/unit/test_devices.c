/* test_devices.c: who may look after whose devices and password (devices_check and the actions over it, as a
 * table of roles x targets), pairing codes (lock after five wrong secrets, single use, expiry), device
 * credentials (revocation voids them), and password resets (the notice, password sessions gone, device ones kept). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/devices/devices.h"
#include "server/session/auth.h"
#include "tests/unit/check.h"

enum { MIA, MUM, CARER, CASEWORKER, SUPERVISOR, OTHER_CHILD, OTHER_CARER, OPERATOR, N_PEOPLE };
static const char *const roles[N_PEOPLE] = {"child",      "contact", "carer", "caseworker",
					    "supervisor", "child",   "carer", "operator"};
static struct account people[N_PEOPLE];
static int64_t case_a, case_b;

static struct store *setup(const char *dir)
{
	char err[256];
	struct store *s = store_open(dir, 1, err, sizeof(err));
	if (!s)
		return NULL;
	store_begin(s);
	for (int i = 0; i < N_PEOPLE; i++) {
		struct account a = {0};
		snprintf(a.username, sizeof(a.username), "p%d", i);
		snprintf(a.display_name, sizeof(a.display_name), "Person %d", i);
		snprintf(a.role, sizeof(a.role), "%s", roles[i]);
		snprintf(a.password_hash, sizeof(a.password_hash), "x");
		store_account_add(s, &a, &a.id);
		people[i] = a;
	}
	struct agreement ag = {0};
	store_case_add(s, people[MIA].id, "UTC", &case_a);
	store_case_add(s, people[OTHER_CHILD].id, "UTC", &case_b);
	store_case_link(s, case_a, people[CARER].id, "carer");
	store_case_link(s, case_a, people[CASEWORKER].id, "caseworker");
	store_case_link(s, case_a, people[SUPERVISOR].id, "supervisor");
	store_case_link(s, case_b, people[OTHER_CARER].id, "carer");
	ag.case_id = case_a;
	ag.child_id = people[MIA].id;
	ag.contact_id = people[MUM].id;
	ag.status = AG_ACTIVE;
	snprintf(ag.relationship, sizeof(ag.relationship), "Mother");
	snprintf(ag.zone, sizeof(ag.zone), "UTC");
	store_agreement_add(s, &ag, &ag.id);
	store_commit(s);
	return s;
}

/* who, target, case (0 any, 1 = A, 2 = B), self_ok -> result */
static const struct {
	const char *name;
	int who, target, in_case, self_ok, want;
} scope[] = {
    {"carer -> child of the case", CARER, MIA, 0, 0, DEVICES_OK},
    {"carer -> contact of the case", CARER, MUM, 0, 0, DEVICES_OK},
    {"carer -> child through that case", CARER, MIA, 1, 0, DEVICES_OK},
    {"carer -> child through another case", CARER, MIA, 2, 0, DEVICES_NOT_FOUND},
    {"carer -> another family's child", CARER, OTHER_CHILD, 0, 0, DEVICES_NOT_FOUND},
    {"caseworker -> child", CASEWORKER, MIA, 0, 0, DEVICES_OK},
    {"caseworker -> contact", CASEWORKER, MUM, 1, 0, DEVICES_OK},
    {"caseworker -> the carer (not a child or contact)", CASEWORKER, CARER, 0, 0, DEVICES_NOT_FOUND},
    {"supervisor -> child (not a care role)", SUPERVISOR, MIA, 0, 0, DEVICES_NOT_FOUND},
    {"other carer -> child", OTHER_CARER, MIA, 0, 0, DEVICES_NOT_FOUND},
    {"other carer -> own child", OTHER_CARER, OTHER_CHILD, 0, 0, DEVICES_OK},
    {"contact -> child", MUM, MIA, 0, 0, DEVICES_NOT_FOUND},
    {"contact -> self, self allowed", MUM, MUM, 0, 1, DEVICES_OK},
    {"contact -> self, self not allowed", MUM, MUM, 0, 0, DEVICES_FORBIDDEN},
    {"contact -> self through a case", MUM, MUM, 1, 1, DEVICES_FORBIDDEN},
    {"child -> self, self allowed", MIA, MIA, 0, 1, DEVICES_OK},
    {"child -> self, self not allowed", MIA, MIA, 0, 0, DEVICES_FORBIDDEN},
    {"operator -> child", OPERATOR, MIA, 0, 0, DEVICES_NOT_FOUND},
    {"carer -> self, self allowed", CARER, CARER, 0, 1, DEVICES_OK},
    {"carer -> self, self not allowed", CARER, CARER, 0, 0, DEVICES_NOT_FOUND},
};

static void test_scope(struct store *s)
{
	for (size_t i = 0; i < sizeof(scope) / sizeof(scope[0]); i++) {
		struct devices_outcome out = {0};
		int64_t in_case = scope[i].in_case == 1 ? case_a : scope[i].in_case == 2 ? case_b : 0;
		int rc = devices_check(s, &people[scope[i].who], people[scope[i].target].id, in_case, scope[i].self_ok,
				       &out);
		CHECK(rc == scope[i].want, scope[i].name);
		if (rc != DEVICES_OK)
			CHECK(out.message[0], "a refusal says why");
	}
}

/* Who may make a pairing code for whom: a child never for itself, an operator never. */
static void test_create_rules(struct store *s)
{
	static const struct {
		const char *name;
		int who, target, want;
	} rules[] = {
	    {"child for itself", MIA, MIA, DEVICES_FORBIDDEN},
	    {"operator for itself", OPERATOR, OPERATOR, DEVICES_FORBIDDEN},
	    {"contact for itself", MUM, MUM, DEVICES_OK},
	    {"carer for the child", CARER, MIA, DEVICES_OK},
	    {"contact for the child", MUM, MIA, DEVICES_NOT_FOUND},
	};
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct devices_outcome out = {0};
		struct devices_code code;
		store_begin(s);
		int rc = devices_pairing_create(s, &people[rules[i].who], people[rules[i].target].id, 0, 0, "test",
						&code, &out);
		CHECK(rc == rules[i].want, rules[i].name);
		store_commit(s);
	}
	struct devices_outcome out = {0};
	struct devices_code code;
	CHECK(devices_pairing_create(s, &people[CARER], people[MIA].id, 0, 169, "test", &code, &out) ==
		  DEVICES_BAD_REQUEST,
	      "more than 168 hours");
}

static void test_codes(struct store *s)
{
	struct devices_outcome out = {0};
	struct devices_code code;
	struct devices_paired paired;
	char wrong[RCODE_TEXT_LEN + 1];
	store_begin(s);
	CHECK(devices_pairing_create(s, &people[CARER], people[MIA].id, 0, 0, "test", &code, &out) == DEVICES_OK,
	      "a code");
	snprintf(wrong, sizeof(wrong), "%s", code.code.text);
	wrong[13] = wrong[13] == '2' ? '3' : '2';
	for (int i = 1; i <= DEVICES_PAIR_TRIES; i++) {
		CHECK(devices_pair(s, wrong, "x", "peer", &paired) == DEVICES_SIGNIN_INVALID, "a wrong secret");
		CHECK(paired.locked == (i == DEVICES_PAIR_TRIES), "locked at the fifth");
	}
	CHECK(devices_pair(s, code.code.text, "x", "peer", &paired) == DEVICES_SIGNIN_INVALID,
	      "the right code, locked");
	CHECK(devices_pair(s, "not a code", "x", "peer", &paired) == DEVICES_SIGNIN_INVALID, "not a code at all");

	CHECK(devices_pairing_create(s, &people[CASEWORKER], people[MIA].id, case_a, 1, "test", &code, &out) ==
		  DEVICES_OK,
	      "another code");
	CHECK(devices_pair(s, code.code.text, "Tablet", "peer", &paired) == DEVICES_SIGNIN_OK, "paired");
	CHECK(paired.account.id == people[MIA].id && strlen(paired.credential) == 64, "as mia, with a credential");
	CHECK(paired.device.created_by == people[CASEWORKER].id && !strcmp(paired.device.name, "Tablet"), "the device");
	char cred[65];
	struct devices_paired again;
	snprintf(cred, sizeof(cred), "%s", paired.credential);
	int64_t dev = paired.device.id;
	CHECK(devices_pair(s, code.code.text, "Tablet", "peer", &again) == DEVICES_SIGNIN_USED, "used once");
	CHECK(devices_signin(s, cred, 64, "peer", &again) == DEVICES_SIGNIN_OK && again.device.id == dev, "sign in");
	CHECK(devices_revoke(s, &people[OTHER_CARER], dev, 0, "test", &out) == DEVICES_NOT_FOUND,
	      "revoke out of scope");
	CHECK(devices_revoke(s, &people[MIA], dev, 0, "test", &out) == DEVICES_OK, "the owner revokes it");
	CHECK(devices_revoke(s, &people[CARER], dev, 0, "test", &out) == DEVICES_CONFLICT, "revoked already");
	CHECK(devices_signin(s, cred, 64, "peer", &again) == DEVICES_SIGNIN_INVALID, "a revoked credential");

	CHECK(devices_pairing_create(s, &people[CARER], people[MIA].id, 0, 0, "test", &code, &out) == DEVICES_OK,
	      "a third");
	store_exec(s, "UPDATE pairings SET expires_at = 1 WHERE state = 'open'");
	CHECK(devices_pair(s, code.code.text, "x", "peer", &paired) == DEVICES_SIGNIN_EXPIRED, "expired");
	store_commit(s);
}

static void test_reset(struct store *s)
{
	struct devices_outcome out = {0};
	struct account a;
	char temp[DEVICES_TEMP_PASSWORD_LEN + 1];
	uint8_t pw_session[32] = {1}, dev_session[32] = {2};
	struct devices_code code;
	struct devices_paired paired;
	int64_t acc, exp;
	store_begin(s);
	devices_pairing_create(s, &people[CARER], people[MUM].id, 0, 0, "test", &code, &out);
	devices_pair(s, code.code.text, "Phone", "peer", &paired);
	store_session_add(s, pw_session, people[MUM].id, INT64_MAX);
	store_session_add_device(s, dev_session, people[MUM].id, INT64_MAX, paired.device.id);
	CHECK(devices_password_reset(s, &people[MUM], people[MUM].id, 0, NULL, "test", temp, &out) == DEVICES_FORBIDDEN,
	      "nobody resets their own password here");
	CHECK(devices_password_reset(s, &people[CARER], people[MUM].id, 0, "short", "test", temp, &out) ==
		  DEVICES_BAD_REQUEST,
	      "too short");
	CHECK(devices_password_reset(s, &people[CARER], people[MUM].id, 0, NULL, "test", temp, &out) == DEVICES_OK,
	      "reset");
	CHECK(strlen(temp) == DEVICES_TEMP_PASSWORD_LEN && temp[4] == '-', "a temporary password");
	CHECK(store_account_by_id(s, people[MUM].id, &a) == STORE_OK && a.password_reset_at > 0, "the notice is due");
	CHECK(auth_password_verify(a.password_hash, temp, strlen(temp)) == 1, "the temporary password works");
	CHECK(store_session_get(s, pw_session, &acc, &exp) == STORE_NOT_FOUND, "password sessions end");
	CHECK(store_session_get(s, dev_session, &acc, &exp) == STORE_OK, "device sessions stay");
	store_account_reset_told(s, people[MUM].id);
	CHECK(store_account_by_id(s, people[MUM].id, &a) == STORE_OK && a.password_reset_at == 0, "told once");
	store_commit(s);
}

int main(void)
{
	char dir[] = "/tmp/samvaer-devices-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	struct store *s = setup(dir);
	CHECK(s != NULL, "store");
	if (s) {
		test_scope(s);
		test_create_rules(s);
		test_codes(s);
		test_reset(s);
		store_close(s);
	}
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done("devices");
}
