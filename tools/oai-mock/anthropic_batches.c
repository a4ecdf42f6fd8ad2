/*
 * oai-mock -D anthropic: /v1/messages/batches, create, retrieve, cancel
 * and delete (the list: anthropic_list.c), as Anthropic's Message Batches API answers them.
 * A Message Batch is one of the store's batches: its requests, checked
 * here, become an input file of request lines to /v1/messages that the
 * lifecycle validates, answers (answer_messages) and ends as it does
 * OpenAI's; only the objects shown differ.  See server.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monoclock.h"
#include "server.h"
#include "xalloc.h"

int
anthropic_ended(const struct mock_batch *x)
{
	return x->status == MB_COMPLETED || x->status == MB_FAILED ||
	    x->status == MB_EXPIRED || x->status == MB_CANCELLED;
}

/* ,"key":"2024-08-20T18:37:24Z" (RFC 3339), or null for 0. */
static void
add_rfc3339(struct buf *b, const char *key, long long t)
{
	char s[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf_printf(b, ",\"%s\":null", key);
	else
		buf_printf(b, ",\"%s\":\"%s\"", key, s);
}

const char *
anthropic_host(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);

	return h != NULL && *h != '\0' && strpbrk(h, "\r\n/\"\\ ") == NULL ?
	    h : NULL;
}

/* Requests count as processing until the batch ends, then as what
 * became of them; those the batch never answered are canceled, expired
 * or (the batch refused) errored. */
void
anthropic_batch_json(struct buf *b, const struct mock_batch *x, const char *host)
{
	size_t total = x->inline_requests ? x->inline_requests : x->total;
	size_t ok = 0, errored = 0, canceled = 0, expired = 0, rest = 0;
	int ended = anthropic_ended(x);

	if (ended) {
		ok = x->completed;
		errored = x->failed;
		rest = total > ok + errored ? total - ok - errored : 0;
		if (x->status == MB_CANCELLED)
			canceled = rest;
		else if (x->status == MB_EXPIRED)
			expired = rest;
		else
			errored += rest;
	}
	buf_printf(b, "{\"id\":\"%s\",\"type\":\"message_batch\","
	    "\"processing_status\":\"%s\",\"request_counts\":{\"processing\":"
	    "%zu,\"succeeded\":%zu,\"errored\":%zu,\"canceled\":%zu,"
	    "\"expired\":%zu}", x->id, ended ? "ended" :
	    x->status == MB_CANCELLING ? "canceling" : "in_progress",
	    ended ? 0 : total, ok, errored, canceled, expired);
	add_rfc3339(b, "ended_at", x->completed_at ? x->completed_at :
	    x->expired_at ? x->expired_at : x->cancelled_at ?
	    x->cancelled_at : x->failed_at);
	add_rfc3339(b, "created_at", x->created_at);
	add_rfc3339(b, "expires_at", x->expires_at);
	add_rfc3339(b, "archived_at", 0);
	add_rfc3339(b, "cancel_initiated_at", x->cancelling_at);
	if (!ended)
		buf_adds(b, ",\"results_url\":null}");
	else if (host != NULL)
		buf_printf(b, ",\"results_url\":\"http://%s/v1/messages/"
		    "batches/%s/results\"}", host, x->id);
	else
		buf_printf(b, ",\"results_url\":\"/v1/messages/batches/%s/"
		    "results\"}", x->id);
}

