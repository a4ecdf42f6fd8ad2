/*
 * oai-run: answers Batch API request lines live, many at once, and
 * writes each result as a line of the Batch API's output format.
 */
#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envnum.h"
#include "http.h"
#include "jsonl.h"
#include "modeldata.h"
#include "monoclock.h"
#include "numarg.h"
#include "outcheck.h"
#include "reqcount.h"
#include "reqline.h"
#include "run.h"
#include "spool.h"
#include "usage.h"
#include "xalloc.h"

#define CONCURRENCY	16	/* -c: well under every hosted API's limits */

static const char optstring[] = "c:hqR:T:o:vV";
static const char help[] =
	"usage: oai-run [-hqVv] [-c concurrency] [-R requests-per-minute]\n"
	"               [-T tokens-per-minute] [-o output-file] [file ...]\n"
	"\n"
	"  -c concurrency  requests in flight at most (default 16)\n"
	"  -o output-file  append results here; a re-run skips what succeeded\n"
	"  -q              no progress line\n"
	"  -R rpm          send at most rpm requests a minute\n"
	"  -T tpm          send at most tpm tokens a minute (input + output)\n"
	"  -v              say what happens to each request\n"
	"  -h              print this help and exit\n"
	"  -V              print the version and exit\n";

/* The first SIGINT, SIGTERM or SIGHUP: nothing more starts, and the
 * requests in flight are finished and written (they are paid for); a
 * second: they are dropped, unwritten. */
static volatile sig_atomic_t caught, signals;

/* The inputs, each readable twice: once to check them whole, once to
 * send them. */
struct inputs {
	struct spool_input	*in;
	int			 n, cur;
	struct jsonl		 reader;
	int			 open;
	struct reqline		 req;
	struct buf		 idbuf;
	struct reqcount		 count;
};

static void
on_signal(int sig)
{
	caught = sig;
	signals++;
}

/* number: option opt's value s, a whole number from min to max by
 * numarg's rule, or a usage error. */
static long long
number(const char *s, char opt, long long min, long long max)
{
	const char *errstr;
	long long v;

	v = numarg(s, min, max, &errstr);
	if (errstr != NULL) {
		warnx("-%c: not a whole number from %lld to %lld: %s", opt,
		    min, max, s);
		usage_error(help);
	}
	return v;
}

static void
rewind_input(struct inputs *ins, int i)
{
	if (lseek(ins->in[i].fd, ins->in[i].base, SEEK_SET) < 0)
		err(1, "%s", ins->in[i].name);
	jsonl_close(&ins->reader);
	jsonl_fdopen(&ins->reader, ins->in[i].fd, ins->in[i].name, 0);
}

/* inputs_free: what the inputs hold; their descriptors stay open to
 * the exit. */
static void
inputs_free(struct inputs *ins)
{
	jsonl_close(&ins->reader);
	buf_free(&ins->idbuf);
	reqcount_free(&ins->count);
	free(ins->in);
}

/* run_free: what the run holds, but the output's descriptor. */
static void
run_free(struct run *r)
{
	xfer_cleanup(r);
	progress_free(&r->meter);
	curl_multi_cleanup(r->multi);
	curl_slist_free_all(r->headers);
	buf_free(&r->pending);
	buf_free(&r->scratch);
	idset_free(r->done);
	idset_free(r->seen);
	config_free(&r->cfg);
}

/* check_inputs: every line a request for an endpoint under /v1/, no
 * custom_id twice; nothing is sent before the whole input is good.
 * Counts what is still to send into r->total. */
