/*
 * Polling through the listing.  GET /batches?limit=100 answers 100 batch
 * objects, newest first, where GET /batches/ID answers one.  A walk of
 * the listing down to the oldest waiting batch costs ceil(depth / 100)
 * requests, depth being how many batches (ours or anyone's) were created
 * since; it stands in for one GET per batch due.  A walk is made when
 * more than WALK_GAIN batches are due per page it is expected to take:
 * a page is about 100 times the bytes of one batch to send and parse, so
 * a walk that saves only one or two GETs a page is not worth it, while
 * three or more clearly are (and a walk that goes a page or two deeper
 * than expected still saves requests).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apipath.h"
#include "http.h"
#include "idsrc.h"
#include "monoclock.h"
#include "xalloc.h"
#include "wait.h"

#define PAGE_SIZE	100	/* batches a listing page holds */
#define WALK_GAIN	3	/* due batches per expected page */
#define WALK_SLACK	10	/* a walk stops past this many times the
				 * pages the waiting batches fill */
#define WALK_MARGIN	300	/* seconds: created_at of batches the server
				 * stamped on different machines may disagree
				 * this much with the listing's order */

/* The outcome of one batch object of a page. */
enum { ITEM_NEXT, ITEM_DONE };

/* pages_for: the pages n batches fill. */
static long
pages_for(size_t n)
{
	return (long)((n + PAGE_SIZE - 1) / PAGE_SIZE);
}

/* count_waiting: sets oldest, and marks every listed waiting batch a
 * member of walk round (0: none); returns how many there are. */
static size_t
count_waiting(struct waiter *w, unsigned round)
{
	size_t i, n = 0;
	struct batch *b;

	w->walk.oldest = LLONG_MAX;
	for (i = 0; i < w->nbatches; i++) {
		b = &w->batches[i];
		if (b->outcome != WAITING || b->unlisted)
			continue;
		if (round != 0)
			b->walk_member = round;
		if (b->created != 0 && b->created < w->walk.oldest)
			w->walk.oldest = b->created;
		n++;
	}
	return n;
}

int
walk_worthwhile(struct waiter *w, double t)
{
	struct walk *k = &w->walk;
	long pages;
	size_t need;

	if (!k->listing || t < k->not_before)
		return 0;
	pages = k->est_pages > 0 ? k->est_pages : pages_for(w->nwaiting);
	need = (size_t)(WALK_GAIN * pages) + 1;
	if (due_count(w, t, need) < need)
		return 0;
	if (k->floor != 0) {
		/* A walk stopped short at its floor: the next one would
		 * too, until the batches older than it have ended.  Recounted
		 * once a second at most: the count is linear. */
		if (w->nunknown > 0)
			return 0;
		if (t >= k->count_after) {
			count_waiting(w, 0);
			k->count_after = t + 1;
		}
		if (k->oldest - WALK_MARGIN < k->floor)
			return 0;
	}
	return 1;
}

void
walk_start(struct waiter *w)
{
	struct walk *k = &w->walk;

	k->on = 1;
	k->round++;
	k->pages = 0;
	k->deepest = 0;
	free(k->after);
	k->after = NULL;
	k->left = count_waiting(w, k->round);
	k->cap = WALK_SLACK * pages_for(k->left);
	/* Until every member's age is known, only finding them all ends
	 * the walk (or the cap). */
	k->stop_before = w->nunknown == 0 && k->oldest > WALK_MARGIN ?
	    k->oldest - WALK_MARGIN : 0;
	http_trace(w->http, "polling %zu batches through the listing "
	    "(at most %ld pages)", k->left, k->cap);
}

void
walk_ended(struct waiter *w, struct batch *b, const char *code)
{
	struct walk *k = &w->walk;

	b->code = code != NULL ? xstrdup(code) : NULL;
	if (k->nended == k->aended) {
		k->aended = k->aended ? k->aended * 2 : 64;
		k->ended = xreallocarray(k->ended, k->aended,
		    sizeof(*k->ended));
	}
	k->ended[k->nended++] = (size_t)(b - w->batches);
}

