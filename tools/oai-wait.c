/*
 * oai-wait: polls batches until they end and prints their result files,
 * one line each: file-ID TAB output|error TAB batch_ID TAB status; with
 * -b one line a batch instead, files or none: batch_ID TAB status TAB
 * input, output and error file ids TAB the first error's code.
 */
#include <err.h>
#include <limits.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "apipath.h"
#include "argsec.h"
#include "batchobj.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "idmap.h"
#include "idsrc.h"
#include "outcheck.h"
#include "scrub.h"
#include "usage.h"
#include "xalloc.h"

#define GROWTH		1.5	/* the interval after a poll that shows
				 * nothing new */
#define CAP_SECONDS	120.0	/* ...up to this, or -i if longer */
#define PHASE_SHARE	2.0	/* ...and up to the time the batch has been
				 * in its status over this: a short phase is
				 * seen to end soon after it does */
#define MAX_ERRORS	20	/* error lines shown per batch */
#define RATE		20.0	/* GETs a second, all batches together (-r) */
#define RATE_MAX	1000.0
#define CODE_MAX	127	/* an error code, as shown, in bytes */
#define MESSAGE_MAX	1000	/* an error message, as shown, in bytes */

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
#define PAGE_SIZE	100	/* batches a listing page holds */
#define WALK_GAIN	3	/* due batches per expected page */
#define WALK_SLACK	10	/* a walk stops past this many times the
				 * pages the waiting batches fill */
#define WALK_MARGIN	300	/* seconds: created_at of batches the server
				 * stamped on different machines may disagree
				 * this much with the listing's order */

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
};

static struct batch	*batches;
static size_t		 nbatches, abatches;
static struct idmap	 taken;		/* every id in batches, numbered as
					 * batches is */
static size_t		 nwaiting;	/* batches whose outcome is WAITING */
static size_t		 nunknown;	/* ...whose created_at is unknown */
static struct walk	 walk;
static int		 listing = 1;	/* 0: the listing is of no use */
static long		 est_pages;	/* what the last whole walk took */
static long long	 walk_floor;	/* the deepest point an abandoned walk
					 * reached; 0 none */
static double		 no_walk_before;
static long long	 oldest;	/* created_at of the oldest waiting
					 * batch, as of the last count */
static double		 count_after;	/* no recount of oldest before */
static size_t		*due;		/* the waiting batches, a min-heap by
					 * next_poll, ties in input order */
static size_t		 ndue, adue;
static int		 verbose;	/* -v */
static double		 rate = RATE;	/* -r */
static double		 next_get;	/* no poll before this */
static double		 start;
static int		 live;		/* one live line per batch on stderr */
static int		 quiet;
static int		 by_batch;	/* -b: a line per batch */
static double		 first_interval = 10;	/* -i */
/* The live table on stderr: drawn below everything else written, and
 * cleared before anything else is, so that it never overwrites a line
 * of output and never pushes copies of itself into the scrollback. */
static int		*drawn;		/* the width of each of its lines */
static int		 ndrawn;	/* its lines now on the screen */
static int		 term_rows = 24, term_cols = 80;
static volatile sig_atomic_t resized = 1;	/* the size is to be read */
static double		 eta_start = -1;	/* when progress was first seen */
static double		 eta_share;	/* ...and the share of requests done */
static struct http	*http;
static const char	*base_path;	/* "/v1": for messages */
static const char	*apikey;	/* masked in the server's text */

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "bhi:qr:t:vV";
static const char help[] =
	"usage: oai-wait [-bhqVv] [-i interval] [-r rate] [-t timeout]\n"
	"                [batch-id ...]\n"
	"\n"
	"  -b           one line per batch instead of the lines of its files\n"
	"  -i interval  the first wait between two polls, in seconds\n"
	"  -r rate      the most requests a second, all batches together\n"
	"  -t timeout   give up after this many seconds\n"
	"  -q           no progress and no status changes on stderr\n"
	"  -v           trace every HTTP request and answer on stderr\n"
	"  -h           print this help and exit\n"
	"  -V           print the version and exit\n";

