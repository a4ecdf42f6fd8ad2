/*
 * A batch: taken from the input, then what each answer says of it, and,
 * once it has ended, its lines on stdout and its errors on stderr.
 */
#include <err.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "anthropic_api.h"
#include "buf.h"
#include "idsrc.h"
#include "monoclock.h"
#include "scrub.h"
#include "xalloc.h"
#include "wait.h"

#define PHASE_SHARE	2.0	/* the interval grows no longer than the
				 * time the batch has been in its status over
				 * this: a short phase is seen to end soon
				 * after it does */
#define MAX_ERRORS	20	/* error lines shown per batch */
#define CODE_MAX	127	/* an error code, as shown, in bytes */
#define MESSAGE_MAX	1000	/* an error message, as shown, in bytes */

/* A set of the ids finds repeats: reading stays linear in the ids. */
int
add_batch(struct waiter *w, const char *id, size_t len, const char *where,
    const char *rest)
{
	struct batch *b;
	char shown[80];
	int added;

	if (!idsrc_valid(id, len)) {
		say(w, "%s: not a batch id: %s", where,
		    idsrc_shown(id, len, shown, sizeof(shown)));
		return -1;
	}
	idmap_add(&w->taken, id, strlen(id), &added);
	if (!added)
		return 0;
	if (w->nbatches == w->abatches) {
		w->abatches = w->abatches ? w->abatches * 2 : 16;
		w->batches = xreallocarray(w->batches, w->abatches,
		    sizeof(*w->batches));
	}
	b = &w->batches[w->nbatches];
	memset(b, 0, sizeof(*b));
	b->id = xstrdup(id);
	if (rest != NULL && (len = strcspn(rest, "\t")) > 0 &&
	    idsrc_valid(rest, len))
		b->input = xstrndup(rest, len);
	b->interval = w->first_interval;
	b->tokens = -1;
	b->next_poll = mono_now();
	w->nwaiting++;
	w->nunknown++;
	due_push(w, w->nbatches++);
	return 1;
}

/* printable: the server's text s (NULL: dflt) scrubbed (common/scrub.h):
 * the key masked, control characters made spaces (it must not drive the
 * terminal), then cut to at most n bytes. */
static const char *
printable(const struct waiter *w, struct buf *out, size_t n, const char *s,
    const char *dflt)
{
	buf_reset(out);
	scrubs(out, s != NULL ? s : dflt, w->apikey, n);
	return out->p;
}

/* A Batch's errors: "line N: code: message" when a line is named, else
 * "status: code: message"; the first MAX_ERRORS only. */
static void
report_errors(struct waiter *w, const struct batch *b, struct json_object *o)
{
	struct buf cbuf = BUF_INIT, mbuf = BUF_INIT;
	const char *code, *msg;
	long long line;
	size_t n;

	for (n = 0; batchobj_error(o, n, &code, &msg, &line); n++) {
		if (n >= MAX_ERRORS)
			continue;	/* only counted */
		code = printable(w, &cbuf, CODE_MAX, code, "error");
		msg = printable(w, &mbuf, MESSAGE_MAX, msg, "");
		if (line >= 0)
			say(w, "%s: line %lld: %s: %s", b->id, line, code, msg);
		else
			say(w, "%s: %s: %s: %s", b->id, b->last.status, code,
			    msg);
	}
	if (n > MAX_ERRORS)
		say(w, "%s: %zu more errors", b->id, n - MAX_ERRORS);
	buf_free(&cbuf);
	buf_free(&mbuf);
}

/* Flushed at once so the next program of a pipeline can start on them:
 * its result files, or with -b the batch itself.  There is no point
 * waiting for results nobody can read: a failed stdout exits 1. */
void
print_results(struct waiter *w, const struct batch *b, const char *code)
{
	struct buf cbuf = BUF_INIT;
	const struct batchobj *l = &b->last;

	/* Written where the table was; the table is drawn again below. */
	progress_clear(&w->table);
	if (w->by_batch) {
		/* A field must stay one field: a code that is empty or
		 * holds a TAB is no code a script could match. */
		if (code == NULL || *code == '\0' || strchr(code, '\t'))
			code = "-";
		else
			code = printable(w, &cbuf, CODE_MAX, code, "-");
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", b->id, l->status,
		    l->input_file_id ? l->input_file_id : "-",
		    l->output_file_id ? l->output_file_id : "-",
		    l->error_file_id ? l->error_file_id : "-", code);
	} else {
		if (l->output_file_id != NULL)
			printf("%s\toutput\t%s\t%s\n", l->output_file_id,
			    b->id, l->status);
		if (l->error_file_id != NULL)
			printf("%s\terror\t%s\t%s\n", l->error_file_id,
			    b->id, l->status);
	}
	buf_free(&cbuf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		progress_clear(&w->table);
		warn("stdout");
		exit(1);
	}
}

