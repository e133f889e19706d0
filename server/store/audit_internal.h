/* audit_internal.h: what audit.c shares with audit_erase.c — the canonical form and the hash of an entry. */
#ifndef SAMVAER_AUDIT_INTERNAL_H
#define SAMVAER_AUDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/audit.h"

/* The columns every verification pass reads, in the order of audit.c's COL_* constants. */
#define AUDIT__COLUMNS \
	"seq, at, actor, kind, case_id, agreement_id, detail, prev_hash, hash, detail_hash, erased_at, hash_v1"

/* Since schema 5: rows are append-only except for the erasure of a form-2 entry's detail (audit.h). */
#define AUDIT__NO_UPDATE_TRIGGER                                                                                  \
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit WHEN NOT (OLD.erased_at = 0 AND NEW.erased_at > 0" \
	" AND NEW.detail = '" AUDIT_ERASED_DETAIL "' AND NEW.seq IS OLD.seq AND NEW.at IS OLD.at"                 \
	" AND NEW.actor IS OLD.actor AND NEW.kind IS OLD.kind AND NEW.case_id IS OLD.case_id"                     \
	" AND NEW.agreement_id IS OLD.agreement_id AND NEW.detail_hash IS OLD.detail_hash"                        \
	" AND OLD.detail_hash IS NOT NULL AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash"            \
	" AND NEW.hash_v1 IS OLD.hash_v1) BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END"

/* The canonical text of an entry (malloc'd; NULL when out of memory): form 2 with detail_hash, form 1 without. */
char *audit__canonical(int64_t seq, int64_t at, int64_t actor, const char *kind, int64_t case_id, int64_t agreement_id,
		       const char *detail, const uint8_t *detail_hash);
/* SHA-256(prev || canon). */
void audit__hash_entry(const uint8_t prev[AUDIT_HASH_LEN], const char *canon, uint8_t out[AUDIT_HASH_LEN]);
void audit__sha256(const void *p, size_t n, uint8_t out[AUDIT_HASH_LEN]);

#endif
