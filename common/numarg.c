#include <limits.h>
#include <stdlib.h>

#include "numarg.h"

#define INVALID		"invalid"
#define TOO_SMALL	"too small"
#define TOO_LARGE	"too large"

/* The whole number at the start of s (an optional '-' and at least one
 * digit) into *v, with *end just past it.  Returns NULL, or the error,
 * a number beyond long long being too small or too large by its sign. */
static const char *
whole(const char *s, long long *v, const char **end)
{
	unsigned long long n = 0, limit;
	int neg = *s == '-', over = 0;

	if (neg)
		s++;
	if (*s < '0' || *s > '9')
		return INVALID;
	limit = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (limit - (unsigned long long)(*s - '0')) / 10)
			over = 1;
		else
			n = n * 10 + (unsigned long long)(*s - '0');
	}
	*end = s;
	if (over)
		return neg ? TOO_SMALL : TOO_LARGE;
	*v = neg ? (long long)(0 - n) : (long long)n;
	return NULL;
}

/* Checks v against min and max into *errstr; returns v, or 0 with an
 * error. */
static long long
ranged(long long v, long long min, long long max, const char **errstr)
{
	*errstr = v < min ? TOO_SMALL : v > max ? TOO_LARGE : NULL;
	return *errstr == NULL ? v : 0;
}

long long
numarg(const char *s, long long min, long long max, const char **errstr)
{
	const char *end;
	long long v;

	if ((*errstr = whole(s, &v, &end)) == NULL && *end != '\0')
		*errstr = INVALID;
	if (*errstr != NULL)
		return 0;
	return ranged(v, min, max, errstr);
}

long long
numarg_size(const char *s, long long min, long long max, const char **errstr)
{
	const char *end;
	long long v, mult = 1;

	if ((*errstr = whole(s, &v, &end)) != NULL)
		return 0;
	switch (*end) {
	case 'k': case 'K': mult = 1000; end++; break;
	case 'M': mult = 1000000; end++; break;
	case 'G': mult = 1000000000; end++; break;
	default: break;
	}
	if (*end != '\0') {
		*errstr = INVALID;
		return 0;
	}
	if (v > LLONG_MAX / mult || v < LLONG_MIN / mult) {
		*errstr = v < 0 ? TOO_SMALL : TOO_LARGE;
		return 0;
	}
	return ranged(v * mult, min, max, errstr);
}

double
numarg_decimal(const char *s, double min, double max, const char **errstr)
{
	const char *p = s;
	size_t digits = 0;
	double v;

	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0 || *p != '\0') {
		*errstr = INVALID;
		return 0;
	}
	/* What is left is digits and a point, which strtod reads the same
	 * way in the C locale, which no tool leaves. */
	v = strtod(s, NULL);
	*errstr = v < min ? TOO_SMALL : v > max ? TOO_LARGE : NULL;
	return *errstr == NULL ? v : 0;
}

double
numarg_seconds(const char *s, const char **errstr)
{
	double v;

	v = numarg_decimal(s, 0, NUMARG_SECONDS_MAX, errstr);
	if (*errstr == NULL && v <= 0) {
		*errstr = TOO_SMALL;
		return 0;
	}
	return v;
}
