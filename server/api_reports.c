/* api_reports.c: admin API routes for continuity reports (docs/ADMIN-API.md). */
#include "server/api_routes.h"

const struct api_route api_routes_reports[] = {
	{NULL, NULL, NULL},
};
