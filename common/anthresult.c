/* anthresult: Anthropic's MessageBatch and results lines in OpenAI's
 * terms (anthropic.h).  The formats are those of @anthropic-ai/sdk
 * 1.17.0 (npm): resources/messages/batches.d.ts (MessageBatch,
 * MessageBatchIndividualResponse), resources/shared.d.ts (ErrorResponse,
 * ErrorType) and core/error.js (the HTTP status of each error class). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "anthropic.h"
#include "batchobj.h"
#include "buf.h"
#include "jscan.h"
#include "member.h"
#include "xalloc.h"

static long long
count_of(struct json_object *counts, const char *key)
{
	struct json_object *v;
	long long n;

	if (counts == NULL || !json_object_object_get_ex(counts, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	/* Capped, so that the sum of the five cannot overflow: a batch
	 * holds at most 100,000 requests anyway. */
	return n < 0 ? 0 : n > LLONG_MAX / 8 ? LLONG_MAX / 8 : n;
}

/* 1 when o's member key is a string that is not empty. */
static int
has_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0;
}

int
anthropic_batch(struct json_object *o, struct batchobj *b)
{
	struct json_object *counts = NULL;
	char *ps;
	long long succeeded, errored, canceled, expired, processing;
	int nul = 0;

	memset(b, 0, sizeof(*b));
	if (!json_object_is_type(o, json_type_object))
		return -1;
	b->id = member_copy(o, "id", &nul, 0);
	ps = member_copy(o, "processing_status", &nul, 0);
	if (b->id == NULL || ps == NULL || nul) {
		free(ps);
		batchobj_free(b);
		return -1;
	}
	if (!json_object_object_get_ex(o, "request_counts", &counts) ||
	    !json_object_is_type(counts, json_type_object))
		counts = NULL;
	processing = count_of(counts, "processing");
	succeeded = count_of(counts, "succeeded");
	errored = count_of(counts, "errored");
	canceled = count_of(counts, "canceled");
	expired = count_of(counts, "expired");
	b->total = processing + succeeded + errored + canceled + expired;
	b->completed = succeeded;
	b->failed = errored + canceled + expired;
	if (strcmp(ps, "canceling") == 0)
		b->status = xstrdup("cancelling");
	else if (strcmp(ps, "ended") != 0)
		/* in_progress, and a status this version does not know:
		 * as written, as batchobj_parse keeps an unknown one. */
		b->status = xstrdup(ps);
	else if (has_string(o, "cancel_initiated_at"))
		b->status = xstrdup("cancelled");
	else if (b->total > 0 && expired == b->total)
		b->status = xstrdup("expired");
	else
		b->status = xstrdup("completed");
	free(ps);
	/* The results are read by the batch's id: results_url is where. */
	if (has_string(o, "results_url"))
		b->output_file_id = xstrdup(b->id);
	return 0;
}

/* The HTTP status of each ErrorType: core/error.js's table of status to
 * error class, and shared.d.ts's ErrorObject types. */
static const struct {
	const char	*type;
	int		 status;
} error_status[] = {
	{ "invalid_request_error", 400 },
	{ "authentication_error", 401 },
	{ "billing_error", 402 },
	{ "permission_error", 403 },
	{ "not_found_error", 404 },
	{ "conflict_error", 409 },
	{ "memory_path_conflict_error", 409 },
	{ "memory_precondition_failed_error", 412 },
	{ "request_too_large", 413 },
	{ "rate_limit_error", 429 },
	{ "api_error", 500 },
	{ "timeout_error", 504 },
	{ "overloaded_error", 529 },
};

static int
status_of(struct jval type)
{
	size_t i;

	for (i = 0; i < sizeof(error_status) / sizeof(error_status[0]); i++)
		if (jscan_streq(type, error_status[i].type))
			return error_status[i].status;
	return -1;
}

/* Appends an error line without a response, as OpenAI's error file
 * writes one: code and message are JSON text. */
