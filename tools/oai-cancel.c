/* oai-cancel: cancels batches; prints "batch_ID TAB status" once each is
 * cancelled (or, with -n, once the server took the request).  A batch
 * that had already ended is reported as it is, not an error: what was
 * asked, that it stop spending, holds.  The requests that finished before
 * the cancel are results, fetched like any others with oai-fetch. */
#include <err.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anthropic_api.h"
#include "batchobj.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "monoclock.h"
#include "numarg.h"
#include "outcheck.h"
#include "usage.h"

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "hnqt:vV";
static const char help[] =
	"usage: oai-cancel [-hnqVv] [-t timeout] [batch-id ...]\n"
	"\n"
	"  -n          do not wait until the batches are cancelled\n"
	"  -q          no notes on finished requests and ended batches\n"
	"  -t timeout  wait at most timeout seconds in all (default 600)\n"
	"  -v          trace every HTTP request and answer header on stderr\n"
	"  -h          print this help and exit\n"
	"  -V          print the version and exit\n";

/* The first wait between two looks at a cancelling batch, and the most
 * a wait grows to: the mock ends a cancel in a moment, OpenAI in minutes. */
#define POLL_FIRST	0.25
#define POLL_MAX	15.0

struct canceller {
	struct http		*h;
	struct buf		 path;
	int			 quiet;
};

/* The outcome of one batch. */
enum { DONE, FAILED, TEMPORARY, TIMEDOUT };

/* get_batch: GET the batch into *b.  Returns as http_request; a batch
 * the server does not know is reported as such. */
static int
get_batch(struct canceller *c, const char *id, struct batchobj *b)
{
	struct json_object *answer;
	long status;
	int rc;

	batch_path(c->h, &c->path, id, NULL);
	rc = http_request(c->h, "GET", c->path.p, NULL, HTTP_QUIET404, &status,
	    &answer);
	if (rc == HTTP_FAILED && status == 404)
		warnx("%s: no such batch", id);
	if (rc != HTTP_OK)
		return rc;
	if (batch_parse(c->h, answer, b) != 0) {
		warnx("GET %s: not a batch", id);
		rc = HTTP_FAILED;
	}
	json_object_put(answer);
	return rc;
}

/* post_cancel: asks the server to cancel id; *b its answer.  A batch
 * that has ended cannot be cancelled (HTTP 409, which the client takes
 * for a conflict worth retrying): it is looked at first, and again when
 * the cancel fails, and then *b is what it is. */
static int
post_cancel(struct canceller *c, const char *id, struct batchobj *b)
{
	struct json_object *answer;
	long status;
	int rc;

	if ((rc = get_batch(c, id, b)) != HTTP_OK)
		return rc;
	if (batch_status_terminal(b->status))
		return HTTP_OK;
	batchobj_free(b);

	batch_path(c->h, &c->path, id, "/cancel");
	rc = http_request(c->h, "POST", c->path.p, NULL, HTTP_QUIET, &status,
	    &answer);
	if (rc != HTTP_OK) {
		/* It may have ended since. */
		if (get_batch(c, id, b) == HTTP_OK) {
			if (batch_status_terminal(b->status))
				return HTTP_OK;
			batchobj_free(b);
		}
		batch_path(c->h, &c->path, id, "/cancel");
		warnx("POST %s: %s", c->path.p, http_errmsg(c->h));
		return rc;
	}
	rc = batch_parse(c->h, answer, b) == 0 ? HTTP_OK : HTTP_FAILED;
	if (rc != HTTP_OK)
		warnx("POST %s: not a batch", c->path.p);
	json_object_put(answer);
	return rc;
}

/* wait_ended: looks at *b again, with backoff, until it has ended or the
 * deadline passes. */
