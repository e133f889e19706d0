/* audit.c: appending to, verifying and listing the hash-chained audit trail (see audit.h for its limits). */
#include "server/store/audit.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base/clock.h"
#include "server/store/audit_internal.h"
#include "server/store/store_internal.h"

#define HASH_LEN AUDIT_HASH_LEN

/* The canonical form hashed for an entry: its fields in a fixed order (absent ids as 0), then the detail. Form 2
 * (every entry written since schema 5) names the detail by its SHA-256, "sha256:" and 64 hex digits, so that an
 * erasure can remove the detail and keep the entry verifiable; form 1 (older entries, until re-chained) held the
 * stored sorted compact JSON itself. Unambiguous because kind never holds '|' and the detail comes last. */
char *audit__canonical(int64_t seq, int64_t at, int64_t actor, const char *kind, int64_t case_id, int64_t agreement_id,
		       const char *detail, const uint8_t *detail_hash)
{
	char *out = NULL, hex[2 * HASH_LEN + 8] = "sha256:";
	if (detail_hash)
		audit_hex(detail_hash, hex + 7);
	if (asprintf(&out, "%lld|%lld|%lld|%s|%lld|%lld|%s", (long long)seq, (long long)at, (long long)actor, kind,
		     (long long)case_id, (long long)agreement_id, detail_hash ? hex : detail) < 0)
		return NULL;
	return out;
}

void audit__sha256(const void *p, size_t n, uint8_t out[HASH_LEN])
{
	unsigned int len = HASH_LEN;
	if (!EVP_Digest(p, n, out, &len, EVP_sha256(), NULL))
		memset(out, 0, HASH_LEN); /* cannot happen with a working libcrypto; the chain then fails to verify */
}

void audit__hash_entry(const uint8_t prev[HASH_LEN], const char *canon, uint8_t out[HASH_LEN])
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

static int insert_entry(struct store *s, int64_t seq, int64_t at, int64_t actor, const char *kind, int64_t case_id,
			int64_t agreement_id, const char *text, const uint8_t dhash[HASH_LEN],
			const uint8_t prev[HASH_LEN], const uint8_t hash[HASH_LEN])
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO audit(seq, at, actor, kind, case_id, agreement_id, detail, prev_hash, hash,"
			       " detail_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "audit append");
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, at);
	bind_opt(st, 3, actor);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	bind_opt(st, 5, case_id);
	bind_opt(st, 6, agreement_id);
	sqlite3_bind_text(st, 7, text, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, prev, HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, hash, HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, dhash, HASH_LEN, SQLITE_STATIC);
	int rc = store__step_write(s, st, "audit append");
	sqlite3_finalize(st);
	return rc == STORE_OK ? STORE_OK : STORE_ERR;
}

int audit_append(struct store *s, int64_t actor, const char *kind, int64_t case_id, int64_t agreement_id,
		 json_t *detail)
{
	int64_t seq, at = clock_now_ms();
	uint8_t prev[HASH_LEN], hash[HASH_LEN], dhash[HASH_LEN];
	if (!detail)
		detail = json_object();
	char *text = json_is_object(detail) ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	if (!text || !kind || !*kind || strchr(kind, '|') || actor < 0 || case_id < 0 || agreement_id < 0) {
		free(text);
		snprintf(s->err, sizeof(s->err), "audit append: bad entry (kind %s)", kind ? kind : "NULL");
		return STORE_ERR;
	}
	if (sqlite3_get_autocommit(s->db)) { /* tail read and insert must be one write transaction */
		free(text);
		snprintf(s->err, sizeof(s->err), "audit append outside a write transaction (store_begin first)");
		return STORE_ERR;
	}
	char *canon = NULL;
	int rc = chain_tail(s, &seq, prev);
	audit__sha256(text, strlen(text), dhash);
	if (rc == STORE_OK && !(canon = audit__canonical(seq + 1, at, actor, kind, case_id, agreement_id, text, dhash)))
		rc = STORE_ERR;
	if (rc == STORE_OK) {
		audit__hash_entry(prev, canon, hash);
		rc = insert_entry(s, seq + 1, at, actor, kind, case_id, agreement_id, text, dhash, prev, hash);
	}
	free(canon);
	free(text);
	return rc;
}

