/* seed.c: samvaer-admin demo (the demo family for `make run`) and bench-seed (accounts and tokens for load tests). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "server/store/audit.h"
#include "server/session/auth.h"
#include "server/base/clock.h"

#define DEMO_PASSWORD "samvaer-demo"

static const struct {
	const char *username, *role, *name;
} demo_people[] = {
    {"mia", "child", "Mia"},
    {"andrei", "contact", "Andrei Popescu"},
    {"radu", "contact", "Radu Popescu"},
    {"ioana", "contact", "Ioana Marin"},
    {"elena", "carer", "Elena Popescu"},
    {"ana", "caseworker", "Ana Ionescu"},
    {"sofie", "supervisor", "Sofie Holm"},
    {"olav", "operator", "Olav Berg"},
    {"lena", "contact", "Lena Marin"},
};

#define DEMO_PEOPLE (sizeof(demo_people) / sizeof(demo_people[0]))

static int add_person(struct admin *a, const char *username, const char *role, const char *name, const char *hash,
		      int64_t *id)
{
	struct account acc = {0};
	snprintf(acc.username, sizeof(acc.username), "%s", username);
	snprintf(acc.display_name, sizeof(acc.display_name), "%s", name);
	snprintf(acc.role, sizeof(acc.role), "%s", role);
	snprintf(acc.password_hash, sizeof(acc.password_hash), "%s", hash);
	return store_account_add(a->store, &acc, id);
}

static int add_agreement(struct admin *a, int64_t case_id, int64_t child, int64_t contact, const char *rel,
			 enum agreement_status st, const char *reason, int64_t *id)
{
	struct agreement ag = {0};
	terms_defaults(&ag.terms);
	ag.case_id = case_id;
	ag.child_id = child;
	ag.contact_id = contact;
	ag.status = st;
	ag.channels[CH_TEXT] = MODE_ALLOWED;
	snprintf(ag.relationship, sizeof(ag.relationship), "%s", rel);
	snprintf(ag.status_reason, sizeof(ag.status_reason), "%s", reason);
	return store_agreement_add(a->store, &ag, id);
}

/* The audit entry of one seeding step (actor 0 = operator console, via cli). */
static int seeded(struct admin *a, const char *kind, int64_t case_id, int64_t agreement_id, json_t *detail)
{
	json_object_set_new(detail, "via", json_string("cli"));
	json_object_set_new(detail, "seed", json_string("demo"));
	return audit_append(a->store, 0, kind, case_id, agreement_id, detail);
}

static int seed_link(struct admin *a, int64_t case_id, int64_t id, int person, const char *role)
{
	if (store_case_link(a->store, case_id, id, role))
		return STORE_ERR;
	return seeded(
	    a, AUDIT_CASE, case_id, 0,
	    json_pack("{s:s,s:s,s:s}", "action", "link", "member", demo_people[person].username, "role", role));
}

static int seed_agreement(struct admin *a, int64_t case_id, const int64_t ids[DEMO_PEOPLE], int contact,
			  const char *rel, enum agreement_status st, const char *reason, int64_t *out)
{
	int64_t ag;
	if (add_agreement(a, case_id, ids[0], ids[contact], rel, st, reason, &ag))
		return STORE_ERR;
	if (out)
		*out = ag;
	return seeded(a, AUDIT_AGREEMENT_CREATED, case_id, ag,
		      json_pack("{s:s,s:s,s:s,s:s,s:s}", "child", demo_people[0].username, "contact",
				demo_people[contact].username, "relationship", rel, "status", agreement_status_name(st),
				"text", "allowed"));
}

/* Voice and video calls on; supervised ones wait for a supervisor (sofie), who may record them. */
static int seed_calls(struct admin *a, int64_t case_id, int64_t agreement, int supervised)
{
	struct agreement ag;
	if (store_agreement_get(a->store, agreement, &ag) != STORE_OK)
		return STORE_ERR;
	ag.channels[CH_VOICE_CALL] = ag.terms.channels[CH_VOICE_CALL] = MODE_ALLOWED;
	ag.channels[CH_VIDEO_CALL] = ag.terms.channels[CH_VIDEO_CALL] = MODE_ALLOWED;
	ag.terms.calls = supervised ? SUPERVISION_SUPERVISED : SUPERVISION_NONE;
	ag.terms.recording_allowed = supervised;
	if (store_agreement_set_terms(a->store, &ag) != STORE_OK)
		return STORE_ERR;
	return seeded(a, AUDIT_TERMS_CHANGED, case_id, agreement,
		      json_pack("{s:s,s:s,s:s,s:b}", "voice_call", "allowed", "video_call", "allowed", "calls",
				supervised ? "supervised" : "none", "recording_allowed", supervised));
}

static int seed_demo(struct admin *a)
{
	int64_t ids[DEMO_PEOPLE], case_id, dad, mum;
	for (size_t i = 0; i < DEMO_PEOPLE; i++) {
		char hash[AUTH_HASH_MAX];
		if (auth_password_hash(DEMO_PASSWORD, hash) ||
		    add_person(a, demo_people[i].username, demo_people[i].role, demo_people[i].name, hash, &ids[i]) ||
		    seeded(a, AUDIT_ACCOUNT, 0, 0,
			   json_pack("{s:s,s:s,s:s}", "action", "add", "username", demo_people[i].username, "role",
				     demo_people[i].role)))
			return STORE_ERR;
	}
	if (store_case_add(a->store, ids[0], "Europe/Bucharest", &case_id) ||
	    seeded(a, AUDIT_CASE, case_id, 0,
		   json_pack("{s:s,s:s,s:s}", "action", "add", "child", "mia", "time_zone", "Europe/Bucharest")) ||
	    seed_link(a, case_id, ids[4], 4, "carer") || seed_link(a, case_id, ids[5], 5, "caseworker") ||
	    seed_link(a, case_id, ids[6], 6, "supervisor"))
		return STORE_ERR;
	if (seed_agreement(a, case_id, ids, 1, "Dad", AG_ACTIVE, "", &dad) ||
	    seed_agreement(a, case_id, ids, 2, "Uncle Radu", AG_SUSPENDED,
			   "Paused while the caseworker reviews contact", NULL) ||
	    seed_agreement(a, case_id, ids, 8, "Mum", AG_ACTIVE, "", &mum) || seed_calls(a, case_id, dad, 0) ||
	    seed_calls(a, case_id, mum, 1))
		return STORE_ERR;
	return admin_seed_demo_history(a);
}

