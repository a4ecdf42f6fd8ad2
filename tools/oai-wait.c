/*
 * oai-wait: polls batches until they end and prints their result files,
 * one line each: file-ID TAB output|error TAB batch_ID TAB status.
 */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "batchobj.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "outcheck.h"
#include "xalloc.h"

#define GROWTH		1.5	/* the interval after a poll that shows
				 * nothing new */
#define CAP_SECONDS	120.0	/* ...up to this, or -i if longer */
#define MAX_ERRORS	20	/* error lines shown per batch */

enum outcome { WAITING, COMPLETED, DEAD, BROKEN };

struct batch {
	char		*id;
	struct batchobj	 last;		/* the last answer; id NULL before */
	enum outcome	 outcome;
	double		 next_poll;	/* seconds on the monotonic clock */
	double		 interval;
	double		 ended;		/* when it was seen ended */
};

static struct batch	*batches;
static size_t		 nbatches;
static double		 start;
static int		 live;		/* one live line per batch on stderr */
static int		 quiet;
static double		 first_interval = 10;	/* -i */
static int		 drawn;		/* live lines now on the screen */
static struct http	*http;
static const char	*base_path;	/* "/v1": for messages */

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: oai-wait [-qv] [-i interval] [-t timeout] "
	    "[batch-id ...]\n");
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

/* seconds: a positive number of seconds, decimals allowed; exits 2. */
static double
seconds(const char *s, char opt)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(d) ||
	    d <= 0 || d > 1e7) {
		warnx("-%c %s: not a number of seconds", opt, s);
		usage(stderr);
		exit(2);
	}
	return d;
}

static void
live_clear(void)
{
	if (drawn > 0)
		fprintf(stderr, "\033[%dA\033[J", drawn);
	drawn = 0;
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
	snprintf(s, n, "%s: %s, %lld completed, %lld failed of %lld, %.0fs",
	    b->id, b->last.status ? b->last.status : "-", b->last.completed,
	    b->last.failed, b->last.total,
	    (b->outcome == WAITING ? now() : b->ended) - start);
}

static void
live_draw(void)
{
	char line[512];
	size_t i;

	if (!live)
		return;
	live_clear();
	for (i = 0; i < nbatches; i++) {
		describe(line, sizeof(line), &batches[i]);
		fprintf(stderr, "%s\n", line);
	}
	drawn = (int)nbatches;
	fflush(stderr);
}

/* A Batch's errors: "line N: code: message" when a line is named, else
 * "status: code: message"; the first MAX_ERRORS only. */
static void
report_errors(const struct batch *b, struct json_object *o)
{
	struct json_object *errs, *data, *e, *v;
	const char *code, *msg;
	size_t i, n;

	if (!json_object_object_get_ex(o, "errors", &errs) ||
	    !json_object_object_get_ex(errs, "data", &data) ||
	    !json_object_is_type(data, json_type_array))
		return;
	n = json_object_array_length(data);
	for (i = 0; i < n && i < MAX_ERRORS; i++) {
		e = json_object_array_get_idx(data, i);
		code = json_object_object_get_ex(e, "code", &v) &&
		    json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : "error";
		msg = json_object_object_get_ex(e, "message", &v) &&
		    json_object_is_type(v, json_type_string) ?
		    json_object_get_string(v) : "";
		if (json_object_object_get_ex(e, "line", &v) &&
		    json_object_is_type(v, json_type_int))
			say("%s: line %lld: %s: %s", b->id,
			    (long long)json_object_get_int64(v), code, msg);
		else
			say("%s: %s: %s: %s", b->id, b->last.status, code, msg);
	}
	if (n > MAX_ERRORS)
		say("%s: %zu more errors", b->id, n - MAX_ERRORS);
}

/* The result lines of an ended batch, flushed at once so the next program
 * of a pipeline can start on them.  Exits 1 when stdout fails: there is
 * no point waiting for results nobody can read. */
static void
print_results(const struct batch *b)
{
	if (b->last.output_file_id != NULL)
		printf("%s\toutput\t%s\t%s\n", b->last.output_file_id, b->id,
		    b->last.status);
	if (b->last.error_file_id != NULL)
		printf("%s\terror\t%s\t%s\n", b->last.error_file_id, b->id,
		    b->last.status);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		live_clear();
		warn("stdout");
		exit(1);
	}
}

