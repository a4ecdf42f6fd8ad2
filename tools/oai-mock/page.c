/*
 * The listings of oai-mock: list parameters, pages in OpenAI's list
 * shape, and the cursor faults; see mock.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* The list parameters: limit (1..max, default dflt), after, order. */
static int
list_params(struct MHD_Connection *c, struct req *r, long dflt, long max,
    long *limit, const char **after, int *asc, enum MHD_Result *ret)
{
	const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "limit");
	const char *o = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "order");
	char *end, msg[160];

	*after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
	*limit = dflt;
	*asc = 0;
	if (l != NULL) {
		errno = 0;
		*limit = strtol(l, &end, 10);
		if (*l == '\0' || *end != '\0' || errno || *limit < 1 ||
		    *limit > max) {
			snprintf(msg, sizeof msg, "Invalid 'limit': expected an "
			    "integer between 1 and %ld.", max);
			*ret = send_error(c, r, 400, msg, "limit", "invalid_value");
			return 0;
		}
	}
	if (o != NULL) {
		if (strcmp(o, "asc") != 0 && strcmp(o, "desc") != 0) {
			*ret = send_error(c, r, 400, "Invalid 'order': expected "
			    "'asc' or 'desc'.", "order", "invalid_value");
			return 0;
		}
		*asc = strcmp(o, "asc") == 0;
	}
	return 1;
}

static void
page_open(struct page *p, long limit)
{
	memset(p, 0, sizeof(*p));
	p->limit = limit;
	buf_adds(&p->b, "{\"object\":\"list\",\"data\":[");
}

/* page_room: 1 when one more object fits (its separator is written);
 * 0 when the page is full, which means has_more. */
int
page_room(struct page *p)
{
	if (p->count == p->limit) {
		p->more = 1;
		return 0;
	}
	if (p->count++ > 0)
		buf_addc(&p->b, ',');
	return 1;
}

/* page_took: the object just written has this id. */
void
page_took(struct page *p, const char *id)
{
	if (p->first == NULL)
		p->first = id;
	p->last = id;
}

static void
page_close(struct page *p)
{
	if (p->cursor != NULL && p->count > 0) {
		p->last = p->cursor;
		p->more = 1;
	}
	buf_adds(&p->b, "],\"first_id\":");
	add_str(&p->b, p->first);
	buf_adds(&p->b, ",\"last_id\":");
	add_str(&p->b, p->last);
	buf_printf(&p->b, ",\"has_more\":%s}", p->more ? "true" : "false");
}

/* The cursor faults: the one that applies to a listing of path (the
 * first given), or NULL. */
const struct mock_fault *
cursor_fault(const struct mock_store *st, const char *path)
{
	size_t i;

	for (i = 0; i < st->nfaults; i++)
		if ((st->faults[i].kind == MF_CURSOR_CYCLE ||
		    st->faults[i].kind == MF_CURSOR_ENDLESS) &&
		    mock_fault_matches(&st->faults[i], path))
			return &st->faults[i];
	return NULL;
}

/* cursor_take: under cursor fault f (or none), a cursor "cursor_K" of
 * the fault's own is taken: *after becomes NULL (the listing starts
 * over) and p is set to close with has_more and the next made-up cursor
 * in cur: cursor_K+1, modulo the cycle for cursor-cycle.  Any other
 * cursor (or none) leads to cursor_0. */
void
cursor_take(const struct mock_fault *f, const char **after, struct page *p,
    char *cur, size_t n)
{
	long long k = -1;
	char *end;

	if (f == NULL)
		return;
	if (*after != NULL && strncmp(*after, "cursor_", 7) == 0) {
		errno = 0;
		k = strtoll(*after + 7, &end, 10);
		if (errno != 0 || *end != '\0' || k < 0 || k == LLONG_MAX)
			k = -1;
		else
			*after = NULL;
	}
	k++;
	if (f->kind == MF_CURSOR_CYCLE)
		k %= (long long)f->value;
	snprintf(cur, n, "cursor_%lld", k);
	p->cursor = cur;
}

int
list_begin(struct MHD_Connection *c, struct req *r, long dflt, long max,
    struct page *p, const char **after, int *asc, enum MHD_Result *ret)
{
	long limit;

	if (!list_params(c, r, dflt, max, &limit, after, asc, ret))
		return 0;
	page_open(p, limit);
	pthread_mutex_lock(&r->sv->lock);
	cursor_take(cursor_fault(&r->sv->st, r->path), after, p, p->cur,
	    sizeof p->cur);
	return 1;
}

enum MHD_Result
list_end(struct MHD_Connection *c, struct req *r, struct page *p)
{
	page_close(p);
	pthread_mutex_unlock(&r->sv->lock);
	return send_json(c, r, 200, &p->b);
}
