/* test_schedule.c: table-driven tests of the contact-window schedule (DST, midnight, blackouts, extras, zones). */
#include "server/policy/schedule.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OPEN 1
#define SHUT 0
#define E(x) (-SCHEDULE_ERR_##x)
#define NONE "-" /* expected instant: none within the horizon */

/* One query case. windows: comma-separated items, "-" for none:
 *   "Mon 18:00-19:00" weekly (weekday may be a number 0..9 to test validation),
 *   "2026-12-24 10:00-12:00" dated, "!2026-12-25" blackout, "*N item" item repeated N times.
 * Instants: "YYYY-MM-DD HH:MM" followed by "Z" or a UTC offset "+HH", "-HH", "+HH:MM" (the local time
 * as a clock in that offset shows it). expect: OPEN, SHUT, or E(x) from schedule_new / schedule_is_open.
 * closes: checked when OPEN. next: schedule_next_open; NULL means not checked. */
struct qcase {
	const char *name, *zone, *windows, *at;
	int expect;
	const char *closes, *next;
};

static const struct qcase qcases[] = {
    /* basics, Europe/Copenhagen in November (CET, +01) */
    {"basic: before window", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-11-23 17:59+01", SHUT, NULL,
     "2026-11-23 18:00+01"},
    {"basic: at opening", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-11-23 18:00+01", OPEN, "2026-11-23 19:00+01",
     "2026-11-30 18:00+01"},
    {"basic: last minute", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-11-23 18:59+01", OPEN, "2026-11-23 19:00+01",
     "2026-11-30 18:00+01"},
    {"basic: end is exclusive", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-11-23 19:00+01", SHUT, NULL,
     "2026-11-30 18:00+01"},
    {"basic: other weekday", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-11-24 18:30+01", SHUT, NULL,
     "2026-11-30 18:00+01"},
    {"basic: empty schedule never opens", "Europe/Copenhagen", "-", "2026-11-23 12:00Z", SHUT, NULL, NONE},
    {"basic: two windows same day", "Europe/Copenhagen", "Mon 09:00-10:00, Mon 18:00-19:00", "2026-11-23 10:00+01",
     SHUT, NULL, "2026-11-23 18:00+01"},
    {"basic: touching windows merge", "Europe/Copenhagen", "Mon 18:00-19:00, Mon 19:00-20:00", "2026-11-23 18:30+01",
     OPEN, "2026-11-23 20:00+01", "2026-11-30 18:00+01"},
    {"basic: overlapping windows merge", "Europe/Copenhagen", "Mon 19:00-20:00, Mon 18:00-19:30", "2026-11-23 19:15+01",
     OPEN, "2026-11-23 20:00+01", "2026-11-30 18:00+01"},
    {"basic: whole day 00:00-00:00", "Europe/Copenhagen", "Wed 00:00-00:00", "2026-11-25 12:00+01", OPEN,
     "2026-11-26 00:00+01", "2026-12-02 00:00+01"},
    {"basic: end 24:00", "Europe/Copenhagen", "Wed 20:00-24:00", "2026-11-25 23:59+01", OPEN, "2026-11-26 00:00+01",
     "2026-12-02 20:00+01"},
    {"basic: UTC zone", "UTC", "Mon 18:00-19:00", "2026-11-23 18:30Z", OPEN, "2026-11-23 19:00Z", "2026-11-30 18:00Z"},
    {"basic: half-hour zone Asia/Kolkata", "Asia/Kolkata", "Mon 18:00-19:00", "2026-11-23 12:30Z", OPEN,
     "2026-11-23 19:00+05:30", "2026-11-30 18:00+05:30"},
    {"basic: always open stays open past horizon", "Europe/Rome",
     "Mon 00:00-00:00, Tue 00:00-00:00, Wed 00:00-00:00, Thu 00:00-00:00, Fri 00:00-00:00, Sat 00:00-00:00, Sun "
     "00:00-00:00",
     "2026-11-23 12:00Z", OPEN, NONE, NONE},
    {"basic: Lord Howe half-hour spring forward", "Australia/Lord_Howe", "Sun 02:00-03:00", "2026-10-04 02:40+11", OPEN,
     "2026-10-04 03:00+11", "2026-10-11 02:00+11"},
    {"basic: Lord Howe window opens at 02:30", "Australia/Lord_Howe", "Sun 02:00-03:00", "2026-10-04 01:59+10:30", SHUT,
     NULL, "2026-10-04 02:30+11"},
    {"basic: Lord Howe half-hour repeat, first pass", "Australia/Lord_Howe", "Sun 01:40-01:50", "2026-04-05 01:45+11",
     OPEN, "2026-04-05 01:50+11", "2026-04-05 01:40+10:30"},
    {"basic: Lord Howe half-hour repeat, second pass", "Australia/Lord_Howe", "Sun 01:40-01:50",
     "2026-04-05 01:45+10:30", OPEN, "2026-04-05 01:50+10:30", "2026-04-12 01:40+10:30"},
    {"basic: leap day dated window", "Europe/Copenhagen", "2028-02-29 10:00-11:00", "2028-02-29 10:30+01", OPEN,
     "2028-02-29 11:00+01", NONE},

    /* windows past midnight belong to the day they start */
    {"midnight: Fri 22-01 open Sat 00:30", "Europe/Copenhagen", "Fri 22:00-01:00", "2026-11-28 00:30+01", OPEN,
     "2026-11-28 01:00+01", "2026-12-04 22:00+01"},
    {"midnight: Fri 22-01 closed Sat 01:00", "Europe/Copenhagen", "Fri 22:00-01:00", "2026-11-28 01:00+01", SHUT, NULL,
     "2026-12-04 22:00+01"},
    {"midnight: Fri 22-01 not open Fri 00:30", "Europe/Copenhagen", "Fri 22:00-01:00", "2026-11-27 00:30+01", SHUT,
     NULL, "2026-11-27 22:00+01"},
    {"midnight: end == start runs 24h", "Europe/Copenhagen", "Fri 12:00-12:00", "2026-11-28 11:59+01", OPEN,
     "2026-11-28 12:00+01", "2026-12-04 12:00+01"},
    {"midnight: end 00:00 means next midnight", "Europe/Copenhagen", "Fri 22:00-00:00", "2026-11-27 23:59+01", OPEN,
     "2026-11-28 00:00+01", "2026-12-04 22:00+01"},
    {"midnight: overnight merges with next morning", "Europe/Copenhagen", "Fri 22:00-01:00, Sat 00:00-02:00",
     "2026-11-27 23:00+01", OPEN, "2026-11-28 02:00+01", "2026-12-04 22:00+01"},
    {"midnight: Sat morning window alone", "Europe/Copenhagen", "Fri 22:00-01:00, Sat 00:00-02:00",
     "2026-11-28 01:30+01", OPEN, "2026-11-28 02:00+01", "2026-12-04 22:00+01"},
    {"midnight: 23:59-00:01 two minutes", "Europe/Copenhagen", "Tue 23:59-00:01", "2026-11-25 00:00+01", OPEN,
     "2026-11-25 00:01+01", "2026-12-01 23:59+01"},

    /* week boundaries: Sunday -> Monday */
    {"week: Sun 23-01 open Mon 00:30", "Europe/Copenhagen", "Sun 23:00-01:00", "2026-11-30 00:30+01", OPEN,
     "2026-11-30 01:00+01", "2026-12-06 23:00+01"},
    {"week: Sun 23-01 not open Sun 00:30", "Europe/Copenhagen", "Sun 23:00-01:00", "2026-11-29 00:30+01", SHUT, NULL,
     "2026-11-29 23:00+01"},
    {"week: Sun 23-24 and Mon 00-01 merge", "Europe/Copenhagen", "Sun 23:00-24:00, Mon 00:00-01:00",
     "2026-11-29 23:30+01", OPEN, "2026-11-30 01:00+01", "2026-12-06 23:00+01"},
    {"week: Sunday night next is Monday", "Europe/Copenhagen", "Mon 08:00-09:00", "2026-11-29 23:00+01", SHUT, NULL,
     "2026-11-30 08:00+01"},
    {"week: Monday window seen from Tuesday", "Europe/Copenhagen", "Mon 08:00-09:00", "2026-11-24 08:00+01", SHUT, NULL,
     "2026-11-30 08:00+01"},
    {"week: Sun 23-01 on the last Sunday of 2026", "Europe/Copenhagen", "Sun 23:00-01:00", "2026-12-28 00:59+01", OPEN,
     "2026-12-28 01:00+01", "2027-01-03 23:00+01"},

    /* a parent in America/New_York asks about a child in Europe/Bucharest: the child's rules apply */
    {"ny parent: Mar 10 NY on DST, Bucharest not", "Europe/Bucharest", "Tue 18:00-19:00", "2026-03-10 12:30-04", OPEN,
     "2026-03-10 13:00-04", "2026-03-17 12:00-04"},
    {"ny parent: Mar 10 11:30 NY is closed", "Europe/Bucharest", "Tue 18:00-19:00", "2026-03-10 11:30-04", SHUT, NULL,
     "2026-03-10 12:00-04"},
    {"ny parent: January both standard", "Europe/Bucharest", "Tue 18:00-19:00", "2026-01-13 11:00-05", OPEN,
     "2026-01-13 12:00-05", "2026-01-20 11:00-05"},
    {"ny parent: both on DST", "Europe/Bucharest", "Tue 18:00-19:00", "2026-03-31 11:30-04", OPEN,
     "2026-03-31 12:00-04", "2026-04-07 11:00-04"},
    {"ny parent: Oct 27 Bucharest back, NY not", "Europe/Bucharest", "Tue 18:00-19:00", "2026-10-27 12:00-04", OPEN,
     "2026-10-27 13:00-04", "2026-11-03 11:00-05"},
    {"ny parent: NY's own rules would differ", "America/New_York", "Tue 18:00-19:00", "2026-03-10 12:30-04", SHUT, NULL,
     "2026-03-10 18:00-04"},

    /* blackout dates remove windows that start on them */
    {"blackout: removes the day's window", "Europe/Copenhagen", "Fri 18:00-19:00, !2026-12-25", "2026-12-25 18:30+01",
     SHUT, NULL, "2027-01-01 18:00+01"},
    {"blackout: next_open skips the blackout", "Europe/Copenhagen", "Fri 18:00-19:00, !2026-12-25",
     "2026-12-18 18:30+01", OPEN, "2026-12-18 19:00+01", "2027-01-01 18:00+01"},
    {"blackout: next_open from the week before", "Europe/Copenhagen", "Fri 18:00-19:00, !2026-12-25",
     "2026-12-20 12:00+01", SHUT, NULL, "2027-01-01 18:00+01"},
    {"blackout: next day keeps Friday's overnight", "Europe/Copenhagen", "Fri 22:00-01:00, !2026-12-26",
     "2026-12-26 00:30+01", OPEN, "2026-12-26 01:00+01", "2027-01-01 22:00+01"},
    {"blackout: start day removes the overnight", "Europe/Copenhagen", "Fri 22:00-01:00, !2026-12-25",
     "2026-12-26 00:30+01", SHUT, NULL, "2027-01-01 22:00+01"},
    {"blackout: beats a dated window", "Europe/Copenhagen", "2026-12-25 10:00-12:00, !2026-12-25",
     "2026-12-25 11:00+01", SHUT, NULL, NONE},
    {"blackout: two weeks in a row", "Europe/Copenhagen", "Fri 18:00-19:00, !2026-12-25, !2027-01-01",
     "2026-12-24 12:00+01", SHUT, NULL, "2027-01-08 18:00+01"},
    {"blackout: other date has no effect", "Europe/Copenhagen", "Fri 18:00-19:00, !2026-12-24", "2026-12-25 18:00+01",
     OPEN, "2026-12-25 19:00+01", "2027-01-01 18:00+01"},
    {"blackout: one of two windows' days", "Europe/Copenhagen", "Thu 18:00-19:00, Fri 18:00-19:00, !2026-12-24",
     "2026-12-23 20:00+01", SHUT, NULL, "2026-12-25 18:00+01"},
    {"blackout: every day for 5 weeks", "Europe/Copenhagen",
     "Mon 10:00-11:00, !2026-11-30, !2026-12-07, !2026-12-14, !2026-12-21, !2026-12-28", "2026-11-24 12:00+01", SHUT,
     NULL, "2027-01-04 10:00+01"},

    /* dated (special-day) windows add contact */
    {"extra: special day opens", "Europe/Copenhagen", "Mon 18:00-19:00, 2026-12-24 10:00-12:00", "2026-12-24 10:00+01",
     OPEN, "2026-12-24 12:00+01", "2026-12-28 18:00+01"},
    {"extra: special day is not weekly", "Europe/Copenhagen", "2026-12-24 10:00-12:00", "2027-12-24 10:30+01", SHUT,
     NULL, NONE},
    {"extra: next is the special day", "Europe/Copenhagen", "2026-12-24 10:00-12:00", "2026-12-01 00:00+01", SHUT, NULL,
     "2026-12-24 10:00+01"},
    {"extra: overnight on New Year's Eve", "Europe/Copenhagen", "2026-12-31 23:00-01:00", "2027-01-01 00:30+01", OPEN,
     "2027-01-01 01:00+01", NONE},
    {"extra: extends a weekly window", "Europe/Copenhagen", "Thu 18:00-19:00, 2026-12-24 19:00-21:00",
     "2026-12-24 18:30+01", OPEN, "2026-12-24 21:00+01", "2026-12-31 18:00+01"},
    {"extra: dated window in the skipped hour", "Europe/Copenhagen", "2026-03-29 02:00-03:00", "2026-03-29 00:00+01",
     SHUT, NULL, NONE},
    {"extra: beyond the 400-day horizon", "Europe/Copenhagen", "2028-06-01 10:00-11:00", "2026-11-23 12:00Z", SHUT,
     NULL, NONE},
    {"extra: within the horizon", "Europe/Copenhagen", "2027-12-01 10:00-11:00", "2026-11-23 12:00Z", SHUT, NULL,
     "2027-12-01 10:00+01"},
    {"extra: several dated windows in order", "Europe/Copenhagen", "2027-01-05 09:00-10:00, 2026-12-30 09:00-10:00",
     "2026-12-30 09:30+01", OPEN, "2026-12-30 10:00+01", "2027-01-05 09:00+01"},

    /* year ends */
    {"year end: next_open across new year and a blackout", "Europe/Copenhagen", "Sat 10:00-11:00, !2026-12-26",
     "2026-12-25 10:30+01", SHUT, NULL, "2027-01-02 10:00+01"},
    {"year end: Thu 23-02 spans into 2027", "Europe/Copenhagen", "Thu 23:00-02:00", "2027-01-01 01:30+01", OPEN,
     "2027-01-01 02:00+01", "2027-01-07 23:00+01"},
    {"year end: from New Year's Eve evening", "Europe/Copenhagen", "Fri 09:00-10:00", "2026-12-31 20:00+01", SHUT, NULL,
     "2027-01-01 09:00+01"},
    {"year end: 2027 into 2028 across a blackout", "Europe/Copenhagen", "Fri 09:00-10:00, !2027-12-31",
     "2027-12-30 12:00+01", SHUT, NULL, "2028-01-07 09:00+01"},
    {"year end: Bucharest 2026 into 2027", "Europe/Bucharest", "Fri 22:00-01:00", "2026-12-31 23:00+02", SHUT, NULL,
     "2027-01-01 22:00+02"},

    /* Europe/Copenhagen 2026: spring forward Sun Mar 29 (02:00-03:00 skipped), fall back Sun Oct 25 (02:00-03:00 twice) */
    {"cph26 spring: window in skipped hour never opens", "Europe/Copenhagen", "Sun 02:15-02:45", "2026-03-29 01:59+01",
     SHUT, NULL, "2026-04-05 02:15+02"},
    {"cph26 spring: skipped-hour window, after", "Europe/Copenhagen", "Sun 02:15-02:45", "2026-03-29 03:10+02", SHUT,
     NULL, "2026-04-05 02:15+02"},
    {"cph26 spring: 02:30-03:30 opens at 03:00", "Europe/Copenhagen", "Sun 02:30-03:30", "2026-03-29 01:30+01", SHUT,
     NULL, "2026-03-29 03:00+02"},
    {"cph26 spring: 02:30-03:30 closes 03:30", "Europe/Copenhagen", "Sun 02:30-03:30", "2026-03-29 03:10+02", OPEN,
     "2026-03-29 03:30+02", "2026-04-05 02:30+02"},
    {"cph26 spring: Sat 18-19 before change", "Europe/Copenhagen", "Sat 18:00-19:00", "2026-03-28 18:30+01", OPEN,
     "2026-03-28 19:00+01", "2026-04-04 18:00+02"},
    {"cph26 spring: Sun 18-19 after change", "Europe/Copenhagen", "Sun 18:00-19:00", "2026-03-29 17:59+02", SHUT, NULL,
     "2026-03-29 18:00+02"},
    {"cph26 spring: overnight Sat 22-06 open 05:30", "Europe/Copenhagen", "Sat 22:00-06:00", "2026-03-29 05:30+02",
     OPEN, "2026-03-29 06:00+02", "2026-04-04 22:00+02"},
    {"cph26 spring: overnight Sat 22-06 closed 06:00", "Europe/Copenhagen", "Sat 22:00-06:00", "2026-03-29 06:00+02",
     SHUT, NULL, "2026-04-04 22:00+02"},
    {"cph26 fall: repeated hour, first pass", "Europe/Copenhagen", "Sun 02:15-02:45", "2026-10-25 02:30+02", OPEN,
     "2026-10-25 02:45+02", "2026-10-25 02:15+01"},
    {"cph26 fall: repeated hour, between passes", "Europe/Copenhagen", "Sun 02:15-02:45", "2026-10-25 02:50+02", SHUT,
     NULL, "2026-10-25 02:15+01"},
    {"cph26 fall: repeated hour, second pass", "Europe/Copenhagen", "Sun 02:15-02:45", "2026-10-25 02:15+01", OPEN,
     "2026-10-25 02:45+01", "2026-11-01 02:15+01"},
    {"cph26 fall: 01-04 spans both passes", "Europe/Copenhagen", "Sun 01:00-04:00", "2026-10-25 02:59+02", OPEN,
     "2026-10-25 04:00+01", "2026-11-01 01:00+01"},
    {"cph26 fall: overnight Sat 22-06 open 05:30", "Europe/Copenhagen", "Sat 22:00-06:00", "2026-10-25 05:30+01", OPEN,
     "2026-10-25 06:00+01", "2026-10-31 22:00+01"},
    {"cph26 fall: Sat 18-19 before change", "Europe/Copenhagen", "Sat 18:00-19:00", "2026-10-24 18:00+02", OPEN,
     "2026-10-24 19:00+02", "2026-10-31 18:00+01"},
    {"cph26 fall: Sun 18-19 after change closed 19:00", "Europe/Copenhagen", "Sun 18:00-19:00", "2026-10-25 19:00+01",
     SHUT, NULL, "2026-11-01 18:00+01"},
    {"cph26 fall: Sun 18-19 after change open", "Europe/Copenhagen", "Sun 18:00-19:00", "2026-10-25 18:59+01", OPEN,
     "2026-10-25 19:00+01", "2026-11-01 18:00+01"},

    /* Europe/Copenhagen 2027: spring forward Sun Mar 28, fall back Sun Oct 31 */
    {"cph27 spring: window in skipped hour never opens", "Europe/Copenhagen", "Sun 02:15-02:45", "2027-03-28 01:59+01",
     SHUT, NULL, "2027-04-04 02:15+02"},
    {"cph27 spring: skipped-hour window, after", "Europe/Copenhagen", "Sun 02:15-02:45", "2027-03-28 03:10+02", SHUT,
     NULL, "2027-04-04 02:15+02"},
    {"cph27 spring: 02:30-03:30 opens at 03:00", "Europe/Copenhagen", "Sun 02:30-03:30", "2027-03-28 01:30+01", SHUT,
     NULL, "2027-03-28 03:00+02"},
    {"cph27 spring: 02:30-03:30 closes 03:30", "Europe/Copenhagen", "Sun 02:30-03:30", "2027-03-28 03:10+02", OPEN,
     "2027-03-28 03:30+02", "2027-04-04 02:30+02"},
    {"cph27 spring: Sat 18-19 before change", "Europe/Copenhagen", "Sat 18:00-19:00", "2027-03-27 18:30+01", OPEN,
     "2027-03-27 19:00+01", "2027-04-03 18:00+02"},
    {"cph27 spring: Sun 18-19 after change", "Europe/Copenhagen", "Sun 18:00-19:00", "2027-03-28 17:59+02", SHUT, NULL,
     "2027-03-28 18:00+02"},
    {"cph27 spring: overnight Sat 22-06 open 05:30", "Europe/Copenhagen", "Sat 22:00-06:00", "2027-03-28 05:30+02",
     OPEN, "2027-03-28 06:00+02", "2027-04-03 22:00+02"},
    {"cph27 spring: overnight Sat 22-06 closed 06:00", "Europe/Copenhagen", "Sat 22:00-06:00", "2027-03-28 06:00+02",
     SHUT, NULL, "2027-04-03 22:00+02"},
    {"cph27 fall: repeated hour, first pass", "Europe/Copenhagen", "Sun 02:15-02:45", "2027-10-31 02:30+02", OPEN,
     "2027-10-31 02:45+02", "2027-10-31 02:15+01"},
    {"cph27 fall: repeated hour, between passes", "Europe/Copenhagen", "Sun 02:15-02:45", "2027-10-31 02:50+02", SHUT,
     NULL, "2027-10-31 02:15+01"},
    {"cph27 fall: repeated hour, second pass", "Europe/Copenhagen", "Sun 02:15-02:45", "2027-10-31 02:15+01", OPEN,
     "2027-10-31 02:45+01", "2027-11-07 02:15+01"},
    {"cph27 fall: 01-04 spans both passes", "Europe/Copenhagen", "Sun 01:00-04:00", "2027-10-31 02:59+02", OPEN,
     "2027-10-31 04:00+01", "2027-11-07 01:00+01"},
    {"cph27 fall: overnight Sat 22-06 open 05:30", "Europe/Copenhagen", "Sat 22:00-06:00", "2027-10-31 05:30+01", OPEN,
     "2027-10-31 06:00+01", "2027-11-06 22:00+01"},
    {"cph27 fall: Sat 18-19 before change", "Europe/Copenhagen", "Sat 18:00-19:00", "2027-10-30 18:00+02", OPEN,
     "2027-10-30 19:00+02", "2027-11-06 18:00+01"},
    {"cph27 fall: Sun 18-19 after change closed 19:00", "Europe/Copenhagen", "Sun 18:00-19:00", "2027-10-31 19:00+01",
     SHUT, NULL, "2027-11-07 18:00+01"},
    {"cph27 fall: Sun 18-19 after change open", "Europe/Copenhagen", "Sun 18:00-19:00", "2027-10-31 18:59+01", OPEN,
     "2027-10-31 19:00+01", "2027-11-07 18:00+01"},

    /* Europe/Rome 2026 and 2027: same dates and hours as Copenhagen */
    {"rome26 spring: skipped-hour window never opens", "Europe/Rome", "Sun 02:15-02:45", "2026-03-29 01:59+01", SHUT,
     NULL, "2026-04-05 02:15+02"},
    {"rome26 spring: 02:30-03:30 opens at 03:00", "Europe/Rome", "Sun 02:30-03:30", "2026-03-29 01:30+01", SHUT, NULL,
     "2026-03-29 03:00+02"},
    {"rome26 spring: 02:30-03:30 closes 03:30", "Europe/Rome", "Sun 02:30-03:30", "2026-03-29 03:10+02", OPEN,
     "2026-03-29 03:30+02", "2026-04-05 02:30+02"},
    {"rome26 spring: Sun 18-19 after change", "Europe/Rome", "Sun 18:00-19:00", "2026-03-29 17:59+02", SHUT, NULL,
     "2026-03-29 18:00+02"},
    {"rome26 spring: overnight Sat 22-06", "Europe/Rome", "Sat 22:00-06:00", "2026-03-29 05:30+02", OPEN,
     "2026-03-29 06:00+02", "2026-04-04 22:00+02"},
    {"rome26 fall: repeated hour, first pass", "Europe/Rome", "Sun 02:15-02:45", "2026-10-25 02:30+02", OPEN,
     "2026-10-25 02:45+02", "2026-10-25 02:15+01"},
    {"rome26 fall: repeated hour, between passes", "Europe/Rome", "Sun 02:15-02:45", "2026-10-25 02:50+02", SHUT, NULL,
     "2026-10-25 02:15+01"},
    {"rome26 fall: repeated hour, second pass", "Europe/Rome", "Sun 02:15-02:45", "2026-10-25 02:15+01", OPEN,
     "2026-10-25 02:45+01", "2026-11-01 02:15+01"},
    {"rome26 fall: 01-04 spans both passes", "Europe/Rome", "Sun 01:00-04:00", "2026-10-25 01:00+02", OPEN,
     "2026-10-25 04:00+01", "2026-11-01 01:00+01"},
    {"rome26 fall: overnight Sat 22-06", "Europe/Rome", "Sat 22:00-06:00", "2026-10-24 22:00+02", OPEN,
     "2026-10-25 06:00+01", "2026-10-31 22:00+01"},
    {"rome27 spring: skipped-hour window never opens", "Europe/Rome", "Sun 02:15-02:45", "2027-03-28 01:59+01", SHUT,
     NULL, "2027-04-04 02:15+02"},
    {"rome27 spring: 02:30-03:30 opens at 03:00", "Europe/Rome", "Sun 02:30-03:30", "2027-03-28 01:30+01", SHUT, NULL,
     "2027-03-28 03:00+02"},
    {"rome27 spring: 02:30-03:30 closes 03:30", "Europe/Rome", "Sun 02:30-03:30", "2027-03-28 03:10+02", OPEN,
     "2027-03-28 03:30+02", "2027-04-04 02:30+02"},
    {"rome27 spring: Sun 18-19 after change", "Europe/Rome", "Sun 18:00-19:00", "2027-03-28 17:59+02", SHUT, NULL,
     "2027-03-28 18:00+02"},
    {"rome27 spring: overnight Sat 22-06", "Europe/Rome", "Sat 22:00-06:00", "2027-03-27 22:00+01", OPEN,
     "2027-03-28 06:00+02", "2027-04-03 22:00+02"},
    {"rome27 fall: repeated hour, first pass", "Europe/Rome", "Sun 02:15-02:45", "2027-10-31 02:30+02", OPEN,
     "2027-10-31 02:45+02", "2027-10-31 02:15+01"},
    {"rome27 fall: repeated hour, between passes", "Europe/Rome", "Sun 02:15-02:45", "2027-10-31 02:50+02", SHUT, NULL,
     "2027-10-31 02:15+01"},
    {"rome27 fall: repeated hour, second pass", "Europe/Rome", "Sun 02:15-02:45", "2027-10-31 02:15+01", OPEN,
     "2027-10-31 02:45+01", "2027-11-07 02:15+01"},
    {"rome27 fall: 01-04 spans both passes", "Europe/Rome", "Sun 01:00-04:00", "2027-10-31 01:00+02", OPEN,
     "2027-10-31 04:00+01", "2027-11-07 01:00+01"},
    {"rome27 fall: overnight Sat 22-06", "Europe/Rome", "Sat 22:00-06:00", "2027-10-30 22:00+02", OPEN,
     "2027-10-31 06:00+01", "2027-11-06 22:00+01"},

    /* Europe/Bucharest 2026: spring forward Sun Mar 29 (03:00-04:00 skipped), fall back Sun Oct 25 (03:00-04:00 twice) */
    {"buh26 spring: skipped-hour window never opens", "Europe/Bucharest", "Sun 03:15-03:45", "2026-03-29 02:59+02",
     SHUT, NULL, "2026-04-05 03:15+03"},
    {"buh26 spring: 03:30-04:30 opens at 04:00", "Europe/Bucharest", "Sun 03:30-04:30", "2026-03-29 02:30+02", SHUT,
     NULL, "2026-03-29 04:00+03"},
    {"buh26 spring: 03:30-04:30 closes 04:30", "Europe/Bucharest", "Sun 03:30-04:30", "2026-03-29 04:10+03", OPEN,
     "2026-03-29 04:30+03", "2026-04-05 03:30+03"},
    {"buh26 spring: Sun 18-19 after change", "Europe/Bucharest", "Sun 18:00-19:00", "2026-03-29 18:30+03", OPEN,
     "2026-03-29 19:00+03", "2026-04-05 18:00+03"},
    {"buh26 spring: overnight Sat 23-05", "Europe/Bucharest", "Sat 23:00-05:00", "2026-03-29 04:59+03", OPEN,
     "2026-03-29 05:00+03", "2026-04-04 23:00+03"},
    {"buh26 spring: Sat 18-19 before change", "Europe/Bucharest", "Sat 18:00-19:00", "2026-03-28 18:59+02", OPEN,
     "2026-03-28 19:00+02", "2026-04-04 18:00+03"},
    {"buh26 fall: repeated hour, first pass", "Europe/Bucharest", "Sun 03:15-03:45", "2026-10-25 03:20+03", OPEN,
     "2026-10-25 03:45+03", "2026-10-25 03:15+02"},
    {"buh26 fall: repeated hour, between passes", "Europe/Bucharest", "Sun 03:15-03:45", "2026-10-25 03:50+03", SHUT,
     NULL, "2026-10-25 03:15+02"},
    {"buh26 fall: repeated hour, second pass", "Europe/Bucharest", "Sun 03:15-03:45", "2026-10-25 03:44+02", OPEN,
     "2026-10-25 03:45+02", "2026-11-01 03:15+02"},
    {"buh26 fall: 02-05 spans both passes", "Europe/Bucharest", "Sun 02:00-05:00", "2026-10-25 03:30+02", OPEN,
     "2026-10-25 05:00+02", "2026-11-01 02:00+02"},
    {"buh26 fall: overnight Sat 23-05", "Europe/Bucharest", "Sat 23:00-05:00", "2026-10-25 00:00+03", OPEN,
     "2026-10-25 05:00+02", "2026-10-31 23:00+02"},
    {"buh26 fall: Sun 18-19 after change", "Europe/Bucharest", "Sun 18:00-19:00", "2026-10-25 18:00+02", OPEN,
     "2026-10-25 19:00+02", "2026-11-01 18:00+02"},

    /* Europe/Bucharest 2027: spring forward Sun Mar 28, fall back Sun Oct 31 */
    {"buh27 spring: skipped-hour window never opens", "Europe/Bucharest", "Sun 03:15-03:45", "2027-03-28 02:59+02",
     SHUT, NULL, "2027-04-04 03:15+03"},
    {"buh27 spring: 03:30-04:30 opens at 04:00", "Europe/Bucharest", "Sun 03:30-04:30", "2027-03-28 02:30+02", SHUT,
     NULL, "2027-03-28 04:00+03"},
    {"buh27 spring: 03:30-04:30 closes 04:30", "Europe/Bucharest", "Sun 03:30-04:30", "2027-03-28 04:10+03", OPEN,
     "2027-03-28 04:30+03", "2027-04-04 03:30+03"},
    {"buh27 spring: Sun 18-19 after change", "Europe/Bucharest", "Sun 18:00-19:00", "2027-03-28 18:30+03", OPEN,
     "2027-03-28 19:00+03", "2027-04-04 18:00+03"},
    {"buh27 spring: overnight Sat 23-05", "Europe/Bucharest", "Sat 23:00-05:00", "2027-03-28 04:59+03", OPEN,
     "2027-03-28 05:00+03", "2027-04-03 23:00+03"},
    {"buh27 spring: Sat 18-19 before change", "Europe/Bucharest", "Sat 18:00-19:00", "2027-03-27 18:59+02", OPEN,
     "2027-03-27 19:00+02", "2027-04-03 18:00+03"},
    {"buh27 fall: repeated hour, first pass", "Europe/Bucharest", "Sun 03:15-03:45", "2027-10-31 03:20+03", OPEN,
     "2027-10-31 03:45+03", "2027-10-31 03:15+02"},
    {"buh27 fall: repeated hour, between passes", "Europe/Bucharest", "Sun 03:15-03:45", "2027-10-31 03:50+03", SHUT,
     NULL, "2027-10-31 03:15+02"},
    {"buh27 fall: repeated hour, second pass", "Europe/Bucharest", "Sun 03:15-03:45", "2027-10-31 03:44+02", OPEN,
     "2027-10-31 03:45+02", "2027-11-07 03:15+02"},
    {"buh27 fall: 02-05 spans both passes", "Europe/Bucharest", "Sun 02:00-05:00", "2027-10-31 03:30+02", OPEN,
     "2027-10-31 05:00+02", "2027-11-07 02:00+02"},
    {"buh27 fall: overnight Sat 23-05", "Europe/Bucharest", "Sat 23:00-05:00", "2027-10-31 00:00+03", OPEN,
     "2027-10-31 05:00+02", "2027-11-06 23:00+02"},
    {"buh27 fall: Sun 18-19 after change", "Europe/Bucharest", "Sun 18:00-19:00", "2027-10-31 18:00+02", OPEN,
     "2027-10-31 19:00+02", "2027-11-07 18:00+02"},

    /* invalid input */
    {"invalid: unknown zone", "Europe/Atlantis", "Mon 18:00-19:00", "2026-11-23 12:00Z", E(ZONE), NULL, NULL},
    {"invalid: empty zone", "", "Mon 18:00-19:00", "2026-11-23 12:00Z", E(ZONE), NULL, NULL},
    {"invalid: hand-written offset zone", "GMT+03:00", "Mon 18:00-19:00", "2026-11-23 12:00Z", E(ZONE), NULL, NULL},
    {"invalid: zone with a space", "Europe/ Rome", "Mon 18:00-19:00", "2026-11-23 12:00Z", E(ZONE), NULL, NULL},
    {"invalid: zone name too long", "Europe/Copenhagen_Copenhagen_Copenhagen_Copenhagen_Copenhagen_Copenhagen", "-",
     "2026-11-23 12:00Z", E(ZONE), NULL, NULL},
    {"invalid: start 24:00", "Europe/Rome", "Mon 24:00-01:00", "2026-11-23 12:00Z", E(MINUTE), NULL, NULL},
    {"invalid: end 24:01", "Europe/Rome", "Mon 10:00-24:01", "2026-11-23 12:00Z", E(MINUTE), NULL, NULL},
    {"invalid: dated start 25:00", "Europe/Rome", "2026-12-24 25:00-01:00", "2026-11-23 12:00Z", E(MINUTE), NULL, NULL},
    {"invalid: weekday 0", "Europe/Rome", "0 10:00-11:00", "2026-11-23 12:00Z", E(WEEKDAY), NULL, NULL},
    {"invalid: weekday 8", "Europe/Rome", "8 10:00-11:00", "2026-11-23 12:00Z", E(WEEKDAY), NULL, NULL},
    {"invalid: Feb 30", "Europe/Rome", "2026-02-30 10:00-11:00", "2026-11-23 12:00Z", E(DATE), NULL, NULL},
    {"invalid: Feb 29 in 2027 blackout", "Europe/Rome", "!2027-02-29", "2026-11-23 12:00Z", E(DATE), NULL, NULL},
    {"invalid: month 13", "Europe/Rome", "!2026-13-01", "2026-11-23 12:00Z", E(DATE), NULL, NULL},
    {"invalid: year 1899", "Europe/Rome", "!1899-12-31", "2026-11-23 12:00Z", E(DATE), NULL, NULL},
    {"invalid: 169 weekly windows", "Europe/Rome", "*169 Mon 10:00-11:00", "2026-11-23 12:00Z", E(TOO_MANY), NULL,
     NULL},
    {"valid: 168 weekly windows", "Europe/Rome", "*168 Mon 10:00-11:00", "2026-11-23 10:00+01", OPEN,
     "2026-11-23 11:00+01", "2026-11-30 10:00+01"},
    {"invalid: 1025 blackouts", "Europe/Rome", "*1025 !2026-12-25", "2026-11-23 12:00Z", E(TOO_MANY), NULL, NULL},
    {"invalid: 1025 dated windows", "Europe/Rome", "*1025 2026-12-25 10:00-11:00", "2026-11-23 12:00Z", E(TOO_MANY),
     NULL, NULL},
    {"invalid: query in 2300", "Europe/Rome", "Mon 10:00-11:00", "2300-01-01 00:00Z", E(RANGE), NULL, NONE},
    {"invalid: query in 1800", "Europe/Rome", "Mon 10:00-11:00", "1800-01-01 00:00Z", E(RANGE), NULL, NONE},
};

