/* -Q auto: a model's batch queue learnt from a batch that failed with
 * token_limit_exceeded, one on record or the first this run makes (the
 * probe). */
#include <err.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apipath.h"
#include "batch.h"
#include "batchobj.h"
#include "buf.h"
#include "http.h"
#include "idsrc.h"
#include "retry.h"
#include "xalloc.h"

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

long long
learnt_limit(const struct run *run, const char *model)
{
	size_t i;

	for (i = 0; i < run->nlearnt; i++)
		if (strcmp(run->learnt[i].model, model) == 0)
			return run->learnt[i].limit;
	return -1;
}

/* The model is the one -Q wrote in the batch's metadata, else the one
 * the message names. */
int
learn(struct run *run, struct json_object *o, const char *id,
    const char *status, long long when)
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
	for (i = 0; i < run->nlearnt; i++)
		if (strcmp(run->learnt[i].model, name) == 0)
			l = &run->learnt[i];
	if (l != NULL && (strcmp(l->batch, id) == 0 || when < l->when))
		return 1;
	if (l == NULL) {
		run->learnt = xreallocarray(run->learnt, run->nlearnt + 1,
		    sizeof(*run->learnt));
		l = &run->learnt[run->nlearnt++];
		l->model = xstrdup(name);
		l->limit = -1;
	} else
		free(l->batch);
	l->batch = xstrdup(id);
	l->when = when;
	if (l->limit != limit && !run->quiet)
		fprintf(stderr, "oai-batch: %s: the batch queue holds %lld "
		    "enqueued tokens (learnt from %s)\n", name, limit, id);
	l->limit = limit;
	return 1;
}

/* poll_probe: one look at probe batch k (at path).  Returns 1 when it taught
 * model's limit, -1 when the poll failed (said: the queue stays unknown,
 * and the next batch of the model is the probe), 0 to poll again while
 * it validates. */
static int
poll_probe(struct run *run, struct known *k, const char *model, const char *path)
{
	struct json_object *o = NULL;
	struct batchobj b;
	int taught;

	if (http_request(run->http, "GET", path, NULL, 0, NULL, &o) !=
	    HTTP_OK)
		return -1;
	if (batchobj_parse(o, &b) == -1 || strcmp(b.id, k->id) != 0 ||
	    !VALID(b.status)) {
		batchobj_free(&b);
		json_object_put(o);
		warnx("GET %s%s: the answer is not a usable batch object",
		    run->base_path, path);
		return -1;
	}
	free(k->status);
	k->status = xstrdup(b.status);
	taught = learn(run, o, b.id, b.status, k->created_at);
	if (taught == -1)
		warnx("%s: failed with %s, but its message names no limit: "
		    "the %s queue is still unknown", k->id, TOKEN_LIMIT,
		    model);
	batchobj_free(&b);
	json_object_put(o);
	return taught == 1 && learnt_limit(run, model) >= 0;
}

/* The wait between polls grows from -i.  A batch that failed at once is
 * read too: the create's answer, kept only as a batchobj, is not read
 * for its errors.  Any end but a taught limit leaves the batch printed
 * as any other, for oai-wait to tell how it ends. */
int
probe(struct run *run, struct known *k, const char *model)
{
	struct buf path = BUF_INIT;
	double wait = run->first_interval;
	double cap = fmax(CAP_SECONDS, run->first_interval);
	int polls, taught = 0;

	api_path(&path, "/batches/", k->id, NULL);
	for (polls = 0; taught == 0 && (strcmp(k->status, "validating") == 0 ||
	    (polls == 0 && strcmp(k->status, "failed") == 0)); polls++) {
		http_trace(run->http, "%s: the %s queue is unknown: waiting "
		    "%.3gs for %s to be validated", model, model, wait, k->id);
		retry_sleep_ms((long)(wait * 1000));
		wait = fmin(cap, wait * GROWTH);
		taught = poll_probe(run, k, model, path.p);
	}
	buf_free(&path);
	return taught == 1;
}
