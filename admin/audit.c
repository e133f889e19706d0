/* audit.c: samvaer-admin audit verify (walk the hash chain, name the first bad entry) and audit list. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin.h"
#include "server/store/audit.h"
#include "server/store/audit_erase.h"

/* --head SEQ:HEX, a head recorded earlier: that entry must still be there with that hash. */
static int check_anchor(struct admin *a, const char *anchor)
{
	char *colon;
	long long seq = strtoll(anchor, &colon, 10);
	uint8_t want[AUDIT_HASH_LEN], got[AUDIT_HASH_LEN];
	if (seq <= 0 || *colon != ':' || audit_hex_parse(colon + 1, want) != 0)
		return admin_usage("--head must be SEQ:HASH as printed by audit verify");
	int rc = audit_hash_at(a->store, seq, got);
	if (rc == STORE_ERR)
		return admin_fail("%s", store_errmsg(a->store));
	if (rc == STORE_NOT_FOUND) {
		fprintf(stderr, "audit: entry %lld: missing; the recorded head is gone (trail truncated)\n", seq);
		return ADMIN_FAIL;
	}
	/* a head recorded before the schema-5 re-chain is that entry's old hash (audit_erase.h) */
	uint8_t old[AUDIT_HASH_LEN];
	if (memcmp(want, got, AUDIT_HASH_LEN) != 0 &&
	    !(audit_hash_v1_at(a->store, seq, old) == STORE_OK && !memcmp(want, old, AUDIT_HASH_LEN))) {
		fprintf(stderr, "audit: entry %lld: hash differs from the recorded head (history rewritten)\n", seq);
		return ADMIN_FAIL;
	}
	return ADMIN_OK;
}

/* audit verify [--head SEQ:HASH] */
static int audit_verify_cmd(struct admin *a, int argc, char **argv)
{
	struct audit_check c;
	char hex[2 * AUDIT_HASH_LEN + 1];
	const char *anchor = admin_opt(argc, argv, "--head");
	if (argc > 0 && !anchor)
		return admin_usage("audit verify takes only --head SEQ:HASH");
	if (audit_verify(a->store, &c) != STORE_OK)
		return admin_fail("audit: cannot read the trail: %s", store_errmsg(a->store));
	if (!c.ok) {
		fprintf(stderr, "audit: entry %lld: %s\n", (long long)c.first_bad_seq, c.problem);
		return ADMIN_FAIL;
	}
	if (anchor) {
		int rc = check_anchor(a, anchor);
		if (rc != ADMIN_OK)
			return rc;
	}
	audit_hex(c.head_hash, hex);
	printf("audit: %lld entries, chain intact\n", (long long)c.entries);
	printf("head %lld:%s\n", (long long)c.head_seq, hex);
	return ADMIN_OK;
}

static void print_entry(const struct audit_entry *e, void *ctx)
{
	struct admin *a = ctx;
	struct account acc;
	char when[32] = "?", who[80] = "console";
	time_t t = (time_t)(e->at / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (e->actor && store_account_by_id(a->store, e->actor, &acc) == STORE_OK)
		snprintf(who, sizeof(who), "%s", acc.username);
	else if (e->actor)
		snprintf(who, sizeof(who), "#%lld", (long long)e->actor);
	printf("%-6lld %s %-12s %-17s case=%-4lld agreement=%-4lld %s\n", (long long)e->seq, when, who, e->kind,
	       (long long)e->case_id, (long long)e->agreement_id, e->detail);
}

static int parse_positive(const char *s, int64_t max, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

/* audit list [--case ID] [--limit N] [--before SEQ]: newest first. */
static int audit_list_cmd(struct admin *a, int argc, char **argv)
{
	int64_t case_id = 0, limit = 50, before = 0;
	const char *cs = admin_opt(argc, argv, "--case"), *ls = admin_opt(argc, argv, "--limit");
	const char *bs = admin_opt(argc, argv, "--before");
	if ((cs && parse_positive(cs, INT64_MAX, &case_id)) || (ls && parse_positive(ls, 100000, &limit)) ||
	    (bs && parse_positive(bs, INT64_MAX, &before)))
		return admin_usage("audit list takes --case ID, --limit N (1-100000) and --before SEQ");
	int more = 0;
	if (audit_list(a->store, case_id, before, (int)limit, &more, print_entry, a) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	if (more)
		fprintf(stderr, "(older entries follow; use --limit or --before)\n");
	return ADMIN_OK;
}

int admin_cmd_audit(struct admin *a, int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "verify"))
		return audit_verify_cmd(a, argc - 1, argv + 1);
	if (argc >= 1 && !strcmp(argv[0], "list"))
		return audit_list_cmd(a, argc - 1, argv + 1);
	return admin_usage("audit needs verify or list");
}
