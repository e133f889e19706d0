/* api_routes.c: the admin API's route tables (one per route file) and path matching. */
#include "server/api/api_routes.h"

#include <stdlib.h>
#include <string.h>

static const struct api_route *const tables[] = {api_routes_cases,     api_routes_audit,     api_routes_reports,
						 api_routes_review,    api_routes_invites,   api_routes_devices,
						 api_routes_retention, api_routes_recordings};

/* A pattern matches segment by segment; "#" matches a positive integer, collected in ids. */
static int match(const char *pattern, const char *path, int64_t ids[3])
{
	int n = 0;
	while (*pattern && *path) {
		if (*pattern == '#') {
			char *end;
			long long v = strtoll(path, &end, 10);
			if (end == path || v <= 0 || n >= 3 || *path == '+' || *path == '-')
				return 0;
			ids[n++] = v;
			path = end;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *pattern == 0 && *path == 0;
}

const struct api_route *api_route_find(const char *method, const char *path, int64_t ids[3])
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct api_route *r = tables[t]; r->method; r++) {
			memset(ids, 0, 3 * sizeof(int64_t));
			if (!strcmp(r->method, method) && match(r->pattern, path, ids))
				return r;
		}
	return NULL;
}
