#include <err.h>
#include <stddef.h>

#include "expiry.h"
#include "numarg.h"

long long
expiry_seconds(char opt, const char *s)
{
	const char *errstr;
	long long v;

	v = numarg(s, EXPIRES_MIN, EXPIRES_MAX, &errstr);
	if (errstr != NULL) {
		warnx("-%c %s: %s (%d to %d seconds)", opt, s, errstr,
		    EXPIRES_MIN, EXPIRES_MAX);
		return -1;
	}
	return v;
}
