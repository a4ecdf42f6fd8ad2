/*
 * oai-batch: starts one batch per input file id and prints
 * batch_ID TAB file-ID.  It never pays twice: a file that already has a
 * batch that did not fail gets that batch (one that expired or was
 * cancelled holds paid results), and a create whose answer was lost is
 * reconciled by listing the batches, never blindly sent again.
 * With -Q it creates a batch only once its input tokens fit in the
 * model's batch queue beside those already enqueued, and writes them in
 * the batch's metadata, for itself and for the other runs to count.
 * With -Q auto the queue's size is learnt: from a batch that failed with
 * token_limit_exceeded, one on record or the first this run makes.
 * The batches are listed newest first and only as far back as can
 * matter: the input file's creation, or the queue's horizon.
 *
 * Two processes at once on the same file would both find no batch and
 * both create one.  On one machine a lock (runlock.h) keyed by the server
 * and the file id makes the second wait, list again and reuse the
 * first's batch.  Across machines, after each create the file's batches
 * are listed again and a newer live duplicate made at the same time is
 * cancelled at once (converge()).
 */
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "batch.h"
#include "config.h"
#include "expiry.h"
#include "http.h"
#include "idsrc.h"
#include "modeldata.h"
#include "numarg.h"
#include "outcheck.h"
#include "usage.h"

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "e:fhi:m:Q:qvVw:xX:";
static const char help[] =
	"usage: oai-batch [-fhqVvx] [-e endpoint] [-i interval]\n"
	"                 [-m key=value]... [-Q limit|auto] [-w window]\n"
	"                 [-X seconds] [file-id ...]\n"
	"\n"
	"  -e endpoint    the endpoint of every request (default: their url)\n"
	"  -f             a new batch for every file, even if one exists\n"
	"  -i interval    the first wait between polls, in seconds (10)\n"
	"  -m key=value   metadata for the new batches (repeatable)\n"
	"  -Q limit|auto  create batches only as they fit in the batch queue\n"
	"  -q             no note on reused batches\n"
	"  -v             trace every HTTP request and answer on stderr\n"
	"  -w window      the completion window (default: the provider's\n"
	"                 first, 24h for OpenAI)\n"
	"  -x             stop at the first file that cannot get a batch\n"
	"  -X seconds     output and error files expire this long after they\n"
	"                 are made (3600-2592000)\n"
	"  -h             print this help and exit\n"
	"  -V             print the version and exit\n";

/* The Batch API's bounds on output_expires_after.seconds. */

/* expiry_object: {"anchor":"created_at","seconds":seconds}, the
 * BatchFileExpirationAfter of CreateBatchRequest. */
static struct json_object *
expiry_object(long long seconds)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "anchor",
	    json_object_new_string("created_at"));
	json_object_object_add(o, "seconds", json_object_new_int64(seconds));
	return o;
}

/* create_body: the part of every create's request that -w and -X set:
 * the completion window (-w, or prov's first) and the expiry of the
 * output files (-X, when expires is not 0). */
static struct json_object *
create_body(const struct run *run, const struct provider *prov,
    long long expires)
{
	struct json_object *body = json_object_new_object();

	json_object_object_add(body, "completion_window",
	    json_object_new_string(run->window != NULL ? run->window :
	    prov->windows[0]));
	if (expires > 0)
		json_object_object_add(body, "output_expires_after",
		    expiry_object(expires));
	return body;
}

/* queue_option: -Q s, tokens (numarg_size: k, M and G suffixes), tier-N
 * or auto, into run.  Returns 0, or -1 after saying it is malformed. */
static int
queue_option(struct run *run, const char *s)
{
	const char *errstr;
	long long v;

	run->tier = 0;
	run->auto_limit = 0;
	if (strcmp(s, "auto") == 0) {
		run->auto_limit = 1;
		return 0;
	}
	if (strncmp(s, "tier-", 5) == 0 && s[5] >= '1' && s[5] <= '5' &&
	    s[6] == '\0') {
		run->tier = s[5] - '0';
		return 0;
	}
	v = numarg_size(s, 1, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		warnx("-Q %s: not a number of tokens (k, M, G), tier-1 to "
		    "tier-5 or auto", s);
		return -1;
	}
	run->qtokens = v;
	return 0;
}

/* interval_option: -i s, seconds (numarg_seconds), into run.  Returns 0,
 * or -1 after saying it is malformed. */
static int
interval_option(struct run *run, const char *s)
{
	const char *errstr;

	run->first_interval = numarg_seconds(s, &errstr);
	if (errstr != NULL) {
		warnx("-i %s: not a number of seconds", s);
		return -1;
	}
	return 0;
}

/* endpoint_option: -e s into run.  Returns 0, or -1 after saying it is
 * not a path. */
static int
endpoint_option(struct run *run, const char *s)
{
	if (s[0] != '/') {
		warnx("-e %s: an endpoint is a path such as "
		    "/v1/chat/completions", s);
		return -1;
	}
	run->endpoint = s;
	return 0;
}

/* inline_options: for a provider that takes the requests inline
 * (Anthropic), whose batches carry no metadata and no expiry: -m, -X
 * and a -Q that counts tokens are refused (exit 2); -Q auto has no
 * queue to learn and does nothing. */
