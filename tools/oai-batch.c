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
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "apipath.h"
#include "argsec.h"
#include "batchobj.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "modeldata.h"
#include "outcheck.h"
#include "reqcount.h"
#include "reqline.h"
#include "retry.h"
#include "runlock.h"
#include "usage.h"
#include "xalloc.h"

#define MAX_METADATA	16	/* CreateBatchRequest: Metadata */
#define MAX_KEY		64
#define MAX_VALUE	512
#define MAX_MODEL	256

/* The metadata -Q writes on the batches it creates. */
#define META_TOKENS	"batchpipe_tokens"	/* input tokens, decimal */
#define META_MODEL	"batchpipe_model"	/* the requests' model */

/* A batch runs for 24 hours at most (its completion window) and then
 * expires; the margin covers finalizing, expiring and the clocks.  A
 * batch created before that is no longer enqueued. */
#define QUEUE_HORIZON	(26 * 3600)
/* A batch is created after its input file: the margin covers the
 * clocks of the Files and the Batches services. */
#define FILE_SKEW	300
#define GROWTH		1.5	/* the wait grows by this a poll... */
#define CAP_SECONDS	120.0	/* ...up to this, or -i if longer */
/* The queue wait grows to this many times -i at most: it polls the
 * listing, and a wait much longer than -i leaves the queue idle long
 * after a batch ended and made room. */
#define QUEUE_GROWTH_MAX 6.0
#define TOKEN_LIMIT	"token_limit_exceeded"	/* the queue was full */
/* A string from the server fit to print and, for an id, to use. */
#define VALID(s)	idsrc_valid((s), strlen(s))

/* A batch the server has (or that this run created). */
struct known {
	char		*id;
	char		*file_id;
	char		*status;
	long long	 created_at;
	long long	 tokens;	/* from its metadata, or -1 */
	char		*model;		/* from its metadata, or NULL */
	int		 before;	/* listed before the create in progress */
	int		 ours;		/* created (or found after a loss) here */
	int		 warned;	/* enqueued, of unknown tokens: said */
	/* Its id or status is unfit to use (VALID): it is still the
	 * file's batch, so no other is created, but it is not printed. */
	int		 odd;
	unsigned	 listing;	/* the last listing it was in, or 0 */
	long		 rank;		/* its place in that listing, 1 the
					 * newest */
};

/* A model's batch queue, learnt (-Q auto) from a batch that failed with
 * token_limit_exceeded: the newest such batch wins. */
struct learnt {
	char		*model;
	char		*batch;		/* the batch it was learnt from */
	long long	 limit;		/* enqueued tokens */
	long long	 when;		/* that batch's created_at */
};

static struct known	*known;
static size_t		 nknown;
static struct learnt	*learnt;
static size_t		 nlearnt;
static int		 auto_limit;	/* -Q auto */
static struct http	*http;
static const char	*base_path;
static int		 force, quiet, live;
static int		 stop_first;	/* -x */
static long long	 covered = LLONG_MAX;	/* listed back to this */
static double		 first_interval = 10;	/* -i */
static unsigned		 listing;	/* listings read so far */
static long		 listed;	/* batches in the current listing */
static time_t		 listed_at;	/* when the last listing was asked */

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "e:fhi:m:Q:qvVx";
static const char help[] =
	"usage: oai-batch [-fhqVvx] [-e endpoint] [-i interval]\n"
	"                 [-m key=value]... [-Q limit|auto] [file-id ...]\n"
	"\n"
	"  -e endpoint    the endpoint of every request (default: their url)\n"
	"  -f             a new batch for every file, even if one exists\n"
	"  -i interval    the first wait between polls, in seconds (10)\n"
	"  -m key=value   metadata for the new batches (repeatable)\n"
	"  -Q limit|auto  create batches only as they fit in the batch queue\n"
	"  -q             no note on reused batches\n"
	"  -v             trace every HTTP request and answer on stderr\n"
	"  -x             stop at the first file that cannot get a batch\n"
	"  -h             print this help and exit\n"
	"  -V             print the version and exit\n";

static void __attribute__((noreturn))
usage(FILE *fp)
{
	if (fp == stdout)
		usage_help(help);
	usage_error(help);
}

/* meta_tokens: the input tokens -Q wrote in batch o's metadata, or -1;
 * *model the model it wrote (o's, valid while o is), or NULL. */
static long long
meta_tokens(struct json_object *o, const char **model)
{
	struct json_object *meta, *v;
	const char *s;
	char *end;
	long long n;

	*model = NULL;
	if (!json_object_object_get_ex(o, "metadata", &meta) ||
	    !json_object_is_type(meta, json_type_object))
		return -1;
	if (json_object_object_get_ex(meta, META_MODEL, &v) &&
	    json_object_is_type(v, json_type_string))
		*model = json_object_get_string(v);
	if (!json_object_object_get_ex(meta, META_TOKENS, &v) ||
	    !json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || n < 0)
		return -1;
	return n;
}

