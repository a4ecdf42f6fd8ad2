#include <err.h>
#include <stdlib.h>

#include "argsec.h"
#include "numarg.h"

double
arg_seconds(const char *s, char opt, void (*usage)(FILE *))
{
	const char *errstr;
	double d;

	d = numarg_seconds(s, &errstr);
	if (errstr != NULL) {
		warnx("-%c %s: not a number of seconds", opt, s);
		usage(stderr);
		exit(2);
	}
	return d;
}
