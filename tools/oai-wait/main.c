/*
 * oai-wait: polls batches until they end and prints their result files,
 * one line each: file-ID TAB output|error TAB batch_ID TAB status; with
 * -b one line a batch instead, files or none: batch_ID TAB status TAB
 * input, output and error file ids TAB the first error's code.
 *
 * main reads the options, opens the server and the ids, runs the poll
 * loop (loop.c), and turns how the batches ended into the exit status.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "anthropic_api.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "monoclock.h"
#include "numarg.h"
#include "outcheck.h"
#include "usage.h"
#include "wait.h"

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

/* seconds: s, the argument of -opt, as a number of seconds (numarg.h);
 * a usage error when it is not one. */
static double
seconds(const char *s, char opt)
{
	const char *errstr;
	double d;

	d = numarg_seconds(s, &errstr);
	if (errstr != NULL) {
		warnx("-%c %s: not a number of seconds", opt, s);
		usage_error(help);
	}
	return d;
}

/* options: the options into w; exits on -h, -V and a usage error. */
static void
options(struct waiter *w, int argc, char *argv[])
{
	const char *errstr;
	int ch;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'b':
			w->by_batch = 1;
			break;
		case 'h':
			usage_help(help);
		case 'i':
			w->first_interval = seconds(optarg, 'i');
			break;
		case 'q':
			w->quiet = 1;
			break;
		case 'r':
			w->rate = numarg_decimal(optarg, 0, RATE_MAX, &errstr);
			if (errstr != NULL || w->rate == 0) {
				warnx("-r %s: not a number of polls a second "
				    "(above 0, at most %g)", optarg, RATE_MAX);
				usage_error(help);
			}
			break;
		case 't':
			w->timeout = seconds(optarg, 't');
			break;
		case 'v':
			w->verbose = 1;
			break;
		case 'V':
			usage_version();
		default:
			usage_error(help);
		}
	}
}

/* finish: the exit status from how the batches ended (the first that
 * applies: 1 one could not be followed or the input was bad, 75 the
 * time ran out, 4 one did not complete, else 0); the batches still
 * waiting at the deadline are named. */
static int
finish(const struct waiter *w, int status, int timed_out)
{
	const struct batch *b;
	size_t i;

	for (i = 0; i < w->nbatches; i++) {
		b = &w->batches[i];
		if (b->outcome == BROKEN)
			status = 1;
		else if (timed_out && b->outcome == WAITING)
			warnx("%s: still %s after %gs", b->id,
			    b->last.status ? b->last.status : "unknown",
			    w->timeout);
	}
	if (status == 0 && timed_out)
		status = 75;
	for (i = 0; i < w->nbatches && status == 0; i++)
		if (w->batches[i].outcome == DEAD)
			status = 4;
	return status;
}

static void
waiter_free(struct waiter *w)
{
	size_t i;

	for (i = 0; i < w->nbatches; i++) {
		batchobj_free(&w->batches[i].last);
		free(w->batches[i].id);
		free(w->batches[i].input);
	}
	free(w->batches);
	free(w->due);
	idmap_free(&w->taken);
	free(w->walk.after);
	free(w->walk.ended);
	buf_free(&w->path);
	progress_free(&w->table);
}

int
main(int argc, char *argv[])
{
	struct waiter w = {
		.first_interval = 10, .rate = RATE, .eta_start = -1,
		.walk = { .listing = 1 }, .path = BUF_INIT,
	};
	struct oai_config cfg;
	struct idsrc ids;
	int status, timed_out;

	options(&w, argc, argv);
	argc -= optind;
	argv += optind;

	if (config_load(&cfg) == -1)
		return 1;
	w.http = http_open(&cfg, w.verbose);
	/* Anthropic's listing is paged by id alone: each batch is polled
	 * by itself. */
	w.walk.listing = !batch_anthropic(w.http);
	w.base_path = cfg.base_path;
	w.apikey = cfg.key;
	if (idsrc_open(&ids, argc, argv) == -1)
		return 1;
	idmap_init(&w.taken);

	/* A trace would scroll the live lines away: -v gets plain lines. */
	w.live = !w.quiet && !w.verbose && isatty(STDERR_FILENO);
	progress_init(&w.table);
	if (w.live)
		progress_watch();
	w.start = mono_now();
	status = wait_run(&w, &ids, &timed_out);
	idsrc_close(&ids);

	/* The last state of every batch stays on the screen. */
	status = finish(&w, status, timed_out);
	waiter_free(&w);
	http_close(w.http);
	config_free(&cfg);
	if (stdout_close(1) == -1)
		return 1;
	return status;
}
