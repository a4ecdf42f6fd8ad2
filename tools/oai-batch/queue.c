/* -Q: a batch is created only once its input tokens fit in the model's
 * batch queue beside those already enqueued, as the batches' -Q metadata
 * counts them. */
#include <err.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "http.h"
#include "modeldata.h"
#include "retry.h"
#include "xalloc.h"

/* The queue wait grows to this many times -i at most: it polls the
 * listing, and a wait much longer than -i leaves the queue idle long
 * after a batch ended and made room. */
#define QUEUE_GROWTH_MAX 6.0

/* enqueued: the input tokens of the unfinished batches of model created
 * since then, by their -Q metadata.  A batch without that metadata (made
 * by another tool, or by oai-batch without -Q) counts for nothing, and is
 * named once unless -q: its tokens are unknown. */
static long long
enqueued(struct run *run, const char *model, long long since)
{
	long long sum = 0;
	struct known *k;
	size_t i;

	for (i = 0; i < run->nknown; i++) {
		k = &run->known[i];
		/* A batch of unknown age (no created_at) counts. */
		if ((k->created_at > 0 && k->created_at < since) ||
		    (strcmp(k->status, "validating") != 0 &&
		    strcmp(k->status, "in_progress") != 0 &&
		    strcmp(k->status, "finalizing") != 0))
			continue;
		if (k->tokens < 0 || k->model == NULL) {
			if (!run->quiet && !k->warned)
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
queue_wait(struct run *run, const char *where, const char *model,
    long long tokens, long long limit)
{
	double wait = run->first_interval, cap;
	long long since, held, shown = -1;
	int r, said = 0;

	/* Room is seen only at a poll: past a few times -i the wait would
	 * leave the queue idle long after room was made.  Never past the
	 * cap either, unless -i itself is longer. */
	cap = fmax(run->first_interval,
	    fmin(CAP_SECONDS, QUEUE_GROWTH_MAX * run->first_interval));
	for (;;) {
		since = (long long)time(NULL) - QUEUE_HORIZON;
		if ((r = list_batches(run, since)) != HTTP_OK)
			return r;
		held = enqueued(run, model, since);
		if (held + tokens <= limit) {
			if (said)
				fprintf(stderr, "oai-batch: %s: the queue has "
				    "room\n", where);
			return HTTP_OK;
		}
		http_trace(run->http, "%s: %lld tokens of %s enqueued, %lld "
		    "more would pass %lld: waiting %.3gs", where, held, model,
		    tokens, limit, wait);
		/* Said again only when the queue changes. */
		if (run->live && held != shown) {
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

/* uncounted: -Q auto and a model of no known encoding.  auto is the
 * default of oai-pipeline: a model batchpipe cannot count (one a
 * compatible server names) still gets its batches. */
static int
uncounted(struct run *run, const char *first_model)
{
	if (!run->auto_limit || first_model[0] == '\0' ||
	    model_encoding(first_model, strlen(first_model)) != NULL)
		return 0;
	if (strcmp(run->said, first_model) != 0)
		warnx("model %s: no encoding known, so its tokens are not "
		    "counted: its batches are created without waiting for "
		    "room in the queue", first_model);
	snprintf(run->said, sizeof(run->said), "%s", first_model);
	return 1;
}

/* queue_limit: the limit of model's queue: -Q's, the tier's, or with -Q
 * auto the one learnt, reading the listing back to the queue's horizon
 * when none is yet.  Returns HTTP_OK with *limit (-1 when -Q auto learnt
 * none), HTTP_FAILED after saying why, or as list_batches. */
static int
queue_limit(struct run *run, const char *path, const char *model,
    long long *limit)
{
	int r;

	if (run->auto_limit) {
		if (learnt_limit(run, model) < 0 && (r = list_batches(run,
		    (long long)time(NULL) - QUEUE_HORIZON)) != HTTP_OK)
			return r;
		*limit = learnt_limit(run, model);
		return HTTP_OK;
	}
	if (run->tier == 0) {
		*limit = run->qtokens;
		return HTTP_OK;
	}
	if ((*limit = model_queue_limit(model, strlen(model),
	    run->tier)) < 0) {
		warnx("%s: model %s: no batch queue limit known at tier %d "
		    "(see BATCHPIPE_LIMITS)", path, model, run->tier);
		return HTTP_FAILED;
	}
	return HTTP_OK;
}

int
queue_file(struct run *run, const char *where, const char *file_id,
    const char *rest, const char *first_model, long long *tokens,
    char *model)
{
	unsigned long long requests;
	long long limit;
	char *path;
	int r;

	if (uncounted(run, first_model)) {
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
	if ((*tokens = reqcount_file(&run->rc, path, model, MAX_MODEL,
	    &requests)) < 0)
		r = HTTP_FAILED;
	/* With -Q auto and no limit known yet, no wait: the batch made
	 * is the probe. */
	else if ((r = queue_limit(run, path, model, &limit)) == HTTP_OK &&
	    limit >= 0) {
		if (*tokens > limit) {
			warnx("%s: %lld input tokens, more than the batch "
			    "queue of %s holds (%lld): it can never run; "
			    "split it smaller with jsonl-split -t", path,
			    *tokens, model, limit);
			r = HTTP_FAILED;
		} else
			r = queue_wait(run, path, model, *tokens, limit);
	}
	free(path);
	return r;
}
