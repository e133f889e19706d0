/* api_audit.c: admin API routes for the audit trail: entries of a case, and chain verification (docs/ADMIN-API.md). */
#include "server/api_routes.h"

const struct api_route api_routes_audit[] = {
	{NULL, NULL, NULL},
};
