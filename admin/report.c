/* report.c: samvaer-admin report — a child's continuity report as JSON or CSV on stdout (server/report/report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "server/base/clock.h"
#include "server/report/report.h"

static int parse_weeks(const char *v, int *weeks)
{
	if (!v)
		return 0;
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > REPORT_MAX_WEEKS)
		return -1;
	*weeks = (int)n;
	return 0;
}

static int print_report(json_t *rep, int csv)
{
	char *text;
	size_t len;
	if (csv) {
		text = report_csv(rep, &len);
	} else {
		text = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		len = text ? strlen(text) : 0;
	}
	if (!text)
		return admin_fail("out of memory writing the report");
	fwrite(text, 1, len, stdout);
	if (!csv)
		putchar('\n');
	free(text);
	return ADMIN_OK;
}

/* report CHILD_USERNAME [--weeks N] [--format json|csv] [--to YYYY-MM-DD] */
int admin_cmd_report(struct admin *a, int argc, char **argv)
{
	if (argc < 1 || argv[0][0] == '-')
		return admin_usage("report needs a child's username");
	struct report_request rq = {.weeks = REPORT_DEFAULT_WEEKS, .now_ms = clock_now_ms()};
	const char *format = admin_opt(argc, argv, "--format"), *to = admin_opt(argc, argv, "--to");
	if (parse_weeks(admin_opt(argc, argv, "--weeks"), &rq.weeks) != 0)
		return admin_usage("--weeks must be 1..%d", REPORT_MAX_WEEKS);
	if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
		return admin_usage("--format must be json or csv");
	if (to && (rq.to_date = report_parse_date(to)) < 0)
		return admin_usage("--to must be a date, YYYY-MM-DD");
	rq.child_id = admin_account_id(a, argv[0], "child");
	if (!rq.child_id)
		return ADMIN_FAIL;
	json_t *rep = NULL;
	char err[200];
	int rc = report_build(a->store, &rq, &rep, err, sizeof(err));
	if (rc == STORE_NOT_FOUND)
		return admin_fail("'%s' has no case (samvaer-admin case add %s)", argv[0], argv[0]);
	if (rc != STORE_OK)
		return admin_fail("report: %s", err);
	rc = print_report(rep, format && !strcmp(format, "csv"));
	json_decref(rep);
	return rc;
}
