/* envnum: whole-number settings read from the environment. */
#ifndef ENVNUM_H
#define ENVNUM_H

/* envnum_whole: the whole number (min to max) in environment variable
 * var, or def when var is unset or empty.  Anything else (a sign, a blank,
 * a fraction, a number out of range) exits 2 with a message naming var,
 * its value and the range, in units when units is not NULL. */
long	envnum_whole(const char *var, long def, long min, long max,
	    const char *units);

#endif