/* remember: adds batch b (or refreshes the status of one known), created
 * at when, with its -Q metadata from o (NULL: none known yet). */
static struct known *
remember(const struct batchobj *b, long long when, struct json_object *o)
{
	struct known *k = NULL;
	const char *model = NULL;
	long long tokens = -1;
	size_t i;

	if (o != NULL)
		tokens = meta_tokens(o, &model);
	for (i = 0; i < nknown; i++)
		if (strcmp(known[i].id, b->id) == 0) {
			k = &known[i];
			free(k->status);
			k->status = xstrdup(b->status);
			break;
		}
	if (k == NULL) {
		known = xreallocarray(known, nknown + 1, sizeof(*known));
		k = &known[nknown++];
		memset(k, 0, sizeof(*k));
		k->id = xstrdup(b->id);
		k->file_id = xstrdup(b->input_file_id);
		k->status = xstrdup(b->status);
		k->created_at = when;
		k->tokens = -1;
		k->odd = !VALID(b->id) || !VALID(b->status);
	}
	if (tokens >= 0 && k->tokens < 0) {
		k->tokens = tokens;
		free(k->model);
		k->model = model != NULL ? xstrdup(model) : NULL;
	}
	return k;
}

/* id_shown: k's id fit for a message (an odd one escaped), valid until the
 * next call. */
static const char *
id_shown(const struct known *k)
{
	static char buf[80];

	return idsrc_shown(k->id, strlen(k->id), buf, sizeof(buf));
}

/* limit_number: the number after "Limit:" in a token_limit_exceeded
 * message, digits with or without thousands commas ("Limit: 2,000,000
 * enqueued tokens", as OpenAI writes it); -1 when there is none. */
static long long
limit_number(const char *msg)
{
	const char *p;
	long long n = 0;

	if ((p = strstr(msg, "Limit:")) == NULL)
		return -1;
	for (p += 6; *p == ' '; p++)
		;
	if (*p < '0' || *p > '9')
		return -1;
	for (; (*p >= '0' && *p <= '9') || *p == ','; p++) {
		if (*p == ',')
			continue;
		if (n > (LLONG_MAX - (*p - '0')) / 10)
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n > 0 ? n : -1;
}

/* model_name: 1 when s (n bytes) can name a model here: printable, no
 * spaces, not too long (it is compared and printed, never sent). */
static int
model_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= MAX_MODEL)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* learnt_limit: the queue of model learnt so far, or -1. */
static long long
learnt_limit(const char *model)
{
	size_t i;

	for (i = 0; i < nlearnt; i++)
		if (strcmp(learnt[i].model, model) == 0)
			return learnt[i].limit;
	return -1;
}

/* learn: when Batch o (id, status, created at when) failed with
 * token_limit_exceeded and its message names the limit, that limit is
 * its model's, unless a newer batch already taught one; the model is the
 * one -Q wrote in its metadata, else the one the message names.  Says a
 * new or changed limit unless -q.  Returns 1 when o is such a batch
 * (whether or not it was the newest), 0 when it is not, -1 when it failed
 * with token_limit_exceeded but names no usable limit or model. */
static int
learn(struct json_object *o, const char *id, const char *status,
    long long when)
{
	struct learnt *l = NULL;
	const char *code, *msg, *model, *p, *q;
	long long limit, line;
	size_t i, n;
	char name[MAX_MODEL];

	if (strcmp(status, "failed") != 0)
		return 0;
	for (i = 0; batchobj_error(o, i, &code, &msg, &line); i++)
		if (code != NULL && strcmp(code, TOKEN_LIMIT) == 0)
			break;
	if (code == NULL || strcmp(code, TOKEN_LIMIT) != 0)
		return 0;
	if (msg == NULL || (limit = limit_number(msg)) < 0)
		return -1;
	meta_tokens(o, &model);
	if (model != NULL && model_name(model, strlen(model)))
		snprintf(name, sizeof(name), "%s", model);
	else if ((p = strstr(msg, "limit reached for ")) != NULL &&
	    (q = strstr(p += 18, " in organization")) != NULL &&
	    model_name(p, n = (size_t)(q - p)))
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
	else
		return -1;
	for (i = 0; i < nlearnt; i++)
		if (strcmp(learnt[i].model, name) == 0)
			l = &learnt[i];
	if (l != NULL && (strcmp(l->batch, id) == 0 || when < l->when))
		return 1;
	if (l == NULL) {
		learnt = xreallocarray(learnt, nlearnt + 1, sizeof(*learnt));
		l = &learnt[nlearnt++];
		l->model = xstrdup(name);
		l->limit = -1;
	} else
		free(l->batch);
	l->batch = xstrdup(id);
	l->when = when;
	if (l->limit != limit && !quiet)
		fprintf(stderr, "oai-batch: %s: the batch queue holds %lld "
		    "enqueued tokens (learnt from %s)\n", name, limit, id);
	l->limit = limit;
	return 1;
}

