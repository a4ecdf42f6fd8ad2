/* The create, which is never blindly sent again: a lost answer is
 * reconciled by listing the batches, and a duplicate made at the same
 * moment by another process is cancelled at once (converge). */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "apipath.h"
#include "batch.h"
#include "batchobj.h"
#include "buf.h"
#include "filehash.h"
#include "http.h"
#include "idsrc.h"
#include "retry.h"
#include "xalloc.h"

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

/* idempotency_key: where the provider honours one, the creates of one
 * request (the input file, endpoint, window, expiry and metadata) carry
 * the same key, in this run and in any later one: the hash of the
 * request's JSON text. */
static void
idempotency_key(struct run *run)
{
	const char *text;
	char hex[65];

	if (!run->idempotency_key)
		return;
	text = json_object_to_json_string_ext(run->body,
	    JSON_C_TO_STRING_PLAIN);
	if (text == NULL)
		errx(1, "out of memory");
	hash_sha256(text, strlen(text), hex);
	http_idempotency_key(run->http, hex);
}

/* Only when no batch appeared for the file after a lost answer is the
 * request sent again, at most http_max_tries times in all. */
int
create(struct run *run, const char *file_id, long long since,
    struct known **made)
{
	struct json_object *answer = NULL;
	struct batchobj b;
	size_t i;
	long code;
	int attempt, r;

	json_object_object_add(run->body, "input_file_id",
	    json_object_new_string(file_id));
	idempotency_key(run);
	for (attempt = 1;; attempt++) {
		/* The analyzer cannot see that nknown > 0 means known is
		 * allocated (remember() sets both). */
		for (i = 0; i < run->nknown; i++)
			/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
			run->known[i].before = 1;
		answer = NULL;
		r = http_request(run->http, "POST", "/batches", run->body,
		    HTTP_NORETRY, &code, &answer);
		if (r == HTTP_OK && batchobj_parse(answer, &b) == 0) {
			/* A batch, even one of an odd id, was created: it
			 * is never created again. */
			free(b.input_file_id);
			b.input_file_id = xstrdup(file_id);
			*made = remember(run, &b, object_created_at(answer),
			    NULL);
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
			    "for it", run->base_path, file_id);
			json_object_put(answer);
			return HTTP_FAILED;
		}
		if (r == HTTP_OK || (r == HTTP_FAILED && code / 100 == 2)) {
			/* A 2xx answer that holds no usable batch: created,
			 * presumably, but we cannot tell its id.  As good
			 * as lost. */
			json_object_put(answer);
			if (!run->quiet)
				warnx("POST %s/batches: the answer holds no "
				    "batch; looking for the batch",
				    run->base_path);
		} else if (r == HTTP_LOST) {
			if (!run->quiet)
				warnx("POST %s/batches: %s: the answer was "
				    "lost; looking for the batch",
				    run->base_path, http_errmsg(run->http));
		} else
			/* HTTP_FAILED: the API refused the request;
			 * HTTP_TEMPFAIL: with HTTP_NORETRY only after tries
			 * the server certainly did not act on (no
			 * connection, 408, 409, 429).  Nothing was created
			 * either way: nothing to look for. */
			return r;
		/* A short wait first: a batch just created may take a
		 * moment to show in the list. */
		retry_sleep_ms(http_backoff_ms(run->http, attempt));
		if ((r = list_batches(run, since)) != HTTP_OK)
			return r;
		if ((*made = usable(run, file_id, 1)) != NULL) {
			(*made)->ours = 1;
			return HTTP_OK;
		}
		if (attempt >= http_max_tries(run->http)) {
			warnx("POST %s/batches: %s: no batch after %d tries",
			    run->base_path, file_id, attempt);
			return HTTP_TEMPFAIL;
		}
		http_trace(run->http, "no batch for %s: creating it again",
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
cancel(struct run *run, struct known *k)
{
	struct json_object *answer = NULL;
	struct buf path = BUF_INIT;
	struct batchobj b;
	int r;

	r = http_request(run->http, "POST", api_path(&path, "/batches/",
	    k->id, "/cancel"), NULL, 0, NULL, &answer);
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

/* The file had no batch to reuse in the listing read before the create;
 * another process may have created one at the same moment (on another
 * machine: the lock covers this one).  So the batches are listed again;
 * when the file has another live batch listed after k (older: the
 * listing is newest first), k is the duplicate: it is cancelled at once,
 * and the oldest live batch is the file's.  Every process that sees both
 * batches picks the same one; a process whose listing came before the
 * other's create sees only its own, which is then the older one. */
struct known *
converge(struct run *run, const char *file_id, long long since,
    struct known *k)
{
	struct known *oldest = NULL, *o;
	char *id;
	size_t i;
	int r;

	/* The listing may move known[]: k is found again by its id. */
	id = xstrdup(k->id);
	r = list_batches(run, since);
	for (i = 0; i < run->nknown; i++)
		if (strcmp(run->known[i].id, id) == 0)
			k = &run->known[i];
	free(id);
	if (r != HTTP_OK || k->listing != run->listing)
		return k;
	for (i = 0; i < run->nknown; i++) {
		o = &run->known[i];
		if (o->listing == run->listing && o->rank > k->rank &&
		    strcmp(o->file_id, file_id) == 0 &&
		    batch_live(o->status) &&
		    (oldest == NULL || o->rank > oldest->rank))
			oldest = o;
	}
	if (oldest == NULL)
		return k;
	if (batch_live(k->status)) {
		if (cancel(run, k) != HTTP_OK)
			warnx("%s: %s duplicates %s, made at the same time by "
			    "another process, and could not be cancelled: "
			    "it runs, and is paid for", file_id, k->id,
			    oldest->id);
		else if (!run->quiet)
			warnx("%s: %s, made at the same time by another "
			    "process, is the file's batch: cancelled the "
			    "duplicate %s (the requests it ran already are "
			    "paid for)", file_id, oldest->id, k->id);
	}
	return oldest;
}
