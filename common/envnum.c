#include <err.h>
#include <errno.h>
#include <stdlib.h>

#include "envnum.h"

long
envnum_whole(const char *var, long def, long min, long max,
    const char *units)
{
	const char *v;
	char *end;
	long n;

	v = getenv(var);
	if (v == NULL || *v == '\0')
		return def;
	/* strtol would skip blanks and take a sign: a setting has
	 * neither. */
	errno = 0;
	n = strtol(v, &end, 10);
	if (*v < '0' || *v > '9' || errno != 0 || *end != '\0' ||
	    n < min || n > max)
		errx(2, "%s: %s: expected a whole number%s%s from %ld to %ld",
		    var, v, units != NULL ? " of " : "",
		    units != NULL ? units : "", min, max);
	return n;
}