int admin_cmd_demo(struct admin *a, int argc, char **argv)
{
	int64_t n;
	if (store_account_count(a->store, &n) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	if (n == 0) {
		if (store_begin(a->store) || seed_demo(a) || store_commit(a->store)) {
			store_rollback(a->store);
			return admin_fail("seeding the demo family failed: %s", store_errmsg(a->store));
		}
		printf("Seeded the demo family into %s.\n", a->data_dir);
	} else {
		printf("%s already has accounts; not seeding.\n", a->data_dir);
	}
	printf("Demo logins (password for all: %s):\n", DEMO_PASSWORD);
	for (size_t i = 0; i < DEMO_PEOPLE; i++)
		printf("  %-8s %-11s %s\n", demo_people[i].username, demo_people[i].role, demo_people[i].name);
	printf("mia <-> andrei: active, text and calls; mia <-> lena: active, calls supervised (and recordable) by "
	       "sofie;\n"
	       "mia <-> radu: suspended; ioana: no agreement.\n");
	return ADMIN_OK;
}

/* One load-test pair: a child with a case and a contact, joined by an active agreement, each with a session. */
/* bench-seed --windows: every agreement gets contact windows covering the whole week (so sends are allowed
 * but every decision evaluates the schedule) and call limits, to measure the policy's cost under load. */
static void bench_terms(struct terms *t)
{
	for (int d = 0; d < 7; d++)
		t->weekly[d] = (struct schedule_weekly){d + 1, 0, 1440};
	t->n_weekly = 7;
	t->calls_per_day = 3;
	t->calls_per_week = 10;
	t->min_gap_minutes = 60;
	t->max_call_minutes = 30;
}

static int bench_windows, bench_calls; /* --windows, --calls (voice and video calls allowed: the media bench) */

static int seed_pair(struct admin *a, int i, const char *hash, int64_t expires, FILE *out)
{
	char user[64];
	int64_t child, contact, case_id, ag;
	snprintf(user, sizeof(user), "bench-c-%d", i);
	if (add_person(a, user, "child", "Bench Child", hash, &child))
		return STORE_ERR;
	snprintf(user, sizeof(user), "bench-p-%d", i);
	if (add_person(a, user, "contact", "Bench Parent", hash, &contact) ||
	    store_case_add(a->store, child, bench_windows ? "Europe/Bucharest" : "UTC", &case_id))
		return STORE_ERR;
	struct agreement g = {0};
	terms_defaults(&g.terms);
	if (bench_windows)
		bench_terms(&g.terms);
	g.case_id = case_id;
	g.child_id = child;
	g.contact_id = contact;
	g.status = AG_ACTIVE;
	g.channels[CH_TEXT] = MODE_ALLOWED;
	if (bench_calls)
		g.channels[CH_VOICE_CALL] = g.channels[CH_VIDEO_CALL] = MODE_ALLOWED;
	snprintf(g.relationship, sizeof(g.relationship), "Parent");
	if (store_agreement_add(a->store, &g, &ag))
		return STORE_ERR;
	int64_t who[2] = {child, contact};
	for (int k = 0; k < 2; k++) {
		char token[AUTH_TOKEN_HEX + 1];
		uint8_t th[32];
		if (auth_token_new(token, th) || store_session_add(a->store, th, who[k], expires))
			return STORE_ERR;
		fprintf(out, "%s %lld\n", token, (long long)ag);
	}
	return STORE_OK;
}

int admin_cmd_bench_seed(struct admin *a, int argc, char **argv)
{
	int n = argc ? atoi(argv[0]) : 0;
	const char *path = admin_opt(argc, argv, "--tokens");
	for (int i = 0; i < argc; i++)
		bench_windows |= !strcmp(argv[i], "--windows"), bench_calls |= !strcmp(argv[i], "--calls");
	if (n < 2 || n > 200000 || n % 2 || !path)
		return admin_usage("bench-seed needs an even N (2-200000) and --tokens FILE");
	FILE *out = fopen(path, "w");
	if (!out)
		return admin_fail("cannot write %s", path);
	char hash[AUTH_HASH_MAX]; /* one hash for all: these accounts log in with tokens */
	if (auth_password_hash("bench-password-not-secret", hash))
		return admin_fail("hashing failed");
	int64_t expires = clock_now_ms() + 24LL * 3600 * 1000;
	int rc = store_begin(a->store);
	for (int i = 0; rc == STORE_OK && i < n / 2; i++)
		rc = seed_pair(a, i, hash, expires, out);
	if (rc == STORE_OK) /* one entry for the whole load-test population, committed with it */
		rc = audit_append_commit(
		    a->store, 0, AUDIT_ACCOUNT, 0, 0,
		    json_pack("{s:s,s:i,s:s}", "action", "bench-seed", "accounts", n, "via", "cli"));
	fclose(out);
	if (rc != STORE_OK) {
		store_rollback(a->store);
		return admin_fail("bench-seed: %s", store_errmsg(a->store));
	}
	return ADMIN_OK;
}
