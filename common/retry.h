/* retry: when and how long to wait before trying a request again.
 * Exponential backoff with full jitter (a random wait between 0 and
 * min(cap, base * 2^attempt)), unless the server said how long to wait. */
#ifndef RETRY_H
#define RETRY_H
#include <time.h>

struct retry_policy {
	long	base_ms;	/* BATCHPIPE_RETRY_BASE_MS, default 1000 */
	long	cap_ms;		/* BATCHPIPE_RETRY_MAX_MS, default 60000 */
	int	max_tries;	/* BATCHPIPE_MAX_TRIES, default 8 (first try
				 * included) */
};

/* retry_policy_env: the defaults above, overridden by the environment
 * variables named there (documented in batchpipe(7)).  A value that is not
 * a whole number in range is reported ("prog: VAR: ...") and exits 2. */
void	retry_policy_env(struct retry_policy *p);

/* retry_status: 1 when an HTTP status is worth another try (408, 409,
 * 429, 5xx), 0 when it is a permanent answer. */
int	retry_status(long status);

/* retry_after_ms: the wait the server asked for, in milliseconds, from the
 * values of the "retry-after-ms" header (a number of milliseconds) and the
 * "Retry-After" header (delay-seconds or an HTTP-date, RFC 9110 10.2.3);
 * either may be NULL.  retry-after-ms wins when it parses.  now is the
 * current time, for dates.  The result is clamped to [0, cap_ms].  Returns
 * -1 when neither header gives a usable value.  Pure: no I/O, no clock. */
long	retry_after_ms(const char *after_ms, const char *after, time_t now,
	    long cap_ms);

/* retry_backoff_ms: the full-jitter wait before try number attempt + 1
 * (attempt counts from 1: the wait after the first failure). */
long	retry_backoff_ms(const struct retry_policy *p, int attempt);

/* retry_sleep_ms: mono_sleep (common/monoclock.h) of ms milliseconds. */
void	retry_sleep_ms(long ms);

#endif
