#include <curl/curl.h>
#include <err.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envnum.h"
#include "monoclock.h"
#include "retry.h"

void
retry_policy_env(struct retry_policy *p)
{
	p->base_ms = envnum_whole("BATCHPIPE_RETRY_BASE_MS", 1000, 0, 3600000,
	    NULL);
	p->cap_ms = envnum_whole("BATCHPIPE_RETRY_MAX_MS", 60000, 0, 3600000,
	    NULL);
	p->max_tries = (int)envnum_whole("BATCHPIPE_MAX_TRIES", 8, 1, 1000,
	    NULL);
}

int
retry_status(long status)
{
	return status == 408 || status == 409 || status == 429 ||
	    (status >= 500 && status <= 599);
}

/* A non-negative decimal number, optionally with a fraction (the API has
 * sent "retry-after-ms: 1234.5"); -1 if s is anything else. */
static double
parse_number(const char *s)
{
	double v = 0, scale = 1;
	int digits = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		if (v < 1e12)
			v = v * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, digits++)
			v += (*s - '0') * (scale /= 10);
	while (*s == ' ' || *s == '\t')
		s++;
	return digits > 0 && *s == '\0' ? v : -1;
}

static long
clamp(double ms, long cap_ms)
{
	if (ms < 0)
		return 0;
	if (ms > (double)cap_ms)
		return cap_ms;
	return (long)ms;
}

long
retry_after_ms(const char *after_ms, const char *after, time_t now,
    long cap_ms)
{
	double v;
	time_t when;

	if (after_ms != NULL && (v = parse_number(after_ms)) >= 0)
		return clamp(v, cap_ms);
	if (after == NULL)
		return -1;
	if ((v = parse_number(after)) >= 0)
		return clamp(v * 1000, cap_ms);
	/* libcurl parses HTTP dates (all three RFC 9110 forms). */
	when = curl_getdate(after, NULL);
	if (when == (time_t)-1)
		return -1;
	return clamp(difftime(when, now) * 1000, cap_ms);
}

long
retry_backoff_ms(const struct retry_policy *p, int attempt)
{
	long ceiling = p->base_ms;
	int i;

	for (i = 1; i < attempt && ceiling < p->cap_ms; i++)
		ceiling = ceiling > LONG_MAX / 2 ? LONG_MAX : ceiling * 2;
	if (ceiling > p->cap_ms)
		ceiling = p->cap_ms;
	if (ceiling <= 0)
		return 0;
	/* arc4random_uniform (glibc 2.36): uniform, and no seeding to get
	 * wrong; many clients start together after an outage. */
	return (long)arc4random_uniform((unsigned)ceiling + 1);
}

void
retry_sleep_ms(long ms)
{
	mono_sleep((double)ms / 1000);
}
