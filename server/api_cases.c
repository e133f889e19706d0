/* api_cases.c: admin API routes for cases, agreements, proposals and approvals, pauses, notices (docs/ADMIN-API.md). */
#include "server/api_routes.h"

const struct api_route api_routes_cases[] = {
	{NULL, NULL, NULL},
};
