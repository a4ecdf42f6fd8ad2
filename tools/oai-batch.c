/*
 * oai-batch: starts one batch per input file id and prints
 * batch_ID TAB file-ID.  It never pays twice: a file that already has a
 * batch that is still good gets that batch, and a create whose answer was
 * lost is reconciled by listing the batches, never blindly sent again.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "batchobj.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "outcheck.h"
#include "xalloc.h"

#define MAX_METADATA	16	/* CreateBatchRequest: Metadata */
#define MAX_KEY		64
#define MAX_VALUE	512

/* A batch the server has (or that this run created). */
struct known {
	char		*id;
	char		*file_id;
	char		*status;
	long long	 created_at;
	int		 before;	/* listed before the create in progress */
	int		 ours;		/* created (or found after a loss) here */
};

static struct known	*known;
static size_t		 nknown;
static struct http	*http;
static const char	*base_path;
static int		 force, quiet;

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: oai-batch [-fqv] [-e endpoint] [-m key=value]... "
	    "[file-id ...]\n");
}

static long long
created_at(struct json_object *o)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, "created_at", &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return 0;
}

/* remember: adds batch b (or refreshes the status of one known). */
static struct known *
remember(const struct batchobj *b, long long when)
{
	struct known *k;
	size_t i;

	for (i = 0; i < nknown; i++)
		if (strcmp(known[i].id, b->id) == 0) {
			free(known[i].status);
			known[i].status = xstrdup(b->status);
			return &known[i];
		}
	known = xreallocarray(known, nknown + 1, sizeof(*known));
	k = &known[nknown++];
	memset(k, 0, sizeof(*k));
	k->id = xstrdup(b->id);
	k->file_id = xstrdup(b->input_file_id);
	k->status = xstrdup(b->status);
	k->created_at = when;
	return k;
}

/* collect: http_list callback; the batches without an input file, or
 * with an id or status unfit to print, are of no use here. */
static int
collect(struct json_object *item, void *arg)
{
	struct batchobj b;

	if (batchobj_parse(item, &b) == -1)
		return 0;
	if (b.input_file_id != NULL && idsrc_valid(b.id) &&
	    idsrc_valid(b.status))
		remember(&b, created_at(item));
	batchobj_free(&b);
	return 0;
}

static int
list_batches(void)
{
	return http_list(http, "/batches?limit=100", collect, NULL);
}

/* usable: the newest batch of file_id that may still produce results;
 * with -f only one this run made counts.  With after_loss: the newest one
 * that was not there before the create whose answer was lost, whatever
 * its status (it is the one created: one that failed validation at once
 * would fail again). */
static struct known *
usable(const char *file_id, int after_loss)
{
	struct known *best = NULL;
	size_t i;

	for (i = 0; i < nknown; i++) {
		if (strcmp(known[i].file_id, file_id) != 0)
			continue;
		if (after_loss ? known[i].before :
		    batch_status_dead(known[i].status) ||
		    (force && !known[i].ours))
			continue;
		if (best == NULL || known[i].created_at > best->created_at)
			best = &known[i];
	}
	return best;
}

/* create: POST /batches for file_id.  Returns HTTP_OK with *made set, or
 * an http_rc after the error was reported.  A lost answer is reconciled:
 * after a backoff the batches are listed again, and one that appeared for
 * the file is the one created; only when none did is the request sent
 * again, at most http_max_tries times in all. */
static int
create(const char *file_id, struct json_object *body, struct known **made)
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
			if (idsrc_valid(b.id) && idsrc_valid(b.status)) {
				free(b.input_file_id);
				b.input_file_id = xstrdup(file_id);
				*made = remember(&b, created_at(answer));
				batchobj_free(&b);
				json_object_put(answer);
				return HTTP_OK;
			}
			batchobj_free(&b);
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
		if ((r = list_batches()) != HTTP_OK)
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

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct idsrc ids;
	struct json_object *body;
	char *pairs[MAX_METADATA];
	struct known *k;
	const char *id, *endpoint = "/v1/chat/completions";
	int ch, r, verbose = 0, listed = 0, status = 0, npairs = 0;

	while ((ch = getopt(argc, argv, "e:fhm:qvV")) != -1) {
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
		case 'm':
			metadata_check(optarg, npairs + 1);
			pairs[npairs++] = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			puts("oai-batch batchpipe " BATCHPIPE_VERSION);
			return stdout_close(1) ? 1 : 0;
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

	body = json_object_new_object();
	json_object_object_add(body, "endpoint",
	    json_object_new_string(endpoint));
	json_object_object_add(body, "completion_window",
	    json_object_new_string("24h"));
	if (npairs > 0)
		json_object_object_add(body, "metadata",
		    metadata_object(pairs, npairs));

	while ((r = idsrc_next(&ids, &id)) == 1) {
		if (!idsrc_valid(id)) {
			warnx("%s: not a file id: %s", ids.where, id);
			status = 1;
			continue;
		}
		/* One listing serves the whole run: a batch for a file that
		 * arrives later is either older than it or made here. */
		if (!listed) {
			if ((r = list_batches()) != HTTP_OK)
				break;
			listed = 1;
		}
		if ((k = usable(id, 0)) != NULL) {
			if (!quiet && !k->ours)
				warnx("%s: reusing %s (%s)", id, k->id,
				    k->status);
		} else if ((r = create(id, body, &k)) != HTTP_OK) {
			if (r == HTTP_FAILED) {
				status = 1;
				continue;
			}
			break;
		}
		k->ours = 1;
		printf("%s\t%s\n", k->id, id);
		stdout_flush();
	}
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
	}
	free(known);
	http_close(http);
	config_free(&cfg);
	if (stdout_close(1) == -1)
		return 1;
	return status;
}
