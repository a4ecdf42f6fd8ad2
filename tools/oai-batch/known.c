/* The batches the server has: listed newest first, only as far back as
 * can matter, remembered with their -Q metadata, and the one a file may
 * reuse picked among them. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "apipath.h"
#include "batch.h"
#include "batchobj.h"
#include "buf.h"
#include "fileobj.h"
#include "http.h"
#include "idsrc.h"
#include "xalloc.h"

/* A batch is created after its input file: the margin covers the
 * clocks of the Files and the Batches services. */
#define FILE_SKEW	300

long long
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

struct known *
remember(struct run *run, const struct batchobj *b, long long when,
    struct json_object *o)
{
	struct known *k = NULL;
	const char *model = NULL;
	long long tokens = -1;
	size_t i;

	if (o != NULL)
		tokens = meta_tokens(o, &model);
	for (i = 0; i < run->nknown; i++)
		if (strcmp(run->known[i].id, b->id) == 0) {
			k = &run->known[i];
			free(k->status);
			k->status = xstrdup(b->status);
			break;
		}
	if (k == NULL) {
		run->known = xreallocarray(run->known, run->nknown + 1,
		    sizeof(*run->known));
		k = &run->known[run->nknown++];
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

const char *
id_shown(const struct known *k)
{
	static char buf[80];

	return idsrc_shown(k->id, strlen(k->id), buf, sizeof(buf));
}

struct walk {
	struct run	*run;
	long long	 since;
};

/* collect: http_list callback; the batches without an input file are of
 * no use here.  One whose id or status is unfit to use is kept as odd: it
 * still stops a second batch for its file.  The list is newest first: the
 * first batch created before since ends the walk. */
static int
collect(struct json_object *item, void *arg)
{
	struct walk *w = arg;
	struct batchobj b;
	long long when;

	when = object_created_at(item);
	if (when > 0 && when < w->since)
		return 1;
	if (batchobj_parse(item, &b) == -1)
		return 0;
	/* A batch teaches the queue's size with or without its input
	 * file, which the listing below needs. */
	if (w->run->auto_limit && VALID(b.id))
		learn(w->run, item, b.id, b.status, when);
	if (b.input_file_id != NULL) {
		struct known *k = remember(w->run, &b, when, item);

		k->listing = w->run->listing;
		k->rank = ++w->run->listed;
	}
	batchobj_free(&b);
	return 0;
}

int
list_batches(struct run *run, long long since)
{
	struct walk w = { run, since };
	int r;

	run->listing++;
	run->listed = 0;
	run->listed_at = time(NULL);
	r = http_list(run->http, "/batches?limit=100", collect, &w);
	if (r == HTTP_OK && since < run->covered)
		run->covered = since;
	return r;
}

/* A failed batch ran nothing (it failed validation, or the queue was
 * full), so another may be made; one that expired or was cancelled holds
 * results that were paid for, and running the file again would pay
 * twice.  After a lost create the batch that appeared is the one created,
 * whatever its status: one that failed validation at once would fail
 * again. */
struct known *
usable(struct run *run, const char *file_id, int after_loss)
{
	struct known *best = NULL, *k;
	size_t i;

	for (i = 0; i < run->nknown; i++) {
		k = &run->known[i];
		if (strcmp(k->file_id, file_id) != 0)
			continue;
		if (after_loss ? k->before :
		    strcmp(k->status, "failed") == 0 ||
		    (run->force && !k->ours))
			continue;
		if (best == NULL || k->created_at > best->created_at)
			best = k;
	}
	return best;
}

/* A file the server does not have has no batch, and its create will
 * fail with the API's own message. */
int
file_since(struct run *run, const char *file_id, long long *since)
{
	struct json_object *answer;
	struct fileobj f;
	struct buf path = BUF_INIT;
	long code;
	int r;

	r = http_request(run->http, "GET", api_path(&path, "/files/",
	    file_id, NULL), NULL, HTTP_QUIET404, &code, &answer);
	buf_free(&path);
	if (r == HTTP_FAILED && code == 404) {
		*since = LLONG_MAX;
		return HTTP_OK;
	}
	if (r != HTTP_OK)
		return r;
	fileobj_parse(answer, &f);
	*since = f.created_at > FILE_SKEW ? f.created_at - FILE_SKEW : 0;
	fileobj_free(&f);
	json_object_put(answer);
	return HTTP_OK;
}

void
known_free(struct run *run)
{
	while (run->nknown > 0) {
		run->nknown--;
		free(run->known[run->nknown].id);
		free(run->known[run->nknown].file_id);
		free(run->known[run->nknown].status);
		free(run->known[run->nknown].model);
	}
	free(run->known);
	while (run->nlearnt > 0) {
		run->nlearnt--;
		free(run->learnt[run->nlearnt].model);
		free(run->learnt[run->nlearnt].batch);
	}
	free(run->learnt);
}