static void __attribute__((noreturn))
usage(FILE *fp)
{
	if (fp == stdout)
		usage_help(help);
	usage_error(help);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_until(double when)
{
	double d;
	struct timespec ts;

	while ((d = when - now()) > 0) {
		ts.tv_sec = (time_t)d;
		ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
		if (nanosleep(&ts, NULL) == 0)
			break;
	}
}

static void
on_winch(int sig)
{
	resized = 1;
}

/* term_size: the size of the terminal, read again after a resize. */
static void
term_size(void)
{
	struct winsize ws;

	if (!resized)
		return;
	resized = 0;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		term_rows = ws.ws_row;
		term_cols = ws.ws_col;
	}
}

/* live_clear: erases the table, leaving the cursor where its first line
 * was.  A line the terminal rewrapped to a narrower width now takes more
 * than one row: they are all erased. */
static void
live_clear(void)
{
	int i, up = 0;

	if (ndrawn == 0)
		return;
	term_size();
	for (i = 0; i < ndrawn; i++)
		up += drawn[i] > term_cols ?
		    (drawn[i] + term_cols - 1) / term_cols : 1;
	fprintf(stderr, "\r\033[%dA\033[J", up);
	fflush(stderr);
	ndrawn = 0;
}

/* say: a diagnostic; the live lines are redrawn below it later. */
static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	va_list ap;

	live_clear();
	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

static void
describe(char *s, size_t n, const struct batch *b)
{
	if (b->last.status == NULL) {
		snprintf(s, n, "%s: waiting for first answer", b->id);
		return;
	}
	snprintf(s, n, "%s: %s, %lld completed, %lld failed of %lld, %.0fs",
	    b->id, b->last.status, b->last.completed,
	    b->last.failed, b->last.total,
	    (b->outcome == WAITING ? now() : b->ended) - start);
}

/* table_line: s, cut to fit the terminal's width less one column (a line
 * that fills the last column would wrap on some terminals), as a line
 * of the table. */
