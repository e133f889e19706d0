/* api_reports.c: admin API routes for continuity reports (docs/ADMIN-API.md, "Continuity report"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/api/api_routes.h"
#include "server/base/clock.h"
#include "server/base/log.h"
#include "server/report/report.h"

/* Query parameter `name`. Like api_query, but also splits at ',': libwebsockets 4.1's lws_hdr_copy joins the
 * URL's arguments with ',' (not '&'), and none of this route's values contains a comma. */
static const char *param(struct api_call *c, const char *name, char *buf, size_t cap)
{
	size_t n = strlen(name);
	for (const char *p = c->req->query; p && *p;) {
		size_t len = strcspn(p, "&,");
		if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			snprintf(buf, cap, "%.*s", (int)(len - n - 1), p + n + 1);
			return buf;
		}
		p = p[len] ? p + len + 1 : NULL;
	}
	return NULL;
}

/* weeks=1..52 (default 4); 0 and a sent 400 reply if malformed. */
static int query_weeks(struct api_call *c)
{
	char buf[16];
	const char *v = param(c, "weeks", buf, sizeof(buf));
	if (!v)
		return REPORT_DEFAULT_WEEKS;
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < 1 || n > REPORT_MAX_WEEKS) {
		api_error(c, 400, "bad_request", "weeks must be a whole number from 1 to 52.", "weeks");
		return 0;
	}
	return (int)n;
}

/* format=json|csv (default json): 0 json, 1 csv, -1 after a 400 reply. */
static int query_format(struct api_call *c)
{
	char buf[16];
	const char *v = param(c, "format", buf, sizeof(buf));
	if (!v || !strcmp(v, "json"))
		return 0;
	if (!strcmp(v, "csv"))
		return 1;
	api_error(c, 400, "bad_request", "format must be json or csv.", "format");
	return -1;
}

/* to=YYYY-MM-DD (default: today in the child's zone): 0 for today, -1 after a 400 reply. */
static int32_t query_to(struct api_call *c)
{
	char buf[32];
	const char *v = param(c, "to", buf, sizeof(buf));
	if (!v)
		return 0;
	int32_t d = report_parse_date(v);
	if (d < 0)
		api_error(c, 400, "bad_request", "to must be a date, YYYY-MM-DD.", "to");
	return d;
}

static void send_report(struct api_call *c, json_t *rep, int csv)
{
	if (!csv) {
		api_reply(c, 200, rep);
		return;
	}
	size_t len;
	char *text = report_csv(rep, &len);
	json_decref(rep);
	if (!text)
		api_error(c, 500, "internal", "The report could not be written as CSV.", NULL);
	else
		api_reply_text(c, 200, "text/csv; charset=utf-8", text, len);
}

/* GET /api/reports/CHILD_ID?weeks=N&format=json|csv&to=YYYY-MM-DD */
static void route_report(struct api_call *c)
{
	int64_t case_id = 0;
	if (!api_require_role(c, "caseworker,supervisor,carer"))
		return;
	/* A child outside the caller's scope and a missing child answer the same 404. */
	if (store_case_of_child(c->app->store, c->ids[0], &case_id) != STORE_OK)
		case_id = 0;
	if (!api_require_case(c, case_id, "caseworker,supervisor,carer"))
		return;
	int weeks = query_weeks(c), format = weeks ? query_format(c) : -1;
	int32_t to = format >= 0 ? query_to(c) : -1;
	if (weeks == 0 || format < 0 || to < 0)
		return;
	struct report_request rq = {.child_id = c->ids[0], .weeks = weeks, .to_date = to, .now_ms = clock_now_ms()};
	json_t *rep = NULL;
	char err[200];
	int rc = report_build(c->app->store, &rq, &rep, err, sizeof(err));
	if (rc == STORE_NOT_FOUND) {
		api_error(c, 404, "not_found", "No such child in your caseload.", NULL);
		return;
	}
	if (rc != STORE_OK) {
		log_warn("report for child %lld: %s", (long long)c->ids[0], err);
		api_error(c, 500, "internal", "The report could not be built.", NULL);
		return;
	}
	send_report(c, rep, format);
}

const struct api_route api_routes_reports[] = {
    {"GET", "/api/reports/#", route_report},
    {NULL, NULL, NULL},
};
