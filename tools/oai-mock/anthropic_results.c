/*
 * oai-mock -D anthropic: GET /v1/messages/batches/{id}/results, a Message
 * Batch's results as JSONL, one {"custom_id","result":{"type":...}} a
 * request.  The lifecycle wrote the batch's answers as OpenAI's output
 * and error files (results.c); this reads them back in Anthropic's terms,
 * so that every fault that acts on a batch acts on a Message Batch too:
 * a 200 is succeeded, another status or an error line errored, the lines
 * of a cancelled or expired batch canceled or expired, and a request with
 * no line (a batch cancelled before it was read, or refused) is given
 * what became of its batch.  See server.h.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "xalloc.h"

/* The error type Anthropic gives an HTTP status. */
static const char *
error_type(long long status)
{
	switch (status) {
	case 400: return "invalid_request_error";
	case 401: return "authentication_error";
	case 403: return "permission_error";
	case 404: return "not_found_error";
	case 408: return "timeout_error";
	case 413: return "request_too_large";
	case 429: return "rate_limit_error";
	case 529: return "overloaded_error";
	default: return status < 500 ? "invalid_request_error" : "api_error";
	}
}

static void
open_line(struct buf *out, struct jval cid, const char *type)
{
	buf_adds(out, "{\"custom_id\":");
	buf_add(out, cid.p, cid.n);
	buf_printf(out, ",\"result\":{\"type\":\"%s\"", type);
}

static void
errored(struct buf *out, struct jval cid, long long status,
    const char *message)
{
	open_line(out, cid, "errored");
	buf_adds(out, ",\"error\":");
	anthropic_error_body(out, error_type(status), message);
	buf_adds(out, "}}\n");
}

/* The message of an error body, OpenAI's or Anthropic's (both have
 * error.message), or what. */
static void
message_of(struct jval body, const char *what, struct buf *m)
{
	struct jval v;

	buf_reset(m);
	if (jscan_path(body, "error.message", &v) && v.type == JT_STRING)
		jscan_unescape(v, m);
	else
		buf_adds(m, what);
}

/* One line of an output or error file, in Anthropic's words. */
static void
translate(struct buf *out, struct jval top, struct jval cid)
{
	static const struct jval none = { JT_NONE, NULL, 0 };
	struct jval resp, body, v, err;
	struct buf m = BUF_INIT;
	long long status = 500;

	if (jscan_member(top, "response", &resp) && resp.type == JT_OBJECT) {
		jscan_member(resp, "body", &body);
		if (jscan_member(resp, "status_code", &v))
			jscan_int(v, &status);
		if (status == 200 && jscan_member(body, "type", &v) &&
		    jscan_streq(v, "message")) {
			open_line(out, cid, "succeeded");
			buf_adds(out, ",\"message\":");
			buf_add(out, body.p, body.n);
			buf_adds(out, "}}\n");
		} else if (status == 200) {
			/* extra-result: an answer to no request */
			open_line(out, cid, "succeeded");
			buf_adds(out, ",\"message\":{\"id\":\"msg_01mockunsent\","
			    "\"type\":\"message\",\"role\":\"assistant\","
			    "\"model\":\"mock\",\"content\":[{\"type\":\"text\","
			    "\"text\":\"an answer to no request\"}],"
			    "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
			    "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}"
			    "}}\n");
		} else {
			message_of(body, "The request failed.", &m);
			errored(out, cid, status, m.p);
		}
		buf_free(&m);
		return;
	}
	if (!jscan_member(top, "error", &err) || !jscan_member(err, "code", &v))
		v = none;
	if (jscan_streq(v, "batch_cancelled") ||
	    jscan_streq(v, "batch_expired")) {
		open_line(out, cid, jscan_streq(v, "batch_cancelled") ?
		    "canceled" : "expired");
		buf_adds(out, "}}\n");
	} else {
		if (jscan_member(err, "message", &v) && v.type == JT_STRING)
			jscan_unescape(v, &m);
		else
			buf_adds(&m, "The request failed.");
		errored(out, cid, 500, m.p);
	}
	buf_free(&m);
}

/* The first message of the batch's errors (a refused batch's reason). */
static void
batch_reason(const struct mock_batch *x, struct buf *m)
{
	struct buf arr = BUF_INIT;
	struct jval top, first;
	struct jerr e;

	buf_addc(&arr, '[');
	buf_add(&arr, x->errors.p ? x->errors.p : "", x->errors.len);
	buf_addc(&arr, ']');
	buf_reset(m);
	if (jscan_doc(arr.p, arr.len, &top, &e) == 0 &&
	    jscan_index(top, 0, &first) &&
	    jscan_member(first, "message", &top) && top.type == JT_STRING)
		jscan_unescape(top, m);
	else
		buf_adds(m, "The batch could not be processed.");
	buf_free(&arr);
}