/* One listing case: the open intervals within [from, to): how many, and how many minutes in all. */
struct lcase {
	const char *name, *zone, *windows, *from, *to;
	long count; /* or E(x) */
	long minutes;
};

static const struct lcase lcases[] = {
    {"list: three 1h windows a week", "Europe/Copenhagen", "Mon 18:00-19:00, Wed 18:00-19:00, Fri 18:00-19:00",
     "2026-11-23 00:00+01", "2026-11-30 00:00+01", 3, 180},
    {"list: spring week loses the skipped window", "Europe/Copenhagen", "Sun 02:00-03:00, Sun 18:00-19:00",
     "2026-03-23 00:00+01", "2026-03-30 00:00+02", 1, 60},
    {"list: fall week counts the repeated hour twice", "Europe/Copenhagen", "Sun 02:00-03:00", "2026-10-19 00:00+02",
     "2026-10-26 00:00+01", 1, 120},
    {"list: fall week 02:15-02:45 gives two intervals", "Europe/Copenhagen", "Sun 02:15-02:45", "2026-10-19 00:00+02",
     "2026-10-26 00:00+01", 2, 60},
    {"list: clipped at the range edges", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-11-23 18:30+01",
     "2026-11-30 18:30+01", 2, 60},
    {"list: empty range", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-11-23 18:30+01", "2026-11-23 18:30+01", 0, 0},
    {"list: a year of Mondays in 2026", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-01-01 00:00+01",
     "2027-01-01 00:00+01", 52, 3120},
    {"list: a year with two blackouts and an extra", "Europe/Copenhagen",
     "Mon 18:00-19:00, !2026-12-28, !2026-01-05, 2026-12-24 10:00-12:00", "2026-01-01 00:00+01", "2027-01-01 00:00+01",
     51, 3120},
    {"list: Bucharest overnight across spring forward", "Europe/Bucharest", "Sat 22:00-06:00", "2026-03-23 00:00+02",
     "2026-03-30 00:00+03", 1, 420},
    {"list: Bucharest overnight across fall back", "Europe/Bucharest", "Sat 22:00-06:00", "2026-10-19 00:00+03",
     "2026-10-26 00:00+02", 1, 540},
    {"list: east of UTC, local Monday starts on UTC Sunday", "Europe/Bucharest", "Mon 00:00-02:00",
     "2026-11-23 00:00+02", "2026-11-23 01:00+02", 1, 60},
    {"list: UTC+14 Kiritimati", "Pacific/Kiritimati", "Mon 00:00-01:00", "2026-11-23 00:00+14", "2026-11-23 00:30+14",
     1, 30},
    {"list: UTC-11 Pago Pago, Sunday's overnight", "Pacific/Pago_Pago", "Sun 22:00-02:00", "2026-11-23 01:00-11",
     "2026-11-23 03:00-11", 1, 60},
    {"list: reversed range", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-11-30 00:00Z", "2026-11-23 00:00Z", E(RANGE),
     0},
    {"list: range over 3 years", "Europe/Copenhagen", "Mon 18:00-19:00", "2026-01-01 00:00Z", "2030-01-01 00:00Z",
     E(RANGE), 0},
};

static int failed, passed;

static void check(bool ok, const char *name, const char *fmt, long long got, long long want)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: %s: got %lld, want %lld\n", name, fmt, got, want);
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* "YYYY-MM-DD HH:MM" + "Z" | "+HH" | "-HH" | "+HH:MM" -> UTC ms; "-" -> -1. */
static int64_t parse_instant(const char *s)
{
	int y, mo, d, h, mi, n = 0, oh = 0, om = 0;
	if (strcmp(s, NONE) == 0)
		return -1;
	if (sscanf(s, "%d-%d-%d %d:%d%n", &y, &mo, &d, &h, &mi, &n) != 5) {
		printf("bad instant in table: %s\n", s);
		exit(2);
	}
	const char *z = s + n;
	int sign = *z == '-' ? -1 : 1;
	if (*z != 'Z' && sscanf(z + 1, "%d:%d", &oh, &om) < 1) {
		printf("bad offset in table: %s\n", s);
		exit(2);
	}
	int64_t local = (days_from_civil(y, mo, d) * 1440 + h * 60 + mi) * 60000LL;
	return local - sign * (oh * 60 + om) * 60000LL;
}

static int parse_hhmm(const char *s, int *start, int *end)
{
	int h1, m1, h2, m2;
	if (sscanf(s, "%d:%d-%d:%d", &h1, &m1, &h2, &m2) != 4)
		return -1;
	*start = h1 * 60 + m1;
	*end = h2 * 60 + m2;
	return 0;
}

#define MAXW 2048
struct built {
	struct schedule_weekly weekly[MAXW];
	struct schedule_dated dated[MAXW];
	int32_t blackouts[MAXW];
	struct schedule_spec spec;
};

static void add_item(struct built *b, const char *item)
{
	static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	int y, mo, d, n = 0;
	if (item[0] == '!' && sscanf(item + 1, "%d-%d-%d", &y, &mo, &d) == 3) {
		b->blackouts[b->spec.n_blackouts++] = y * 10000 + mo * 100 + d;
		return;
	}
	if (sscanf(item, "%d-%d-%d %n", &y, &mo, &d, &n) == 3 && n > 0) {
		struct schedule_dated *w = &b->dated[b->spec.n_dated++];
		w->date = y * 10000 + mo * 100 + d;
		if (parse_hhmm(item + n, &w->start_min, &w->end_min) == 0)
			return;
	} else {
		struct schedule_weekly *w = &b->weekly[b->spec.n_weekly++];
		w->weekday = item[0] >= '0' && item[0] <= '9' ? item[0] - '0' : 0;
		for (int i = 0; i < 7; i++)
			if (strncmp(item, days[i], 3) == 0)
				w->weekday = i + 1;
		const char *sp = strchr(item, ' ');
		if (sp && parse_hhmm(sp + 1, &w->start_min, &w->end_min) == 0)
			return;
	}
	printf("bad window in table: %s\n", item);
	exit(2);
}

/* Builds the spec for a windows string (see struct qcase). */
static void parse_windows(struct built *b, const char *zone, const char *windows)
{
	memset(&b->spec, 0, sizeof(b->spec));
	b->spec.zone = zone;
	b->spec.weekly = b->weekly;
	b->spec.dated = b->dated;
	b->spec.blackouts = b->blackouts;
	if (strcmp(windows, "-") == 0)
		return;
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", windows);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		int times = 1, n = 0;
		if (*tok == '*' && sscanf(tok + 1, "%d %n", &times, &n) == 1)
			tok += 1 + n;
		for (int i = 0; i < times && i < MAXW; i++)
			add_item(b, tok);
	}
}