static void
inline_options(struct run *run, long long expires)
{
	const char *no = NULL;

	if (run->npairs > 0)
		no = "-m: its batches carry no metadata";
	else if (expires > 0)
		no = "-X: its results do not expire on request";
	else if (run->qflag && !run->auto_limit)
		no = "-Q: its batches carry no metadata to count a queue by";
	else if (run->endpoint != NULL &&
	    strcmp(run->endpoint, "/v1/chat/completions") != 0)
		no = "-e: it runs only /v1/chat/completions requests";
	if (no != NULL) {
		warnx("%s %s", run->prov->name, no);
		usage_error(help);
	}
	run->qflag = 0;
}

/* run_free: frees what run holds. */
static void
run_free(struct run *run)
{
	json_object_put(run->body);
	buf_free(&run->inline_body);
	known_free(run);
	reqcount_free(&run->rc);
	http_close(run->http);
}

/* metadata_option: -m pair, added to run's.  Returns 0, or -1 after
 * saying it is malformed or one too many. */
static int
metadata_option(struct run *run, char *pair)
{
	const char *eq;

	eq = strchr(pair, '=');
	if (eq == NULL || eq == pair || eq - pair > MAX_KEY ||
	    strlen(eq + 1) > MAX_VALUE) {
		warnx("-m %s: expected key=value, key 1 to %d bytes, "
		    "value at most %d", pair, MAX_KEY, MAX_VALUE);
		return -1;
	}
	if (run->npairs == MAX_METADATA) {
		warnx("-m %s: at most %d metadata pairs", pair, MAX_METADATA);
		return -1;
	}
	run->pairs[run->npairs++] = pair;
	return 0;
}

/* parse_options: the options into run, *verbose and *expires (-X);
 * returns optind.  A bad option is a usage error (exit 2). */
static int
parse_options(int argc, char *argv[], struct run *run, int *verbose,
    long long *expires)
{
	int ch;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'e':
			if (endpoint_option(run, optarg) == -1)
				usage_error(help);
			break;
		case 'f':
			run->force = 1;
			break;
		case 'h':
			usage_help(help);
		case 'i':
			if (interval_option(run, optarg) == -1)
				usage_error(help);
			break;
		case 'm':
			if (metadata_option(run, optarg) == -1)
				usage_error(help);
			break;
		case 'Q':
			if (queue_option(run, optarg) == -1)
				usage_error(help);
			run->qflag = 1;
			break;
		case 'q':
			run->quiet = 1;
			break;
		case 'v':
			*verbose = 1;
			break;
		case 'V':
			usage_version();
		case 'w':
			run->window = optarg;
			break;
		case 'x':
			run->stop_first = 1;
			break;
		case 'X':
			if ((*expires = expiry_seconds('X', optarg)) == -1)
				usage_error(help);
			break;
		default:
			usage_error(help);
		}
	}
	return optind;
}

int
main(int argc, char *argv[])
{
	struct run run = { .covered = LLONG_MAX,
	    .first_interval = 10, .lock = RUNLOCK_NONE,
	    .inline_body = BUF_INIT };
	struct oai_config cfg;
	struct idsrc ids;
	struct known *k;
	const char *id;
	long long expires = 0;
	int ch, r, verbose = 0, status = 0;

	ch = parse_options(argc, argv, &run, &verbose, &expires);
	argc -= ch;
	argv += ch;
	if (run.qflag && run.npairs > MAX_METADATA - 2) {
		warnx("-Q writes 2 metadata pairs: at most %d -m pairs with it",
		    MAX_METADATA - 2);
		usage_error(help);
	}

	if (config_load(&cfg) == -1)
		return 1;
	run.prov = cfg.prov;
	/* A window the provider refuses is refused here, before anything
	 * is sent. */
	if (run.window != NULL && !provider_window_ok(cfg.prov, run.window)) {
		warnx("-w %s: %s accepts %s", run.window, cfg.prov->name,
		    provider_windows(cfg.prov));
		usage_error(help);
	}
	if (cfg.prov->dialect == DIALECT_ANTHROPIC)
		inline_options(&run, expires);
	/* -Q counts with the model tables (and looks its limits up). */
	if (run.qflag && (models_load(NULL) < 0 ||
	    (run.tier > 0 && limits_load(NULL) < 0))) {
		config_free(&cfg);
		return 1;
	}
	run.http = http_open(&cfg, verbose);
	run.base_path = cfg.base_path;
	run.base_url = cfg.base_url;
	run.idempotency_key = cfg.prov->idempotency_key;
	run.live = !run.quiet && !verbose && isatty(STDERR_FILENO);
	if (idsrc_open(&ids, argc, argv) == -1)
		return 1;
	run.body = create_body(&run, cfg.prov, expires);

	while ((r = idsrc_next(&ids, &id)) == 1) {
		r = run.prov->dialect == DIALECT_ANTHROPIC ?
		    submit_inline(&run, &ids, id, &k) :
		    submit(&run, &ids, id, &k);
		if (r == HTTP_OK) {
			printf("%s\t%s\n", k->id, id);
			stdout_flush();
			continue;
		}
		if (r != REFUSED)
			break;
		/* -x: the first file that cannot get a batch ends the run,
		 * so that a pipe feeding it learns at once. */
		status = 1;
		if (run.stop_first) {
			r = HTTP_FAILED;
			break;
		}
	}
	runlock_release(&run.lock);
	idsrc_close(&ids);
	/* r is 0 at the end of the input; else why the loop stopped: -1 a
	 * read error, HTTP_FAILED, HTTP_TEMPFAIL. */
	if (r == HTTP_TEMPFAIL)
		status = 75;
	else if (r != 0)
		status = 1;

	run_free(&run);
	config_free(&cfg);
	if (stdout_close(1) == -1)
		return 1;
	return status;
}
