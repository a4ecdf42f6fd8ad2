/* argsec: an option's argument as a number of seconds, parsed one way by
 * every tool that waits. */
#ifndef ARGSEC_H
#define ARGSEC_H
#include <stdio.h>

/* arg_seconds: s, the argument of option -opt, as a positive number of
 * seconds (decimals allowed, at most 1e7).  A malformed one is reported
 * as "prog: -OPT S: not a number of seconds"; then usage(stderr) is
 * called and the program exits 2. */
double	arg_seconds(const char *s, char opt, void (*usage)(FILE *));

#endif