static struct built B;

/* UTC text of an instant for failure messages ("-" for -1). */
static const char *fmt_utc(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	if (ms == -1 || !gmtime_r(&secs, &tm))
		snprintf(buf, len, "%lld", (long long)ms);
	else
		strftime(buf, len, "%Y-%m-%d %H:%MZ", &tm);
	return buf;
}

static void run_qcase(const struct qcase *c)
{
	schedule *s;
	parse_windows(&B, c->zone, c->windows);
	enum schedule_error e = schedule_new(&s, &B.spec, NULL);
	if (e) {
		check(-(int)e == c->expect, c->name, "build error", -(int)e, c->expect);
		return;
	}
	int64_t now = parse_instant(c->at), closes = -7;
	int r = schedule_is_open(s, now, &closes);
	bool ok = r == c->expect;
	if (ok && r == OPEN && c->closes)
		ok = closes == parse_instant(c->closes);
	if (ok && c->next)
		ok = schedule_next_open(s, now) == parse_instant(c->next);
	char b1[40], b2[40];
	if (!ok)
		printf("FAIL %s: open %d (want %d) closes %s (want %s) next %s (want %s)\n", c->name, r, c->expect,
		       fmt_utc(closes, b1, sizeof(b1)), c->closes ? c->closes : "?",
		       fmt_utc(schedule_next_open(s, now), b2, sizeof(b2)), c->next ? c->next : "?");
	failed += !ok;
	passed += ok;
	schedule_free(s);
}

