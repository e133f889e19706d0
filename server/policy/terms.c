/* terms.c: JSON <-> struct terms, with every field validated and named in the error. */
#include "server/policy/terms.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>
#include <string.h>
#include <time.h>

static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const supervision_names[] = {"none", "supervised"};
static const char *const review_names[] = {"none", "after", "before"};

void terms_defaults(struct terms *t)
{
	memset(t, 0, sizeof(*t));
	t->channels[CH_TEXT] = MODE_ALLOWED;
	t->listen_in_needs_consent = 1;
	t->screen_words = 1;
}

static int fail(char *err, size_t errlen, const char *what, const char *why)
{
	snprintf(err, errlen, "%s: %s", what, why);
	return -1;
}

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* "HH:MM" → minutes (exactly two digits each); "24:00" allowed for an end. */
static int parse_hhmm(const json_t *v, int allow_24, int *out)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) != 5 || !digits(s, 2) || s[2] != ':' || !digits(s + 3, 2))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && !(allow_24 && m == 0)))
		return -1;
	*out = h * 60 + m;
	return 0;
}

/* "YYYY-MM-DD" → YYYYMMDD with a real calendar date. */
static int parse_date(const json_t *v, int32_t *out)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return -1;
	int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8);
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || y > 2199 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*out = y * 10000 + mo * 100 + d;
	return 0;
}

static int64_t date_to_ms(int32_t ymd)
{
	struct tm tm = {0};
	tm.tm_year = ymd / 10000 - 1900;
	tm.tm_mon = ymd / 100 % 100 - 1;
	tm.tm_mday = ymd % 100;
	return (int64_t)timegm(&tm) * 1000;
}

static json_t *ymd_json(int32_t ymd);

/* A validity date: its YYYYMMDD if known, else the UTC date of its ms, or null. */
static json_t *date_json(int32_t ymd, int64_t ms)
{
	if (ymd)
		return ymd_json(ymd);
	if (!ms)
		return json_null();
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[16];
	strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return json_string(buf);
}

