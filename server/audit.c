/* audit.c: appending to and verifying the hash-chained audit trail. */
#include "server/audit.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/clock.h"
#include "server/store_internal.h"

#define HASH_LEN SHA256_DIGEST_LENGTH

/* The canonical form hashed for an entry: its fields in a fixed order, the detail as sorted compact JSON. */
static char *canonical(int64_t seq, int64_t at, int64_t actor, const char *kind, int64_t case_id,
		       int64_t agreement_id, const char *detail)
{
	char *out = NULL;
	if (asprintf(&out, "%lld|%lld|%lld|%s|%lld|%lld|%s", (long long)seq, (long long)at, (long long)actor, kind,
		     (long long)case_id, (long long)agreement_id, detail) < 0)
		return NULL;
	return out;
}

void audit__hash(const uint8_t prev[HASH_LEN], const char *canon, uint8_t out[HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = HASH_LEN;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) || !EVP_DigestUpdate(ctx, prev, HASH_LEN) ||
	    !EVP_DigestUpdate(ctx, canon, strlen(canon)) || !EVP_DigestFinal_ex(ctx, out, &n))
		memset(out, 0, HASH_LEN); /* cannot happen with a working libcrypto; the chain then fails to verify */
	EVP_MD_CTX_free(ctx);
}

/* The last entry's seq and hash (seq 0 and zeros for an empty trail). */
static int chain_tail(struct store *s, int64_t *seq, uint8_t hash[HASH_LEN])
{
	sqlite3_stmt *st;
	*seq = 0;
	memset(hash, 0, HASH_LEN);
	if (sqlite3_prepare_v2(s->db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", -1, &st, NULL))
		return store__fail(s, "audit tail");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == HASH_LEN) {
		*seq = sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), HASH_LEN);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store__fail(s, "audit tail");
}

static void bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

int audit_append(struct store *s, int64_t actor, const char *kind, int64_t case_id, int64_t agreement_id,
		 json_t *detail)
{
	int64_t seq, at = clock_now_ms();
	uint8_t prev[HASH_LEN], hash[HASH_LEN];
	char *text = json_dumps(detail ? detail : json_object(), JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(detail);
	if (!text || chain_tail(s, &seq, prev) != STORE_OK) {
		free(text);
		return STORE_ERR;
	}
	seq++;
	char *canon = canonical(seq, at, actor, kind, case_id, agreement_id, text);
	if (!canon) {
		free(text);
		return STORE_ERR;
	}
	audit__hash(prev, canon, hash);
	free(canon);
	sqlite3_stmt *st;
	int rc = STORE_ERR;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO audit(seq, at, actor, kind, case_id, agreement_id, detail, prev_hash, hash)"
			       " VALUES (?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_int64(st, 2, at);
		bind_opt(st, 3, actor);
		sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
		bind_opt(st, 5, case_id);
		bind_opt(st, 6, agreement_id);
		sqlite3_bind_text(st, 7, text, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 8, prev, HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(st, 9, hash, HASH_LEN, SQLITE_STATIC);
		rc = store__step_write(s, st, "audit append");
		sqlite3_finalize(st);
	} else {
		store__fail(s, "audit append");
	}
	free(text);
	return rc == STORE_OK ? STORE_OK : STORE_ERR;
}
