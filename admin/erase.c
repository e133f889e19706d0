/* erase.c: samvaer-admin erase (an account or a case, on a lawful request) and retention (a case's periods).
 * Erasure rewrites DIR/messages.log, which only its one writer may do: with the server running, erase from the
 * console or the admin API (docs/ADMIN-API.md); this command is for a stopped server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "server/base/clock.h"
#include "server/store/audit.h"
#include "server/store/store_erase.h"
#include "server/store/store_retention.h"

static int compact(struct admin *a, struct msglog_compaction *st)
{
	if (store_messages_compact(a->store, st) != STORE_OK)
		return admin_fail("erase: the database is erased but the message log could not be rewritten (%s); run "
				  "the same command again",
				  store_errmsg(a->store));
	return ADMIN_OK;
}

/* erase account USERNAME --reference REF | erase case CHILD --reference REF */
int admin_cmd_erase(struct admin *a, int argc, char **argv)
{
	const char *ref = admin_opt(argc, argv, "--reference");
	if (argc < 2 || (strcmp(argv[0], "account") && strcmp(argv[0], "case")) || !ref || !*ref)
		return admin_usage("erase account USERNAME --reference REF | erase case CHILD --reference REF");
	int is_case = !strcmp(argv[0], "case");
	int64_t id = admin_account_id(a, argv[1], is_case ? "child" : NULL), case_id = 0;
	if (!id)
		return ADMIN_FAIL;
	if (is_case && store_case_of_child(a->store, id, &case_id) != STORE_OK)
		return admin_fail("'%s' has no case", argv[1]);
	if (store_claim_messages(a->store) != STORE_OK)
		return admin_fail("erase: %s\nWith the server running, erase from the console or the admin API.",
				  store_errmsg(a->store));
	struct erase_result r;
	int rc = store_begin(a->store);
	if (rc == STORE_OK)
		rc = is_case ? store_erase_case(a->store, 0, case_id, ref, &r)
			     : store_erase_account(a->store, 0, id, ref, &r);
	if (rc != STORE_OK) {
		store_rollback(a->store);
		if (rc == STORE_NOT_FOUND)
			return admin_fail("'%s' was erased already", argv[1]);
		return admin_fail("erase: %s", store_errmsg(a->store));
	}
	if (store_commit(a->store) != STORE_OK)
		return admin_fail("erase: %s", store_errmsg(a->store));
	struct msglog_compaction st;
	if (compact(a, &st) != ADMIN_OK)
		return ADMIN_FAIL;
	printf("erased %s %s: %lld conversations, %lld messages (%llu bytes left the message log), %lld audit "
	       "details; erasure entry %lld\n",
	       argv[0], argv[1], (long long)r.conversations, (long long)r.messages,
	       (unsigned long long)st.removed_bytes, (long long)r.audit_entries, (long long)r.audit_seq);
	return ADMIN_OK;
}

static int parse_days(const char *s, int *out)
{
	char *end;
	long v = s ? strtol(s, &end, 10) : 0;
	if (!s)
		return 0;
	if (!*s || *end || v < 0 || v > RETENTION_MAX_DAYS)
		return -1;
	*out = (int)v;
	return 0;
}

/* retention CHILD [--messages DAYS] [--media DAYS] [--recordings DAYS] */
int admin_cmd_retention(struct admin *a, int argc, char **argv)
{
	int64_t case_id, child = argc >= 1 ? admin_account_id(a, argv[0], "child") : 0;
	if (argc < 1)
		return admin_usage("retention CHILD [--messages DAYS] [--media DAYS] [--recordings DAYS]");
	if (!child)
		return ADMIN_FAIL;
	if (store_case_of_child(a->store, child, &case_id) != STORE_OK)
		return admin_fail("'%s' has no case", argv[0]);
	struct retention r;
	if (store_retention_get(a->store, case_id, &r) != STORE_OK)
		return admin_fail("%s", store_errmsg(a->store));
	const char *m = admin_opt(argc, argv, "--messages"), *me = admin_opt(argc, argv, "--media"),
		   *rec = admin_opt(argc, argv, "--recordings");
	if (parse_days(m, &r.messages_days) || parse_days(me, &r.media_days) || parse_days(rec, &r.recordings_days))
		return admin_usage("days are whole numbers from 0 (keep for ever) to %d", RETENTION_MAX_DAYS);
	if (m || me || rec) {
		r.set_by = 0;
		r.set_at = clock_now_ms();
		if (store_begin(a->store) != STORE_OK || store_retention_set(a->store, &r) != STORE_OK ||
		    audit_append_commit(a->store, 0, AUDIT_RETENTION, case_id, 0,
					json_pack("{s:s,s:i,s:i,s:i,s:s}", "action", "set", "messages_days",
						  r.messages_days, "media_days", r.media_days, "recordings_days",
						  r.recordings_days, "via", "cli")) != STORE_OK) {
			store_rollback(a->store);
			return admin_fail("retention: %s", store_errmsg(a->store));
		}
	}
	printf("case %lld: messages %d days, media %d days, recordings %d days (0 = kept for ever)\n",
	       (long long)case_id, r.messages_days, r.media_days, r.recordings_days);
	return ADMIN_OK;
}
