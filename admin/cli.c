/* cli.c: what every samvaer-admin command uses — options, error messages, account lookup, passwords, dates. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"

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
