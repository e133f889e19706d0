/* admin.h: what the samvaer-admin command files share — the open store, argument helpers, output. */
#ifndef SAMVAER_ADMIN_H
#define SAMVAER_ADMIN_H

#include <stdint.h>

#include "server/store/store.h"

#define ADMIN_OK 0
#define ADMIN_FAIL 1  /* refused or failed: reason on stderr */
#define ADMIN_USAGE 2 /* bad arguments */

struct admin {
	struct store *store;  /* the data dir's database */
	const char *data_dir; /* where it lives */
};

/* cli.c */
/* Value of --name in argv (NULL if absent). */
const char *admin_opt(int argc, char **argv, const char *name);
/* Print to stderr and return ADMIN_FAIL / ADMIN_USAGE. */
int admin_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int admin_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Account id of a username, or 0 after printing an error. */
int64_t admin_account_id(struct admin *a, const char *username, const char *want_role);
/* Read a password from a file ('-' = stdin), or from the terminal twice; 0 or -1. */
int admin_read_password(const char *file, char *out, size_t cap);
/* Parse YYYY-MM-DD as UTC midnight in ms; -1 if malformed. */
int64_t admin_parse_date(const char *s);

/* The commands (main.c's table) */
int admin_cmd_account(struct admin *a, int argc, char **argv);
int admin_cmd_case(struct admin *a, int argc, char **argv);
int admin_cmd_agreement(struct admin *a, int argc, char **argv);
int admin_cmd_demo(struct admin *a, int argc, char **argv);
int admin_cmd_bench_seed(struct admin *a, int argc, char **argv);
int admin_cmd_audit(struct admin *a, int argc, char **argv);     /* audit.c: audit verify | audit list */
int admin_cmd_proposal(struct admin *a, int argc, char **argv);  /* proposals.c: propose/approve/reject/list */
int admin_cmd_pause(struct admin *a, int argc, char **argv);     /* proposals.c: pause / unpause */
int admin_cmd_report(struct admin *a, int argc, char **argv);    /* report.c: continuity report */
int admin_cmd_backup(struct admin *a, int argc, char **argv);    /* backup.c: online backup of --data */
int admin_cmd_restore(struct admin *a, int argc, char **argv);   /* backup.c: (no store) backup into a new dir */
int admin_cmd_verify(struct admin *a, int argc, char **argv);    /* backup.c: (no store) check a backup */
int admin_cmd_invite(struct admin *a, int argc, char **argv);    /* invites.c: invite create / list / revoke */
int admin_cmd_device(struct admin *a, int argc, char **argv);    /* devices.c: device pair/list/revoke */
int admin_cmd_password(struct admin *a, int argc, char **argv);  /* devices.c: password reset */
int admin_cmd_erase(struct admin *a, int argc, char **argv);     /* erase.c: erase account|case (server stopped) */
int admin_cmd_retention(struct admin *a, int argc, char **argv); /* erase.c: a case's retention periods */
int admin_cmd_export(struct admin *a, int argc, char **argv);    /* export.c: a person's data as a zip */
/* seed_history.c: a few weeks of past contact for the demo family (messages, pauses, audit). */
int admin_seed_demo_history(struct admin *a);

#endif
