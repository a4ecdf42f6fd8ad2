/*
 * oai-mock -D anthropic: GET /v1/messages/batches, the Message Batches
 * newest first, in pages of Anthropic's shape (data, has_more, first_id,
 * last_id) by limit, after_id and before_id; the cursor faults and
 * unlisted act on it as on OpenAI's listing.  See server.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "xalloc.h"

#define LIST_DEFAULT	20
#define LIST_MAX	1000

/* limit, before_id and after_id; 1, or 0 after answering. */
static int
list_query(struct MHD_Connection *c, struct req *r, long *limit,
    const char **before, const char **after, enum MHD_Result *ret)
{
	const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "limit");
	char *end;

	*before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "before_id");
	*after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "after_id");
	*limit = LIST_DEFAULT;
	if (l != NULL) {
		*limit = strtol(l, &end, 10);
		if (*l == '\0' || *end != '\0' || *limit < 1 ||
		    *limit > LIST_MAX) {
			*ret = send_anthropic_error(c, r, 400,
			    "invalid_request_error", "limit: Input should be "
			    "an integer from 1 to 1000");
			return 0;
		}
	}
	if (*before != NULL && *after != NULL) {
		*ret = send_anthropic_error(c, r, 400, "invalid_request_error",
		    "before_id and after_id cannot both be given");
		return 0;
	}
	return 1;
}

enum MHD_Result
anthropic_list(struct MHD_Connection *c, struct req *r)
{
	struct mock_store *st = &r->sv->st;
	const char *before, *after, *host = anthropic_host(c);
	struct mock_batch **v;
	struct buf b = BUF_INIT;
	struct page cp;
	char cur[32];
	enum MHD_Result ret;
	size_t n = 0, k, from, to;
	long limit;

	if (!list_query(c, r, &limit, &before, &after, &ret))
		return ret;
	memset(&cp, 0, sizeof cp);
	pthread_mutex_lock(&r->sv->lock);
	cursor_take(cursor_fault(st, r->path), &after, &cp, cur, sizeof cur);
	/* The listed batches, newest first. */
	v = xreallocarray(NULL, st->nbatches + 1, sizeof *v);
	for (k = st->nbatches; k-- > 0;)
		if (!unlisted(st, r->path, k))
			v[n++] = st->batches[k];
	from = 0;
	to = n;
	for (k = 0; k < n; k++) {
		if (after != NULL && strcmp(v[k]->id, after) == 0)
			from = k + 1;
		if (before != NULL && strcmp(v[k]->id, before) == 0)
			to = k;
	}
	if (after != NULL && from == 0)
		from = n;	/* an id not listed: nothing after it */
	if (before != NULL && to == n)
		to = 0;
	if (before != NULL && to > (size_t)limit)
		from = to - (size_t)limit;
	if (to > from + (size_t)limit)
		to = from + (size_t)limit;
	buf_adds(&b, "{\"data\":[");
	for (k = from; k < to; k++) {
		if (k > from)
			buf_addc(&b, ',');
		anthropic_batch_json(&b, v[k], host);
	}
	buf_printf(&b, "],\"has_more\":%s,\"first_id\":",
	    (before != NULL ? from > 0 : to < n) ||
	    (cp.cursor != NULL && to > from) ? "true" : "false");
	add_str(&b, to > from ? v[from]->id : NULL);
	buf_adds(&b, ",\"last_id\":");
	add_str(&b, cp.cursor != NULL && to > from ? cp.cursor :
	    to > from ? v[to - 1]->id : NULL);
	buf_addc(&b, '}');
	pthread_mutex_unlock(&r->sv->lock);
	free(v);
	return send_json(c, r, 200, &b);
}