/* poll_batch: one GET of batch b, and what follows from the answer. */
static void
poll_batch(struct batch *b)
{
	struct json_object *o = NULL;
	struct batchobj got;
	char path[300], line[512];
	int r, changed;
	double cap;

	snprintf(path, sizeof(path), "/batches/%s", b->id);
	r = http_request(http, "GET", path, NULL, HTTP_QUIET, NULL, &o);
	cap = fmax(CAP_SECONDS, first_interval);
	if (r == HTTP_TEMPFAIL) {
		/* The retries ran out, but the batch runs on regardless:
		 * the server may well be back by the next poll. */
		b->interval = fmin(cap, b->interval * GROWTH);
		say("GET %s%s: %s (polling again in %.3gs)", base_path, path,
		    http_errmsg(http), b->interval);
		b->next_poll = now() + b->interval;
		return;
	}
	if (r != HTTP_OK) {
		say("GET %s%s: %s", base_path, path, http_errmsg(http));
		b->outcome = BROKEN;
		return;
	}
	if (batchobj_parse(o, &got) == -1 || strcmp(got.id, b->id) != 0) {
		say("GET %s%s: not the batch asked for", base_path, path);
		json_object_put(o);
		b->interval = fmin(cap, b->interval * GROWTH);
		b->next_poll = now() + b->interval;
		return;
	}
	changed = b->last.status == NULL ||
	    strcmp(b->last.status, got.status) != 0;
	batchobj_free(&b->last);
	b->last = got;
	/* Even with -q, a batch that ended without completing says so. */
	if (changed && !live && (!quiet ||
	    (batch_status_terminal(got.status) &&
	    strcmp(got.status, "completed") != 0))) {
		describe(line, sizeof(line), b);
		say("%s", line);
	}
	if (batch_status_terminal(got.status)) {
		b->ended = now();
		b->outcome = strcmp(got.status, "completed") == 0 ?
		    COMPLETED : DEAD;
		if (b->outcome == DEAD)
			report_errors(b, o);
		print_results(b);
	} else if (changed && strcmp(got.status, "finalizing") != 0)
		b->interval = first_interval;
	else
		b->interval = fmin(cap, b->interval * GROWTH);
	b->next_poll = now() + b->interval;
	json_object_put(o);
}

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct idsrc ids;
	const char *id;
	double timeout = 0, deadline, t;
	size_t i, waiting, next;
	int ch, r, verbose = 0, status = 0, timed_out = 0;

	while ((ch = getopt(argc, argv, "hi:qt:vV")) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			first_interval = seconds(optarg, 'i');
			break;
		case 'q':
			quiet = 1;
			break;
		case 't':
			timeout = seconds(optarg, 't');
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			puts("oai-wait batchpipe " BATCHPIPE_VERSION);
			return 0;
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

	if (idsrc_open(&ids, argc, argv) == -1)
		return 1;
	while ((r = idsrc_next(&ids, &id)) == 1) {
		if (!idsrc_valid(id)) {
			warnx("%s: not a batch id: %s", ids.where, id);
			status = 1;
			continue;
		}
		for (i = 0; i < nbatches; i++)
			if (strcmp(batches[i].id, id) == 0)
				break;
		if (i < nbatches)
			continue;
		batches = xreallocarray(batches, nbatches + 1,
		    sizeof(*batches));
		memset(&batches[nbatches], 0, sizeof(*batches));
		batches[nbatches].id = xstrdup(id);
		batches[nbatches].interval = first_interval;
		nbatches++;
	}
	idsrc_close(&ids);
	if (r == -1)
		return 1;

	/* A trace would scroll the live lines away: -v gets plain lines. */
	live = !quiet && !verbose && isatty(STDERR_FILENO);
	start = now();
	deadline = timeout > 0 ? start + timeout : INFINITY;
	for (i = 0; i < nbatches; i++)
		batches[i].next_poll = start;
	for (;;) {
		/* The batch due first; ties go to the earlier in the input,
		 * so batches that end in one round print in input order. */
		waiting = 0;
		next = nbatches;
		for (i = 0; i < nbatches; i++) {
			if (batches[i].outcome != WAITING)
				continue;
			waiting++;
			if (next == nbatches ||
			    batches[i].next_poll < batches[next].next_poll)
				next = i;
		}
		if (waiting == 0)
			break;
		t = fmin(batches[next].next_poll, deadline);
		if (live && t > now() + 1) {
			/* The live lines show the time: keep it running. */
			sleep_until(now() + 1);
			live_draw();
			continue;
		}
		sleep_until(t);
		if (batches[next].next_poll >= deadline) {
			timed_out = 1;
			break;
		}
		poll_batch(&batches[next]);
		live_draw();
	}
	drawn = 0;	/* the last state of every batch stays on the screen */

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
	http_close(http);
	config_free(&cfg);
	if (stdout_close(1) == -1)
		return 1;
	return status;
}
