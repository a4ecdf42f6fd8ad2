/* The batch of a local file, for Anthropic's Message Batches.  Its
 * batches name neither their input nor anything oai-batch could write in
 * them (they have no metadata), so the file's lock keeps a note
 * (runlock_note_set): when a create began and of how many requests,
 * written to disk before it is sent, then the batch made.  A re-run
 * finds the batch there.  A create whose answer was lost (or whose
 * process was killed before the note had the batch) is reconciled by
 * listing the batches: the one created since the attempt began with as
 * many requests is the file's; when two are, oai-batch does not guess. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "anthropic_api.h"
#include "batch.h"
#include "batchobj.h"
#include "buf.h"
#include "http.h"
#include "idsrc.h"
#include "retry.h"
#include "runlock.h"
#include "xalloc.h"

/* The clocks of this machine and of the server. */
#define NOTE_SKEW	120
#define MAX_ID		256

/* The note in a file's lock. */
struct note {
	long long	 began;		/* the first try of the create, or 0 */
	long long	 requests;	/* its requests */
	char		 batch[MAX_ID];	/* the batch made, or "" */
};

/* note_field: the text of note line "key value" (key with its space)
 * in s, up to its newline, or NULL; *n its length. */
static const char *
note_field(const char *s, const char *key, size_t *n)
{
	const char *p;

	for (; *s != '\0'; s += strcspn(s, "\n") + (s[strcspn(s, "\n")] ==
	    '\n'))
		if (strncmp(s, key, strlen(key)) == 0) {
			p = s + strlen(key);
			*n = strcspn(p, "\n");
			return p[*n] == '\n' ? p : NULL;
		}
	return NULL;
}

/* note_number: the positive number of note line key, or 0. */
static long long
note_number(const char *s, const char *key)
{
	const char *p;
	char *end;
	size_t n;
	long long v;

	if ((p = note_field(s, key, &n)) == NULL)
		return 0;
	errno = 0;
	v = strtoll(p, &end, 10);
	return errno == 0 && end == p + n && end != p && v > 0 ? v : 0;
}

/* note_read: the note of the lock held; empty when there is none or it
 * is cut short (no "end" line: a crash while it was written). */
static void
note_read(struct run *run, struct note *nt)
{
	struct buf b = BUF_INIT;
	const char *p;
	size_t n;

	memset(nt, 0, sizeof(*nt));
	if (runlock_note_get(&run->lock, &b) > 0 &&
	    note_field(b.p, "end", &n) != NULL) {
		nt->began = note_number(b.p, "began ");
		nt->requests = note_number(b.p, "requests ");
		if ((p = note_field(b.p, "batch ", &n)) != NULL &&
		    n < sizeof(nt->batch))
			memcpy(nt->batch, p, n);
	}
	buf_free(&b);
}

/* note_write: nt into the lock held.  Returns 0, or -1 after saying
 * what cannot be recorded. */
static int
note_write(struct run *run, const char *file_id, const struct note *nt)
{
	char s[RUNLOCK_NOTE_MAX];

	snprintf(s, sizeof(s), "began %lld\nrequests %lld\n%s%s%send\n",
	    nt->began, nt->requests, nt->batch[0] ? "batch " : "", nt->batch,
	    nt->batch[0] ? "\n" : "");
	if (runlock_note_set(&run->lock, s) == 0)
		return 0;
	warn("%s: the record of its batch", file_id);
	return -1;
}

/* adopt: batch o (or b) as file_id's, noted and remembered.  Returns
 * the known batch. */
static struct known *
adopt(struct run *run, const char *file_id, struct note *nt,
    struct batchobj *b, long long when)
{
	struct known *k;

	free(b->input_file_id);
	b->input_file_id = xstrdup(file_id);
	if (strlen(b->id) < sizeof(nt->batch) && VALID(b->id)) {
		snprintf(nt->batch, sizeof(nt->batch), "%s", b->id);
		if (note_write(run, file_id, nt) != 0)
			warnx("%s: %s was made, but a re-run will not find it: "
			    "give it that batch, not this file", file_id,
			    b->id);
	}
	k = remember(run, b, when, NULL);
	k->ours = 1;
	return k;
}