int audit_append_commit(struct store *s, int64_t actor, const char *kind, int64_t case_id, int64_t agreement_id,
			json_t *detail)
{
	if (audit_append(s, actor, kind, case_id, agreement_id, detail) != STORE_OK) {
		store_rollback(s);
		return STORE_ERR;
	}
	return store_commit(s); /* rolls back itself on failure */
}

const char *audit_problem_name(enum audit_problem p)
{
	static const char *const names[] = {"intact", "gap", "bad_link", "bad_hash", "bad_form", "bad_erasure"};
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "unknown";
}

/* ---- verification ---------------------------------------------------------------------------------- */

enum {
	COL_SEQ,
	COL_AT,
	COL_ACTOR,
	COL_KIND,
	COL_CASE,
	COL_AGREEMENT,
	COL_DETAIL,
	COL_PREV,
	COL_HASH,
	COL_DHASH,
	COL_ERASED,
	COL_HASH_V1
};

static const char *const col_names[] = {"seq",    "at",        "actor", "kind",        "case_id",   "agreement_id",
					"detail", "prev_hash", "hash",  "detail_hash", "erased_at", "hash_v1"};

static int bad(struct audit_check *c, int64_t seq, enum audit_problem kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record the first bad entry; returns 1. */
static int bad(struct audit_check *c, int64_t seq, enum audit_problem kind, const char *fmt, ...)
{
	va_list ap;
	c->ok = 0;
	c->first_bad_seq = seq;
	c->kind = kind;
	va_start(ap, fmt);
	vsnprintf(c->problem, sizeof(c->problem), fmt, ap);
	va_end(ap);
	return 1;
}

/* The column in a form audit_append never writes, or -1. seq is positive; ids are NULL or positive integers
 * (0 is written as NULL, so an integer 0 or a real 5.5 — read back as 5 — would otherwise hide an edit). */
static int malformed_column(sqlite3_stmt *st)
{
	for (int i = COL_SEQ; i <= COL_HASH; i++) {
		int t = sqlite3_column_type(st, i);
		if (i == COL_SEQ || i == COL_AT) {
			if (t != SQLITE_INTEGER || (i == COL_SEQ && sqlite3_column_int64(st, i) <= 0))
				return i;
		} else if (i == COL_ACTOR || i == COL_CASE || i == COL_AGREEMENT) {
			if (t != SQLITE_NULL && (t != SQLITE_INTEGER || sqlite3_column_int64(st, i) <= 0))
				return i;
		} else if (i == COL_KIND || i == COL_DETAIL) {
			const char *txt = (const char *)sqlite3_column_text(st, i);
			if (t != SQLITE_TEXT || (int)strlen(txt) != sqlite3_column_bytes(st, i) ||
			    (i == COL_KIND && (!*txt || strchr(txt, '|'))))
				return i;
		} else if (t != SQLITE_BLOB || sqlite3_column_bytes(st, i) != HASH_LEN) {
			return i;
		}
	}
	for (int i = COL_DHASH; i <= COL_HASH_V1; i += 2) /* NULL (form 1 / never re-chained) or a hash */
		if (sqlite3_column_type(st, i) != SQLITE_NULL &&
		    (sqlite3_column_type(st, i) != SQLITE_BLOB || sqlite3_column_bytes(st, i) != HASH_LEN))
			return i;
	int64_t erased = sqlite3_column_int64(st, COL_ERASED);
	if (sqlite3_column_type(st, COL_ERASED) != SQLITE_INTEGER || erased < 0 ||
	    (erased &&
	     (sqlite3_column_type(st, COL_DHASH) == SQLITE_NULL ||
	      strcmp((const char *)sqlite3_column_text(st, COL_DETAIL), AUDIT_ERASED_DETAIL))))
		return COL_ERASED;
	return -1;
}

/* Recompute the entry's hash from the previous entry's hash and its content: form 2 over the detail's hash (which
 * must match the detail unless it was erased), form 1 over the detail. 0: the content does not match. */
static int content_matches(sqlite3_stmt *st, const uint8_t prev[HASH_LEN])
{
	const uint8_t *dhash =
	    sqlite3_column_type(st, COL_DHASH) == SQLITE_BLOB ? sqlite3_column_blob(st, COL_DHASH) : NULL;
	const char *detail = (const char *)sqlite3_column_text(st, COL_DETAIL);
	uint8_t want[HASH_LEN];
	if (dhash && !sqlite3_column_int64(st, COL_ERASED)) {
		audit__sha256(detail, strlen(detail), want);
		if (memcmp(want, dhash, HASH_LEN) != 0)
			return 0;
	}
	char *canon = audit__canonical(
	    sqlite3_column_int64(st, COL_SEQ), sqlite3_column_int64(st, COL_AT), sqlite3_column_int64(st, COL_ACTOR),
	    (const char *)sqlite3_column_text(st, COL_KIND), sqlite3_column_int64(st, COL_CASE),
	    sqlite3_column_int64(st, COL_AGREEMENT), detail, dhash);
	if (!canon)
		return 0;
	audit__hash_entry(prev, canon, want);
	free(canon);
	return memcmp(want, sqlite3_column_blob(st, COL_HASH), HASH_LEN) == 0;
}

/* Check one row against its predecessor (prev_seq, prev); 1 if it is bad (check filled). */
static int row_is_bad(sqlite3_stmt *st, int64_t prev_seq, const uint8_t prev[HASH_LEN], struct audit_check *c)
{
	int64_t seq = sqlite3_column_int64(st, COL_SEQ);
	int col = malformed_column(st);
	if (col >= 0)
		return bad(c, seq, AUDIT_BAD_FORM, "malformed: %s is not as audit_append writes it", col_names[col]);
	if (seq == prev_seq + 2)
		return bad(c, seq, AUDIT_GAP, "gap: entry %lld is missing (removed)", (long long)prev_seq + 1);
	if (seq != prev_seq + 1)
		return bad(c, seq, AUDIT_GAP, "gap: entries %lld to %lld are missing (removed)",
			   (long long)prev_seq + 1, (long long)seq - 1);
	if (memcmp(sqlite3_column_blob(st, COL_PREV), prev, HASH_LEN) != 0) {
		if (!prev_seq)
			return bad(c, seq, AUDIT_BAD_LINK, "bad link: the first entry's prev_hash is not zero");
		return bad(c, seq, AUDIT_BAD_LINK,
			   "bad link: prev_hash is not entry %lld's hash (entries removed, reordered or rewritten)",
			   (long long)prev_seq);
	}
	if (!content_matches(st, prev))
		return bad(c, seq, AUDIT_BAD_HASH,
			   "hash mismatch: the entry's content was changed (edited or swapped)");
	return 0;
}

/* Erased entries seen and not yet named by a later erasure entry, in seq order. */
struct erased {
	int64_t *seq;
	size_t n, cap;
};

static void erased_forget(struct erased *e, int64_t seq)
{
	size_t lo = 0, hi = e->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (e->seq[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->n && e->seq[lo] == seq) {
		memmove(e->seq + lo, e->seq + lo + 1, (e->n - lo - 1) * sizeof(*e->seq));
		e->n--;
	}
}

/* An erased entry must be named (detail "seqs") by an erasure entry after it: the erasure is on the chain even
 * though the detail it removed is not. 1 if the row is bad (check filled). */
static int erased_track(struct erased *e, sqlite3_stmt *st, struct audit_check *c)
{
	int64_t seq = sqlite3_column_int64(st, COL_SEQ);
	if (sqlite3_column_int64(st, COL_ERASED)) {
		if (!strcmp((const char *)sqlite3_column_text(st, COL_KIND), AUDIT_ERASURE))
			return bad(c, seq, AUDIT_BAD_ERASURE, "an erasure entry was itself erased");
		if (e->n == e->cap) {
			size_t cap = e->cap ? e->cap * 2 : 64;
			int64_t *p = realloc(e->seq, cap * sizeof(*p));
			if (!p)
				return bad(c, seq, AUDIT_BAD_ERASURE, "out of memory");
			e->seq = p;
			e->cap = cap;
		}
		e->seq[e->n++] = seq;
		return 0;
	}
	if (e->n == 0 || strcmp((const char *)sqlite3_column_text(st, COL_KIND), AUDIT_ERASURE))
		return 0;
	json_t *d = json_loads((const char *)sqlite3_column_text(st, COL_DETAIL), 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(d, "seqs"), i, v)
	{
		if (json_integer_value(v) < seq)
			erased_forget(e, json_integer_value(v));
	}
	json_decref(d);
	return 0;
}

int audit_verify(struct store *s, struct audit_check *c)
{
	sqlite3_stmt *st;
	struct erased pending = {0};
	memset(c, 0, sizeof(*c));
	c->ok = 1;
	if (sqlite3_prepare_v2(s->db, "SELECT " AUDIT__COLUMNS " FROM audit ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "audit verify");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->entries++;
		if (row_is_bad(st, c->head_seq, c->head_hash, c) || erased_track(&pending, st, c))
			break;
		c->head_seq = sqlite3_column_int64(st, COL_SEQ);
		memcpy(c->head_hash, sqlite3_column_blob(st, COL_HASH), HASH_LEN);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(pending.seq);
		c->ok = 0;
		return store__fail(s, "audit verify");
	}
	if (c->ok && pending.n > 0)
		bad(c, pending.seq[0], AUDIT_BAD_ERASURE,
		    "erased without an erasure entry: the detail was removed outside an erasure");
	free(pending.seq);
	return STORE_OK;
}

int audit_hash_at(struct store *s, int64_t seq, uint8_t out[HASH_LEN])
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT hash FROM audit WHERE seq = ?", -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "audit hash");
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st), out_rc = STORE_NOT_FOUND;
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == HASH_LEN) {
		memcpy(out, sqlite3_column_blob(st, 0), HASH_LEN);
		out_rc = STORE_OK;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		out_rc = store__fail(s, "audit hash");
	}
	sqlite3_finalize(st);
	return out_rc;
}