/* collect: http_list callback; the batches without an input file are of
 * no use here.  One whose id or status is unfit to use is kept as odd: it
 * still stops a second batch for its file.  The list is newest first: the
 * first batch created before *since ends the walk. */
static int
collect(struct json_object *item, void *arg)
{
	const long long *since = arg;
	struct batchobj b;
	long long when;

	when = object_created_at(item);
	if (when > 0 && when < *since)
		return 1;
	if (batchobj_parse(item, &b) == -1)
		return 0;
	/* A batch teaches the queue's size with or without its input
	 * file, which the listing below needs. */
	if (auto_limit && VALID(b.id))
		learn(item, b.id, b.status, when);
	if (b.input_file_id != NULL) {
		struct known *k = remember(&b, when, item);

		k->listing = listing;
		k->rank = ++listed;
	}
	batchobj_free(&b);
	return 0;
}

/* list_batches: reads the batches created at since or later (newest
 * first, so it reads no further back).  Returns as http_list. */
static int
list_batches(long long since)
{
	int r;

	listing++;
	listed = 0;
	listed_at = time(NULL);
	r = http_list(http, "/batches?limit=100", collect, &since);
	if (r == HTTP_OK && since < covered)
		covered = since;
	return r;
}

/* usable: the newest batch of file_id that is not failed: one still
 * running, or one that ran (completed, expired, cancelled) and holds
 * results that were paid for; running the file again would pay twice.
 * A failed batch ran nothing (it failed validation, or the queue was
 * full), so another may be made.  With -f only one this run made counts.
 * With after_loss: the newest one that was not there before the create
 * whose answer was lost, whatever its status (it is the one created: one
 * that failed validation at once would fail again). */
static struct known *
usable(const char *file_id, int after_loss)
{
	struct known *best = NULL;
	size_t i;

	for (i = 0; i < nknown; i++) {
		if (strcmp(known[i].file_id, file_id) != 0)
			continue;
		if (after_loss ? known[i].before :
		    strcmp(known[i].status, "failed") == 0 ||
		    (force && !known[i].ours))
			continue;
		if (best == NULL || known[i].created_at > best->created_at)
			best = &known[i];
	}
	return best;
}

/* answer_has_id: 1 when answer is an object with a string "id": a
 * batch, even one batchobj_parse refuses. */
static int
answer_has_id(struct json_object *answer)
{
	struct json_object *v;

	return json_object_is_type(answer, json_type_object) &&
	    json_object_object_get_ex(answer, "id", &v) &&
	    json_object_is_type(v, json_type_string);
}

/* create: POST /batches for file_id.  Returns HTTP_OK with *made set, or
 * an http_rc after the error was reported.  A lost answer is reconciled:
 * after a backoff the batches are listed again, and one that appeared for
 * the file is the one created; only when none did is the request sent
 * again, at most http_max_tries times in all. */
static int
create(const char *file_id, long long since, struct json_object *body,
    struct known **made)
{
	struct json_object *answer = NULL;
	struct batchobj b;
	size_t i;
	long code;
	int attempt, r;

	json_object_object_add(body, "input_file_id",
	    json_object_new_string(file_id));
	for (attempt = 1;; attempt++) {
		/* The analyzer cannot see that nknown > 0 means known is
		 * allocated (remember() sets both). */
		for (i = 0; i < nknown; i++)
			/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
			known[i].before = 1;
		answer = NULL;
		r = http_request(http, "POST", "/batches", body,
		    HTTP_NORETRY, &code, &answer);
		if (r == HTTP_OK && batchobj_parse(answer, &b) == 0) {
			/* A batch, even one of an odd id, was created: it
			 * is never created again. */
			free(b.input_file_id);
			b.input_file_id = xstrdup(file_id);
			*made = remember(&b, object_created_at(answer), NULL);
			batchobj_free(&b);
			json_object_put(answer);
			return HTTP_OK;
		}
		if (r == HTTP_OK && answer_has_id(answer)) {
			/* A batch was made, but of an id that does not
			 * even parse (a NUL in it, say): it is not made
			 * again either. */
			warnx("POST %s/batches: %s: the answer's batch has an "
			    "id no tool can use; no other batch is created "
			    "for it", base_path, file_id);
			json_object_put(answer);
			return HTTP_FAILED;
		}
		if (r == HTTP_OK || (r == HTTP_FAILED && code / 100 == 2)) {
			/* A 2xx answer that holds no usable batch: created,
			 * presumably, but we cannot tell its id.  As good
			 * as lost. */
			json_object_put(answer);
			if (!quiet)
				warnx("POST %s/batches: the answer holds no "
				    "batch; looking for the batch", base_path);
		} else if (r == HTTP_LOST) {
			if (!quiet)
				warnx("POST %s/batches: %s: the answer was "
				    "lost; looking for the batch", base_path,
				    http_errmsg(http));
		} else
			/* HTTP_FAILED: the API refused the request;
			 * HTTP_TEMPFAIL: with HTTP_NORETRY only after tries
			 * the server certainly did not act on (no
			 * connection, 408, 409, 429).  Nothing was created
			 * either way: nothing to look for. */
			return r;
		/* A short wait first: a batch just created may take a
		 * moment to show in the list. */
		retry_sleep_ms(http_backoff_ms(http, attempt));
		if ((r = list_batches(since)) != HTTP_OK)
			return r;
		if ((*made = usable(file_id, 1)) != NULL) {
			(*made)->ours = 1;
			return HTTP_OK;
		}
		if (attempt >= http_max_tries(http)) {
			warnx("POST %s/batches: %s: no batch after %d tries",
			    base_path, file_id, attempt);
			return HTTP_TEMPFAIL;
		}
		http_trace(http, "no batch for %s: creating it again",
		    file_id);
	}
}