/* A custom_id as Anthropic takes it: 1 to 64 of [a-zA-Z0-9_-]. */
static int
custom_id_ok(const struct buf *id)
{
	size_t i;

	if (id->len < 1 || id->len > 64)
		return 0;
	for (i = 0; i < id->len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_-", id->p[i]) == NULL || id->p[i] == '\0')
			return 0;
	return 1;
}

/* Checks request number i of a create; 0 and its request line (to
 * /v1/messages, for the lifecycle) appended to lines, or -1 with the
 * message in msg. */
static int
check_request(struct jval req, size_t i, struct idset *ids,
    struct buf *lines, char *msg, size_t n)
{
	struct jval cid, params, v;
	struct buf id = BUF_INIT;
	long long maxt;
	int rc = -1;

	if (req.type != JT_OBJECT) {
		snprintf(msg, n, "requests.%zu: Input should be a valid "
		    "dictionary", i);
		return -1;
	}
	if (!jscan_member(req, "custom_id", &cid)) {
		snprintf(msg, n, "requests.%zu.custom_id: Field required", i);
		return -1;
	}
	if (cid.type == JT_STRING)
		jscan_unescape(cid, &id);
	if (cid.type != JT_STRING || !custom_id_ok(&id))
		snprintf(msg, n, "requests.%zu.custom_id: String should match "
		    "pattern '^[a-zA-Z0-9_-]{1,64}$'", i);
	else if (!idset_add(ids, id.p, id.len))
		snprintf(msg, n, "requests.%zu.custom_id: Duplicate custom_id "
		    "'%s': each request in a batch must have a unique "
		    "custom_id", i, id.p);
	else if (!jscan_member(req, "params", &params) ||
	    params.type != JT_OBJECT)
		snprintf(msg, n, "requests.%zu.params: Field required", i);
	else if (!jscan_member(params, "model", &v) || v.type != JT_STRING)
		snprintf(msg, n, "requests.%zu.params.model: Field required", i);
	else if (!jscan_member(params, "max_tokens", &v))
		snprintf(msg, n, "requests.%zu.params.max_tokens: Field "
		    "required", i);
	else if (jscan_int(v, &maxt) != 0 || maxt < 1)
		snprintf(msg, n, "requests.%zu.params.max_tokens: Input should "
		    "be a valid integer greater than or equal to 1", i);
	else if (!jscan_member(params, "messages", &v) ||
	    v.type != JT_ARRAY || v.n <= 2)
		snprintf(msg, n, "requests.%zu.params.messages: a list of at "
		    "least one message is required", i);
	else {
		buf_adds(lines, "{\"custom_id\":");
		buf_add(lines, cid.p, cid.n);
		buf_adds(lines, ",\"method\":\"POST\",\"url\":\"/v1/messages\","
		    "\"body\":");
		buf_add(lines, params.p, params.n);
		buf_adds(lines, "}\n");
		rc = 0;
	}
	buf_free(&id);
	return rc;
}

/* The requests of a create, checked, as request lines; their count, or
 * 0 with the message in msg. */
static size_t
check_requests(struct jval top, long long max, struct buf *lines, char *msg,
    size_t n)
{
	struct jval reqs, k, v;
	struct jiter it;
	struct idset *ids;
	size_t count = 0;

	if (!jscan_member(top, "requests", &reqs)) {
		snprintf(msg, n, "requests: Field required");
		return 0;
	}
	if (reqs.type != JT_ARRAY) {
		snprintf(msg, n, "requests: Input should be a valid list");
		return 0;
	}
	jscan_iter(reqs, &it);
	while (jscan_next(&it, &k, &v))
		count++;
	if (count == 0 || (long long)count > max) {
		snprintf(msg, n, "requests: List should have %s %lld item%s "
		    "after validation, not %zu", count ? "at most" : "at least",
		    count ? max : 1, count ? "s" : "", count);
		return 0;
	}
	ids = idset_new();
	count = 0;
	jscan_iter(reqs, &it);
	while (jscan_next(&it, &k, &v))
		if (check_request(v, count++, ids, lines, msg, n) != 0) {
			count = 0;
			break;
		}
	idset_free(ids);
	return count;
}

/* lose-create: the first such fault that fires, when no other did. */
static void
lose_create(struct req *r)
{
	struct mock_store *st = &r->sv->st;
	size_t i;

	for (i = 0; i < st->nfaults && r->fault < 0; i++)
		if (st->faults[i].kind == MF_LOSE_CREATE &&
		    mock_fault_matches(&st->faults[i], r->path) &&
		    mock_fault_fire(&st->faults[i]))
			r->fault = MF_LOSE_CREATE;
}

enum MHD_Result
anthropic_create(struct MHD_Connection *c, struct req *r)
{
	struct mock_store *st = &r->sv->st;
	struct buf lines = BUF_INIT, b = BUF_INIT;
	struct mock_batch *x;
	struct jval top;
	struct jerr e;
	char fid[48], msg[512], *path;
	size_t n;
	FILE *fp;

	if (r->body_too_big)
		return send_anthropic_error(c, r, 413, "request_too_large",
		    "Request exceeds the maximum allowed number of bytes.");
	if (jscan_doc(r->body.p ? r->body.p : "", r->body.len, &top, &e) != 0 ||
	    top.type != JT_OBJECT)
		return send_anthropic_error(c, r, 400, "invalid_request_error",
		    "The request body is not valid JSON.");
	if ((n = check_requests(top, r->sv->dialect->max_requests, &lines,
	    msg, sizeof msg)) == 0) {
		buf_free(&lines);
		return send_anthropic_error(c, r, 400, "invalid_request_error",
		    msg);
	}
	pthread_mutex_lock(&r->sv->lock);
	mock_new_id(st, fid, sizeof fid, "file-", 0);
	path = mock_store_path(st, fid);
	pthread_mutex_unlock(&r->sv->lock);
	if ((fp = fopen(path, "w")) == NULL ||
	    (fwrite(lines.p, 1, lines.len, fp) != lines.len) | (fclose(fp) != 0)) {
		unlink(path);
		free(path);
		buf_free(&lines);
		return send_anthropic_error(c, r, 500, "api_error",
		    "The server could not store the requests.");
	}
	pthread_mutex_lock(&r->sv->lock);
	mock_file_add(st, fid, "message_batch_requests.jsonl", "batch", path,
	    (long long)lines.len);
	x = mock_batch_create(st, xstrdup("/v1/messages"), xstrdup(fid),
	    xstrdup("24h"), NULL, mono_now());
	mock_new_id(st, x->id, sizeof x->id, "msgbatch_01", 0);
	x->inline_requests = n;
	anthropic_batch_json(&b, x, anthropic_host(c));
	lose_create(r);
	pthread_mutex_unlock(&r->sv->lock);
	free(path);
	buf_free(&lines);
	if (r->fault == MF_LOSE_CREATE) {
		/* The batch exists; the client never hears of it. */
		buf_free(&b);
		r->status = 0;
		return MHD_NO;
	}
	return send_json(c, r, 200, &b);
}

static enum MHD_Result
not_found(struct MHD_Connection *c, struct req *r, const char *id)
{
	char msg[256];

	snprintf(msg, sizeof msg, "No Message Batch found with id '%.100s'.",
	    id);
	return send_anthropic_error(c, r, 404, "not_found_error", msg);
}

enum MHD_Result
anthropic_get(struct MHD_Connection *c, struct req *r, const char *id,
    int cancel)
{
	struct buf b = BUF_INIT;
	struct mock_batch *x;
	char msg[256];
	int refused = 0;

	pthread_mutex_lock(&r->sv->lock);
	if ((x = mock_batch_find(&r->sv->st, id)) != NULL) {
		if (cancel && mock_batch_cancel(x, mono_now()) != 0)
			refused = 1;
		else
			anthropic_batch_json(&b, x, anthropic_host(c));
	}
	pthread_mutex_unlock(&r->sv->lock);
	if (x == NULL)
		return not_found(c, r, id);
	if (refused) {
		snprintf(msg, sizeof msg, "Message Batch %.100s has ended and "
		    "can no longer be canceled.", id);
		return send_anthropic_error(c, r, 400, "invalid_request_error",
		    msg);
	}
	return send_json(c, r, 200, &b);
}

enum MHD_Result
anthropic_delete(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct buf b = BUF_INIT;
	struct mock_batch *x;
	char msg[256];
	int busy = 0;

	pthread_mutex_lock(&r->sv->lock);
	if ((x = mock_batch_find(&r->sv->st, id)) != NULL) {
		if (!(busy = !anthropic_ended(x))) {
			buf_printf(&b, "{\"id\":\"%s\",\"type\":"
			    "\"message_batch_deleted\"}", x->id);
			mock_batch_delete(&r->sv->st, x);
		}
	}
	pthread_mutex_unlock(&r->sv->lock);
	if (x == NULL)
		return not_found(c, r, id);
	if (busy) {
		snprintf(msg, sizeof msg, "Message Batch %.100s is still "
		    "processing: cancel it, and delete it once it has ended.",
		    id);
		return send_anthropic_error(c, r, 400, "invalid_request_error",
		    msg);
	}
	return send_json(c, r, 200, &b);
}
