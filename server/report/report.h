/* report.h: the continuity report of one child (docs/ADMIN-API.md, "Continuity report") — per agreement and ISO
 * week in the child's time zone: planned windows, contact that happened, missed windows, pauses and
 * cancellations, against the agreement's goal. Built from the store alone; no HTTP here. */
#ifndef SAMVAER_REPORT_H
#define SAMVAER_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store/store.h"

#define REPORT_MAX_WEEKS 52
#define REPORT_DEFAULT_WEEKS 4

/*
 * The rules (each one is a column of the report):
 * - Weeks are ISO weeks: Monday 00:00 to the next Monday 00:00, local time in the child's zone (ICU), so a
 *   week with a daylight-saving change is 167 or 169 hours long.
 * - planned_windows / planned_minutes: the agreement's open intervals (terms_schedule, schedule_list_open)
 *   that *start* in the week, at or after the agreement was created and its validity began, and before its
 *   validity ended. Agreements without windows have null here (contact at any time), and null
 *   windows_with_contact and missed_windows.
 * - messages_from_child / messages_to_child: stored messages (released ones included, held ones not) sent in
 *   the week.
 * - windows_with_contact: planned windows in which at least one message was sent.
 * - missed_windows: planned windows that have closed (before now) without a message, except those that
 *   overlap a pause or a suspension (those were not missed, they were paused).
 * - calls / call_minutes: 0 until calls are stored.
 * - pauses: pauses overlapping the week: {by_role, reason, from, to}, `to` null while open.
 * - cancellations: audit entries of kind agreement_status to suspended/ended in the week: {kind ("suspend" |
 *   "end"), reason, at}.
 * - goal_met: null without a goal; true when every non-zero goal (calls_per_week, messages_per_week, messages
 *   counted both ways) is reached; false when the week is over and one is not; null while the week runs and
 *   the goal is not reached yet.
 * Times in the output are local RFC 3339 with the offset ("2026-03-03T17:05:00+02:00"), dates YYYY-MM-DD.
 */

struct report_request {
	int64_t child_id; /* account id of the child */
	int weeks;        /* how many weeks, 1..REPORT_MAX_WEEKS */
	int32_t to_date;  /* YYYYMMDD in the child's zone; the last week is the ISO week holding it; 0 = today */
	int64_t now_ms;   /* the present: what has not happened yet is neither missed nor failed */
};

/* Build the report. STORE_OK with *out set (the caller owns it); STORE_NOT_FOUND if child_id is not a child
 * with a case; STORE_ERR with err set otherwise (bad request values or a database/ICU failure). */
int report_build(struct store *s, const struct report_request *rq, json_t **out, char *err, size_t errlen);

/* The report as CSV (RFC 4180, CRLF): a header and one row per agreement and week, with the JSON columns;
 * pauses and cancellations as one "; "-separated text cell each; null = empty cell. malloc'd, NULL on failure. */
char *report_csv(const json_t *report, size_t *len);

/* Parse YYYY-MM-DD into YYYYMMDD (a real calendar date, years 1900..2199); -1 if malformed. */
int32_t report_parse_date(const char *s);

#endif
