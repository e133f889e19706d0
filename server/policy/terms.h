/* terms.h: an agreement's terms beyond status and channels — windows, limits, supervision, privacy, validity,
 * goal — with their JSON form (stored in agreements.terms, sent by the admin API) and validation. */
#ifndef SAMVAER_TERMS_H
#define SAMVAER_TERMS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "server/policy/agreement_enums.h"
#include "server/policy/schedule.h"

#define TERMS_MAX_WEEKLY 28
#define TERMS_MAX_DATED 32
#define TERMS_MAX_BLACKOUTS 32

enum call_supervision { SUPERVISION_NONE, SUPERVISION_SUPERVISED };
enum message_review { REVIEW_NONE, REVIEW_AFTER, REVIEW_BEFORE };

struct terms {
	uint8_t channels[CH__COUNT];                     /* enum channel_mode per channel */
	struct schedule_weekly weekly[TERMS_MAX_WEEKLY]; /* contact windows; none at all = any time */
	size_t n_weekly;
	struct schedule_dated dated[TERMS_MAX_DATED]; /* special days */
	size_t n_dated;
	int32_t blackouts[TERMS_MAX_BLACKOUTS]; /* YYYYMMDD, no contact */
	size_t n_blackouts;
	int max_call_minutes; /* 0 = no limit */
	int calls_per_day;    /* 0 = no limit */
	int calls_per_week;   /* 0 = no limit */
	int min_gap_minutes;  /* between calls; 0 = none */
	enum call_supervision calls;
	enum message_review messages;
	int recording_allowed;
	int listen_in_needs_consent;
	int screen_contact_details; /* hold texts with phone numbers, e-mail, addresses, links or handles for review */
	int screen_words;           /* hold texts with words of the built-in lists for review (default on) */
	int hide_carer;             /* do not show the carer's identity to the contact */
	int32_t from_ymd;           /* first day of contact, YYYYMMDD in the child's zone; 0 = none */
	int32_t until_ymd;          /* the agreement ends at the start of this day; 0 = none */
	int32_t review_ymd;         /* review date; 0 = none */
	int64_t valid_from;         /* ms of from_ymd's local midnight (terms_localize_dates); 0 = none */
	int64_t valid_until;        /* ms; 0 = none */
	int64_t review_at;          /* ms; 0 = none */
	int goal_calls_per_week;    /* continuity goal; 0 = none */
	int goal_messages_per_week;
};

/* Default terms: text allowed, everything else off, no windows, no limits, no supervision. */
void terms_defaults(struct terms *t);
/* Parse and validate; missing members keep their defaults. Returns 0, or -1 with err naming the member
 * ("windows.weekly[2].start: expected HH:MM"). `zone` (the child's) is checked by building the schedule. */
int terms_from_json(struct terms *t, const json_t *j, const char *zone, char *err, size_t errlen);
/* Recompute valid_from / valid_until / review_at as local midnights of their dates in the child's zone
 * (terms_from_json uses UTC midnights until the zone is known). Dates set only as ms are kept as their
 * UTC calendar date. */
void terms_localize_dates(struct terms *t, const char *zone);
/* The canonical JSON form. */
json_t *terms_to_json(const struct terms *t);
/* Whether any contact window is defined (if not, contact is not limited by time). */
int terms_has_windows(const struct terms *t);
/* Build the schedule for the terms in `zone`; NULL if there are no windows (or on error, with err set). */
schedule *terms_schedule(const struct terms *t, const char *zone, char *err, size_t errlen);

#endif
