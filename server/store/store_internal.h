/* store_internal.h: what the store_*.c files share — the handle and the prepared-statement cache. */
#ifndef SAMVAER_STORE_INTERNAL_H
#define SAMVAER_STORE_INTERNAL_H

#include <sqlite3.h>

#include "server/store/store.h"

#define STORE_MAX_STMTS 64

struct store {
	sqlite3 *db;                          /* the one connection of this process */
	int in_txn;                           /* a group-commit transaction is open */
	int sync_external;                    /* synchronous=OFF: durability is the syncer's (STORE_SYNC_EXTERNAL) */
	int sync_full;                        /* synchronous=FULL: a commit also fdatasyncs the message log */
	unsigned written;                     /* STORE_FILE_* written since store_take_written */
	struct msglog *log;                   /* the message log, opened at the first use */
	uint64_t log_hidden;                  /* messages the floors hid when it was opened (still in the file) */
	char dir[512];                        /* the data directory */
	sqlite3_stmt *stmts[STORE_MAX_STMTS]; /* cache, indexed by statement slot */
	char err[256];                        /* last error message */
};

/* Prepared statement for `sql` cached in `slot` (each call site uses its own constant slot), reset and
 * with bindings cleared; NULL on error (store->err set). */
sqlite3_stmt *store__stmt(struct store *s, int slot, const char *sql);
/* A statement for one call, not cached (admin commands and rare writes); NULL with store->err set for `what`. */
sqlite3_stmt *store__prepare_once(struct store *s, const char *sql, const char *what);
/* Step a one-shot write and finalize it: STORE_OK, STORE_DUPLICATE (a constraint), STORE_ERR; with must_change,
 * STORE_NOT_FOUND when it changed no row. */
int store__write_once(struct store *s, sqlite3_stmt *st, const char *what, int must_change);
/* Finalize a read loop that stopped with rc: STORE_OK when it ran to the end (SQLITE_DONE). */
int store__read_done(struct store *s, sqlite3_stmt *st, int rc, const char *what);
/* Record the database error for `what` and return STORE_ERR. */
int store__fail(struct store *s, const char *what);
/* Step a write statement: STORE_OK, STORE_DUPLICATE on a constraint violation, else STORE_ERR. */
int store__step_write(struct store *s, sqlite3_stmt *st, const char *what);
/* The message log, opened (read-only, or as its one writer) on first use; NULL with store->err set. */
struct msglog *store__log(struct store *s, int writable);
/* Copy a text column into a fixed buffer (truncating, always terminated). */
void store__copy_text(sqlite3_stmt *st, int col, char *dst, size_t cap);

/* Fill accounts.username_key where it is NULL (rows from before schema 4), in one transaction. A name whose fold
 * clashes with another account's key keeps its exact name as its key, logged as a CLASH (store_accounts.c). */
int store__fill_username_keys(struct store *s);

/* Migrations, in store_schema.c */
extern const char *const store__migrations[];
extern const int store__migration_count;

/* Statement slots, one per call site. */
enum {
	SQL_ACCOUNT_BY_NAME,
	SQL_ACCOUNT_BY_ID,
	SQL_ACCOUNT_ADD,
	SQL_ACCOUNT_DISABLE,
	SQL_ACCOUNT_KILL_SESSIONS,
	SQL_ACCOUNT_COUNT,
	SQL_ACCOUNTS_LIST,
	SQL_SESSION_ADD,
	SQL_SESSION_GET,
	SQL_SESSION_DEL,
	SQL_SESSION_PURGE,
	SQL_CASE_ADD,
	SQL_CASE_OF_CHILD,
	SQL_CASE_LINK,
	SQL_CASE_HAS_MEMBER,
	SQL_CASES_LIST,
	SQL_AGREEMENT_ADD,
	SQL_AGREEMENT_STATUS,
	SQL_AGREEMENT_CHANNEL,
	SQL_AGREEMENT_TERMS,
	SQL_PAUSE_ADD,
	SQL_PAUSE_END,
	SQL_PAUSE_ACTIVE,
	SQL_PAUSE_END_ROLE,
	SQL_NOTICE_ADD,
	SQL_CASE_MEMBERS_ROLE,
	SQL_AGREEMENT_GET,
	SQL_AGREEMENTS_LOAD,
	SQL_RECEIPT_GET,
	SQL_HELD_ADD,
	SQL_HELD_BY_KEY,
	SQL_HELD_GET,
	SQL_HELD_DECIDE,
	SQL_HELD_PENDING,
	SQL_RECEIPT_ADVANCE,
	SQL_BEGIN,
	SQL_COMMIT,
	SQL_ROLLBACK,
	SQL_DATA_VERSION,
	SQL__COUNT
};

#endif
