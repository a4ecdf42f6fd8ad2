/* capwarn: a message a tool gives once per id (a duplicate, a missing
 * result) shown for the first few ids only, and the rest counted, so that
 * one wrong option does not bury the summary under a line per request. */
#ifndef CAPWARN_H
#define CAPWARN_H
#include <stddef.h>

#define CAPWARN_SHOWN	10	/* messages of one kind shown */

struct capwarn {
	size_t	count;		/* messages of this kind so far */
};

/* capwarn_show: counts one more message in c; 1 when it is to be shown
 * (one of the first CAPWARN_SHOWN), else 0. */
int	capwarn_show(struct capwarn *c);

/* capwarn_hidden: how many of c's messages were counted but not shown. */
size_t	capwarn_hidden(const struct capwarn *c);

#endif