/* batch_live: 1 when status is that of a batch that will still run
 * requests (and be paid for them). */
static int
batch_live(const char *status)
{
	return strcmp(status, "validating") == 0 ||
	    strcmp(status, "in_progress") == 0 ||
	    strcmp(status, "finalizing") == 0;
}

/* cancel: POST /batches/ID/cancel for k, whose status becomes the
 * answer's.  Returns as http_request, having reported a failure. */
static int
cancel(struct known *k)
{
	struct json_object *answer = NULL;
	struct buf path = BUF_INIT;
	struct batchobj b;
	int r;

	r = http_request(http, "POST", api_path(&path, "/batches/", k->id,
	    "/cancel"), NULL, 0, NULL, &answer);
	buf_free(&path);
	if (r == HTTP_OK && batchobj_parse(answer, &b) == 0) {
		if (VALID(b.status)) {
			free(k->status);
			k->status = xstrdup(b.status);
		}
		batchobj_free(&b);
	}
	json_object_put(answer);
	return r;
}

/* converge: k was just created for file_id, which had no batch to reuse
 * in the listing read before.  Another process may have created one for
 * it at the same moment (on another machine: the lock covers this one).
 * So the batches are listed again; when the file has another live batch
 * listed after k (older: the listing is newest first), k is the
 * duplicate: it is cancelled at once, and the oldest live batch is the
 * file's.  Every process that sees both batches picks the same one; a
 * process whose listing came before the other's create sees only its
 * own, which is then the older one.  Returns the file's batch (k when
 * the listing fails, reported). */
static struct known *
converge(const char *file_id, long long since, struct known *k)
{
	struct known *oldest = NULL;
	char *id;
	size_t i;
	int r;

	/* The listing may move known[]: k is found again by its id. */
	id = xstrdup(k->id);
	r = list_batches(since);
	for (i = 0; i < nknown; i++)
		if (strcmp(known[i].id, id) == 0)
			k = &known[i];
	free(id);
	if (r != HTTP_OK || k->listing != listing)
		return k;
	for (i = 0; i < nknown; i++) {
		struct known *o = &known[i];

		if (o->listing == listing && o->rank > k->rank &&
		    strcmp(o->file_id, file_id) == 0 &&
		    batch_live(o->status) &&
		    (oldest == NULL || o->rank > oldest->rank))
			oldest = o;
	}
	if (oldest == NULL)
		return k;
	if (batch_live(k->status)) {
		if (cancel(k) != HTTP_OK)
			warnx("%s: %s duplicates %s, made at the same time by "
			    "another process, and could not be cancelled: "
			    "it runs, and is paid for", file_id, k->id,
			    oldest->id);
		else if (!quiet)
			warnx("%s: %s, made at the same time by another "
			    "process, is the file's batch: cancelled the "
			    "duplicate %s (the requests it ran already are "
			    "paid for)", file_id, oldest->id, k->id);
	}
	return oldest;
}

/* file_since: how far back the batches of file_id can be: its creation
 * (GET /files/ID), less the clocks' margin.  0 (all of them) when the
 * file does not say; LLONG_MAX when the server has no such file (so it has
 * no batch, and its create will fail with the API's own message).
 * Returns as http_request, having reported a failure. */
static int
file_since(const char *file_id, long long *since)
{
	struct json_object *answer;
	struct buf path = BUF_INIT;
	long code;
	long long when;
	int r;

	r = http_request(http, "GET", api_path(&path, "/files/", file_id,
	    NULL), NULL, HTTP_QUIET404, &code, &answer);
	buf_free(&path);
	if (r == HTTP_FAILED && code == 404) {
		*since = LLONG_MAX;
		return HTTP_OK;
	}
	if (r != HTTP_OK)
		return r;
	when = object_created_at(answer);
	*since = when > FILE_SKEW ? when - FILE_SKEW : 0;
	json_object_put(answer);
	return HTTP_OK;
}

