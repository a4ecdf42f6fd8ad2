/*
 * oai-wait's parts, and the one struct they share: the run.
 *
 *	main.c	options, then the run, then the exit status
 *	loop.c	the poll loop: ids read from stdin while batches are polled
 *	poll.c	one batch's GET, and the heap of batches by next poll
 *	batch.c	what an answer says of a batch; its lines and its errors
 *	walk.c	many batches polled through the listing, a page a step
 *	table.c	the live table on a terminal, and the messages around it
 */
#ifndef WAIT_H
#define WAIT_H

#include <stddef.h>

#include "batchobj.h"
#include "buf.h"
#include "idmap.h"
#include "progress.h"

struct http;
struct idsrc;
struct json_object;

#define GROWTH		1.5	/* the interval after a poll that shows
				 * nothing new */
#define CAP_SECONDS	120.0	/* ...up to this, or -i if longer */
#define RATE		20.0	/* GETs a second, all batches together (-r) */
#define RATE_MAX	1000.0

enum outcome { WAITING, COMPLETED, DEAD, BROKEN };

struct batch {
	char		*id;
	struct batchobj	 last;		/* the last answer; id NULL before */
	enum outcome	 outcome;
	double		 next_poll;	/* seconds on the monotonic clock */
	double		 interval;
	double		 since;		/* when its status was seen to change */
	double		 ended;		/* when it was seen ended */
	long long	 created;	/* its created_at; 0 before it is known */
	unsigned	 walk_member;	/* the last walk that looked for it */
	unsigned	 walk_seen;	/* the last walk that found it */
	int		 unlisted;	/* a whole walk passed it by: polled
					 * by itself, and left out of walks */
	char		*code;		/* ended in a walk: its first error's
					 * code, or NULL */
	long long	 tokens;	/* its usage.total_tokens; -1 unknown */
	char		*input;		/* the input file id its input line
					 * named (oai-batch's), for a batch
					 * object that names none (Anthropic's),
					 * or NULL */
};

/* The walk of the listing under way, if on: one page a step, paced like
 * every other request. */
struct walk {
	int		 on;
	unsigned	 round;		/* counts walks, from 1 */
	char		*after;		/* the cursor of the next page */
	long		 pages, cap;
	long long	 stop_before;	/* a batch created before this ends
					 * the walk; 0: walk until all found */
	long long	 deepest;	/* created_at of the last batch seen */
	size_t		 left;		/* members not found yet */
	size_t		*ended;		/* batches that ended in it, printed
					 * at its end, in input order */
	size_t		 nended, aended;
	/* Across walks. */
	int		 listing;	/* 0: the listing is of no use */
	long		 est_pages;	/* what the last whole walk took */
	long long	 floor;		/* the deepest point an abandoned walk
					 * reached; 0 none */
	double		 not_before;	/* no walk starts before this */
	long long	 oldest;	/* created_at of the oldest waiting
					 * batch, as of the last count */
	double		 count_after;	/* no recount of oldest before */
};

/* The run: the options, every batch, the schedule and the screen. */
struct waiter {
	/* The options. */
	int		 by_batch;	/* -b: a line per batch */
	double		 first_interval; /* -i */
	int		 quiet;		/* -q */
	double		 rate;		/* -r */
	double		 timeout;	/* -t; 0 none */
	int		 verbose;	/* -v */

	struct batch	*batches;	/* in input order */
	size_t		 nbatches, abatches;
	struct idmap	 taken;		/* every id in batches, numbered as
					 * batches is */
	size_t		 nwaiting;	/* batches whose outcome is WAITING */
	size_t		 nunknown;	/* ...whose created_at is unknown */

	size_t		*due;		/* the waiting batches, a min-heap by
					 * next_poll, ties in input order */
	size_t		 ndue, adue;
	double		 next_get;	/* no poll before this */
	double		 start;
	struct walk	 walk;

	int		 live;		/* the table is drawn on stderr */
	struct progress	 table;
	double		 eta_start;	/* when progress was first seen */
	double		 eta_share;	/* ...and the share of requests done */

	struct http	*http;
	const char	*base_path;	/* "/v1": for messages */
	const char	*apikey;	/* masked in the server's text */
	struct buf	 path;		/* the path of the GET under way */
};

/* loop.c */
/* wait_run: polls until every batch has ended (with -b, or one cannot be
 * followed) or the deadline; ids are read from ids meanwhile.  Returns
 * 1 when ids had a bad id or could not be read, else 0; *timed_out
 * says whether the deadline came. */
int	wait_run(struct waiter *w, struct idsrc *ids, int *timed_out);

/* poll.c */
/* poll_batch: one GET of batch b, and what follows from the answer. */
void	poll_batch(struct waiter *w, struct batch *b);
/* due_push: batch i waits for its next poll; due_pop takes the batch
 * due first (due[0]) off the heap, which is not empty. */
void	due_push(struct waiter *w, size_t i);
void	due_pop(struct waiter *w);
/* due_count: the listed batches in the heap due at time t, counting no
 * further than limit. */
size_t	due_count(const struct waiter *w, double t, size_t limit);

/* batch.c */
/* add_batch: one more id to wait for; 1 when it was taken (a new, well
 * formed id), 0 for a repeat, -1 for a malformed id (reported, where
 * saying where it was read).  rest is the rest of its input line, or
 * NULL: its first field, an id, is the batch's input file when the batch
 * object names none (oai-batch's line of an Anthropic batch). */
int	add_batch(struct waiter *w, const char *id, size_t len,
	    const char *where, const char *rest);
/* take: what Batch object o says of batch b, and what follows.  path is
 * the GET that answered o alone, or NULL for a listing's object.  was_due:
 * b was due for a poll, which this answer is; else it is news only, and
 * b keeps its schedule unless its status changed.  Returns 0, or -1 when
 * o is unusable: reported as an error of path, or from a listing left
 * for b's own GET to report. */
int	take(struct waiter *w, struct batch *b, struct json_object *o,
	    const char *path, int was_due);
/* settle: batch b's outcome is now outcome. */
void	settle(struct waiter *w, struct batch *b, enum outcome outcome);
/* print_results: the lines of ended batch b on stdout, flushed; code is
 * the first of its errors (NULL: none).  Exits 1 when stdout fails. */
void	print_results(struct waiter *w, const struct batch *b,
	    const char *code);

/* walk.c */
/* walk_worthwhile: whether the batches due at t are better polled by a
 * walk of the listing. */
int	walk_worthwhile(struct waiter *w, double t);
void	walk_start(struct waiter *w);
/* walk_step: one page of the walk, and what it says of the batches. */
void	walk_step(struct waiter *w);
/* walk_end: the walk is over; complete: it passed every place a member
 * could be.  The batches it saw end are printed, and the heap built
 * again. */
void	walk_end(struct waiter *w, int complete);
/* walk_ended: batch b ended in the walk, with code its first error's
 * (NULL: none): printed when the walk ends. */
void	walk_ended(struct waiter *w, struct batch *b, const char *code);

/* table.c */
/* describe: batch b in a line, as the table and status changes show it. */
void	describe(const struct waiter *w, char *s, size_t n,
	    const struct batch *b);
/* live_draw: the table again, when it is on and a batch has answered. */
void	live_draw(struct waiter *w);
/* say: a diagnostic on stderr, below the table's place (it is drawn
 * again later). */
void	say(struct waiter *w, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
