/* main.c: samvaer-admin — manage a data directory (accounts, cases, agreements), safe while the server runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: samvaer-admin [--data DIR] COMMAND ...\n"
	    "  init | demo\n"
	    "  account add USERNAME --role ROLE --name NAME [--password-file FILE|-]\n"
	    "  account list | account disable USERNAME | account enable USERNAME\n"
	    "  case add CHILD [--tz ZONE] | case link CHILD --carer U|--caseworker U|--supervisor U | case list\n"
	    "  agreement add CHILD CONTACT --relationship LABEL [--text off|allowed] [--status draft|pending|active]\n"
	    "                [--from YYYY-MM-DD] [--until YYYY-MM-DD]\n"
	    "  agreement suspend ID [--reason TEXT] | resume ID | end ID | set ID --text off|allowed | list [--child "
	    "U]\n"
	    "  proposal add AGREEMENT --terms FILE --as USER | proposal approve|reject ID --as USER | proposal list\n"
	    "  pause AGREEMENT --as CARER --reason TEXT [--hours N] | unpause AGREEMENT --as USER\n"
	    "  audit verify [--head SEQ:HASH] | audit list [--case ID] [--limit N]\n"
	    "  report CHILD [--weeks N] [--format json|csv]\n"
	    "  backup DEST | backup --into ROOT [--keep N]   (online, while the server runs)\n"
	    "  verify BACKUP | restore BACKUP NEWDIR\n"
	    "  invite create CHILD --as USER --name NAME --relationship LABEL [--language TAG] [--terms FILE]\n"
	    "                [--expires-in SECONDS] [--url APP_URL] [--qr FILE|-] | invite list CHILD\n"
	    "  invite revoke ID [--as USER]\n"
	    "  device pair USERNAME --as USER [--hours N] | device list USERNAME | device revoke ID --as USER\n"
	    "  password reset USERNAME --as USER [--password-file FILE|-]   (prints a temporary password)\n"
	    "  retention CHILD [--messages DAYS] [--media DAYS] [--recordings DAYS]\n"
	    "  erase account USERNAME --reference REF | erase case CHILD --reference REF   (server stopped)\n"
	    "  export USERNAME --out FILE.zip --reference REF   (subject access: the person's data)\n"
	    "  bench-seed N --tokens FILE [--windows] [--calls]   (load-test accounts; see tests/bench)\n"
	    "See docs/ADMIN-CLI.md.\n");
}

static int cmd_init(struct admin *a, int argc, char **argv)
{
	printf("database ready: %s/samvaer.db (schema %d)\n", a->data_dir, store_schema_version(a->store));
	return ADMIN_OK;
}

/* The commands, each in its own file (admin.h); with_name: the handler sees the command word as argv[0]. */
static const struct {
	const char *name;
	int (*fn)(struct admin *a, int argc, char **argv);
	int with_name;
} commands[] = {
    {"init", cmd_init, 0},           {"demo", admin_cmd_demo, 0},           {"account", admin_cmd_account, 0},
    {"case", admin_cmd_case, 0},     {"agreement", admin_cmd_agreement, 0}, {"bench-seed", admin_cmd_bench_seed, 0},
    {"audit", admin_cmd_audit, 0},   {"proposal", admin_cmd_proposal, 0},   {"pause", admin_cmd_pause, 1},
    {"unpause", admin_cmd_pause, 1}, {"report", admin_cmd_report, 0},       {"backup", admin_cmd_backup, 0},
    {"invite", admin_cmd_invite, 0}, {"device", admin_cmd_device, 0},       {"password", admin_cmd_password, 0},
    {"erase", admin_cmd_erase, 0},   {"retention", admin_cmd_retention, 0}, {"export", admin_cmd_export, 0},
};

/* Commands that work on a backup's files and never open the database of --data. */
static const struct {
	const char *name;
	int (*fn)(struct admin *a, int argc, char **argv);
} offline[] = {{"restore", admin_cmd_restore}, {"verify", admin_cmd_verify}};

static int dispatch(struct admin *a, const char *cmd, int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].with_name ? commands[i].fn(a, argc + 1, argv - 1)
						     : commands[i].fn(a, argc, argv);
	return admin_usage("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
	struct admin a = {NULL, getenv("SAMVAER_DATA") ? getenv("SAMVAER_DATA") : "data"};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage();
			return ADMIN_OK;
		}
		if (!strcmp(argv[i], "--data") && i + 1 < argc)
			a.data_dir = argv[++i];
		else
			return admin_usage("unknown option '%s'", argv[i]);
	}
	if (i >= argc) {
		usage();
		return ADMIN_USAGE;
	}
	for (size_t k = 0; k < sizeof(offline) / sizeof(offline[0]); k++)
		if (!strcmp(argv[i], offline[k].name))
			return offline[k].fn(&a, argc - i - 1, argv + i + 1);
	char err[512];
	a.store = store_open(a.data_dir, 1, err, sizeof(err));
	if (!a.store)
		return admin_fail("%s", err);
	int rc = dispatch(&a, argv[i], argc - i - 1, argv + i + 1);
	store_close(a.store);
	return rc;
}
