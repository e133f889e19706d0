/* api_routes.h: the admin API route table (defined in api_routes.c). */
#ifndef SAMVAER_API_ROUTES_H
#define SAMVAER_API_ROUTES_H

#include <stddef.h>

#include "server/api/api_internal.h"

struct api_route {
	const char *method;  /* "GET" or "POST" */
	const char *pattern; /* "/api/cases/#": '#' is a numeric id */
	api_route_fn fn;
};

/* One table per route file, each ending with a {NULL, NULL, NULL} entry. */
extern const struct api_route api_routes_cases[];      /* api_cases.c: cases, agreements, proposals, pauses, notices */
extern const struct api_route api_routes_audit[];      /* api_audit.c */
extern const struct api_route api_routes_reports[];    /* api_reports.c */
extern const struct api_route api_routes_review[];     /* api_review.c: held messages */
extern const struct api_route api_routes_invites[];    /* api_invites.c: invitations */
extern const struct api_route api_routes_devices[];    /* api_devices.c: devices, pairing codes, password resets */
extern const struct api_route api_routes_retention[];  /* api_retention.c: retention periods, erasure, export */
extern const struct api_route api_routes_recordings[]; /* api_recordings.c: call recordings */

/* Find the route for method + path, filling ids; NULL if none. */
const struct api_route *api_route_find(const char *method, const char *path, int64_t ids[3]);

#endif
