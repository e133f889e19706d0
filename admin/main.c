/* main.c: samvaer-admin — manage a data directory (accounts, cases, agreements), safe while the server runs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: samvaer-admin [--data DIR] COMMAND ...\n"
		"  init | demo\n"
		"  account add USERNAME --role ROLE --name NAME [--password-file FILE|-]\n"
		"  account list | account disable USERNAME | account enable USERNAME\n"
		"  case add CHILD [--tz ZONE] | case link CHILD --carer U|--caseworker U|--supervisor U | case list\n"
		"  agreement add CHILD CONTACT --relationship LABEL [--text off|allowed] [--status draft|pending|active]\n"
		"                [--from YYYY-MM-DD] [--until YYYY-MM-DD]\n"
		"  agreement suspend ID [--reason TEXT] | resume ID | end ID | set ID --text off|allowed | list [--child U]\n"
		"  proposal add AGREEMENT --terms FILE --as USER | proposal approve|reject ID --as USER | proposal list\n"
		"  pause AGREEMENT --as CARER --reason TEXT [--hours N] | unpause AGREEMENT --as USER\n"
		"  audit verify [--head SEQ:HASH] | audit list [--case ID] [--limit N]\n"
		"  report CHILD [--weeks N] [--format json|csv]\n"
		"  bench-seed N --tokens FILE [--windows] [--calls]   (load-test accounts; see tests/bench)\n"
		"See docs/ADMIN-CLI.md.\n");
}

const char *admin_opt(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

int admin_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("samvaer-admin: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return ADMIN_FAIL;
}

int admin_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("samvaer-admin: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see --help)\n", stderr);
	va_end(ap);
	return ADMIN_USAGE;
}

int64_t admin_account_id(struct admin *a, const char *username, const char *want_role)
{
	struct account acc;
	int rc = store_account_by_name(a->store, username, &acc);
	if (rc != STORE_OK) {
		admin_fail("no account '%s'%s%s", username, rc == STORE_ERR ? ": " : "",
			   rc == STORE_ERR ? store_errmsg(a->store) : "");
		return 0;
	}
	if (want_role && strcmp(acc.role, want_role) != 0) {
		admin_fail("'%s' is a %s, not a %s", username, acc.role, want_role);
		return 0;
	}
	return acc.id;
}

static int read_line(FILE *f, char *out, size_t cap)
{
	if (!fgets(out, (int)cap, f))
		return -1;
	out[strcspn(out, "\r\n")] = 0;
	return 0;
}

static int prompt_password(const char *prompt, char *out, size_t cap)
{
	struct termios old, quiet;
	int tty = tcgetattr(STDIN_FILENO, &old) == 0;
	fputs(prompt, stderr);
	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	int rc = read_line(stdin, out, cap);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return rc;
}

int admin_read_password(const char *file, char *out, size_t cap)
{
	if (file) {
		FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
		if (!f)
			return admin_fail("cannot open password file %s", file) ? -1 : -1;
		int rc = read_line(f, out, cap);
		if (f != stdin)
			fclose(f);
		return rc;
	}
	char again[1025];
	if (prompt_password("Password: ", out, cap) || prompt_password("Again: ", again, sizeof(again)))
		return -1;
	if (strcmp(out, again) != 0) {
		admin_fail("the passwords differ");
		return -1;
	}
	return 0;
}

int64_t admin_parse_date(const char *s)
{
	struct tm tm = {0};
	char *end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

static int dispatch(struct admin *a, const char *cmd, int argc, char **argv)
{
	if (!strcmp(cmd, "init")) {
		printf("database ready: %s/samvaer.db (schema %d)\n", a->data_dir, store_schema_version(a->store));
		return ADMIN_OK;
	}
	if (!strcmp(cmd, "demo"))
		return admin_cmd_demo(a, argc, argv);
	if (!strcmp(cmd, "account"))
		return admin_cmd_account(a, argc, argv);
	if (!strcmp(cmd, "case"))
		return admin_cmd_case(a, argc, argv);
	if (!strcmp(cmd, "agreement"))
		return admin_cmd_agreement(a, argc, argv);
	if (!strcmp(cmd, "bench-seed"))
		return admin_cmd_bench_seed(a, argc, argv);
	if (!strcmp(cmd, "audit"))
		return admin_cmd_audit(a, argc, argv);
	if (!strcmp(cmd, "proposal"))
		return admin_cmd_proposal(a, argc, argv);
	if (!strcmp(cmd, "pause") || !strcmp(cmd, "unpause"))
		return admin_cmd_pause(a, argc + 1, argv - 1);
	if (!strcmp(cmd, "report"))
		return admin_cmd_report(a, argc, argv);
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
	char err[512];
	a.store = store_open(a.data_dir, 1, err, sizeof(err));
	if (!a.store)
		return admin_fail("%s", err);
	int rc = dispatch(&a, argv[i], argc - i - 1, argv + i + 1);
	store_close(a.store);
	return rc;
}
