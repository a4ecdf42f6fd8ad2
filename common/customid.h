/* customid: the custom_id of a Batch API request or result line, the key
 * on which the offline tools sort, check and join. */
#ifndef CUSTOMID_H
#define CUSTOMID_H
#include <stddef.h>

#include "buf.h"
#include "jscan.h"

/* customid_get: line[0..n) must be exactly one JSON object with a
 * non-empty string member "custom_id".  Returns 0, fills *top with the
 * object and points *id, *idlen at the decoded id: into line itself when
 * the id has no escapes, else into scratch (overwritten).  Returns -1 and
 * points *why at a static reason ("not a JSON object", "no custom_id",
 * a scanner message, ...) otherwise.  Nothing is reported. */
int	customid_get(const char *line, size_t n, struct jval *top,
	    struct buf *scratch, const char **id, size_t *idlen,
	    const char **why);

/* customid_show: appends id[0..n) to b as it would appear inside a JSON
 * string (escaped, no quotes), so that a message naming an id stays on
 * one line whatever bytes the id holds.  Returns b->p. */
const char *customid_show(struct buf *b, const char *id, size_t n);

#endif