static void
check_inputs(struct run *r, struct inputs *ins)
{
	char *line;
	size_t len;
	const char *why;
	int i, rc;

	r->seen = idset_new();
	for (i = 0; i < ins->n; i++) {
		rewind_input(ins, i);
		while ((rc = jsonl_next(&ins->reader, &line, &len)) == 1) {
			why = reqline_check(line, len, &ins->req, &ins->idbuf);
			if (why == NULL && (ins->req.url.n < 6 ||
			    strncmp(ins->req.url.p, "\"/v1/", 5) != 0))
				why = "url does not begin with /v1/";
			if (why != NULL)
				reqline_fail(ins->reader.name,
				    ins->reader.lineno,
				    ins->reader.unterminated, why);
			if (!idset_add(r->seen, ins->req.id, ins->req.idlen))
				errx(1, "%s:%lu: custom_id %.*s is there twice",
				    ins->reader.name, ins->reader.lineno,
				    (int)ins->req.custom_id.n,
				    ins->req.custom_id.p);
			if (!idset_contains(r->done, ins->req.id,
			    ins->req.idlen))
				r->total++;
		}
		if (rc < 0)
			exit(1);
	}
}

/* next_request: fills x with the next request not yet answered; 0 when
 * there is none left. */
static int
next_request(struct run *r, struct inputs *ins, struct xfer *x)
{
	long long input, cap;
	char *line;
	size_t len;
	int rc;

	for (;;) {
		if (!ins->open) {
			if (ins->cur >= ins->n)
				return 0;
			rewind_input(ins, ins->cur++);
			ins->open = 1;
		}
		if ((rc = jsonl_next(&ins->reader, &line, &len)) < 0)
			exit(1);
		if (rc == 0) {
			ins->open = 0;
			continue;
		}
		if (reqline_check(line, len, &ins->req, &ins->idbuf) != NULL)
			errx(1, "%s: changed while being read",
			    ins->reader.name);
		if (idset_contains(r->done, ins->req.id, ins->req.idlen)) {
			r->skipped++;
			continue;
		}
		break;
	}
	buf_reset(&x->id);
	buf_add(&x->id, ins->req.custom_id.p, ins->req.custom_id.n);
	buf_reset(&x->idtext);
	buf_add(&x->idtext, ins->req.id, ins->req.idlen);
	/* The url's "/v1" is the base URL's path. */
	config_url(&r->cfg, &x->url, ins->req.url.p + 4, ins->req.url.n - 5);
	buf_reset(&x->body);
	buf_add(&x->body, ins->req.body.p, ins->req.body.n);
	if (reqcount_request(&ins->count, &ins->req, &input, &cap) == 0)
		x->cost = input + (cap >= 0 ? cap : ins->count.max_output >= 0 ?
		    ins->count.max_output : 0);
	else
		x->cost = (long long)(ins->req.body.n / 4);
	x->tries = 0;
	x->due = 0;
	x->busy = 1;
	return 1;
}

/* start_due: starts every request whose time has come, while the pace
 * allows; *wake gets when to look again. */
static void
start_due(struct run *r, struct inputs *ins, int *more, double *wake)
{
	struct xfer *x;
	double t = mono_now(), w;
	int i, active = 0;

	for (i = 0; i < r->nxfers; i++)
		active += r->xfers[i].active;
	for (i = 0; i < r->nxfers; i++) {
		x = &r->xfers[i];
		if (!x->busy && *more && !caught)
			*more = next_request(r, ins, x);
		if (!x->busy || x->active || caught ||
		    active >= (int)r->pace.window)
			continue;
		if (x->due > t) {
			if (x->due < *wake)
				*wake = x->due;
			continue;
		}
		if ((w = pace_wait(&r->pace, x->cost, t)) > 0) {
			if (t + w < *wake)
				*wake = t + w;
			break;
		}
		xfer_start(x);
		active++;
	}
}

/* working: whether anything is left to do: after a signal, only the
 * requests in flight. */
static int
working(const struct run *r, int more)
{
	int i;

	for (i = 0; i < r->nxfers; i++)
		if (caught ? r->xfers[i].active : r->xfers[i].busy)
			return 1;
	return more && !caught;
}

/* run: sends every request and writes every result; 0, or -1 when it
 * must stop (reported). */
