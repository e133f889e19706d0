/* audit.h: the append-only, hash-chained audit trail (table `audit`): every refusal and hold, every agreement
 * change, approval, pause and login. Entry n stores SHA-256(entry n-1's hash || canonical form of entry n),
 * so editing, removing or reordering any entry breaks the chain from there on.
 *
 * What the chain can and cannot show (read this before relying on it):
 * - Triggers refuse UPDATE and DELETE on `audit`, so the server and samvaer-admin can only append. Someone
 *   with write access to the database file can drop the triggers; audit_verify is what catches them.
 * - Detected: an edited entry (any column, including the detail), a removed entry (a gap in seq, or a
 *   broken link when later entries were renumbered), entries swapped or reordered, a column in a form
 *   audit_append never writes. The first entry that does not verify is named.
 * - NOT detected by the chain alone: removing the newest entries (a truncated tail is a shorter valid
 *   chain), and rewriting history with every later hash recomputed (the hash is unkeyed; anyone can
 *   recompute it). Both are caught only against a head recorded elsewhere: `samvaer-admin audit verify`
 *   prints "head SEQ:HASH"; record it off the machine (e.g. daily, in the case file or a ticket) and check
 *   it later with `audit verify --head SEQ:HASH` (audit_hash_at). */
#ifndef SAMVAER_AUDIT_H
#define SAMVAER_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

#define AUDIT_HASH_LEN 32

/* Kinds in use (stable strings; reports and the console read them). */
#define AUDIT_LOGIN "login"                         /* detail: {username, ok, reason?} */
#define AUDIT_REFUSAL "refusal"                     /* detail: {channel, verdict, reason, rule} */
#define AUDIT_HOLD "hold"                           /* detail: {channel, reason, rule, seq?} */
#define AUDIT_AGREEMENT_CREATED "agreement_created" /* detail: {status, relationship, contact, via?} */
#define AUDIT_AGREEMENT_STATUS "agreement_status"   /* detail: {from, to, reason} */
#define AUDIT_TERMS_CHANGED "terms_changed"         /* detail: {proposal_id, terms} or from the CLI {channel, mode} */
#define AUDIT_PROPOSAL "proposal"                   /* detail: {proposal_id, role} */
#define AUDIT_APPROVAL "approval"                   /* detail: {proposal_id, role, decision, note} */
#define AUDIT_PAUSE "pause"                         /* detail: {by_role, reason, expires_at} */
#define AUDIT_UNPAUSE "unpause"                     /* detail: {by_role} */
#define AUDIT_MESSAGE_REVIEW "message_review"       /* detail: {seq, decision} */
#define AUDIT_ACCOUNT "account"                     /* detail: {username, action, role?} */
#define AUDIT_CASE "case"                           /* detail: {action, member?, role?} */
#define AUDIT_CALL \
	"call" /* detail: {call_id, channel, answered, duration_s, reason, ended_by,
						   supervised, supervisors, group} (actor: caller; one per contact's part) */
#define AUDIT_CALL_SUPERVISION \
	"call_supervision"      /* detail: {call_id, action, participant, audio?, video?, listen_in?} */
#define AUDIT_PAIRING "pairing" /* detail: {action, pairing_id, account, device_id?, from?, via?} */
#define AUDIT_DEVICE "device"   /* detail: {action: revoked or added, device_id, account, name, via, from?} */
#define AUDIT_PASSWORD_RESET "password_reset" /* detail: {account, username, temporary, via} */
#define AUDIT_INVITATION \
	"invitation"      /* detail: {action: created|used|failed_try|locked|revoked, invitation_id, ...} (invites.h) */
#define AUDIT_PUSH "push" /* detail: {action (subscribed, unsubscribed, expired, failing), origin, status?} */
#define AUDIT_ERASURE \
	"erasure" /* detail: {subject: account|case, id, reference, seqs: [entries erased], messages, ...}; never erased */
#define AUDIT_RETENTION "retention" /* detail: {action: set|sweep, messages_days?, removed?, ...} */
#define AUDIT_EXPORT "export"       /* detail: {account, reference, messages, entries} */
#define AUDIT_CALL_RECORDING \
	"call_recording" /* detail: {call_id?, action: requested|consent_given|consent_declined|started|stopped|
			    cancelled|refused|saved|failed|played|deleted|expired, recording?, files?, reason?} */
