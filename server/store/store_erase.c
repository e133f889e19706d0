/* store_erase.c: erasure of an account or a case (see store_erase.h for what goes and what stays). */
#include "server/store/store_erase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/store/audit.h"
#include "server/store/audit_erase.h"
#include "server/store/store_internal.h"
#include "server/store/store_retention.h"

/* ?1 = the account, ?2 = the case (0 for an account alone) in every statement below. */
#define MINE "(SELECT id FROM agreements WHERE child_id = ?1 OR contact_id = ?1 OR case_id = ?2)"
/* Call recordings of the case, and every recording the person's video is in (its audio mix with them). */
#define REC_MINE "(SELECT recording FROM recordings WHERE case_id = ?2 OR account_id = ?1)"
/* Photos, clips and voice notes of those conversations, uploaded by the person, or their profile photos. */
#define ATT_MINE "(agreement_id IN " MINE " OR uploader_id = ?1 OR account_id = ?1 OR case_id = ?2)"
/* One reference less on each blob (main, thumbnail, poster) per attachment row that goes. */
#define ATT_UNREF(col)                                                                                              \
	"UPDATE blobs SET refs = refs - (SELECT count(*) FROM attachments WHERE " col " = blobs.hash AND " ATT_MINE \
	") WHERE hash IN (SELECT " col " FROM attachments WHERE " ATT_MINE ")"

static const char *const clear_sql[] = {
    "DELETE FROM held WHERE agreement_id IN " MINE " OR sender_id = ?1",
    "DELETE FROM receipts WHERE agreement_id IN " MINE " OR account_id = ?1",
    "UPDATE agreements SET status = 'ended', status_reason = 'erased', relationship = '', terms = '{}'"
    " WHERE id IN " MINE,
    "UPDATE proposals SET terms = '{}' WHERE agreement_id IN " MINE,
    "UPDATE approvals SET note = '' WHERE account_id = ?1 OR proposal_id IN (SELECT id FROM proposals WHERE"
    " agreement_id IN " MINE ")",
    "UPDATE pauses SET reason = '' WHERE agreement_id IN " MINE " OR by_account = ?1",
    "UPDATE notices SET detail = '{}' WHERE agreement_id IN " MINE " OR case_id = ?2",
    "UPDATE invitations SET invitee_name = '', relationship = '', terms = '{}', language = ''"
    " WHERE agreement_id IN " MINE " OR child_id = ?1 OR case_id = ?2",
    "DELETE FROM sessions WHERE account_id = ?1",
    "DELETE FROM push_subscriptions WHERE account_id = ?1",
    "DELETE FROM pairings WHERE account_id = ?1",
    "DELETE FROM devices WHERE account_id = ?1",
    "DELETE FROM case_members WHERE account_id = ?1 OR case_id = ?2",
    "DELETE FROM retention WHERE case_id = ?2",
    "UPDATE blobs SET refs = refs - (SELECT count(*) FROM recordings r WHERE r.blob = blobs.hash AND r.recording IN"
    " " REC_MINE ") WHERE hash IN (SELECT blob FROM recordings WHERE recording IN " REC_MINE ")",
    "DELETE FROM recordings WHERE recording IN " REC_MINE,
    ATT_UNREF("blob"),
    ATT_UNREF("thumb"),
    ATT_UNREF("poster"),
    "DELETE FROM attachments WHERE " ATT_MINE,
    "DELETE FROM attachments_expired WHERE agreement_id IN " MINE,
    "UPDATE accounts SET username = 'erased-' || id, username_key = 'erased-' || id, display_name = '',"
    " password_hash = '!erased', disabled = 1, language = '', password_reset_at = 0 WHERE id = ?1",
};

static int run(struct store *s, const char *sql, int64_t account, int64_t case_id)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "erase");
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int64(st, 2, case_id);
	int rc = store__step_write(s, st, "erase");
	sqlite3_finalize(st);
	return rc == STORE_OK ? STORE_OK : STORE_ERR;
}

