/* numarg: the one rule for a number given as an option's argument or in
 * an environment variable, after OpenBSD's strtonum(3): decimal digits
 * only, with at most a leading '-' ("-0" is 0); no blank before or after,
 * no '+', no "0x", no suffix the caller did not ask for.  A number that
 * breaks the rule is "invalid"; one out of [min, max] is "too small" or
 * "too large", as strtonum says them, so every tool refuses the same
 * strings.  None of these report anything: the caller names the option
 * and says what it wanted. */
#ifndef NUMARG_H
#define NUMARG_H

/* The longest a number of seconds may be (about 116 days). */
#define NUMARG_SECONDS_MAX	1e7

/* numarg: s as a whole number from min to max (min <= max).  On success
 * *errstr is NULL; otherwise it points to "invalid", "too small" or "too
 * large" (static text) and 0 is returned.  A number beyond long long is
 * "too small" or "too large" by its sign. */
long long	numarg(const char *s, long long min, long long max,
		    const char **errstr);

/* numarg_size: numarg that also takes one suffix after the digits, k or
 * K (1000), M (1000000) or G (1000000000), powers of 1000 as the tools'
 * -b and -Q have always meant.  The range applies to the multiplied
 * value. */
long long	numarg_size(const char *s, long long min, long long max,
		    const char **errstr);

/* numarg_decimal: s as a number that may have a fraction, written
 * DIGITS, DIGITS. , DIGITS.DIGITS or .DIGITS (no sign, no exponent, no
 * "inf" or "nan"), from min to max.  Errors as numarg's. */
double		numarg_decimal(const char *s, double min, double max,
		    const char **errstr);

/* numarg_seconds: numarg_decimal for a wait: above 0 ("0" is "too
 * small") and at most NUMARG_SECONDS_MAX. */
double		numarg_seconds(const char *s, const char **errstr);

#endif
