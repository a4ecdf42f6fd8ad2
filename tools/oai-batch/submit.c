/* From one input file id to its batch: the file's endpoint, its lock,
 * the listing back to its creation, a batch to reuse or, once the queue
 * has room (-Q), a new one. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "batch.h"
#include "http.h"
#include "idsrc.h"
#include "runlock.h"
#include "xalloc.h"

/* metadata: the -m pairs as a JSON object, and -Q's count of tokens
 * (tokens >= 0) of model; NULL when there is nothing to write. */
static struct json_object *
metadata(const struct run *run, long long tokens, const char *model)
{
	struct json_object *obj;
	const char *eq;
	char *key, num[32];
	int i;

	obj = json_object_new_object();
	for (i = 0; i < run->npairs; i++) {
		eq = strchr(run->pairs[i], '=');
		key = xstrndup(run->pairs[i], (size_t)(eq - run->pairs[i]));
		json_object_object_add(obj, key,
		    json_object_new_string(eq + 1));
		free(key);
	}
	if (run->qflag && tokens >= 0) {
		snprintf(num, sizeof(num), "%lld", tokens);
		json_object_object_add(obj, META_TOKENS,
		    json_object_new_string(num));
		json_object_object_add(obj, META_MODEL,
		    json_object_new_string(model));
	}
	if (json_object_object_length(obj) > 0)
		return obj;
	json_object_put(obj);
	return NULL;
}

/* make: creates the batch of file_id, listed back to since, with the -m
 * and -Q metadata, and settles a duplicate made at the same time
 * (converge, unless -f).  Returns as create. */
static int
make(struct run *run, const char *file_id, long long since,
    long long tokens, const char *model, struct known **k)
{
	struct json_object *meta;
	int r;

	if ((meta = metadata(run, tokens, model)) != NULL)
		json_object_object_add(run->body, "metadata", meta);
	r = create(run, file_id, since, k);
	runlock_mark(&run->lock);
	json_object_object_del(run->body, "metadata");
	if (r != HTTP_OK)
		return r;
	if (!run->force)
		*k = converge(run, file_id, since, *k);
	if (run->qflag && tokens >= 0 && (*k)->tokens < 0) {
		(*k)->tokens = tokens;
		free((*k)->model);
		(*k)->model = xstrdup(model);
	}
	return HTTP_OK;
}

/* The batches of a file are not older than the file: they are listed
 * back to it, once for the run when the files come in the order they
 * were uploaded.  A batch for the file made after that listing is one
 * made here, or by a process that held the file's lock since (it marked
 * it). */
int
submit(struct run *run, const struct idsrc *ids, const char *id,
    struct known **kp)
{
	struct known *k;
	char model[MAX_MODEL], first_model[MAX_MODEL], url[256], shown[80];
	const char *ep;
	long long since, tokens = -1;
	int r;

	if (!idsrc_valid(id, ids->len)) {
		warnx("%s: not a file id: %s", ids->where,
		    idsrc_shown(id, ids->len, shown, sizeof(shown)));
		return REFUSED;
	}
	if ((ep = endpoint(run, id, ids->rest, url, sizeof(url),
	    first_model)) == NULL)
		return REFUSED;
	json_object_object_add(run->body, "endpoint",
	    json_object_new_string(ep));
	runlock_acquire(&run->lock, run->base_url, "batch", id, id,
	    run->quiet);
	if ((r = file_since(run, id, &since)) != HTTP_OK)
		return r == HTTP_FAILED ? REFUSED : r;
	if ((since < run->covered ||
	    runlock_marked_since(&run->lock, run->listed_at)) &&
	    (r = list_batches(run, since)) != HTTP_OK)
		return r;
	for (;;) {
		k = usable(run, id, 0);
		if (k == NULL && run->qflag) {
			r = queue_file(run, ids->where, id, ids->rest,
			    first_model, &tokens, model);
			if (r != HTTP_OK)
				return r == HTTP_FAILED ? REFUSED : r;
			/* Made by another run while this one waited? */
			k = usable(run, id, 0);
		}
		if (k != NULL) {
			if (!run->quiet && !k->ours && !k->odd)
				warnx("%s: reusing %s (%s)", id, k->id,
				    k->status);
			break;
		}
		if ((r = make(run, id, since, tokens, model, &k)) != HTTP_OK)
			return r == HTTP_FAILED ? REFUSED : r;
		/* The first batch of a model whose queue is unknown tells
		 * it: by failing with token_limit_exceeded, it teaches the
		 * limit, and the file queues again with it, the same
		 * upload. */
		if (!(run->auto_limit && tokens >= 0 &&
		    learnt_limit(run, model) < 0 && probe(run, k, model)))
			break;
	}
	if (k->odd) {
		warnx("%s: its batch %s has an id or status unfit to use; no "
		    "other batch is created for it", id, id_shown(k));
		return REFUSED;
	}
	k->ours = 1;
	runlock_release(&run->lock);
	*kp = k;
	return HTTP_OK;
}