static int
by_input_order(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The members a complete walk did not find are unlisted.  The heap is
 * built again: the walk moved the polls of the batches it found. */
void
walk_end(struct waiter *w, int complete)
{
	struct walk *k = &w->walk;
	size_t i, missed = 0;
	struct batch *b;

	k->on = 0;
	for (i = 0; i < w->nbatches; i++) {
		b = &w->batches[i];
		if (b->outcome == WAITING && b->walk_member == k->round &&
		    b->walk_seen != k->round) {
			missed++;
			if (complete)
				b->unlisted = 1;
		}
	}
	if (complete) {
		k->est_pages = k->pages;
		http_trace(w->http, "listing: %ld pages; %zu batches not in "
		    "it, polled by themselves", k->pages, missed);
	}
	if (k->nended > 0)
		qsort(k->ended, k->nended, sizeof(*k->ended),
		    by_input_order);
	for (i = 0; i < k->nended; i++) {
		b = &w->batches[k->ended[i]];
		print_results(w, b, b->code);
		free(b->code);
		b->code = NULL;
	}
	k->nended = 0;
	w->ndue = 0;
	for (i = 0; i < w->nbatches; i++)
		if (w->batches[i].outcome == WAITING)
			due_push(w, i);
}

/* walk_fail: the walk cannot go on: why, and the batches it did not
 * find are polled by themselves; gone: the listing is of no use for the
 * rest of the run (else it is tried again after a while). */
static void
walk_fail(struct waiter *w, const char *why, int gone)
{
	http_trace(w->http, "GET %s/batches: %s: polling one by one%s",
	    w->base_path, why, gone ? "" : " for a while");
	if (gone)
		w->walk.listing = 0;
	else
		w->walk.not_before = mono_now() + CAP_SECONDS;
	walk_end(w, 0);
}

/* walk_item: what batch object item of a page says, at time t;
 * ITEM_DONE when the walk has ended (it has passed every place a member
 * could be, or found them all). */
static int
walk_item(struct waiter *w, struct json_object *item, const char **id,
    double t)
{
	struct walk *k = &w->walk;
	struct json_object *v;
	struct batch *b;
	long long when;
	size_t i;

	if (!json_object_object_get_ex(item, "id", &v) ||
	    !json_object_is_type(v, json_type_string))
		return ITEM_NEXT;
	*id = json_object_get_string(v);
	if ((when = object_created_at(item)) > 0)
		k->deepest = when;
	if (k->stop_before > 0 && when > 0 && when < k->stop_before)
		return ITEM_DONE;
	i = idmap_find(&w->taken, *id, (size_t)json_object_get_string_len(v));
	if (i == IDMAP_NONE)
		return ITEM_NEXT;
	b = &w->batches[i];
	if (b->outcome != WAITING || b->walk_seen == k->round ||
	    take(w, b, item, NULL, b->next_poll <= t) == -1)
		return ITEM_NEXT;
	b->walk_seen = k->round;
	b->unlisted = 0;
	if (b->walk_member == k->round && --k->left == 0)
		return ITEM_DONE;
	return ITEM_NEXT;
}

/* walk_next: the cursor to the page after page, whose last batch's id is
 * id; 0 when there is none to follow (the walk is over or has failed). */
static int
walk_next(struct waiter *w, struct json_object *page, size_t n,
    const char *id)
{
	struct walk *k = &w->walk;
	struct json_object *v;
	const char *cursor;

	if (!json_object_object_get_ex(page, "has_more", &v) ||
	    !json_object_get_boolean(v) || n == 0) {
		walk_end(w, 1);
		return 0;
	}
	if (json_object_object_get_ex(page, "last_id", &v) &&
	    json_object_is_type(v, json_type_string))
		cursor = json_object_get_string(v);
	else
		cursor = id;
	if (cursor == NULL || !idsrc_valid(cursor, strlen(cursor)) ||
	    (k->after != NULL && strcmp(cursor, k->after) == 0)) {
		walk_fail(w, "no usable cursor to the next page", 1);
		return 0;
	}
	free(k->after);
	k->after = xstrdup(cursor);
	return 1;
}

void
walk_step(struct waiter *w)
{
	struct walk *k = &w->walk;
	struct json_object *page, *data;
	const char *id = NULL;
	size_t i, n;
	double t = mono_now();
	int r;

	if (k->after == NULL) {
		buf_reset(&w->path);
		buf_adds(&w->path, "/batches?limit=100");
	} else
		api_path(&w->path, "/batches?limit=100&after=", k->after,
		    NULL);
	r = http_request(w->http, "GET", w->path.p, NULL, HTTP_QUIET, NULL,
	    &page);
	if (r != HTTP_OK) {
		walk_fail(w, http_errmsg(w->http), r == HTTP_FAILED);
		return;
	}
	k->pages++;
	if (!json_object_object_get_ex(page, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		json_object_put(page);
		walk_fail(w, "the answer has no \"data\" list", 1);
		return;
	}
	n = json_object_array_length(data);
	for (i = 0; i < n; i++)
		if (walk_item(w, json_object_array_get_idx(data, i), &id,
		    t) == ITEM_DONE) {
			json_object_put(page);
			walk_end(w, 1);
			return;
		}
	r = walk_next(w, page, n, id);
	json_object_put(page);
	if (r && k->pages >= k->cap) {
		/* An organization's long history between now and the oldest
		 * batch: the walk would cost more than the GETs it saves. */
		http_trace(w->http, "listing: %zu batches not found in %ld "
		    "pages, %d times what %zu batches fill: polling them one "
		    "by one", k->left, k->pages, WALK_SLACK, w->nwaiting);
		k->floor = k->deepest > 0 ? k->deepest : 1;
		k->est_pages = k->pages;
		walk_end(w, 0);
	}
}