int audit_calls_answered(struct store *s, int64_t since, audit_call_cb cb, void *ctx)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
		s->db,
		"SELECT agreement_id, at - 1000 * json_extract(detail, '$.duration_s') AS answered, at FROM audit"
		" WHERE kind = ? AND at >= ? AND json_extract(detail, '$.answered') ORDER BY answered",
		-1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "audit calls");
	sqlite3_bind_text(st, 1, AUDIT_CALL, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		cb(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2), ctx);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? STORE_OK : store__fail(s, "audit calls");
}

void audit_hex(const uint8_t hash[HASH_LEN], char out[2 * HASH_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < HASH_LEN; i++) {
		out[2 * i] = digits[hash[i] >> 4];
		out[2 * i + 1] = digits[hash[i] & 15];
	}
	out[2 * HASH_LEN] = 0;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int audit_hex_parse(const char *hex, uint8_t out[HASH_LEN])
{
	if (!hex || strlen(hex) != 2 * HASH_LEN)
		return -1;
	for (int i = 0; i < HASH_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* ---- listing --------------------------------------------------------------------------------------- */

int audit_list(struct store *s, int64_t case_id, int64_t before, int limit, int *more, audit_entry_cb cb, void *ctx)
{
	/* two statements so that the case filter can use the audit_case(case_id, seq) index */
	static const char *const sql[2] = {
	    "SELECT seq, at, actor, kind, case_id, agreement_id, detail FROM audit"
	    " WHERE seq < ?2 ORDER BY seq DESC LIMIT ?3",
	    "SELECT seq, at, actor, kind, case_id, agreement_id, detail FROM audit"
	    " WHERE case_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
	};
	sqlite3_stmt *st;
	*more = 0;
	if (limit < 1)
		limit = 1;
	if (sqlite3_prepare_v2(s->db, sql[case_id != 0], -1, &st, NULL) != SQLITE_OK)
		return store__fail(s, "audit list");
	if (case_id)
		sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int(st, 3, limit + 1);
	int rc, n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == limit) {
			*more = 1;
			break;
		}
		const char *kind = (const char *)sqlite3_column_text(st, 3),
			   *detail = (const char *)sqlite3_column_text(st, 6);
		struct audit_entry e = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
					sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 4),
					sqlite3_column_int64(st, 5), kind ? kind : "",
					detail ? detail : "{}"};
		cb(&e, ctx);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? STORE_OK : store__fail(s, "audit list");
}