/* enqueued: the input tokens of the unfinished batches of model created
 * since then, by their -Q metadata.  A batch without that metadata (made
 * by another tool, or by oai-batch without -Q) counts for nothing, and is
 * named once unless -q: its tokens are unknown. */
static long long
enqueued(const char *model, long long since)
{
	long long sum = 0;
	size_t i;

	for (i = 0; i < nknown; i++) {
		struct known *k = &known[i];

		/* A batch of unknown age (no created_at) counts. */
		if ((k->created_at > 0 && k->created_at < since) ||
		    (strcmp(k->status, "validating") != 0 &&
		    strcmp(k->status, "in_progress") != 0 &&
		    strcmp(k->status, "finalizing") != 0))
			continue;
		if (k->tokens < 0 || k->model == NULL) {
			if (!quiet && !k->warned)
				warnx("%s (%s): no %s in its metadata: its "
				    "tokens are not counted", id_shown(k),
				    k->status, META_TOKENS);
			k->warned = 1;
			continue;
		}
		if (strcmp(k->model, model) == 0)
			sum += k->tokens;
	}
	return sum;
}

/* queue_wait: waits until tokens more input tokens of model fit under
 * limit beside those enqueued, polling the list of batches with a wait
 * that grows from -i; says so on a terminal, when it starts, when the
 * queue changes and when there is room.  Returns HTTP_OK, or as
 * http_list after a listing failed. */
static int
queue_wait(const char *where, const char *model, long long tokens,
    long long limit)
{
	double wait = first_interval, cap;
	long long since, held, shown = -1;
	int r, said = 0;

	/* Room is seen only at a poll: past a few times -i the wait would
	 * leave the queue idle long after room was made.  Never past the
	 * cap either, unless -i itself is longer. */
	cap = fmax(first_interval,
	    fmin(CAP_SECONDS, QUEUE_GROWTH_MAX * first_interval));
	for (;;) {
		since = (long long)time(NULL) - QUEUE_HORIZON;
		if ((r = list_batches(since)) != HTTP_OK)
			return r;
		held = enqueued(model, since);
		if (held + tokens <= limit) {
			if (said)
				fprintf(stderr, "oai-batch: %s: the queue has "
				    "room\n", where);
			return HTTP_OK;
		}
		http_trace(http, "%s: %lld tokens of %s enqueued, %lld more "
		    "would pass %lld: waiting %.3gs", where, held, model,
		    tokens, limit, wait);
		/* Said again only when the queue changes. */
		if (live && held != shown) {
			shown = held;
			fprintf(stderr, "oai-batch: %s: waiting for the %s "
			    "queue: %lld of %lld tokens enqueued, %lld to "
			    "add\n", where, model, held, limit, tokens);
			said = 1;
		}
		retry_sleep_ms((long)(wait * 1000));
		wait = fmin(cap, wait * GROWTH);
	}
}

/* queue_limit: -Q tokens (k and M suffixes), tier-N or auto; exits 2
 * when malformed. */