struct look {
	struct run	*run;
	const char	*file_id;
	long long	 since, requests;
	struct json_object *found;	/* the first match, held */
	int		 matches;
	char		 first[MAX_ID];	/* the first two matches' ids */
	char		 other[MAX_ID];
};

/* match: http_list callback: a batch created since the create began,
 * of as many requests, that is not another file's made by this run. */
static int
match(struct json_object *item, void *arg)
{
	struct look *l = arg;
	struct batchobj b;
	long long when = batch_created_at(item);
	size_t i;
	int mine = 1;

	if (when > 0 && when < l->since)
		return 1;
	if (when == 0 || batch_parse(l->run->http, item, &b) != 0)
		return 0;
	for (i = 0; i < l->run->nknown; i++)
		if (strcmp(l->run->known[i].id, b.id) == 0 &&
		    strcmp(l->run->known[i].file_id, l->file_id) != 0)
			mine = 0;
	if (mine && b.total == l->requests && ++l->matches == 1) {
		l->found = json_object_get(item);
		snprintf(l->first, sizeof(l->first), "%s", b.id);
	} else if (mine && b.total == l->requests && l->matches == 2)
		snprintf(l->other, sizeof(l->other), "%s", b.id);
	batchobj_free(&b);
	return 0;
}

/* find_made: the batch that a create of file_id begun at nt->began made,
 * adopted into *k (NULL: none).  Returns HTTP_OK, HTTP_TEMPFAIL after
 * saying two match, or as http_list. */
static int
find_made(struct run *run, const char *file_id, struct note *nt,
    struct known **k)
{
	struct look l = { run, file_id, nt->began - NOTE_SKEW, nt->requests,
	    NULL, 0, "", "" };
	struct batchobj b;
	int r;

	*k = NULL;
	if ((r = http_list(run->http, batch_list_path(run->http), match,
	    &l)) != HTTP_OK) {
		json_object_put(l.found);
		return r;
	}
	if (l.matches > 1) {
		warnx("%s: %d batches of %lld requests were created since its "
		    "create began (%s and %s%s), and nothing tells which is "
		    "its own: not guessing, and not creating another", file_id,
		    l.matches, nt->requests, l.first, l.other,
		    l.matches > 2 ? ", ..." : "");
		json_object_put(l.found);
		return HTTP_TEMPFAIL;
	}
	if (l.found != NULL && batch_parse(run->http, l.found, &b) == 0) {
		*k = adopt(run, file_id, nt, &b, batch_created_at(l.found));
		batchobj_free(&b);
	}
	json_object_put(l.found);
	return HTTP_OK;
}

/* create_inline: POST /messages/batches with body (n requests) for
 * file_id, never sent blindly again.  Returns as create. */
static int
create_inline(struct run *run, const char *file_id, const struct buf *body,
    long long n, struct known **k)
{
	struct json_object *answer;
	struct batchobj b;
	struct note nt = { (long long)time(NULL), n, "" };
	long code;
	int attempt, r;

	if (note_write(run, file_id, &nt) != 0)
		return HTTP_FAILED;
	for (attempt = 1;; attempt++) {
		r = http_request_text(run->http, "POST", "/messages/batches",
		    body->p, body->len, HTTP_NORETRY, &code, &answer);
		runlock_mark(&run->lock);
		if (r == HTTP_OK && batch_parse(run->http, answer, &b) == 0) {
			*k = adopt(run, file_id, &nt, &b,
			    batch_created_at(answer));
			batchobj_free(&b);
			json_object_put(answer);
			return HTTP_OK;
		}
		json_object_put(answer);
		if (r == HTTP_OK || (r == HTTP_FAILED && code / 100 == 2)) {
			if (!run->quiet)
				warnx("POST %s/messages/batches: the answer "
				    "holds no batch; looking for the batch",
				    run->base_path);
		} else if (r == HTTP_LOST) {
			if (!run->quiet)
				warnx("POST %s/messages/batches: %s: the answer "
				    "was lost; looking for the batch",
				    run->base_path, http_errmsg(run->http));
		} else
			return r;
		retry_sleep_ms(http_backoff_ms(run->http, attempt));
		if ((r = find_made(run, file_id, &nt, k)) != HTTP_OK ||
		    *k != NULL)
			return r;
		if (attempt >= http_max_tries(run->http)) {
			warnx("POST %s/messages/batches: %s: no batch after %d "
			    "tries", run->base_path, file_id, attempt);
			return HTTP_TEMPFAIL;
		}
	}
}

