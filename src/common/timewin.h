/* SPDX-License-Identifier: MIT */
/*
 * Local-time windows for rules, shared by socks.conf routes and socksifyd
 * rules: "Mon-Fri 08:00-18:00", "Sat,Sun", "22:00-06:00".  Pure.
 */
#ifndef SOCKSIFY_COMMON_TIMEWIN_H
#define SOCKSIFY_COMMON_TIMEWIN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Days: bit 0 Sunday .. bit 6 Saturday; [start, end) in minutes of the
 * day; end < start wraps past midnight (the early part belongs to the day
 * after a listed day). */
struct timewin {
	uint8_t days;
	uint16_t start, end;
};

/*
 * Parse "[DAYS] [H:MM-H:MM]" (at least one part): DAYS is a comma list of
 * days and day ranges ("Mon-Fri", "Sat,Sun", "Fri-Mon" wraps over the
 * weekend), case-insensitive; no DAYS means every day, no times all day.
 * Hours 0..24 ("24:00" only as an end); an end of "00:00" means midnight.
 * Returns NULL, or a static phrase saying what is wrong.
 */
const char *timewin_parse(const char *s, struct timewin *t);

/* Is local time @now (tm_wday, tm_hour, tm_min) inside @t? */
bool timewin_match(const struct timewin *t, const struct tm *now);

#endif
