/*
 * The poll loop.  Ids on stdin are taken while the batches already known
 * are polled: in `oai-batch | oai-wait` the first batches can end, and
 * the next program start on them, before the last is created.
 */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <poll.h>

#include "idsrc.h"
#include "monoclock.h"
#include "wait.h"

/* wait_input: waits until fd has input or the time comes; 1 when it
 * has (or ended), 0 when the time came. */
static int
wait_input(int fd, double when)
{
	struct pollfd pfd;
	double d;
	int r;

	for (;;) {
		d = when - mono_now();
		pfd.fd = fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, isinf(d) ? -1 : d <= 0 ? 0 :
		    (int)fmin(ceil(d * 1000), 86400000));
		if (r > 0)
			return 1;
		if (r == 0) {
			if (mono_now() >= when)
				return 0;
			continue;	/* woke a little early */
		}
		if (errno != EINTR) {
			warn("stdin");
			return 1;	/* the read reports the error */
		}
	}
}

/* step: the GET of the batch due first, next, or a page of a walk of the
 * listing; 0 when the loop is to stop. */
static int
step(struct waiter *w, size_t next)
{
	if (w->walk.on ||
	    (next < w->nbatches && walk_worthwhile(w, mono_now()))) {
		if (!w->walk.on)
			walk_start(w);
		w->next_get = mono_now() + 1 / w->rate;
		walk_step(w);
	} else if (next < w->nbatches) {
		due_pop(w);
		w->next_get = mono_now() + 1 / w->rate;
		poll_batch(w, &w->batches[next]);
		if (w->batches[next].outcome == WAITING)
			due_push(w, next);
		/* With -b the reader waits for a line per batch, and one
		 * that can no longer be followed (an answer with an id to
		 * refuse, say) would keep it waiting for ever: stop, and
		 * let the exit status tell. */
		if (w->by_batch && w->batches[next].outcome == BROKEN)
			return 0;
	}
	return 1;
}

int
wait_run(struct waiter *w, struct idsrc *ids, int *timed_out)
{
	const char *id;
	double deadline, t;
	size_t next;
	int r, status = 0, reading = 1, input = 0, tick;

	deadline = w->timeout > 0 ? w->start + w->timeout : INFINITY;
	*timed_out = 0;
	for (;;) {
		if (mono_now() >= deadline) {
			*timed_out = 1;
			break;
		}
		if (reading && (input || idsrc_ready(ids))) {
			/* Blocks until the line is whole: writers such as
			 * oai-batch write whole lines. */
			input = 0;
			if ((r = idsrc_next(ids, &id)) == 1) {
				if (add_batch(w, id, ids->len,
				    ids->where, ids->rest) == -1)
					status = 1;
				continue;
			}
			if (r == -1)
				status = 1;
			reading = 0;
			live_draw(w);
			continue;
		}
		/* The batch due first; ties go to the earlier in the input,
		 * so batches that end in one round print in input order.
		 * The polls of all batches together keep to -r a second. */
		next = w->ndue > 0 ? w->due[0] : w->nbatches;
		if (next == w->nbatches && !reading && !w->walk.on)
			break;
		if (w->walk.on)
			t = w->next_get;
		else
			t = next < w->nbatches ? fmax(
			    w->batches[next].next_poll, w->next_get) :
			    INFINITY;
		t = fmin(t, deadline);
		/* The live lines show the time: keep it running. */
		tick = w->live && t > mono_now() + 1;
		if (tick)
			t = mono_now() + 1;
		if (reading && (input = wait_input(idsrc_fd(ids), t)))
			continue;
		mono_sleep(t - mono_now());
		if (mono_now() >= deadline)
			continue;
		if (!tick && !step(w, next))
			break;
		live_draw(w);
	}
	/* A walk cut short by -t: the batches it saw end are printed. */
	if (w->walk.on)
		walk_end(w, 0);
	return status;
}
