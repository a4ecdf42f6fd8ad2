/* expiry: the one reading of an expiry given in seconds (oai-upload -x,
 * oai-batch -X), within the bounds the Files and Batches APIs take for
 * expires_after and output_expires_after. */
#ifndef EXPIRY_H
#define EXPIRY_H

#define EXPIRES_MIN	3600		/* an hour */
#define EXPIRES_MAX	2592000		/* 30 days */

/* expiry_seconds: option opt's value s as seconds, by numarg's rule,
 * from EXPIRES_MIN to EXPIRES_MAX; -1 after reporting
 * "prog: -X 10: too small (3600 to 2592000 seconds)". */
long long	expiry_seconds(char opt, const char *s);

#endif