#define AUDIT_UPGRADED "audit_upgraded" /* detail: {entries, v1_head_seq, v1_head_hash} (schema 5 re-chain) */
/* A person's profile photo set (by them, or a carer or caseworker in scope; server/chat/profile.c). */
#define AUDIT_PROFILE_PHOTO "profile_photo" /* detail: {account, attachment, replaced ("" if none), via} */
/* What an erased entry's detail becomes. */
#define AUDIT_ERASED_DETAIL "{\"erased\":true}"
/* Changes made with samvaer-admin have actor 0 (the operator console) and "via": "cli" in the detail. */

/* Append one entry inside the caller's open write transaction (store_begin). Steals `detail` (an object;
 * NULL = {}). case_id/agreement_id/actor may be 0 (stored as NULL). `kind` must not contain '|'.
 * Returns STORE_OK or STORE_ERR. */
int audit_append(struct store *s, int64_t actor, const char *kind, int64_t case_id, int64_t agreement_id,
		 json_t *detail);
/* audit_append, then store_commit: the change made in the caller's transaction and its entry become durable
 * together, or (on any error) neither does — the transaction is rolled back. For one-shot tools such as
 * samvaer-admin; the server commits through commit_flush (store/commit.h) instead. */
int audit_append_commit(struct store *s, int64_t actor, const char *kind, int64_t case_id, int64_t agreement_id,
			json_t *detail);

/* Why an entry does not verify (stable; tests and the API use the names from audit_problem_name). */
enum audit_problem {
	AUDIT_INTACT = 0,  /* "intact" */
	AUDIT_GAP,         /* "gap": seq is not the previous seq + 1 (an entry was removed) */
	AUDIT_BAD_LINK,    /* "bad_link": prev_hash is not the previous entry's hash (removed/reordered/rewritten) */
	AUDIT_BAD_HASH,    /* "bad_hash": hash does not match the entry's content (edited or swapped) */
	AUDIT_BAD_FORM,    /* "bad_form": a column audit_append never writes that way (type, NULL vs 0, length) */
	AUDIT_BAD_ERASURE, /* "bad_erasure": a detail removed without an erasure entry naming the entry */
};
const char *audit_problem_name(enum audit_problem p);

struct audit_check {
	int ok;                            /* 1 if the whole chain verifies */
	int64_t entries;                   /* entries checked (up to and including the first bad one) */
	int64_t first_bad_seq;             /* first entry that does not verify (0 if ok) */
	enum audit_problem kind;           /* what kind of problem (AUDIT_INTACT if ok) */
	char problem[160];                 /* what is wrong with it, for people: "gap: entry 41 is missing", ... */
	int64_t head_seq;                  /* newest entry that verified (0: none) */
	uint8_t head_hash[AUDIT_HASH_LEN]; /* its hash: record it elsewhere to detect truncation later */
};

/* Walk the whole chain, oldest first, stopping at the first bad entry. Returns STORE_OK (see check->ok)
 * or STORE_ERR (the database could not be read). */
int audit_verify(struct store *s, struct audit_check *check);
/* The stored hash of entry `seq`: STORE_OK, STORE_NOT_FOUND, or STORE_ERR. */
int audit_hash_at(struct store *s, int64_t seq, uint8_t out[AUDIT_HASH_LEN]);
/* Lower-case hex of a hash (65 bytes with the terminator); parse returns 0, or -1 if not 64 hex digits. */
/* Answered calls (one `call` entry per contact's part) that ended at or after `since`, by answer time. */
typedef void (*audit_call_cb)(int64_t agreement_id, int64_t answered_at, int64_t ended_at, void *ctx);
int audit_calls_answered(struct store *s, int64_t since, audit_call_cb cb, void *ctx);
void audit_hex(const uint8_t hash[AUDIT_HASH_LEN], char out[2 * AUDIT_HASH_LEN + 1]);
int audit_hex_parse(const char *hex, uint8_t out[AUDIT_HASH_LEN]);

/* One entry as listed; the strings are valid during the callback only. */
struct audit_entry {
	int64_t seq, at;               /* at: ms since the epoch */
	int64_t actor;                 /* account id, 0 = operator console / system */
	int64_t case_id, agreement_id; /* 0 = none */
	const char *kind;
	const char *detail; /* JSON object text */
};
typedef void (*audit_entry_cb)(const struct audit_entry *e, void *ctx);
/* Entries newest first: of one case (case_id 0 = all), with seq < before (0 = from the newest), at most
 * `limit`; *more is set to 1 if older matching entries remain. STORE_OK or STORE_ERR. */
int audit_list(struct store *s, int64_t case_id, int64_t before, int limit, int *more, audit_entry_cb cb, void *ctx);

#endif