static void
table_line(struct buf *frame, const char *s)
{
	int width = 0, max = term_cols > 1 ? term_cols - 1 : 1;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		/* A column for each character: UTF-8 continuation bytes
		 * take none. */
		if (((unsigned char)*p & 0xc0) != 0x80 && width++ == max)
			break;
	}
	if (*p != '\0')
		width = max;
	buf_add(frame, s, (size_t)(p - s));
	buf_addc(frame, '\n');
	drawn[ndrawn++] = width;
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
total_line(char *s, size_t n)
{
	long long requests = 0, done = 0, tokens = 0;
	size_t i, ended = 0, failed = 0;
	int have_tokens = 0;
	double share, t = now();
	char eta[32], took[32];
	int k;

	for (i = 0; i < nbatches; i++) {
		const struct batch *b = &batches[i];

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
	span(took, sizeof(took), t - start);
	k = snprintf(s, n, "%zu/%zu batches ended, %zu failed", ended,
	    nbatches, failed);
	if (requests > 0 && k >= 0 && (size_t)k < n) {
		share = (double)done / (double)requests;
		k += snprintf(s + k, n - (size_t)k, ", %.0f%% of %lld requests",
		    floor(share * 100), requests);
		if (eta_start < 0) {
			eta_start = t;
			eta_share = share;
		} else if (share > eta_share && share < 1 && k >= 0 &&
		    (size_t)k < n) {
			span(eta, sizeof(eta), (t - eta_start) * (1 - share) /
			    (share - eta_share));
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
static void
live_draw(void)
{
	static struct buf frame = BUF_INIT;
	char line[512], more[128];
	size_t i, shown, room, left[3] = { 0, 0, 0 };
	int r, any = 0;

	if (!live)
		return;
	for (i = 0; i < nbatches && !any; i++)
		any = batches[i].last.status != NULL;
	if (!any)
		return;
	live_clear();
	term_size();
	drawn = xreallocarray(drawn, (size_t)term_rows + 1, sizeof(*drawn));
	buf_reset(&frame);
	room = term_rows > 2 ? (size_t)term_rows - 2 : 0;
	if (nbatches > room && room > 0)
		room--;			/* for the line of the rest */
	shown = 0;
	for (r = 0; r < 3; r++)
		for (i = 0; i < nbatches; i++) {
			if (rank(&batches[i]) != r)
				continue;
			if (shown == room) {
				left[r]++;
				continue;
			}
			describe(line, sizeof(line), &batches[i]);
			table_line(&frame, line);
			shown++;
		}
	if (shown < nbatches && term_rows > 2) {
		snprintf(more, sizeof(more), "... %zu more: %zu running, "
		    "%zu failed, %zu completed", nbatches - shown, left[0],
		    left[1], left[2]);
		table_line(&frame, more);
	}
	total_line(line, sizeof(line));
	table_line(&frame, line);
	fwrite(frame.p, 1, frame.len, stderr);
	fflush(stderr);
}

/* printable: the server's text s (NULL: dflt) scrubbed (common/scrub.h):
 * the key masked, control characters made spaces (it must not drive the
 * terminal), then cut to at most n bytes. */
static const char *
printable(struct buf *out, size_t n, const char *s, const char *dflt)
{
	buf_reset(out);
	scrubs(out, s != NULL ? s : dflt, apikey, n);
	return out->p;
}

/* A Batch's errors: "line N: code: message" when a line is named, else
 * "status: code: message"; the first MAX_ERRORS only. */
static void
report_errors(const struct batch *b, struct json_object *o)
{
	struct buf cbuf = BUF_INIT, mbuf = BUF_INIT;
	const char *code, *msg;
	long long line;
	size_t n;

	for (n = 0; batchobj_error(o, n, &code, &msg, &line); n++) {
		if (n >= MAX_ERRORS)
			continue;	/* only counted */
		code = printable(&cbuf, CODE_MAX, code, "error");
		msg = printable(&mbuf, MESSAGE_MAX, msg, "");
		if (line >= 0)
			say("%s: line %lld: %s: %s", b->id, line, code, msg);
		else
			say("%s: %s: %s: %s", b->id, b->last.status, code, msg);
	}
	if (n > MAX_ERRORS)
		say("%s: %zu more errors", b->id, n - MAX_ERRORS);
	buf_free(&cbuf);
	buf_free(&mbuf);
}

/* The lines of an ended batch, flushed at once so the next program of a
 * pipeline can start on them: its result files, or with -b the batch
 * itself, where code is the first of its errors (NULL: none).  Exits 1
 * when stdout fails: there is no point waiting for results nobody can
 * read. */
static void
print_results(const struct batch *b, const char *code)
{
	struct buf cbuf = BUF_INIT;
	const struct batchobj *l = &b->last;

	/* Written where the table was; the table is drawn again below. */
	live_clear();
	if (by_batch) {
		/* A field must stay one field: a code that is empty or
		 * holds a TAB is no code a script could match. */
		if (code == NULL || *code == '\0' || strchr(code, '\t'))
			code = "-";
		else
			code = printable(&cbuf, CODE_MAX, code, "-");
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", b->id, l->status,
		    l->input_file_id ? l->input_file_id : "-",
		    l->output_file_id ? l->output_file_id : "-",
		    l->error_file_id ? l->error_file_id : "-", code);
	} else {
		if (l->output_file_id != NULL)
			printf("%s\toutput\t%s\t%s\n", l->output_file_id,
			    b->id, l->status);
		if (l->error_file_id != NULL)
			printf("%s\terror\t%s\t%s\n", l->error_file_id,
			    b->id, l->status);
	}
	buf_free(&cbuf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		live_clear();
		warn("stdout");
		exit(1);
	}
}

/* settle: batch b's outcome is now outcome. */
static void
settle(struct batch *b, enum outcome outcome)
{
	if (b->outcome == WAITING && outcome != WAITING) {
		nwaiting--;
		if (b->created == 0)
			nunknown--;
	}
	b->outcome = outcome;
}

/* take: what Batch object o says of batch b, and what follows.  path is
 * the GET that answered o alone, or NULL for a listing's object.  was_due: b
 * was due for a poll, which this answer is; else it is news only, and b
 * keeps its schedule unless its status changed.  Returns 0, or -1 when o
 * is unusable: reported as an error of path, or from a listing left for
 * b's own GET to report. */
static int
take(struct batch *b, struct json_object *o, const char *path, int was_due)
{
	struct batchobj got;
	struct json_object *usage, *tokens;
	const char *code, *msg, *bad;
	char line[512];
	long long eline, when;
	int changed;
	double t;

	if (batchobj_parse(o, &got) == -1 || strcmp(got.id, b->id) != 0 ||
	    !idsrc_valid(got.status, strlen(got.status))) {
		batchobj_free(&got);
		if (path != NULL) {
			say("GET %s%s: the answer is not a usable batch object",
			    base_path, path);
			settle(b, BROKEN);
		}
		return -1;
	}
	/* The next tool takes these as operands: an odd one is refused
	 * here, never passed on. */
	if ((bad = got.output_file_id) == NULL ||
	    idsrc_valid(bad, strlen(bad)))
		bad = got.error_file_id;
	if (bad != NULL && !idsrc_valid(bad, strlen(bad))) {
		if (path != NULL) {
			say("GET %s%s: not a file id: %s", base_path, path,
			    idsrc_shown(bad, strlen(bad), line, sizeof(line)));
			settle(b, BROKEN);
		}
		batchobj_free(&got);
		return -1;
	}
	if (b->created == 0 && (when = object_created_at(o)) > 0) {
		b->created = when;
		nunknown--;
	}
	changed = b->last.status == NULL ||
	    strcmp(b->last.status, got.status) != 0;
	batchobj_free(&b->last);
	b->last = got;
	if (json_object_object_get_ex(o, "usage", &usage) &&
	    json_object_object_get_ex(usage, "total_tokens", &tokens) &&
	    json_object_is_type(tokens, json_type_int))
		b->tokens = json_object_get_int64(tokens);
	/* Even with -q, a batch that ended without completing says so. */
	if (changed && !live && (!quiet ||
	    (batch_status_terminal(got.status) &&
	    strcmp(got.status, "completed") != 0))) {
		describe(line, sizeof(line), b);
		say("%s", line);
	}
	if (batch_status_terminal(got.status)) {
		b->ended = now();
		settle(b, strcmp(got.status, "completed") == 0 ?
		    COMPLETED : DEAD);
		if (b->outcome == DEAD)
			report_errors(b, o);
		if (!batchobj_error(o, 0, &code, &msg, &eline))
			code = NULL;
		if (path != NULL) {
			print_results(b, code);
			return 0;
		}
		/* Printed when the walk ends, so that the batches that end
		 * in one round still print in input order. */
		b->code = code != NULL ? xstrdup(code) : NULL;
		if (walk.nended == walk.aended) {
			walk.aended = walk.aended ? walk.aended * 2 : 64;
			walk.ended = xreallocarray(walk.ended, walk.aended,
			    sizeof(*walk.ended));
		}
		walk.ended[walk.nended++] = (size_t)(b - batches);
		return 0;
	}
	/* The wait starts over at every change of status, and grows no
	 * longer than a share of the time the batch has been in its status:
	 * a phase that lasts a second is seen to end soon after, one that
	 * lasts a day is polled every CAP_SECONDS. */
	t = now();
	if (changed) {
		b->since = t;
		b->interval = first_interval;
	} else if (was_due)
		b->interval = fmin(b->interval * GROWTH, fmax(first_interval,
		    fmin(CAP_SECONDS, (t - b->since) / PHASE_SHARE)));
	else
		return 0;
	b->next_poll = t + b->interval;
	return 0;
}

/* poll_batch: one GET of batch b, and what follows from the answer. */
static void
poll_batch(struct batch *b)
{
	struct json_object *o = NULL;
	static struct buf pathbuf = BUF_INIT;	/* reused poll after poll */
	const char *path;
	int r;

	path = api_path(&pathbuf, "/batches/", b->id, NULL);
	r = http_request(http, "GET", path, NULL, HTTP_QUIET, NULL, &o);
	if (r == HTTP_TEMPFAIL) {
		/* The retries ran out, but the batch runs on regardless:
		 * the server may well be back by the next poll. */
		b->interval = fmin(fmax(CAP_SECONDS, first_interval),
		    b->interval * GROWTH);
		say("GET %s%s: %s (polling again in %.3gs)", base_path, path,
		    http_errmsg(http), b->interval);
		b->next_poll = now() + b->interval;
		return;
	}
	if (r != HTTP_OK) {
		say("GET %s%s: %s", base_path, path, http_errmsg(http));
		settle(b, BROKEN);
		return;
	}
	take(b, o, path, 1);
	json_object_put(o);
}

/* due_before: whether batch a is due before batch b. */
static int
due_before(size_t a, size_t b)
{
	double ta = batches[a].next_poll, tb = batches[b].next_poll;

	return ta != tb ? ta < tb : a < b;
}

/* due_push: batch i waits for its next poll. */
static void
due_push(size_t i)
{
	size_t k, up;

	if (ndue == adue) {
		adue = adue ? adue * 2 : 16;
		due = xreallocarray(due, adue, sizeof(*due));
	}
	for (k = ndue++; k > 0; k = up) {
		up = (k - 1) / 2;
		if (!due_before(i, due[up]))
			break;
		due[k] = due[up];
	}
	due[k] = i;
}

/* due_pop: takes the batch due first off the heap (which is not empty). */
static void
due_pop(void)
{
	size_t k, c, last = due[--ndue];

	for (k = 0; (c = 2 * k + 1) < ndue; k = c) {
		if (c + 1 < ndue && due_before(due[c + 1], due[c]))
			c++;
		if (!due_before(due[c], last))
			break;
		due[k] = due[c];
	}
	due[k] = last;
}

/* count_due: the batches listed, in the subtree of the heap at k, that
 * are due at time t, counting no further than limit: O(limit), not
 * O(batches). */
static size_t
count_due(size_t k, double t, size_t limit)
{
	size_t n;

	if (k >= ndue || batches[due[k]].next_poll > t)
		return 0;
	n = !batches[due[k]].unlisted;
	if (n < limit)
		n += count_due(2 * k + 1, t, limit - n);
	if (n < limit)
		n += count_due(2 * k + 2, t, limit - n);
	return n;
}

/* pages_for: the pages n batches fill. */
static long
pages_for(size_t n)
{
	return (long)((n + PAGE_SIZE - 1) / PAGE_SIZE);
}

/* count_waiting: sets oldest, and marks every listed waiting batch a
 * member of walk round (0: none); returns how many there are. */
static size_t
count_waiting(unsigned round)
{
	size_t i, n = 0;

	oldest = LLONG_MAX;
	for (i = 0; i < nbatches; i++) {
		if (batches[i].outcome != WAITING || batches[i].unlisted)
			continue;
		if (round != 0)
			batches[i].walk_member = round;
		if (batches[i].created != 0 && batches[i].created < oldest)
			oldest = batches[i].created;
		n++;
	}
	return n;
}

/* walk_worthwhile: whether the batches due at t are better polled by a
 * walk of the listing. */
static int
walk_worthwhile(double t)
{
	long pages;
	size_t need;

	if (!listing || t < no_walk_before)
		return 0;
	pages = est_pages > 0 ? est_pages : pages_for(nwaiting);
	need = (size_t)(WALK_GAIN * pages) + 1;
	if (count_due(0, t, need) < need)
		return 0;
	if (walk_floor != 0) {
		/* A walk stopped short at walk_floor: the next one would
		 * too, until the batches older than it have ended.  Recounted
		 * once a second at most: the count is linear. */
		if (nunknown > 0)
			return 0;
		if (t >= count_after) {
			count_waiting(0);
			count_after = t + 1;
		}
		if (oldest - WALK_MARGIN < walk_floor)
			return 0;
	}
	return 1;
}

static void
walk_start(void)
{
	walk.on = 1;
	walk.round++;
	walk.pages = 0;
	walk.deepest = 0;
	free(walk.after);
	walk.after = NULL;
	walk.left = count_waiting(walk.round);
	walk.cap = WALK_SLACK * pages_for(walk.left);
	/* Until every member's age is known, only finding them all ends
	 * the walk (or the cap). */
	walk.stop_before = nunknown == 0 && oldest > WALK_MARGIN ?
	    oldest - WALK_MARGIN : 0;
	http_trace(http, "polling %zu batches through the listing "
	    "(at most %ld pages)", walk.left, walk.cap);
}

static int
by_input_order(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* walk_end: the walk is over; complete: it passed every place a member
 * could be, so the members it did not find are unlisted.  The batches
 * it saw end are printed, and the heap is built again (the walk moved
 * the polls of the batches it found). */
static void
walk_end(int complete)
{
	size_t i, missed = 0;
	struct batch *b;

	walk.on = 0;
	for (i = 0; i < nbatches; i++) {
		b = &batches[i];
		if (b->outcome == WAITING && b->walk_member == walk.round &&
		    b->walk_seen != walk.round) {
			missed++;
			if (complete)
				b->unlisted = 1;
		}
	}
	if (complete) {
		est_pages = walk.pages;
		http_trace(http, "listing: %ld pages; %zu batches not in it, "
		    "polled by themselves", walk.pages, missed);
	}
	if (walk.nended > 0)
		qsort(walk.ended, walk.nended, sizeof(*walk.ended),
		    by_input_order);
	for (i = 0; i < walk.nended; i++) {
		b = &batches[walk.ended[i]];
		print_results(b, b->code);
		free(b->code);
		b->code = NULL;
	}
	walk.nended = 0;
	ndue = 0;
	for (i = 0; i < nbatches; i++)
		if (batches[i].outcome == WAITING)
			due_push(i);
}

/* walk_fail: the walk cannot go on: why, and the batches it did not
 * find are polled by themselves; gone: the listing is of no use for the
 * rest of the run (else it is tried again after a while). */
static void
walk_fail(const char *why, int gone)
{
	http_trace(http, "GET %s/batches: %s: polling one by one%s",
	    base_path, why, gone ? "" : " for a while");
	if (gone)
		listing = 0;
	else
		no_walk_before = now() + CAP_SECONDS;
	walk_end(0);
}

/* walk_step: one page of the walk, and what it says of the batches. */
static void
walk_step(void)
{
	static struct buf path = BUF_INIT;
	struct json_object *page, *data, *item, *v;
	struct batch *b;
	const char *id, *cursor;
	long long when;
	size_t i, n, k;
	double t = now();
	int r;

	if (walk.after == NULL) {
		buf_reset(&path);
		buf_adds(&path, "/batches?limit=100");
	} else
		api_path(&path, "/batches?limit=100&after=", walk.after, NULL);
	r = http_request(http, "GET", path.p, NULL, HTTP_QUIET, NULL, &page);
	if (r != HTTP_OK) {
		walk_fail(http_errmsg(http), r == HTTP_FAILED);
		return;
	}
	walk.pages++;
	if (!json_object_object_get_ex(page, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		json_object_put(page);
		walk_fail("the answer has no \"data\" list", 1);
		return;
	}
	n = json_object_array_length(data);
	id = NULL;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(data, i);
		if (!json_object_object_get_ex(item, "id", &v) ||
		    !json_object_is_type(v, json_type_string))
			continue;
		id = json_object_get_string(v);
		if ((when = object_created_at(item)) > 0)
			walk.deepest = when;
		if (walk.stop_before > 0 && when > 0 &&
		    when < walk.stop_before) {
			json_object_put(page);
			walk_end(1);
			return;
		}
		k = idmap_find(&taken, id, (size_t)json_object_get_string_len(v));
		if (k == IDMAP_NONE)
			continue;
		b = &batches[k];
		if (b->outcome != WAITING || b->walk_seen == walk.round ||
		    take(b, item, NULL, b->next_poll <= t) == -1)
			continue;
		b->walk_seen = walk.round;
		b->unlisted = 0;
		if (b->walk_member == walk.round && --walk.left == 0) {
			json_object_put(page);
			walk_end(1);
			return;
		}
	}
	if (!json_object_object_get_ex(page, "has_more", &v) ||
	    !json_object_get_boolean(v) || n == 0) {
		json_object_put(page);
		walk_end(1);
		return;
	}
	if (json_object_object_get_ex(page, "last_id", &v) &&
	    json_object_is_type(v, json_type_string))
		cursor = json_object_get_string(v);
	else
		cursor = id;
	if (cursor == NULL || !idsrc_valid(cursor, strlen(cursor)) ||
	    (walk.after != NULL && strcmp(cursor, walk.after) == 0)) {
		json_object_put(page);
		walk_fail("no usable cursor to the next page", 1);
		return;
	}
	free(walk.after);
	walk.after = xstrdup(cursor);
	json_object_put(page);
	if (walk.pages >= walk.cap) {
		/* An organization's long history between now and the oldest
		 * batch: the walk would cost more than the GETs it saves. */
		http_trace(http, "listing: %zu batches not found in %ld pages, "
		    "%d times what %zu batches fill: polling them one by one",
		    walk.left, walk.pages, WALK_SLACK, nwaiting);
		walk_floor = walk.deepest > 0 ? walk.deepest : 1;
		est_pages = walk.pages;
		walk_end(0);
	}
}

/* add_batch: one more id to wait for; 1 when it was taken (a new, well
 * formed id), 0 for a repeat, -1 for a malformed id (reported).  A set
 * of the ids finds repeats: reading stays linear in the ids. */
static int
add_batch(const char *id, size_t len, const char *where)
{
	char shown[80];
	int added;

	if (!idsrc_valid(id, len)) {
		say("%s: not a batch id: %s", where,
		    idsrc_shown(id, len, shown, sizeof(shown)));
		return -1;
	}
	idmap_add(&taken, id, strlen(id), &added);
	if (!added)
		return 0;
	if (nbatches == abatches) {
		abatches = abatches ? abatches * 2 : 16;
		batches = xreallocarray(batches, abatches, sizeof(*batches));
	}
	memset(&batches[nbatches], 0, sizeof(*batches));
	batches[nbatches].id = xstrdup(id);
	batches[nbatches].interval = first_interval;
	batches[nbatches].tokens = -1;
	batches[nbatches].next_poll = now();
	nwaiting++;
	nunknown++;
	due_push(nbatches++);
	return 1;
}

/* wait_input: waits until stdin has input or the time comes; 1 when it
 * has (or ended), 0 when the time came. */
static int
wait_input(int fd, double when)
{
	struct pollfd pfd;
	double d;
	int r;

	for (;;) {
		d = when - now();
		pfd.fd = fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, isinf(d) ? -1 : d <= 0 ? 0 :
		    (int)fmin(ceil(d * 1000), 86400000));
		if (r > 0)
			return 1;
		if (r == 0) {
			if (now() >= when)
				return 0;
			continue;	/* woke a little early */
		}
		if (errno != EINTR) {
			warn("stdin");
			return 1;	/* the read reports the error */
		}
	}
}

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct idsrc ids;
	const char *id;
	char *end;
	double timeout = 0, deadline, t;
	size_t i, next;
	int ch, r, status = 0, timed_out = 0, reading, tick;
	int input = 0;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'b':
			by_batch = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			first_interval = arg_seconds(optarg, 'i', usage);
			break;
		case 'q':
			quiet = 1;
			break;
		case 'r':
			errno = 0;
			rate = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || errno != 0 ||
			    !(rate > 0 && rate <= RATE_MAX)) {
				warnx("-r %s: not a number of polls a second "
				    "(above 0, at most %g)", optarg, RATE_MAX);
				usage(stderr);
				return 2;
			}
			break;
		case 't':
			timeout = arg_seconds(optarg, 't', usage);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			usage_version();
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	if (config_load(&cfg) == -1)
		return 1;
	http = http_open(&cfg, verbose);
	base_path = cfg.base_path;
	apikey = cfg.key;

	if (idsrc_open(&ids, argc, argv) == -1)
		return 1;
	idmap_init(&taken);
	/* A trace would scroll the live lines away: -v gets plain lines. */
	live = !quiet && !verbose && isatty(STDERR_FILENO);
	if (live) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_winch;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, NULL);
	}
	start = now();
	deadline = timeout > 0 ? start + timeout : INFINITY;
	/* Ids on stdin are taken while the batches already known are
	 * polled: in `oai-batch | oai-wait` the first batches can end, and
	 * the next program start on them, before the last is created. */
	reading = 1;
	for (;;) {
		if (now() >= deadline) {
			timed_out = 1;
			break;
		}
		if (reading && (input || idsrc_ready(&ids))) {
			/* Blocks until the line is whole: writers such as
			 * oai-batch write whole lines. */
			input = 0;
			if ((r = idsrc_next(&ids, &id)) == 1) {
				if (add_batch(id, ids.len, ids.where) == -1)
					status = 1;
				continue;
			}
			if (r == -1)
				status = 1;
			reading = 0;
			live_draw();
			continue;
		}
		/* The batch due first; ties go to the earlier in the input,
		 * so batches that end in one round print in input order.
		 * The polls of all batches together keep to -r a second. */
		next = ndue > 0 ? due[0] : nbatches;
		if (next == nbatches && !reading && !walk.on)
			break;
		if (walk.on)
			t = next_get;
		else
			t = next < nbatches ? fmax(batches[next].next_poll,
			    next_get) : INFINITY;
		t = fmin(t, deadline);
		/* The live lines show the time: keep it running. */
		tick = live && t > now() + 1;
		if (tick)
			t = now() + 1;
		if (reading && (input = wait_input(idsrc_fd(&ids), t)))
			continue;
		sleep_until(t);
		if (now() >= deadline)
			continue;
		if (!tick && (walk.on || (next < nbatches &&
		    walk_worthwhile(now())))) {
			if (!walk.on)
				walk_start();
			next_get = now() + 1 / rate;
			walk_step();
		} else if (!tick && next < nbatches) {
			due_pop();
			next_get = now() + 1 / rate;
			poll_batch(&batches[next]);
			if (batches[next].outcome == WAITING)
				due_push(next);
			/* With -b the reader waits for a line per batch, and
			 * one that can no longer be followed (an answer with
			 * an id to refuse, say) would keep it waiting for
			 * ever: stop, and let the exit status tell. */
			if (by_batch && batches[next].outcome == BROKEN)
				break;
		}
		live_draw();
	}
	/* A walk cut short by -t: the batches it saw end are printed. */
	if (walk.on)
		walk_end(0);
	idsrc_close(&ids);
	ndrawn = 0;	/* the last state of every batch stays on the screen */
	free(drawn);

	for (i = 0; i < nbatches; i++) {
		if (batches[i].outcome == BROKEN)
			status = 1;
		else if (timed_out && batches[i].outcome == WAITING)
			warnx("%s: still %s after %gs", batches[i].id,
			    batches[i].last.status ?
			    batches[i].last.status : "unknown", timeout);
	}
	if (status == 0 && timed_out)
		status = 75;
	for (i = 0; i < nbatches; i++) {
		if (status == 0 && batches[i].outcome == DEAD)
			status = 4;
		batchobj_free(&batches[i].last);
		free(batches[i].id);
	}
	free(batches);
	free(due);
	idmap_free(&taken);
	free(walk.after);
	free(walk.ended);
	http_close(http);
	config_free(&cfg);
	if (stdout_close(1) == -1)
		return 1;
	return status;
}
