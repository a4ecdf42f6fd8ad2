/* argsec: an option's argument as a number of seconds, parsed one way by
 * every tool that waits, for the tools whose usage takes a stream; the
 * others call numarg_seconds and usage_error themselves. */
#ifndef ARGSEC_H
#define ARGSEC_H
#include <stdio.h>

/* arg_seconds: s, the argument of option -opt, as numarg_seconds reads
 * it (common/numarg.h: above 0, at most 1e7, decimals allowed).  Any
 * other is reported as "prog: -OPT S: not a number of seconds"; then
 * usage(stderr) is called and the program exits 2. */
double	arg_seconds(const char *s, char opt, void (*usage)(FILE *));

#endif
