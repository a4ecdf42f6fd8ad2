#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "argsec.h"

double
arg_seconds(const char *s, char opt, void (*usage)(FILE *))
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(d) ||
	    d <= 0 || d > 1e7) {
		warnx("-%c %s: not a number of seconds", opt, s);
		usage(stderr);
		exit(2);
	}
	return d;
}
