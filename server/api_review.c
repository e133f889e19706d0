/* api_review.c: admin API routes for messages held for review: list, release, reject (docs/ADMIN-API.md). */
#include "server/api_routes.h"

const struct api_route api_routes_review[] = {
	{NULL, NULL, NULL},
};