static void
queue_limit(const char *s, long long *tokens, int *tier)
{
	unsigned long long v, mult = 1;
	char *end;

	*tier = 0;
	auto_limit = 0;
	if (strcmp(s, "auto") == 0) {
		auto_limit = 1;
		return;
	}
	if (strncmp(s, "tier-", 5) == 0 && s[5] >= '1' && s[5] <= '5' &&
	    s[6] == '\0') {
		*tier = s[5] - '0';
		return;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		mult = 1000, end++;
	else if (*end == 'M')
		mult = 1000000, end++;
	else if (*end == 'G')
		mult = 1000000000, end++;
	if (errno || end == s || *end != '\0' || *s == '-' || v == 0 ||
	    v > (unsigned long long)LLONG_MAX / mult) {
		warnx("-Q %s: not a number of tokens (k, M, G), tier-1 to "
		    "tier-5 or auto", s);
		usage(stderr);
		exit(2);
	}
	*tokens = (long long)(v * mult);
}

/* metadata_check: -m key=value, the n-th; exits 2 when malformed. */
static void
metadata_check(const char *pair, int n)
{
	const char *eq;

	eq = strchr(pair, '=');
	if (eq == NULL || eq == pair || eq - pair > MAX_KEY ||
	    strlen(eq + 1) > MAX_VALUE) {
		warnx("-m %s: expected key=value, key 1 to %d bytes, "
		    "value at most %d", pair, MAX_KEY, MAX_VALUE);
		usage(stderr);
		exit(2);
	}
	if (n > MAX_METADATA) {
		warnx("-m %s: at most %d metadata pairs", pair, MAX_METADATA);
		usage(stderr);
		exit(2);
	}
}

/* metadata_object: the -m pairs as a JSON object. */
static struct json_object *
metadata_object(char *const *pairs, int n)
{
	struct json_object *obj;
	const char *eq;
	char *key;
	int i;

	obj = json_object_new_object();
	for (i = 0; i < n; i++) {
		eq = strchr(pairs[i], '=');
		key = xstrndup(pairs[i], (size_t)(eq - pairs[i]));
		json_object_object_add(obj, key,
		    json_object_new_string(eq + 1));
		free(key);
	}
	return obj;
}

/* queue_file: -Q for the file at the start of an input line whose rest
 * (oai-upload's "path") names its requests on disk: counts them (the
 * same counting as jsonl-tokens), checks they can ever fit, and waits
 * until they fit.  Returns HTTP_OK with *tokens and model (MAX_MODEL
 * bytes) set; HTTP_FAILED after saying why the file cannot be queued; or
 * as list_batches.  With -Q auto and no limit known for the model, even
 * after reading the listing back to the queue's horizon, it returns
 * HTTP_OK at once, not waiting: the batch made will be the probe.
 * With -Q auto and a model of no known encoding (first_model, the first
 * request's), it returns HTTP_OK with *tokens -1: nothing is counted. */
static int
queue_file(struct reqcount *rc, const char *where, const char *file_id,
    const char *rest, const char *first_model, long long qtokens, int tier,
    long long *tokens, char *model)
{
	static char said[MAX_MODEL];
	unsigned long long requests;
	long long limit;
	char *path;
	int r;

	/* auto is the default of oai-pipeline: a model batchpipe cannot
	 * count (one a compatible server names) still gets its batches. */
	if (auto_limit && first_model[0] != '\0' &&
	    model_encoding(first_model, strlen(first_model)) == NULL) {
		if (strcmp(said, first_model) != 0)
			warnx("model %s: no encoding known, so its tokens "
			    "are not counted: its batches are created "
			    "without waiting for room in the queue",
			    first_model);
		snprintf(said, sizeof(said), "%s", first_model);
		snprintf(model, MAX_MODEL, "%s", first_model);
		*tokens = -1;
		return HTTP_OK;
	}

	if (rest == NULL || rest[0] == '\t' || rest[0] == '\0') {
		warnx("%s: %s: -Q needs the file's path to count its tokens: "
		    "give oai-upload's lines (file-ID TAB path)", where,
		    file_id);
		return HTTP_FAILED;
	}
	path = xstrndup(rest, strcspn(rest, "\t"));
	if ((*tokens = reqcount_file(rc, path, model, MAX_MODEL,
	    &requests)) < 0) {
		free(path);
		return HTTP_FAILED;
	}
	limit = qtokens;
	if (auto_limit && (limit = learnt_limit(model)) < 0) {
		if ((r = list_batches((long long)time(NULL) -
		    QUEUE_HORIZON)) != HTTP_OK) {
			free(path);
			return r;
		}
		if ((limit = learnt_limit(model)) < 0) {
			free(path);
			return HTTP_OK;
		}
	}
	if (tier > 0 && (limit = model_queue_limit(model, strlen(model),
	    tier)) < 0) {
		warnx("%s: model %s: no batch queue limit known at tier %d "
		    "(see BATCHPIPE_LIMITS)", path, model, tier);
		free(path);
		return HTTP_FAILED;
	}
	if (*tokens > limit) {
		warnx("%s: %lld input tokens, more than the batch queue of %s "
		    "holds (%lld): it can never run; split it smaller with "
		    "jsonl-split -t", path, *tokens, model, limit);
		free(path);
		return HTTP_FAILED;
	}
	r = queue_wait(path, model, *tokens, limit);
	free(path);
	return r;
}

/* probe: polls batch k, of model, just created while model's queue was
 * unknown (-Q auto), until it leaves validating, with a wait that grows
 * from -i.  Returns 1 when it failed with token_limit_exceeded and
 * taught the limit (it is dead, not to be printed: the file needs
 * another batch); 0 otherwise, a poll that failed (said) included: the
 * batch is printed as any other, for oai-wait to tell how it ends. */
static int
probe(struct known *k, const char *model)
{
	struct json_object *o;
	struct batchobj b;
	static struct buf pathbuf = BUF_INIT;	/* reused probe after probe */
	const char *path;
	double wait = first_interval, cap = fmax(CAP_SECONDS, first_interval);
	int taught, polls;

	path = api_path(&pathbuf, "/batches/", k->id, NULL);
	/* One that failed at once is read too: the create's answer, kept
	 * only as a batchobj, is not read for its errors. */
	for (polls = 0; strcmp(k->status, "validating") == 0 ||
	    (polls == 0 && strcmp(k->status, "failed") == 0); polls++) {
		http_trace(http, "%s: the %s queue is unknown: waiting %.3gs "
		    "for %s to be validated", model, model, wait, k->id);
		retry_sleep_ms((long)(wait * 1000));
		wait = fmin(cap, wait * GROWTH);
		o = NULL;
		/* A failure (reported) leaves the queue unknown: the
		 * next batch of the model is the probe. */
		if (http_request(http, "GET", path, NULL, 0, NULL, &o) !=
		    HTTP_OK)
			return 0;
		if (batchobj_parse(o, &b) == -1 || strcmp(b.id, k->id) != 0 ||
		    !VALID(b.status)) {
			batchobj_free(&b);
			json_object_put(o);
			warnx("GET %s%s: the answer is not a usable batch "
			    "object", base_path, path);
			return 0;
		}
		free(k->status);
		k->status = xstrdup(b.status);
		taught = learn(o, b.id, b.status, k->created_at);
		if (taught == -1)
			warnx("%s: failed with %s, but its message names "
			    "no limit: the %s queue is still unknown", k->id,
			    TOKEN_LIMIT, model);
		batchobj_free(&b);
		json_object_put(o);
		if (taught == 1 && learnt_limit(model) >= 0)
			return 1;
	}
	return 0;
}

/* file_first: the url of the first request of the file at path, the
 * endpoint its batch must have (jsonl-split writes one url a file),
 * copied to out (size bytes), and its model, to model (MAX_MODEL bytes;
 * "" when too long).  Returns 0, or -1 after saying why not (a read
 * error, an empty file, a line that is not a request, a url that is not
 * a path). */
static int
file_first(const char *path, char *out, size_t size, char *model)
{
	struct reqline req;
	struct buf idbuf = { 0 }, url = { 0 }, name = { 0 };
	const char *why;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *fp;
	int r = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		warn("%s", path);
		return -1;
	}
	if ((len = getline(&line, &cap, fp)) == -1) {
		if (ferror(fp))
			warn("%s", path);
		else
			warnx("%s: no requests", path);
		goto out;
	}
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if ((why = reqline_check(line, (size_t)len, &req, &idbuf)) != NULL) {
		warnx("%s:1: %s", path, why);
		goto out;
	}
	if (jscan_unescape(req.url, &url) == -1 || url.len == 0 ||
	    url.len >= size || url.p[0] != '/' ||
	    memchr(url.p, '\0', url.len) != NULL) {
		warnx("%s:1: url %.*s: not an endpoint path such as "
		    "/v1/chat/completions", path, (int)(req.url.n > 80 ? 80 :
		    req.url.n), req.url.p);
		goto out;
	}
	memcpy(out, url.p, url.len);
	out[url.len] = '\0';
	model[0] = '\0';
	if (jscan_unescape(req.model, &name) == 0 && name.len < MAX_MODEL &&
	    memchr(name.p, '\0', name.len) == NULL) {
		memcpy(model, name.p, name.len);
		model[name.len] = '\0';
	}
	r = 0;
out:
	buf_free(&name);
	buf_free(&url);
	buf_free(&idbuf);
	free(line);
	fclose(fp);
	return r;
}

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct idsrc ids;
	struct reqcount rc;
	struct json_object *body, *meta;
	char *pairs[MAX_METADATA], model[MAX_MODEL], num[32], url[256], *path;
	char first_model[MAX_MODEL], shown[80];
	struct known *k;
	struct runlock lock = RUNLOCK_NONE;
	const char *id, *endpoint = NULL, *ep;
	long long since, qtokens = 0, tokens = -1;
	int ch, r, verbose = 0, status = 0, npairs = 0, qflag = 0, tier = 0;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'e':
			if (optarg[0] != '/') {
				warnx("-e %s: an endpoint is a path such as "
				    "/v1/chat/completions", optarg);
				usage(stderr);
				return 2;
			}
			endpoint = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			first_interval = arg_seconds(optarg, 'i', usage);
			break;
		case 'm':
			metadata_check(optarg, npairs + 1);
			pairs[npairs++] = optarg;
			break;
		case 'Q':
			queue_limit(optarg, &qtokens, &tier);
			qflag = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			usage_version();
		case 'x':
			stop_first = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (qflag && npairs > MAX_METADATA - 2) {
		warnx("-Q writes 2 metadata pairs: at most %d -m pairs with it",
		    MAX_METADATA - 2);
		usage(stderr);
		return 2;
	}

	/* -Q counts with the model tables (and looks its limits up). */
	if (qflag && (models_load(NULL) < 0 ||
	    (tier > 0 && limits_load(NULL) < 0)))
		return 1;
	memset(&rc, 0, sizeof(rc));
	if (config_load(&cfg) == -1)
		return 1;
	http = http_open(&cfg, verbose);
	base_path = cfg.base_path;
	live = !quiet && !verbose && isatty(STDERR_FILENO);
	if (idsrc_open(&ids, argc, argv) == -1)
		return 1;

	body = json_object_new_object();
	json_object_object_add(body, "completion_window",
	    json_object_new_string("24h"));

	while ((r = idsrc_next(&ids, &id)) == 1) {
		if (!idsrc_valid(id, ids.len)) {
			warnx("%s: not a file id: %s", ids.where,
			    idsrc_shown(id, ids.len, shown, sizeof(shown)));
			goto refused;
		}
		/* The endpoint is the requests' own when the line names
		 * their file; -e, when given, must agree with it.  A file
		 * uploaded from standard input ("-") has no path to read. */
		ep = endpoint != NULL ? endpoint : "/v1/chat/completions";
		first_model[0] = '\0';
		if (ids.rest != NULL && ids.rest[0] != '\t' &&
		    ids.rest[0] != '\0' &&
		    !(ids.rest[0] == '-' && strcspn(ids.rest, "\t") == 1)) {
			path = xstrndup(ids.rest, strcspn(ids.rest, "\t"));
			r = file_first(path, url, sizeof(url), first_model);
			if (r == 0 && endpoint != NULL &&
			    strcmp(url, endpoint) != 0) {
				warnx("%s: %s: its requests are for %s, not "
				    "%s (-e)", path, id, url, endpoint);
				r = -1;
			}
			free(path);
			if (r == -1) {
				goto refused;
			}
			ep = url;
		}
		json_object_object_add(body, "endpoint",
		    json_object_new_string(ep));
		/* The batches of a file are not older than the file: they
		 * are listed back to it, once for the run when the files
		 * come in the order they were uploaded.  A batch for the
		 * file made after that listing is one made here, or by a
		 * process that held the file's lock since (it marked it). */
		runlock_acquire(&lock, cfg.base_url, "batch", id, id, quiet);
		if ((r = file_since(id, &since)) == HTTP_FAILED) {
			goto refused;
		} else if (r != HTTP_OK)
			break;
		if ((since < covered ||
		    runlock_marked_since(&lock, listed_at)) &&
		    (r = list_batches(since)) != HTTP_OK)
			break;
	again:
		k = usable(id, 0);
		if (k == NULL && qflag) {
			if ((r = queue_file(&rc, ids.where, id, ids.rest,
			    first_model, qtokens, tier, &tokens, model)) ==
			    HTTP_FAILED) {
				goto refused;
			} else if (r != HTTP_OK)
				break;
			/* Made by another run while this one waited? */
			k = usable(id, 0);
		}
		if (k != NULL) {
			if (!quiet && !k->ours && !k->odd)
				warnx("%s: reusing %s (%s)", id, k->id,
				    k->status);
		} else {
			meta = metadata_object(pairs, npairs);
			if (qflag && tokens >= 0) {
				snprintf(num, sizeof(num), "%lld", tokens);
				json_object_object_add(meta, META_TOKENS,
				    json_object_new_string(num));
				json_object_object_add(meta, META_MODEL,
				    json_object_new_string(model));
			}
			if (json_object_object_length(meta) > 0)
				json_object_object_add(body, "metadata", meta);
			else
				json_object_put(meta);
			r = create(id, since, body, &k);
			runlock_mark(&lock);
			json_object_object_del(body, "metadata");
			if (r == HTTP_FAILED) {
				goto refused;
			} else if (r != HTTP_OK)
				break;
			if (!force)
				k = converge(id, since, k);
			if (qflag && tokens >= 0 && k->tokens < 0) {
				k->tokens = tokens;
				free(k->model);
				k->model = xstrdup(model);
			}
			/* The first batch of a model whose queue is unknown
			 * tells it: by failing with token_limit_exceeded, it
			 * teaches the limit, and the file queues again with
			 * it, the same upload. */
			if (auto_limit && tokens >= 0 &&
			    learnt_limit(model) < 0 && probe(k, model))
				goto again;
		}
		if (k->odd) {
			warnx("%s: its batch %s has an id or status unfit to "
			    "use; no other batch is created for it", id,
			    id_shown(k));
			goto refused;
		}
		k->ours = 1;
		runlock_release(&lock);
		printf("%s\t%s\n", k->id, id);
		stdout_flush();
		continue;
	refused:
		/* -x: the first file that cannot get a batch ends the run,
		 * so that a pipe feeding it learns at once. */
		status = 1;
		if (stop_first) {
			r = HTTP_FAILED;
			break;
		}
	}
	runlock_release(&lock);
	idsrc_close(&ids);
	/* r is 0 at the end of the input; else why the loop stopped: -1 a
	 * read error, HTTP_FAILED, HTTP_TEMPFAIL. */
	if (r == HTTP_TEMPFAIL)
		status = 75;
	else if (r != 0)
		status = 1;

	json_object_put(body);
	while (nknown > 0) {
		nknown--;
		free(known[nknown].id);
		free(known[nknown].file_id);
		free(known[nknown].status);
		free(known[nknown].model);
	}
	free(known);
	while (nlearnt > 0) {
		nlearnt--;
		free(learnt[nlearnt].model);
		free(learnt[nlearnt].batch);
	}
	free(learnt);
	reqcount_free(&rc);
	http_close(http);
	config_free(&cfg);
	if (stdout_close(1) == -1)
		return 1;
	return status;
}
