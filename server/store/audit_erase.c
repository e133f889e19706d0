/* audit_erase.c: erasing audit details under GDPR without breaking the chain, and the schema-5 re-chain. */
#include "server/store/audit_erase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/log.h"
#include "server/store/audit_internal.h"
#include "server/store/store_internal.h"

int audit_erase(struct store *s, const int64_t *seqs, size_t n, int64_t now)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE audit SET detail = '" AUDIT_ERASED_DETAIL "', erased_at = ?1"
			       " WHERE seq = ?2 AND erased_at = 0 AND kind <> '" AUDIT_ERASURE "'",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "audit erase");
	int rc = STORE_OK;
	for (size_t i = 0; i < n && rc == STORE_OK; i++) {
		sqlite3_bind_int64(st, 1, now > 0 ? now : 1);
		sqlite3_bind_int64(st, 2, seqs[i]);
		rc = store__step_write(s, st, "audit erase") == STORE_OK ? STORE_OK : STORE_ERR;
	}
	sqlite3_finalize(st);
	return rc;
}

static int has_form1(struct store *s)
{
	sqlite3_stmt *st;
	int any = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT EXISTS (SELECT 1 FROM audit WHERE detail_hash IS NULL)", -1, &st, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		any = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return any;
}

/* Recompute every entry's hash in form 2, oldest first; keeps the form-1 hash in hash_v1. */
static int rechain(struct store *s, int64_t *entries)
{
	sqlite3_stmt *rd, *up;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT seq, at, actor, kind, case_id, agreement_id, detail, hash FROM audit"
			       " ORDER BY seq",
			       -1, &rd, NULL) != SQLITE_OK)
		return store__fail(s, "audit re-chain");
	if (sqlite3_prepare_v2(s->db, "UPDATE audit SET detail_hash=?1, prev_hash=?2, hash=?3, hash_v1=?4 WHERE seq=?5",
			       -1, &up, NULL) != SQLITE_OK) {
		sqlite3_finalize(rd);
		return store__fail(s, "audit re-chain");
	}
	uint8_t prev[AUDIT_HASH_LEN] = {0}, hash[AUDIT_HASH_LEN], dhash[AUDIT_HASH_LEN];
	int rc = STORE_OK, step;
	while (rc == STORE_OK && (step = sqlite3_step(rd)) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(rd, 6);
		audit__sha256(detail, strlen(detail), dhash);
		char *canon = audit__canonical(sqlite3_column_int64(rd, 0), sqlite3_column_int64(rd, 1),
					       sqlite3_column_int64(rd, 2), (const char *)sqlite3_column_text(rd, 3),
					       sqlite3_column_int64(rd, 4), sqlite3_column_int64(rd, 5), detail, dhash);
		if (!canon) {
			rc = STORE_ERR;
			break;
		}
		audit__hash_entry(prev, canon, hash);
		free(canon);
		sqlite3_bind_blob(up, 1, dhash, AUDIT_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(up, 2, prev, AUDIT_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(up, 3, hash, AUDIT_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(up, 4, sqlite3_column_blob(rd, 7), AUDIT_HASH_LEN, SQLITE_TRANSIENT);
		sqlite3_bind_int64(up, 5, sqlite3_column_int64(rd, 0));
		rc = store__step_write(s, up, "audit re-chain") == STORE_OK ? STORE_OK : STORE_ERR;
		memcpy(prev, hash, AUDIT_HASH_LEN);
		++*entries;
	}
	if (rc == STORE_OK && step != SQLITE_DONE)
		rc = store__fail(s, "audit re-chain");
	sqlite3_finalize(rd);
	sqlite3_finalize(up);
	return rc;
}

int audit_upgrade(struct store *s)
{
	if (!has_form1(s))
		return STORE_OK;
	struct audit_check c;
	if (store_begin(s) != STORE_OK)
		return STORE_ERR;
	if (!has_form1(s)) { /* another process re-chained it meanwhile */
		store_rollback(s);
		return STORE_OK;
	}
	if (audit_verify(s, &c) != STORE_OK || !c.ok) {
		store_rollback(s);
		log_warn(
		    "audit: the trail does not verify (entry %lld: %s); its entries stay in the old form and cannot "
		    "be erased",
		    (long long)c.first_bad_seq, c.problem);
		return STORE_OK;
	}
	char hex[2 * AUDIT_HASH_LEN + 1];
	int64_t entries = 0;
	audit_hex(c.head_hash, hex);
	int rc = store_exec(s, "DROP TRIGGER audit_no_update");
	if (rc == STORE_OK)
		rc = rechain(s, &entries);
	if (rc == STORE_OK)
		rc = store_exec(s, AUDIT__NO_UPDATE_TRIGGER);
	if (rc == STORE_OK)
		rc = audit_append(s, 0, AUDIT_UPGRADED, 0, 0,
				  json_pack("{s:I,s:I,s:s}", "entries", (json_int_t)entries, "v1_head_seq",
					    (json_int_t)c.head_seq, "v1_head_hash", hex));
	if (rc != STORE_OK) {
		store_rollback(s);
		return STORE_ERR;
	}
	if (store_commit(s) != STORE_OK)
		return STORE_ERR;
	log_info("audit: %lld entries re-chained so that details can be erased; the old head was %lld:%s",
		 (long long)entries, (long long)c.head_seq, hex);
	return STORE_OK;
}

int audit_hash_v1_at(struct store *s, int64_t seq, uint8_t out[32])
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT hash_v1 FROM audit WHERE seq = ?", -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "audit hash");
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st), out_rc = STORE_NOT_FOUND;
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == AUDIT_HASH_LEN) {
		memcpy(out, sqlite3_column_blob(st, 0), AUDIT_HASH_LEN);
		out_rc = STORE_OK;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		out_rc = store__fail(s, "audit hash");
	}
	sqlite3_finalize(st);
	return out_rc;
}
