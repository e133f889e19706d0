/* audit_erase.h: erasing details from the audit trail while it still verifies, and the one-time re-chain of
 * entries written before schema 5 into the form that allows it (see audit.h for the chain itself).
 *
 * An erased entry keeps seq, time, actor id, kind, case and agreement ids and the SHA-256 of its detail; the detail
 * becomes {"erased":true}. The ids are pseudonyms once the account itself is erased (store_erase.h). The caller
 * appends an `erasure` entry naming every erased seq in the same transaction: audit_verify requires it. */
#ifndef SAMVAER_AUDIT_ERASE_H
#define SAMVAER_AUDIT_ERASE_H

#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

/* Erase the details of entries seqs[0..n) inside the caller's write transaction. Entries already erased and
 * `erasure` entries are left as they are. STORE_OK, or STORE_ERR (a form-1 entry cannot be erased: the chain
 * did not verify when it was to be re-chained). */
int audit_erase(struct store *s, const int64_t *seqs, size_t n, int64_t now);

/* Re-chain form-1 entries (written before schema 5) into form 2, once, if the trail verifies: each keeps its old
 * hash in hash_v1 (so a head recorded before the upgrade still checks, audit_hash_v1_at), and an `audit_upgraded`
 * entry records the old head. A trail that does not verify is left alone (audit verify names the break). Called by
 * store_open; STORE_OK unless the database fails. */
int audit_upgrade(struct store *s);
/* The hash entry `seq` had before the re-chain: STORE_OK, STORE_NOT_FOUND (none: written in form 2), STORE_ERR. */
int audit_hash_v1_at(struct store *s, int64_t seq, uint8_t out[32]);

#endif
