/* SPDX-License-Identifier: MIT */
/* Local-time windows (timewin.h). */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "common/timewin.h"

#define TIMEWIN_WHY                                                    \
	"expected a time window \"DAYS HH:MM-HH:MM\" such as "          \
	"\"Mon-Fri 08:00-18:00\", \"Sat,Sun\" or \"Sat,Sun 00:00-24:00\""

static bool tw_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool tw_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void tw_blank(const char **s)
{
	while (**s == ' ' || **s == '\t')
		(*s)++;
}

/* A three-letter day name not followed by a letter: 0 (Sun) .. 6, or -1. */
static int tw_day(const char **s)
{
	static const char days[7][4] = {"sun", "mon", "tue", "wed",
					"thu", "fri", "sat"};
	int d;

	for (d = 0; d < 7; d++) {
		if (strncasecmp(*s, days[d], 3) == 0 && !tw_alpha((*s)[3])) {
			*s += 3;
			return d;
		}
	}
	return -1;
}

/* "H:MM" or "HH:MM", 00:00 .. 24:00, into minutes of the day. */
static int tw_hhmm(const char **s, int *min)
{
	const char *p = *s;
	int h, m;

	if (!tw_digit(*p))
		return -1;
	h = *p++ - '0';
	if (tw_digit(*p))
		h = h * 10 + (*p++ - '0');
	if (*p++ != ':' || !tw_digit(p[0]) || !tw_digit(p[1]))
		return -1;
	m = (p[0] - '0') * 10 + (p[1] - '0');
	p += 2;
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return -1;
	*min = h * 60 + m;
	*s = p;
	return 0;
}

const char *timewin_parse(const char *s, struct timewin *t)
{
	unsigned int days = 0;
	int start = 0, end = 24 * 60;
	bool named;

	memset(t, 0, sizeof(*t));
	tw_blank(&s);
	named = tw_alpha(*s);
	if (named) {
		for (;;) {
			int a = tw_day(&s), b, d;

			if (a < 0)
				return TIMEWIN_WHY;
			b = a;
			if (*s == '-') {
				s++;
				b = tw_day(&s);
				if (b < 0)
					return TIMEWIN_WHY;
			}
			for (d = a;; d = (d + 1) % 7) {
				days |= 1u << d;
				if (d == b)
					break;
			}
			if (*s != ',')
				break;
			s++;
		}
		if (*s && *s != ' ' && *s != '\t')
			return TIMEWIN_WHY;
		tw_blank(&s);
	} else {
		days = 0x7f;
	}
	if (*s) {
		if (tw_hhmm(&s, &start) != 0 || *s++ != '-' ||
		    tw_hhmm(&s, &end) != 0)
			return TIMEWIN_WHY;
		tw_blank(&s);
		if (*s)
			return TIMEWIN_WHY;
		if (start == 24 * 60)
			return "a time window cannot start at 24:00";
		if (start == end)
			return "empty time window (start and end are equal)";
		if (end == 0)
			end = 24 * 60;
	} else if (!named) {
		return TIMEWIN_WHY; /* nothing at all ("Mon-Sun" is every day) */
	}
	t->days = (uint8_t)days;
	t->start = (uint16_t)start;
	t->end = (uint16_t)end;
	return NULL;
}

bool timewin_match(const struct timewin *t, const struct tm *now)
{
	int wday = now->tm_wday, min = now->tm_hour * 60 + now->tm_min;
	int yesterday = (wday + 6) % 7;

	if (wday < 0 || wday > 6)
		return false;
	if (t->start < t->end)
		return (t->days & (1u << wday)) && min >= t->start &&
		       min < t->end;
	/* Wraps: the evening of a listed day, or the morning after one. */
	return ((t->days & (1u << wday)) && min >= t->start) ||
	       ((t->days & (1u << yesterday)) && min < t->end);
}
