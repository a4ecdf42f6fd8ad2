/*
 * Polling one batch by itself, and the heap that says which batch is
 * due next.
 */
#include <math.h>

#include <json-c/json.h>

#include "anthropic_api.h"
#include "http.h"
#include "monoclock.h"
#include "xalloc.h"
#include "wait.h"

void
poll_batch(struct waiter *w, struct batch *b)
{
	struct json_object *o = NULL;
	const char *path;
	int r;

	path = batch_path(w->http, &w->path, b->id, NULL);
	r = http_request(w->http, "GET", path, NULL, HTTP_QUIET, NULL, &o);
	if (r == HTTP_TEMPFAIL) {
		/* The retries ran out, but the batch runs on regardless:
		 * the server may well be back by the next poll. */
		b->interval = fmin(fmax(CAP_SECONDS, w->first_interval),
		    b->interval * GROWTH);
		say(w, "GET %s%s: %s (polling again in %.3gs)", w->base_path,
		    path, http_errmsg(w->http), b->interval);
		b->next_poll = mono_now() + b->interval;
		return;
	}
	if (r != HTTP_OK) {
		say(w, "GET %s%s: %s", w->base_path, path,
		    http_errmsg(w->http));
		settle(w, b, BROKEN);
		return;
	}
	take(w, b, o, path, 1);
	json_object_put(o);
}

/* due_before: whether batch a is due before batch b. */
static int
due_before(const struct waiter *w, size_t a, size_t b)
{
	double ta = w->batches[a].next_poll, tb = w->batches[b].next_poll;

	return ta != tb ? ta < tb : a < b;
}

void
due_push(struct waiter *w, size_t i)
{
	size_t k, up;

	if (w->ndue == w->adue) {
		w->adue = w->adue ? w->adue * 2 : 16;
		w->due = xreallocarray(w->due, w->adue, sizeof(*w->due));
	}
	for (k = w->ndue++; k > 0; k = up) {
		up = (k - 1) / 2;
		if (!due_before(w, i, w->due[up]))
			break;
		w->due[k] = w->due[up];
	}
	w->due[k] = i;
}

void
due_pop(struct waiter *w)
{
	size_t k, c, last = w->due[--w->ndue];

	for (k = 0; (c = 2 * k + 1) < w->ndue; k = c) {
		if (c + 1 < w->ndue && due_before(w, w->due[c + 1], w->due[c]))
			c++;
		if (!due_before(w, w->due[c], last))
			break;
		w->due[k] = w->due[c];
	}
	w->due[k] = last;
}

/* count_due: due_count in the subtree of the heap at k: O(limit), not
 * O(batches). */
static size_t
count_due(const struct waiter *w, size_t k, double t, size_t limit)
{
	size_t n;

	if (k >= w->ndue || w->batches[w->due[k]].next_poll > t)
		return 0;
	n = !w->batches[w->due[k]].unlisted;
	if (n < limit)
		n += count_due(w, 2 * k + 1, t, limit - n);
	if (n < limit)
		n += count_due(w, 2 * k + 2, t, limit - n);
	return n;
}

size_t
due_count(const struct waiter *w, double t, size_t limit)
{
	return count_due(w, 0, t, limit);
}