static void run_lcase(const struct lcase *c)
{
	schedule *s;
	static struct schedule_interval iv[512];
	parse_windows(&B, c->zone, c->windows);
	if (schedule_new(&s, &B.spec, NULL)) {
		check(false, c->name, "build", 0, 0);
		return;
	}
	long n = schedule_list_open(s, parse_instant(c->from), parse_instant(c->to), iv, 512);
	long minutes = 0;
	for (long i = 0; i < n && i < 512; i++)
		minutes += (long)((iv[i].end_ms - iv[i].start_ms) / 60000);
	check(n == c->count && (n < 0 || minutes == c->minutes), c->name, "count (minutes)", n * 100000 + minutes,
	      c->count * 100000 + c->minutes);
	schedule_free(s);
}

/* Compares the cached answers of one long-lived schedule with a fresh listing, over two years: walking
 * forward every 13 minutes (refills as time passes), then jumping around at random (refills both ways). */
static void run_crosscheck(const char *name, bool random_walk)
{
	static struct schedule_interval ref[4096];
	schedule *s, *r;
	parse_windows(&B, "Europe/Bucharest",
		      "Mon 18:00-19:00, Fri 22:00-01:00, Sat 23:00-05:00, "
		      "Sun 03:15-03:45, Sun 02:00-02:30, 2026-12-24 10:00-12:00, !2026-12-25, !2027-03-27");
	if (schedule_new(&s, &B.spec, NULL) || schedule_new(&r, &B.spec, NULL)) {
		check(false, name, "build", 0, 0);
		return;
	}
	long n =
	    schedule_list_open(r, parse_instant("2026-01-01 00:00Z"), parse_instant("2028-01-01 00:00Z"), ref, 4096);
	int64_t t0 = parse_instant("2026-01-10 00:00Z"), t1 = parse_instant("2027-12-01 00:00Z"), t = t0;
	uint64_t rng = 42;
	bool ok = n > 0 && n < 4096;
	for (int q = 0; ok && t < t1; q++) {
		long i = 0;
		while (i < n && ref[i].end_ms <= t)
			i++; /* linear is fine for the walk; the random walk restarts, still < 1 s */
		bool open = i < n && ref[i].start_ms <= t;
		int64_t want_next = i < n ? ref[i + open].start_ms : -1, closes = -7;
		int got = schedule_is_open(s, t, &closes);
		int64_t next = schedule_next_open(s, t);
		ok = got == open && (!open || closes == ref[i].end_ms) && next == want_next;
		if (!ok)
			printf("FAIL %s: at %lld open %d/%d closes %lld/%lld next %lld/%lld\n", name, (long long)t, got,
			       open, (long long)closes, (long long)(open ? ref[i].end_ms : -7), (long long)next,
			       (long long)want_next);
		if (random_walk) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			t = q < 3000 ? t0 + (int64_t)((rng >> 11) % (uint64_t)(t1 - t0)) : t1;
		} else {
			t += 13 * 60000LL;
		}
	}
	check(ok, name, "consistent", ok, 1);
	schedule_free(s);
	schedule_free(r);
}