/* noted_batch: the batch the note names, into *k.  Returns HTTP_OK,
 * REFUSED after saying it is gone (deleted: its requests were paid for),
 * or as http_request. */
static int
noted_batch(struct run *run, const char *file_id, struct note *nt,
    struct known **k)
{
	struct json_object *o;
	struct batchobj b;
	struct buf path = BUF_INIT;
	long code = 0;
	int r;

	r = http_request(run->http, "GET", batch_path(run->http, &path,
	    nt->batch, NULL), NULL, HTTP_QUIET404, &code, &o);
	buf_free(&path);
	if (r == HTTP_FAILED && code == 404) {
		warnx("%s: its batch %s is gone from the server (deleted?), "
		    "and its requests were paid for; to pay for them again: "
		    "oai-batch -f", file_id, nt->batch);
		return REFUSED;
	}
	if (r != HTTP_OK)
		return r;
	if (batch_parse(run->http, o, &b) != 0 || strcmp(b.id, nt->batch)) {
		warnx("%s: the answer for its batch %s is not that batch",
		    file_id, nt->batch);
		json_object_put(o);
		return HTTP_FAILED;
	}
	*k = adopt(run, file_id, nt, &b, batch_created_at(o));
	batchobj_free(&b);
	json_object_put(o);
	if (!run->quiet)
		warnx("%s: reusing %s (%s)", file_id, (*k)->id, (*k)->status);
	return HTTP_OK;
}

int
submit_inline(struct run *run, const struct idsrc *ids, const char *id,
    struct known **kp)
{
	struct known *k = NULL;
	struct note nt;
	char shown[80];
	long long n;
	int r;

	if (!idsrc_valid(id, ids->len) || !local_id_is(id)) {
		warnx("%s: %s: not an id oai-upload gives a local file for "
		    "%s (%sHASH)", ids->where, idsrc_shown(id, ids->len, shown,
		    sizeof(shown)), run->prov->name, LOCAL_ID_PREFIX);
		return REFUSED;
	}
	if (ids->rest == NULL || *ids->rest == '\0') {
		warnx("%s: %s: no path after it: the requests are read from "
		    "the file oai-upload's line names", ids->where, id);
		return REFUSED;
	}
	if (inline_requests(run, id, ids->rest, &run->inline_body, &n) != 0)
		return REFUSED;
	runlock_acquire(&run->lock, run->base_url, "batch", id, id,
	    run->quiet);
	if (run->lock.fd == -1) {
		warnx("%s: no record of its batch can be kept (see above): "
		    "without one a re-run could pay twice", id);
		return REFUSED;
	}
	note_read(run, &nt);
	r = HTTP_OK;
	if (run->force)
		;
	else if (nt.batch[0] != '\0')
		r = noted_batch(run, id, &nt, &k);
	else if (nt.began > 0 && nt.requests == n &&
	    (r = find_made(run, id, &nt, &k)) == HTTP_OK && k != NULL &&
	    !run->quiet)
		warnx("%s: reusing %s (%s), made by a create whose answer "
		    "was not recorded", id, k->id, k->status);
	if (r == HTTP_OK && k == NULL)
		r = create_inline(run, id, &run->inline_body, n, &k);
	buf_reset(&run->inline_body);
	if (r != HTTP_OK)
		return r == HTTP_FAILED ? REFUSED : r;
	if (k->odd) {
		warnx("%s: its batch %s has an id or status unfit to use; no "
		    "other batch is created for it", id, id_shown(k));
		return REFUSED;
	}
	runlock_release(&run->lock);
	*kp = k;
	return HTTP_OK;
}