static int
wait_ended(struct canceller *c, struct batchobj *b, double deadline)
{
	struct batchobj now;
	double pause = POLL_FIRST, left;
	char *id;
	int rc;

	while (!batch_status_terminal(b->status)) {
		if ((left = deadline - mono_now()) <= 0)
			return TIMEDOUT;
		mono_sleep(pause < left ? pause : left);
		if (pause * 2 <= POLL_MAX)
			pause *= 2;
		if ((id = strdup(b->id)) == NULL)
			err(1, NULL);
		rc = get_batch(c, id, &now);
		free(id);
		if (rc == HTTP_TEMPFAIL || rc == HTTP_LOST)
			continue;	/* the deadline bounds the tries */
		if (rc != HTTP_OK)
			return FAILED;
		batchobj_free(b);
		*b = now;
	}
	return DONE;
}

/* report: the batch's line, and on stderr what became of its requests. */
static void
report(const struct canceller *c, const struct batchobj *b, int ended)
{
	printf("%s\t%s\n", b->id, b->status);
	stdout_flush();
	if (c->quiet)
		return;
	if (ended)
		warnx("%s: already %s, nothing to cancel", b->id, b->status);
	else if (b->completed + b->failed > 0)
		warnx("%s: %lld of %lld requests had finished (%lld failed); "
		    "their results can still be fetched with oai-wait and "
		    "oai-fetch", b->id, b->completed + b->failed, b->total,
		    b->failed);
}

/* cancel_one: cancels id and, unless nowait, waits until it has ended. */
static int
cancel_one(struct canceller *c, const char *id, int nowait, double deadline)
{
	struct batchobj b;
	int rc, ended;

	rc = post_cancel(c, id, &b);
	if (rc == HTTP_TEMPFAIL || rc == HTTP_LOST)
		return TEMPORARY;
	if (rc != HTTP_OK)
		return FAILED;
	ended = strcmp(b.status, "cancelled") != 0 &&
	    batch_status_terminal(b.status);
	rc = nowait ? DONE : wait_ended(c, &b, deadline);
	if (rc == TIMEDOUT)
		warnx("%s: still %s after the timeout", b.id, b.status);
	if (rc != FAILED)
		report(c, &b, ended);
	batchobj_free(&b);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct canceller c = { NULL, BUF_INIT, 0 };
	struct idsrc in;
	const char *id, *errstr;
	char shown[80];
	double timeout = 600, deadline;
	int ch, nowait = 0, verbose = 0, failed = 0, temporary = 0, timedout = 0;
	int more, i;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1)
		switch (ch) {
		case 'h':
			usage_help(help);
		case 'n':
			nowait = 1;
			break;
		case 'q':
			c.quiet = 1;
			break;
		case 't':
			timeout = numarg_seconds(optarg, &errstr);
			if (errstr != NULL) {
				warnx("-t %s: not a number of seconds", optarg);
				usage_error(help);
			}
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			usage_version();
		default:
			usage_error(help);
		}
	argc -= optind;
	argv += optind;
	/* Every argument is checked before any batch is cancelled. */
	for (i = 0; i < argc; i++)
		if (!idsrc_valid(argv[i], strlen(argv[i]))) {
			warnx("argument %d: %s: not a batch id", i + 1,
			    idsrc_shown(argv[i], strlen(argv[i]), shown,
			    sizeof(shown)));
			failed = 1;
		}
	if (failed)
		return 2;

	if (config_load(&cfg) != 0)
		return 1;
	if (idsrc_open(&in, argc, argv) != 0)
		return 1;
	c.h = http_open(&cfg, verbose);
	deadline = mono_now() + timeout;

	while (!temporary && (more = idsrc_next(&in, &id)) == 1) {
		if (!idsrc_valid(id, in.len)) {
			warnx("%s: %s: not a batch id", in.where,
			    idsrc_shown(id, in.len, shown, sizeof(shown)));
			failed = 1;
			continue;
		}
		switch (cancel_one(&c, id, nowait, deadline)) {
		case FAILED:
			failed = 1;
			break;
		case TEMPORARY:
			temporary = 1;
			break;
		case TIMEDOUT:
			/* The batches after it are still asked to stop. */
			timedout = 1;
			break;
		}
	}
	if (more < 0)
		failed = 1;

	http_close(c.h);
	idsrc_close(&in);
	config_free(&cfg);
	buf_free(&c.path);
	if (stdout_close(0) != 0)
		failed = 1;
	if (failed)
		return 1;
	return temporary || timedout ? 75 : 0;
}
