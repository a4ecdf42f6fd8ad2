/*
 * The live table on a terminal: a line a batch and a total line, drawn
 * below everything else written and cleared before anything else is
 * (common/progress.h), so that it never overwrites a line of output and
 * never pushes copies of itself into the scrollback.
 */
#include <err.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "monoclock.h"
#include "wait.h"

/* say: a diagnostic; the live lines are redrawn below it later. */
void
say(struct waiter *w, const char *fmt, ...)
{
	va_list ap;

	progress_clear(&w->table);
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

void
describe(const struct waiter *w, char *s, size_t n, const struct batch *b)
{
	if (b->last.status == NULL) {
		snprintf(s, n, "%s: waiting for first answer", b->id);
		return;
	}
	snprintf(s, n, "%s: %s, %lld completed, %lld failed of %lld, %.0fs",
	    b->id, b->last.status, b->last.completed,
	    b->last.failed, b->last.total,
	    (b->outcome == WAITING ? mono_now() : b->ended) - w->start);
}

static void
span(char *s, size_t n, double seconds)
{
	long t = lround(seconds);

	if (t >= 3600)
		snprintf(s, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(s, n, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(s, n, "%lds", t);
}

/* total_line: the line that sums the table up: batches ended of all,
 * those that did not complete, the share of requests done, the tokens
 * the server reported, and when all should be done at the pace so far. */
static void
total_line(struct waiter *w, char *s, size_t n)
{
	long long requests = 0, done = 0, tokens = 0;
	size_t i, ended = 0, failed = 0;
	int have_tokens = 0;
	double share, t = mono_now();
	char eta[32], took[32];
	int k;

	for (i = 0; i < w->nbatches; i++) {
		const struct batch *b = &w->batches[i];

		if (b->outcome != WAITING)
			ended++;
		if (b->outcome == DEAD || b->outcome == BROKEN)
			failed++;
		requests += b->last.total;
		done += b->last.completed + b->last.failed;
		if (b->tokens >= 0) {
			tokens += b->tokens;
			have_tokens = 1;
		}
	}
	span(took, sizeof(took), t - w->start);
	k = snprintf(s, n, "%zu/%zu batches ended, %zu failed", ended,
	    w->nbatches, failed);
	if (requests > 0 && k >= 0 && (size_t)k < n) {
		share = (double)done / (double)requests;
		k += snprintf(s + k, n - (size_t)k, ", %.0f%% of %lld requests",
		    floor(share * 100), requests);
		if (w->eta_start < 0) {
			w->eta_start = t;
			w->eta_share = share;
		} else if (share > w->eta_share && share < 1 && k >= 0 &&
		    (size_t)k < n) {
			span(eta, sizeof(eta), (t - w->eta_start) *
			    (1 - share) / (share - w->eta_share));
			k += snprintf(s + k, n - (size_t)k, ", ETA %s", eta);
		}
	}
	if (have_tokens && k >= 0 && (size_t)k < n)
		k += snprintf(s + k, n - (size_t)k, ", %lld tokens", tokens);
	if (k >= 0 && (size_t)k < n)
		snprintf(s + k, n - (size_t)k, ", %s", took);
}

/* rank: the order in which a table too long for the screen keeps its
 * rows: batches still running first, then those that did not complete,
 * then those that did. */
static int
rank(const struct batch *b)
{
	return b->outcome == WAITING ? 0 : b->outcome == COMPLETED ? 2 : 1;
}

/* live_draw: the table again, at most one line short of the screen (a
 * table as high as the screen would scroll its first line away at every
 * draw), its lines cut to the width: a line per batch, or as many as fit
 * and a line that counts the rest, then the total line.  Nothing is
 * drawn before the first answer. */
void
live_draw(struct waiter *w)
{
	char line[512], more[128];
	size_t i, shown, room, left[3] = { 0, 0, 0 };
	int r, any = 0;

	if (!w->live)
		return;
	for (i = 0; i < w->nbatches && !any; i++)
		any = w->batches[i].last.status != NULL;
	if (!any)
		return;
	progress_start(&w->table);
	room = w->table.rows > 2 ? (size_t)w->table.rows - 2 : 0;
	if (w->nbatches > room && room > 0)
		room--;			/* for the line of the rest */
	shown = 0;
	for (r = 0; r < 3; r++)
		for (i = 0; i < w->nbatches; i++) {
			if (rank(&w->batches[i]) != r)
				continue;
			if (shown == room) {
				left[r]++;
				continue;
			}
			describe(w, line, sizeof(line), &w->batches[i]);
			progress_row(&w->table, line);
			shown++;
		}
	if (shown < w->nbatches && w->table.rows > 2) {
		snprintf(more, sizeof(more), "... %zu more: %zu running, "
		    "%zu failed, %zu completed", w->nbatches - shown, left[0],
		    left[1], left[2]);
		progress_row(&w->table, more);
	}
	total_line(w, line, sizeof(line));
	progress_row(&w->table, line);
	progress_show(&w->table);
}