/* Floor every conversation of the person (or the case) past its last message. */
static int floor_conversations(struct store *s, int64_t account, int64_t case_id, struct erase_result *out)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM " MINE, -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "erase");
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int64(st, 2, case_id);
	int rc = STORE_OK;
	while (rc == STORE_OK && sqlite3_step(st) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(st, 0), removed = 0;
		rc = store_message_floor_set(s, a, store_message_last_seq(s, a) + 1, &removed);
		out->conversations++;
		out->messages += removed;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The audit entries about the person: as actor, on their agreements, naming them in a detail, or in the case. */
static int erase_audit(struct store *s, int64_t account, int64_t case_id, const char *username, json_t *seqs)
{
	sqlite3_stmt *st;
	char quoted[80];
	snprintf(quoted, sizeof(quoted), "\"%s\"", username);
	if (sqlite3_prepare_v2(s->db,
			       "SELECT seq FROM audit WHERE erased_at = 0 AND kind <> '" AUDIT_ERASURE
			       "' AND (actor = ?1"
			       " OR agreement_id IN " MINE " OR case_id = ?2 OR instr(detail, ?3) > 0) ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "erase");
	sqlite3_bind_int64(st, 1, account);
	sqlite3_bind_int64(st, 2, case_id);
	sqlite3_bind_text(st, 3, quoted, -1, SQLITE_STATIC);
	size_t n = 0, cap = 256;
	int64_t *v = malloc(cap * sizeof(*v));
	int rc = v ? STORE_OK : STORE_ERR;
	while (rc == STORE_OK && sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			int64_t *p = realloc(v, (cap *= 2) * sizeof(*v));
			if (!p) {
				rc = STORE_ERR;
				break;
			}
			v = p;
		}
		v[n] = sqlite3_column_int64(st, 0);
		json_array_append_new(seqs, json_integer(v[n++]));
	}
	sqlite3_finalize(st);
	if (rc == STORE_OK)
		rc = audit_erase(s, v, n, clock_now_ms());
	free(v);
	return rc;
}

static int erase(struct store *s, int64_t actor, int64_t account, int64_t case_id, const char *reference,
		 struct erase_result *out)
{
	struct account acc;
	memset(out, 0, sizeof(*out));
	out->account_id = account;
	out->case_id = case_id;
	if (!reference || !*reference)
		return STORE_ERR;
	int rc = store_account_by_id(s, account, &acc);
	if (rc != STORE_OK)
		return rc;
	if (!strcmp(acc.password_hash, "!erased") && !case_id)
		return STORE_NOT_FOUND;
	json_t *seqs = json_array();
	rc = floor_conversations(s, account, case_id, out);
	if (rc == STORE_OK)
		rc = erase_audit(s, account, case_id, acc.username, seqs);
	for (size_t i = 0; rc == STORE_OK && i < sizeof(clear_sql) / sizeof(clear_sql[0]); i++)
		rc = run(s, clear_sql[i], account, case_id);
	out->audit_entries = (int64_t)json_array_size(seqs);
	if (rc == STORE_OK)
		rc = audit_append(s, actor, AUDIT_ERASURE, 0, 0,
				  json_pack("{s:s,s:I,s:s,s:o,s:I,s:I}", "subject", case_id ? "case" : "account", "id",
					    (json_int_t)(case_id ? case_id : account), "reference", reference, "seqs",
					    seqs, "conversations", (json_int_t)out->conversations, "messages",
					    (json_int_t)out->messages));
	else
		json_decref(seqs);
	if (rc == STORE_OK)
		out->audit_seq = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int store_erase_account(struct store *s, int64_t actor, int64_t account_id, const char *reference,
			struct erase_result *out)
{
	return erase(s, actor, account_id, 0, reference, out);
}

int store_erase_case(struct store *s, int64_t actor, int64_t case_id, const char *reference, struct erase_result *out)
{
	sqlite3_stmt *st;
	int64_t child = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT child_id FROM cases WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "erase");
	sqlite3_bind_int64(st, 1, case_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		child = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return child ? erase(s, actor, child, case_id, reference, out) : STORE_NOT_FOUND;
}