void
settle(struct waiter *w, struct batch *b, enum outcome outcome)
{
	if (b->outcome == WAITING && outcome != WAITING) {
		w->nwaiting--;
		if (b->created == 0)
			w->nunknown--;
	}
	b->outcome = outcome;
}

/* usable: whether Batch object o, parsed into *got, can be followed as
 * batch b; else reported when path (the GET that answered it alone) is
 * not NULL, and *got freed. */
static int
usable(struct waiter *w, struct batch *b, struct json_object *o,
    struct batchobj *got, const char *path)
{
	const char *bad;
	char shown[512];

	if (batch_parse(w->http, o, got) == -1 || strcmp(got->id, b->id) != 0 ||
	    !idsrc_valid(got->status, strlen(got->status))) {
		batchobj_free(got);
		if (path != NULL) {
			say(w, "GET %s%s: the answer is not a usable batch "
			    "object", w->base_path, path);
			settle(w, b, BROKEN);
		}
		return 0;
	}
	/* The next tool takes these as operands: an odd one is refused
	 * here, never passed on. */
	if ((bad = got->output_file_id) == NULL ||
	    idsrc_valid(bad, strlen(bad)))
		bad = got->error_file_id;
	if (bad != NULL && !idsrc_valid(bad, strlen(bad))) {
		if (path != NULL) {
			say(w, "GET %s%s: not a file id: %s", w->base_path,
			    path, idsrc_shown(bad, strlen(bad), shown,
			    sizeof(shown)));
			settle(w, b, BROKEN);
		}
		batchobj_free(got);
		return 0;
	}
	return 1;
}

/* ended: batch b has ended, as o says; its lines are printed now, or for
 * a listing's object (path NULL) when the walk ends, so that the batches
 * that end in one round still print in input order. */
static void
ended(struct waiter *w, struct batch *b, struct json_object *o,
    const char *path)
{
	const char *code, *msg;
	long long eline;

	b->ended = mono_now();
	settle(w, b, strcmp(b->last.status, "completed") == 0 ?
	    COMPLETED : DEAD);
	if (b->outcome == DEAD)
		report_errors(w, b, o);
	if (!batchobj_error(o, 0, &code, &msg, &eline))
		code = NULL;
	if (path != NULL)
		print_results(w, b, code);
	else
		walk_ended(w, b, code);
}

int
take(struct waiter *w, struct batch *b, struct json_object *o,
    const char *path, int was_due)
{
	struct batchobj got;
	struct json_object *usage, *tokens;
	char line[512];
	long long when;
	int changed;
	double t;

	if (!usable(w, b, o, &got, path))
		return -1;
	if (b->created == 0 && (when = batch_created_at(o)) > 0) {
		b->created = when;
		w->nunknown--;
	}
	changed = b->last.status == NULL ||
	    strcmp(b->last.status, got.status) != 0;
	batchobj_free(&b->last);
	b->last = got;
	if (b->last.input_file_id == NULL && b->input != NULL)
		b->last.input_file_id = xstrdup(b->input);
	if (json_object_object_get_ex(o, "usage", &usage) &&
	    json_object_object_get_ex(usage, "total_tokens", &tokens) &&
	    json_object_is_type(tokens, json_type_int))
		b->tokens = json_object_get_int64(tokens);
	/* Even with -q, a batch that ended without completing says so. */
	if (changed && !w->live && (!w->quiet ||
	    (batch_status_terminal(got.status) &&
	    strcmp(got.status, "completed") != 0))) {
		describe(w, line, sizeof(line), b);
		say(w, "%s", line);
	}
	if (batch_status_terminal(got.status)) {
		ended(w, b, o, path);
		return 0;
	}
	/* The wait starts over at every change of status, and grows no
	 * longer than a share of the time the batch has been in its status:
	 * a phase that lasts a second is seen to end soon after, one that
	 * lasts a day is polled every CAP_SECONDS. */
	t = mono_now();
	if (changed) {
		b->since = t;
		b->interval = w->first_interval;
	} else if (was_due)
		b->interval = fmin(b->interval * GROWTH,
		    fmax(w->first_interval,
		    fmin(CAP_SECONDS, (t - b->since) / PHASE_SHARE)));
	else
		return 0;
	b->next_poll = t + b->interval;
	return 0;
}