static void
add_error_line(struct buf *out, struct jval id, struct jval code,
    struct jval msg)
{
	buf_adds(out, "{\"custom_id\":");
	buf_add(out, id.p, id.n);
	buf_adds(out, ",\"response\":null,\"error\":{\"code\":");
	buf_add(out, code.p, code.n);
	buf_adds(out, ",\"message\":");
	buf_add(out, msg.p, msg.n);
	buf_adds(out, "}}\n");
}

/* A JSON string literal as a jval. */
#define JSTR(s)	((struct jval){ JT_STRING, s, sizeof(s) - 1 })

/* The errored result e: an ErrorResponse ({"type":"error","error":
 * {"type","message"},"request_id"}) is the body as written, with the
 * status of its error type; a bare error object is wrapped as one.  An
 * error type this table does not know has no status: an error line with
 * its type as code, which the classification holds final. */
static int
add_errored(struct buf *out, struct jval id, struct jval e,
    const char **why)
{
	struct jval inner, type, msg;
	int wrapped = 0, status;

	if (e.type != JT_OBJECT)
		return (*why = "result.error is not an object"), -1;
	if (!jscan_member(e, "error", &inner) || inner.type != JT_OBJECT) {
		inner = e;
		wrapped = 1;
	}
	if (!jscan_member(inner, "type", &type) || type.type != JT_STRING)
		return (*why = "result.error has no string type"), -1;
	if ((status = status_of(type)) < 0) {
		if (!jscan_member(inner, "message", &msg) ||
		    msg.type != JT_STRING)
			msg = JSTR("\"\"");
		add_error_line(out, id, type, msg);
		return 0;
	}
	buf_adds(out, "{\"custom_id\":");
	buf_add(out, id.p, id.n);
	buf_printf(out, ",\"response\":{\"status_code\":%d,\"body\":", status);
	if (wrapped)
		buf_adds(out, "{\"type\":\"error\",\"error\":");
	buf_add(out, e.p, e.n);
	if (wrapped)
		buf_addc(out, '}');
	buf_adds(out, "},\"error\":null}\n");
	return 0;
}

int
anthropic_result(const char *line, size_t n, struct buf *out,
    const char **why)
{
	struct jval top, id, res, type, v;
	struct jerr e;
	size_t start = out->len;
	int rc = 0;

	if (jscan_doc(line, n, &top, &e) < 0)
		return (*why = e.msg), -1;
	if (top.type != JT_OBJECT)
		return (*why = "a results line that is not an object"), -1;
	if (!jscan_member(top, "custom_id", &id) || id.type != JT_STRING)
		return (*why = "a results line without a string custom_id"),
		    -1;
	if (!jscan_member(top, "result", &res) || res.type != JT_OBJECT ||
	    !jscan_member(res, "type", &type) || type.type != JT_STRING)
		return (*why = "a results line without a result.type"), -1;
	if (jscan_streq(type, "succeeded")) {
		if (!jscan_member(res, "message", &v) || v.type != JT_OBJECT)
			return (*why = "a succeeded result without a "
			    "message"), -1;
		buf_adds(out, "{\"custom_id\":");
		buf_add(out, id.p, id.n);
		buf_adds(out, ",\"response\":{\"status_code\":200,\"body\":");
		buf_add(out, v.p, v.n);
		buf_adds(out, "},\"error\":null}\n");
	} else if (jscan_streq(type, "errored")) {
		if (!jscan_member(res, "error", &v))
			v.type = JT_NONE;
		rc = add_errored(out, id, v, why);
	} else if (jscan_streq(type, "canceled"))
		add_error_line(out, id, JSTR("\"batch_cancelled\""),
		    JSTR("\"the batch was cancelled before this request ran "
		    "(Anthropic: canceled)\""));
	else if (jscan_streq(type, "expired"))
		add_error_line(out, id, JSTR("\"batch_expired\""),
		    JSTR("\"the batch expired before this request ran "
		    "(Anthropic: expired)\""));
	else
		return (*why = "a result.type other than succeeded, errored, "
		    "canceled or expired"), -1;
	if (rc < 0) {
		out->len = start;
		if (out->p != NULL)
			out->p[start] = '\0';
	}
	return rc;
}
