/*
 * oai-ls's walk over the listing of batches or files.  The walk is
 * bounded: it stops at the first object older than -s, and without -s at
 * http_list's page cap, so an old organization's history is never read
 * whole by accident.  See ls.h.
 */
#include <json-c/json.h>
#include <string.h>

#include "anthropic_api.h"
#include "batchobj.h"
#include "http.h"
#include "ls.h"
#include "member.h"

/* matches: 1 when o passes every filter but -s. */
static int
matches(const struct listing *ls, struct json_object *o)
{
	struct json_object *meta;
	const char *s;
	int i;

	if (ls->status != NULL && ((s = member_text(o, "status", NULL)) == NULL ||
	    strcmp(s, ls->status) != 0))
		return 0;
	if (ls->endpoint != NULL && ((s = member_text(o, "endpoint", NULL)) ==
	    NULL || strcmp(s, ls->endpoint) != 0))
		return 0;
	for (i = 0; i < ls->nmeta; i++) {
		s = json_object_object_get_ex(o, "metadata", &meta) ?
		    member_text(meta, ls->meta_key[i], NULL) : NULL;
		if (s == NULL || strcmp(s, ls->meta_value[i]) != 0)
			return 0;
	}
	return 1;
}

/* each: one listed object.  Newest first, so the first one older than
 * -s ends the walk. */
static int
each(struct json_object *o, void *arg)
{
	struct listing *ls = arg;

	if (ls->since > 0 && object_created_at(o) < ls->since)
		return 1;
	if (matches(ls, o))
		row_put(ls, o);
	return 0;
}

int
list(struct http *h, struct listing *ls)
{
	int rc;

	rc = ls->files ? http_list(h, "/files?limit=10000&order=desc", each,
	    ls) : batch_list(h, each, ls);
	if (ls->aligned)
		rows_aligned(ls);
	if (rc == HTTP_TEMPFAIL)
		return 75;
	return rc == HTTP_OK ? 0 : 1;
}