/* Each line of file id (if it exists) through fn; lines whose
 * custom_id seen already has are skipped.  Under the lock. */
static void
each_line(struct mock_store *st, const char *id, struct idset *seen,
    const struct mock_batch *x, struct buf *out,
    void (*fn)(struct buf *, struct jval, struct jval,
    const struct mock_batch *))
{
	struct mock_file *f;
	struct jval top, cid;
	struct jerr e;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;

	if (id == NULL || (f = mock_file_find(st, id, NULL)) == NULL ||
	    (fp = fopen(f->path, "r")) == NULL)
		return;
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (jscan_doc(line, (size_t)n, &top, &e) != 0 ||
		    !jscan_member(top, "custom_id", &cid) ||
		    !idset_add(seen, cid.p, cid.n))
			continue;
		fn(out, top, cid, x);
	}
	free(line);
	fclose(fp);
}

static void
answered(struct buf *out, struct jval top, struct jval cid,
    const struct mock_batch *x)
{
	translate(out, top, cid);
}

/* A request the batch never answered: what became of its batch. */
static void
unanswered(struct buf *out, struct jval top, struct jval cid,
    const struct mock_batch *x)
{
	struct buf m = BUF_INIT;

	if (x->status == MB_CANCELLED || x->status == MB_EXPIRED) {
		open_line(out, cid, x->status == MB_CANCELLED ? "canceled" :
		    "expired");
		buf_adds(out, "}}\n");
		return;
	}
	batch_reason(x, &m);
	errored(out, cid, x->status == MB_FAILED ? 400 : 500, m.p);
	buf_free(&m);
}

/* The cut fault: the first half of the results, then the connection
 * drops. */
struct cut {
	char	*p;
	size_t	 len, stop;
};

static ssize_t
cut_read(void *cls, uint64_t pos, char *dst, size_t max)
{
	struct cut *k = cls;
	size_t n;

	if (pos >= k->stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = k->stop - (size_t)pos < max ? k->stop - (size_t)pos : max;
	memcpy(dst, k->p + pos, n);
	return (ssize_t)n;
}

static void
cut_free(void *cls)
{
	struct cut *k = cls;

	free(k->p);
	free(k);
}

static int
cut_fires(struct req *r)
{
	struct mock_store *st = &r->sv->st;
	size_t i;

	for (i = 0; i < st->nfaults && r->fault < 0; i++)
		if (st->faults[i].kind == MF_CUT &&
		    mock_fault_matches(&st->faults[i], r->path) &&
		    mock_fault_fire(&st->faults[i]))
			r->fault = MF_CUT;
	return r->fault == MF_CUT;
}

static enum MHD_Result
send_results(struct MHD_Connection *c, struct req *r, struct buf *b,
    int cut)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct cut *k;

	if (cut) {
		k = xmalloc(sizeof *k);
		k->p = b->p;
		k->len = b->len;
		k->stop = b->len / 2;
		resp = MHD_create_response_from_callback((uint64_t)b->len,
		    64 * 1024, cut_read, k, cut_free);
		if (resp == NULL)
			cut_free(k);
	} else {
		resp = MHD_create_response_from_buffer(b->len, b->p ? b->p : "",
		    MHD_RESPMEM_MUST_COPY);
		buf_free(b);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/binary");
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	r->status = cut ? 0 : 200;
	return ret;
}

enum MHD_Result
anthropic_results(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct mock_store *st = &r->sv->st;
	struct buf b = BUF_INIT;
	struct mock_batch *x;
	struct idset *seen;
	char msg[256];
	int ended = 0, cut = 0;

	pthread_mutex_lock(&r->sv->lock);
	if ((x = mock_batch_find(st, id)) != NULL &&
	    (ended = anthropic_ended(x))) {
		seen = idset_new();
		each_line(st, x->output_file_id, seen, x, &b, answered);
		each_line(st, x->error_file_id, seen, x, &b, answered);
		each_line(st, x->input_file_id, seen, x, &b, unanswered);
		idset_free(seen);
		cut = cut_fires(r);
	}
	pthread_mutex_unlock(&r->sv->lock);
	if (x == NULL) {
		snprintf(msg, sizeof msg, "No Message Batch found with id "
		    "'%.100s'.", id);
		return send_anthropic_error(c, r, 404, "not_found_error", msg);
	}
	if (!ended) {
		snprintf(msg, sizeof msg, "Message Batch %.100s has not ended: "
		    "its results are not available yet.", id);
		return send_anthropic_error(c, r, 400, "invalid_request_error",
		    msg);
	}
	return send_results(c, r, &b, cut);
}
