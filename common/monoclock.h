/* monoclock: the time that only goes forward, for deadlines, rates and
 * backoff (a change of the wall clock must not shorten or stretch a
 * wait). */
#ifndef MONOCLOCK_H
#define MONOCLOCK_H

/* mono_now: seconds on CLOCK_MONOTONIC, from an unspecified start: only
 * differences mean anything. */
double	mono_now(void);

/* mono_sleep: sleeps s seconds (nothing when s <= 0), the whole time
 * even when signals interrupt it: a handler that wants the wait cut
 * short sets a flag the caller checks after it. */
void	mono_sleep(double s);

#endif