/* Things a table row cannot say: the error table, bad_index, raw out-of-range minutes, NULL closes_at. */
static void run_api_checks(void)
{
	schedule *s;
	int bad = 99;
	struct schedule_weekly neg[] = {{1, 600, 660}, {2, -1, 600}};
	struct schedule_spec spec = {.zone = "Europe/Rome", .weekly = neg, .n_weekly = 2};
	check(schedule_new(&s, &spec, &bad) == SCHEDULE_ERR_MINUTE && !s, "api: negative minute", "code", 0, 0);
	check(bad == 1, "api: bad_index points at the window", "bad_index", bad, 1);
	neg[1].start_min = 600;
	check(schedule_new(&s, &spec, &bad) == SCHEDULE_ERR_OK && bad == -1, "api: valid after fix", "code", bad, -1);
	check(schedule_is_open(s, parse_instant("2026-11-23 10:30+01"), NULL) == 1, "api: NULL closes_at", "open", 0,
	      1);
	check(schedule_is_open(s, INT64_MAX, NULL) == -SCHEDULE_ERR_RANGE, "api: is_open at INT64_MAX", "code", 0, 0);
	check(schedule_next_open(s, INT64_MIN) == -1, "api: next_open at INT64_MIN", "next", 0, -1);
	check(schedule_list_open(s, INT64_MIN, INT64_MAX, NULL, 0) == -SCHEDULE_ERR_RANGE, "api: list of everything",
	      "code", 0, 0);
	long cnt = schedule_list_open(s, 0, 7 * 86400000LL, NULL, 0);
	check(cnt == 2, "api: list with cap 0 still counts (Mon 10-11, Tue 10-10)", "count", cnt, 2);
	schedule_free(s);
	schedule_free(NULL);
	check(strcmp(schedule_error_code(SCHEDULE_ERR_ZONE), "unknown_zone") == 0, "api: stable code", "strcmp", 0, 0);
	check(strcmp(schedule_error_message(SCHEDULE_ERR_TOO_MANY), "schedule: too many windows or blackout dates") ==
		  0,
	      "api: stable message", "strcmp", 0, 0);
	check(strcmp(schedule_error_code((enum schedule_error)999), "unknown") == 0, "api: unknown code", "strcmp", 0,
	      0);
}

static void run_extra(void)
{
	run_api_checks();
	run_crosscheck("crosscheck: walking forward through 2026-2027", false);
	run_crosscheck("crosscheck: random jumps through 2026-2027", true);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(qcases) / sizeof(qcases[0]); i++)
		run_qcase(&qcases[i]);
	for (size_t i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++)
		run_lcase(&lcases[i]);
	run_extra();
	printf("schedule: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
