/* envnum: whole-number settings read from the environment. */
#ifndef ENVNUM_H
#define ENVNUM_H

/* envnum_whole: the whole number (min to max) in environment variable
 * var, or def when var is unset or empty, read by numarg's rule
 * (common/numarg.h).  Anything else (a blank, a '+', a fraction, a number
 * out of range) exits 2 with "prog: VAR: VALUE: expected a whole number
 * [of UNITS] from MIN to MAX". */
long	envnum_whole(const char *var, long def, long min, long max,
	    const char *units);

#endif
