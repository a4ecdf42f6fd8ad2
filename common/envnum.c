#include <err.h>
#include <stdlib.h>

#include "envnum.h"
#include "numarg.h"

long
envnum_whole(const char *var, long def, long min, long max,
    const char *units)
{
	const char *v, *errstr;
	long n;

	v = getenv(var);
	if (v == NULL || *v == '\0')
		return def;
	n = (long)numarg(v, min, max, &errstr);
	if (errstr != NULL)
		errx(2, "%s: %s: expected a whole number%s%s from %ld to %ld",
		    var, v, units != NULL ? " of " : "",
		    units != NULL ? units : "", min, max);
	return n;
}