static int
run(struct run *r, struct inputs *ins, int meter)
{
	CURLMsg *m;
	struct xfer *x;
	double wake, drawn = 0;
	int more = 1, running, left, stop = 0, told = 0, ended;

	r->started = mono_now();
	while (signals < 2 && !stop && working(r, more)) {
		if (caught && !told++) {
			progress_clear(&r->meter);
			warnx("finishing the requests in flight; a second "
			    "signal drops them");
		}
		wake = mono_now() + 0.25;
		start_due(r, ins, &more, &wake);
		curl_multi_perform(r->multi, &running);
		ended = 0;
		while ((m = curl_multi_info_read(r->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			ended++;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			if (xfer_finish(x, m->data.result) < 0)
				stop = 1;
		}
		if (out_flush(r, 0) != 0)
			return -1;
		if (meter && mono_now() - drawn >= 0.5) {
			meter_draw(r, mono_now(), 0);
			drawn = mono_now();
		}
		/* A request that ended leaves room for the next at once. */
		if (!stop && !ended && working(r, more) && (wake -= mono_now()) > 0)
			curl_multi_poll(r->multi, NULL, 0, (int)(wake * 1000) + 1,
			    NULL);
	}
	if (meter)
		meter_draw(r, mono_now(), 1);
	return stop ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	static char *stdin_only[] = { "-", NULL };
	struct run r = { 0 };
	struct inputs ins = { 0 };
	struct sigaction sa = { 0 };
	const char *out = NULL;
	double rpm = 0, tpm = 0;
	int c, concurrency = CONCURRENCY, i, status, max_tries;

	usage_long_options(argc, argv, optstring, help);
	while ((c = getopt(argc, argv, optstring)) != -1)
		switch (c) {
		case 'c':
			concurrency = (int)number(optarg, 'c', 1, 1000);
			break;
		case 'h':
			usage_help(help);
		case 'o':
			out = optarg;
			break;
		case 'q':
			r.quiet = 1;
			break;
		case 'R':
			rpm = (double)number(optarg, 'R', 1, 100000000);
			break;
		case 'T':
			tpm = (double)number(optarg, 'T', 1, 1000000000000);
			break;
		case 'v':
			r.verbose = 1;
			break;
		case 'V':
			usage_version();
		default:
			usage_error(help);
		}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		argv = stdin_only, argc = 1;

	if (config_load(&r.cfg) != 0)
		return 1;
	if (models_load(NULL) < 0)
		return 1;
	retry_policy_env(&r.policy);
	r.stall_s = envnum_whole("BATCHPIPE_TIMEOUT", 60, 1, 86400, "seconds");
	if (out_open(&r, out) != 0)
		return 1;
	ins.in = xcalloc((size_t)argc, sizeof(*ins.in));
	for (i = 0; i < argc; i++)
		spool_open(&ins.in[ins.n++], argv[i]);
	check_inputs(&r, &ins);

	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (r.multi = curl_multi_init()) == NULL)
		errx(1, "cannot initialise libcurl");
	curl_multi_setopt(r.multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(r.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)concurrency);
	r.headers = http_json_headers(&r.cfg);
	pace_init(&r.pace, concurrency, rpm, tpm, mono_now());
	progress_init(&r.meter);
	xfer_setup(&r, concurrency);

	status = run(&r, &ins, !r.quiet && isatty(STDERR_FILENO));
	max_tries = r.policy.max_tries;
	if (out_flush(&r, 1) != 0)
		status = -1;
	run_free(&r);
	inputs_free(&ins);
	if (caught) {
		warnx("stopped by signal %d: %llu of %llu requests answered%s",
		    (int)caught, r.answered, r.total, out ? "; the same "
		    "command sends the rest" : "");
		return 128 + caught;
	}
	if (status != 0)
		return 1;
	if (!r.quiet && r.gave_up > 0)
		warnx("%llu of %llu requests still failed after %d tries (their "
		    "result lines say why)%s", r.gave_up, r.total,
		    max_tries, out ? "; the same command sends them "
		    "again" : "");
	if (out == NULL && stdout_close(0) != 0)
		return 1;
	return r.gave_up > 0 ? 75 : 0;
}