static int enum_of(const json_t *v, const char *const *names, int n)
{
	const char *s = json_string_value(v);
	for (int i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

static int parse_channels(struct terms *t, const json_t *ch, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	if (!json_is_object(ch))
		return fail(err, errlen, "channels", "expected an object");
	json_object_foreach((json_t *)ch, key, v)
	{
		int c = channel_parse(key), m = channel_mode_parse(json_string_value(v));
		char what[64];
		snprintf(what, sizeof(what), "channels.%s", key);
		if (c < 0)
			return fail(err, errlen, what, "unknown channel");
		if (m < 0)
			return fail(err, errlen, what, "expected \"off\", \"allowed\" or \"moderated\"");
		t->channels[c] = (uint8_t)m;
	}
	return 0;
}

static int parse_window(const json_t *w, int dated, struct schedule_weekly *wk, struct schedule_dated *dt,
			const char *what, char *err, size_t errlen)
{
	int start, end;
	char sub[96];
	if (!json_is_object(w))
		return fail(err, errlen, what, "expected an object");
	snprintf(sub, sizeof(sub), "%s.start", what);
	if (parse_hhmm(json_object_get(w, "start"), 0, &start))
		return fail(err, errlen, sub, "expected HH:MM");
	snprintf(sub, sizeof(sub), "%s.end", what);
	if (parse_hhmm(json_object_get(w, "end"), 1, &end))
		return fail(err, errlen, sub, "expected HH:MM (24:00 for midnight)");
	if (dated) {
		snprintf(sub, sizeof(sub), "%s.date", what);
		if (parse_date(json_object_get(w, "date"), &dt->date))
			return fail(err, errlen, sub, "expected YYYY-MM-DD");
		dt->start_min = start;
		dt->end_min = end;
		return 0;
	}
	int day = enum_of(json_object_get(w, "day"), days, 7);
	snprintf(sub, sizeof(sub), "%s.day", what);
	if (day < 0)
		return fail(err, errlen, sub, "expected mon, tue, wed, thu, fri, sat or sun");
	wk->weekday = day + 1;
	wk->start_min = start;
	wk->end_min = end;
	return 0;
}

static int parse_windows(struct terms *t, const json_t *w, char *err, size_t errlen)
{
	if (!json_is_object(w))
		return fail(err, errlen, "windows", "expected an object");
	const json_t *weekly = json_object_get(w, "weekly"), *dated = json_object_get(w, "dated");
	const json_t *black = json_object_get(w, "blackouts");
	if ((weekly && !json_is_array(weekly)) || (dated && !json_is_array(dated)) || (black && !json_is_array(black)))
		return fail(err, errlen, "windows", "weekly, dated and blackouts must be arrays");
	if (json_array_size(weekly) > TERMS_MAX_WEEKLY || json_array_size(dated) > TERMS_MAX_DATED ||
	    json_array_size(black) > TERMS_MAX_BLACKOUTS)
		return fail(err, errlen, "windows", "too many windows or blackout dates");
	char what[64];
	for (size_t i = 0; i < json_array_size(weekly); i++) {
		snprintf(what, sizeof(what), "windows.weekly[%zu]", i);
		if (parse_window(json_array_get(weekly, i), 0, &t->weekly[i], NULL, what, err, errlen))
			return -1;
	}
	t->n_weekly = json_array_size(weekly);
	for (size_t i = 0; i < json_array_size(dated); i++) {
		snprintf(what, sizeof(what), "windows.dated[%zu]", i);
		if (parse_window(json_array_get(dated, i), 1, NULL, &t->dated[i], what, err, errlen))
			return -1;
	}
	t->n_dated = json_array_size(dated);
	for (size_t i = 0; i < json_array_size(black); i++) {
		snprintf(what, sizeof(what), "windows.blackouts[%zu]", i);
		if (parse_date(json_array_get(black, i), &t->blackouts[i]))
			return fail(err, errlen, what, "expected YYYY-MM-DD");
	}
	t->n_blackouts = json_array_size(black);
	return 0;
}

/* An optional non-negative integer member no larger than max. */
static int opt_int(const json_t *obj, const char *key, int max, int *out, const char *section, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	char what[64];
	snprintf(what, sizeof(what), "%s.%s", section, key);
	if (!v || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max) {
		snprintf(err, errlen, "%s: expected a whole number from 0 to %d", what, max);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

static int opt_bool(const json_t *obj, const char *key, int *out, const char *section, char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);
	char what[64];
	snprintf(what, sizeof(what), "%s.%s", section, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return fail(err, errlen, what, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* A member not in `allowed` (NULL-terminated) is refused, so a misspelt limit is never silently ignored. */
static int unknown_key(const json_t *obj, const char *const *allowed, const char *section, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(key, *a);
		if (!ok) {
			char what[96];
			snprintf(what, sizeof(what), "%s%s%s", section ? section : "", section ? "." : "", key);
			return fail(err, errlen, what, "unknown member");
		}
	}
	return 0;
}

static int parse_sections(struct terms *t, const json_t *j, char *err, size_t errlen)
{
	const json_t *lim = json_object_get(j, "limits"), *sup = json_object_get(j, "supervision");
	const json_t *priv = json_object_get(j, "privacy"), *goal = json_object_get(j, "goal");
	static const char *const names[] = {"limits", "supervision", "privacy", "goal"};
	const json_t *secs[] = {lim, sup, priv, goal};
	for (int i = 0; i < 4; i++)
		if (secs[i] && !json_is_object(secs[i]))
			return fail(err, errlen, names[i], "expected an object");
	static const char *const lim_keys[] = {"max_call_minutes", "calls_per_day", "calls_per_week", "min_gap_minutes",
					       NULL};
	static const char *const sup_keys[] = {"calls", "messages", "recording_allowed", "listen_in_needs_consent",
					       NULL};
	static const char *const priv_keys[] = {"screen_contact_details", "screen_words", "hide_carer", NULL};
	static const char *const goal_keys[] = {"calls_per_week", "messages_per_week", NULL};
	const char *const *keys[] = {lim_keys, sup_keys, priv_keys, goal_keys};
	for (int i = 0; i < 4; i++)
		if (secs[i] && unknown_key(secs[i], keys[i], names[i], err, errlen))
			return -1;
	if (lim &&
	    (opt_int(lim, "max_call_minutes", 24 * 60, &t->max_call_minutes, "limits", err, errlen) ||
	     opt_int(lim, "calls_per_day", 100, &t->calls_per_day, "limits", err, errlen) ||
	     opt_int(lim, "calls_per_week", 700, &t->calls_per_week, "limits", err, errlen) ||
	     opt_int(lim, "min_gap_minutes", 7 * 24 * 60, &t->min_gap_minutes, "limits", err, errlen)))
		return -1;
	if (sup) {
		const json_t *c = json_object_get(sup, "calls"), *m = json_object_get(sup, "messages");
		int ci = c ? enum_of(c, supervision_names, 2) : 0, mi = m ? enum_of(m, review_names, 3) : 0;
		if (ci < 0)
			return fail(err, errlen, "supervision.calls", "expected \"none\" or \"supervised\"");
		if (mi < 0)
			return fail(err, errlen, "supervision.messages", "expected \"none\", \"after\" or \"before\"");
		t->calls = (enum call_supervision)ci;
		t->messages = (enum message_review)mi;
		if (opt_bool(sup, "recording_allowed", &t->recording_allowed, "supervision", err, errlen) ||
		    opt_bool(sup, "listen_in_needs_consent", &t->listen_in_needs_consent, "supervision", err, errlen))
			return -1;
	}
	if (priv &&
	    (opt_bool(priv, "screen_contact_details", &t->screen_contact_details, "privacy", err, errlen) ||
	     opt_bool(priv, "screen_words", &t->screen_words, "privacy", err, errlen) ||
	     opt_bool(priv, "hide_carer", &t->hide_carer, "privacy", err, errlen)))
		return -1;
	if (goal &&
	    (opt_int(goal, "calls_per_week", 100, &t->goal_calls_per_week, "goal", err, errlen) ||
	     opt_int(goal, "messages_per_week", 10000, &t->goal_messages_per_week, "goal", err, errlen)))
		return -1;
	return 0;
}

static int parse_validity(struct terms *t, const json_t *v, char *err, size_t errlen)
{
	static const char *const keys[] = {"from", "until", "review"};
	int32_t *ymd[] = {&t->from_ymd, &t->until_ymd, &t->review_ymd};
	int64_t *ms[] = {&t->valid_from, &t->valid_until, &t->review_at};
	if (!json_is_object(v))
		return fail(err, errlen, "validity", "expected an object");
	for (int i = 0; i < 3; i++) {
		const json_t *d = json_object_get(v, keys[i]);
		char what[32];
		snprintf(what, sizeof(what), "validity.%s", keys[i]);
		*ymd[i] = 0;
		*ms[i] = 0;
		if (!d || json_is_null(d))
			continue;
		if (parse_date(d, ymd[i]))
			return fail(err, errlen, what, "expected YYYY-MM-DD or null");
		*ms[i] = date_to_ms(*ymd[i]);
	}
	if (t->from_ymd && t->until_ymd && t->until_ymd <= t->from_ymd)
		return fail(err, errlen, "validity.until", "must be after validity.from");
	return 0;
}

static int64_t local_midnight(const char *zone, int32_t ymd)
{
	UChar uz[64];
	UErrorCode e = U_ZERO_ERROR;
	u_uastrncpy(uz, zone, 63);
	uz[63] = 0;
	UCalendar *c = ucal_open(uz, -1, "en_US_POSIX", UCAL_GREGORIAN, &e);
	if (U_FAILURE(e))
		return date_to_ms(ymd);
	ucal_clear(c);
	ucal_setDateTime(c, ymd / 10000, ymd / 100 % 100 - 1, ymd % 100, 0, 0, 0, &e);
	UDate when = ucal_getMillis(c, &e);
	ucal_close(c);
	return U_SUCCESS(e) ? (int64_t)when : date_to_ms(ymd);
}

static int32_t ymd_of_utc_ms(int64_t ms)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

void terms_localize_dates(struct terms *t, const char *zone)
{
	int32_t *ymd[] = {&t->from_ymd, &t->until_ymd, &t->review_ymd};
	int64_t *ms[] = {&t->valid_from, &t->valid_until, &t->review_at};
	for (int i = 0; i < 3; i++) {
		if (!*ymd[i] && *ms[i])
			*ymd[i] = ymd_of_utc_ms(*ms[i]);
		if (*ymd[i])
			*ms[i] = zone && *zone ? local_midnight(zone, *ymd[i]) : date_to_ms(*ymd[i]);
	}
}

int terms_from_json(struct terms *t, const json_t *j, const char *zone, char *err, size_t errlen)
{
	terms_defaults(t);
	if (!json_is_object(j))
		return fail(err, errlen, "terms", "expected an object");
	const json_t *ch = json_object_get(j, "channels"), *w = json_object_get(j, "windows");
	const json_t *val = json_object_get(j, "validity");
	static const char *const top[] = {"channels", "windows",  "limits", "supervision",
					  "privacy",  "validity", "goal",   NULL};
	static const char *const win_keys[] = {"weekly", "dated", "blackouts", NULL};
	static const char *const val_keys[] = {"from", "until", "review", NULL};
	if (unknown_key(j, top, NULL, err, errlen) ||
	    (json_is_object(w) && unknown_key(w, win_keys, "windows", err, errlen)) ||
	    (json_is_object(val) && unknown_key(val, val_keys, "validity", err, errlen)))
		return -1;
	if ((ch && parse_channels(t, ch, err, errlen)) || (w && parse_windows(t, w, err, errlen)) ||
	    parse_sections(t, j, err, errlen) || (val && parse_validity(t, val, err, errlen)))
		return -1;
	if (zone)
		terms_localize_dates(t, zone);
	if (zone && terms_has_windows(t)) {
		schedule *s = terms_schedule(t, zone, err, errlen);
		if (!s)
			return -1;
		schedule_free(s);
	}
	return 0;
}

static json_t *hhmm(int min)
{
	char buf[8];
	snprintf(buf, sizeof(buf), "%02d:%02d", min / 60, min % 60);
	return json_string(buf);
}

static json_t *ymd_json(int32_t ymd)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
	return json_string(buf);
}

static json_t *windows_json(const struct terms *t)
{
	json_t *weekly = json_array(), *dated = json_array(), *black = json_array();
	for (size_t i = 0; i < t->n_weekly; i++)
		json_array_append_new(weekly,
				      json_pack("{s:s,s:o,s:o}", "day", days[t->weekly[i].weekday - 1], "start",
						hhmm(t->weekly[i].start_min), "end", hhmm(t->weekly[i].end_min)));
	for (size_t i = 0; i < t->n_dated; i++)
		json_array_append_new(dated,
				      json_pack("{s:o,s:o,s:o}", "date", ymd_json(t->dated[i].date), "start",
						hhmm(t->dated[i].start_min), "end", hhmm(t->dated[i].end_min)));
	for (size_t i = 0; i < t->n_blackouts; i++)
		json_array_append_new(black, ymd_json(t->blackouts[i]));
	return json_pack("{s:o,s:o,s:o}", "weekly", weekly, "dated", dated, "blackouts", black);
}

json_t *terms_to_json(const struct terms *t)
{
	json_t *ch = json_object();
	for (int c = 0; c < CH__COUNT; c++)
		json_object_set_new(ch, channel_name((enum channel)c), json_string(channel_mode_name(t->channels[c])));
	return json_pack(
	    "{s:o,s:o,s:{s:i,s:i,s:i,s:i},s:{s:s,s:s,s:b,s:b},s:{s:b,s:b,s:b},s:{s:o,s:o,s:o},s:{s:i,s:i}}", "channels",
	    ch, "windows", windows_json(t), "limits", "max_call_minutes", t->max_call_minutes, "calls_per_day",
	    t->calls_per_day, "calls_per_week", t->calls_per_week, "min_gap_minutes", t->min_gap_minutes, "supervision",
	    "calls", supervision_names[t->calls], "messages", review_names[t->messages], "recording_allowed",
	    t->recording_allowed, "listen_in_needs_consent", t->listen_in_needs_consent, "privacy",
	    "screen_contact_details", t->screen_contact_details, "screen_words", t->screen_words, "hide_carer",
	    t->hide_carer, "validity", "from", date_json(t->from_ymd, t->valid_from), "until",
	    date_json(t->until_ymd, t->valid_until), "review", date_json(t->review_ymd, t->review_at), "goal",
	    "calls_per_week", t->goal_calls_per_week, "messages_per_week", t->goal_messages_per_week);
}

int terms_has_windows(const struct terms *t)
{
	return t->n_weekly > 0 || t->n_dated > 0;
}

schedule *terms_schedule(const struct terms *t, const char *zone, char *err, size_t errlen)
{
	if (!terms_has_windows(t))
		return NULL;
	struct schedule_spec spec = {zone, t->weekly, t->n_weekly, t->dated, t->n_dated, t->blackouts, t->n_blackouts};
	schedule *s = NULL;
	int bad = -1;
	enum schedule_error e = schedule_new(&s, &spec, &bad);
	if (e != SCHEDULE_ERR_OK) {
		snprintf(err, errlen, "windows: %s", schedule_error_message(e));
		return NULL;
	}
	return s;
}
