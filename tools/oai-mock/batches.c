/* oai-mock's /v1/batches: create, list, get and cancel; see mock.h. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monoclock.h"
#include "server.h"
#include "xalloc.h"

/* output_expires: the seconds of member output_expires_after (0 when
 * absent or null), or -1 when it is malformed.  Below the API's 3600 s
 * minimum is accepted, so that tests can watch a file expire. */
static long long
output_expires(struct jval top)
{
	struct jval o, v;
	long long n;

	if (!jscan_member(top, "output_expires_after", &o) ||
	    o.type == JT_NULL)
		return 0;
	if (o.type != JT_OBJECT || !jscan_member(o, "anchor", &v) ||
	    !jscan_streq(v, "created_at") || !jscan_member(o, "seconds", &v) ||
	    jscan_int(v, &n) != 0 || n < 1 || n > 2592000)
		return -1;
	return n;
}

/* The metadata member, into *meta: absent, null, or at most 16 pairs of
 * string keys and string values, their JSON text (quotes included) at
 * most 66 and 514 bytes long. */
static int
metadata_ok(struct jval top, struct jval *meta)
{
	struct jval k, v;
	struct jiter it;
	size_t nkeys = 0;
	int ok;

	if (!jscan_member(top, "metadata", meta) || meta->type == JT_NULL)
		return 1;
	if (!(ok = meta->type == JT_OBJECT))
		return 0;
	jscan_iter(*meta, &it);
	while (jscan_next(&it, &k, &v))
		if (v.type != JT_STRING || k.n > 66 || v.n > 514 || ++nkeys > 16)
			ok = 0;
	return ok;
}

enum MHD_Result
create_batch(struct MHD_Connection *c, struct req *r)
{
	static const char *const endpoints[] = {
		"/v1/responses", "/v1/chat/completions", "/v1/embeddings",
		"/v1/completions", "/v1/moderations", "/v1/images/generations",
		"/v1/images/edits", "/v1/videos", NULL
	};
	struct mock_store *st = &r->sv->st;
	struct jval top, meta;
	struct buf b = BUF_INIT;
	struct mock_batch *x;
	char *input, *endpoint, *window, msg[256];
	enum MHD_Result ret;
	long long expires;
	size_t i;

	if (json_body(c, r, &top, &ret) != 0)
		return ret;
	input = str_member(top, "input_file_id");
	endpoint = str_member(top, "endpoint");
	window = str_member(top, "completion_window");
	ret = MHD_NO;
	if (input == NULL) {
		ret = send_error(c, r, 400, "Missing required parameter: "
		    "'input_file_id'.", "input_file_id",
		    "missing_required_parameter");
		goto out;
	}
	if (endpoint == NULL) {
		ret = send_error(c, r, 400, "Missing required parameter: "
		    "'endpoint'.", "endpoint", "missing_required_parameter");
		goto out;
	}
	for (i = 0; endpoints[i] != NULL; i++)
		if (strcmp(endpoint, endpoints[i]) == 0)
			break;
	if (endpoints[i] == NULL || (!mock_endpoint_ok(endpoint) &&
	    !mock_media_endpoint(endpoint))) {
		snprintf(msg, sizeof msg, "Invalid value for 'endpoint': '%.64s'"
		    "%s.", endpoint, endpoints[i] == NULL ? "" :
		    " is not served by oai-mock");
		ret = send_error(c, r, 400, msg, "endpoint", "invalid_value");
		goto out;
	}
	if (window == NULL) {
		ret = send_error(c, r, 400, "Missing required parameter: "
		    "'completion_window'.", "completion_window",
		    "missing_required_parameter");
		goto out;
	}
	/* OpenAI takes 24h only; a provider of its shape takes its own
	 * windows (-D). */
	if (!provider_window_ok(r->sv->dialect, window)) {
		snprintf(msg, sizeof msg, "Invalid value for "
		    "'completion_window': expected '%s'.",
		    provider_windows(r->sv->dialect));
		ret = send_error(c, r, 400, msg, "completion_window",
		    "invalid_value");
		goto out;
	}
	if (!metadata_ok(top, &meta)) {
		ret = send_error(c, r, 400, "Invalid 'metadata': at most 16 pairs "
		    "of string keys (64 characters) and string values (512 "
		    "characters).", "metadata", "invalid_value");
		goto out;
	}
	if ((expires = output_expires(top)) < 0) {
		ret = send_error(c, r, 400, "Invalid 'output_expires_after': "
		    "expected {\"anchor\": \"created_at\", \"seconds\": 3600 "
		    "to 2592000}.", "output_expires_after", "invalid_value");
		goto out;
	}
	pthread_mutex_lock(&r->sv->lock);
	if (mock_file_find(st, input, NULL) == NULL) {
		pthread_mutex_unlock(&r->sv->lock);
		ret = no_such_file(c, r, input, "input_file_id");
		goto out;
	}
	x = mock_batch_create(st, endpoint, input, window,
	    meta.type == JT_OBJECT ? xstrndup(meta.p, meta.n) : NULL, mono_now());
	x->output_expires = expires;
	endpoint = input = window = NULL;
	mock_batch_json(&b, x);
	pthread_mutex_unlock(&r->sv->lock);
	if (r->fault == MF_LOSE_CREATE) {
		/* The batch exists; the client never hears of it. */
		buf_free(&b);
		r->status = 0;
		ret = MHD_NO;
	} else
		ret = send_json(c, r, 200, &b);
out:
	free(input);
	free(endpoint);
	free(window);
	return ret;
}

/* unlisted: under the unlisted fault, the batch at index k of the store
 * (0 the oldest) is left out of listings. */
int
unlisted(const struct mock_store *st, const char *path, size_t k)
{
	size_t i;

	for (i = 0; i < st->nfaults; i++)
		if (st->faults[i].kind == MF_UNLISTED &&
		    mock_fault_matches(&st->faults[i], path))
			return st->faults[i].limit <= 1 ||
			    (long long)(k + 1) % st->faults[i].limit == 0;
	return 0;
}

enum MHD_Result
list_batches(struct MHD_Connection *c, struct req *r)
{
	struct mock_store *st = &r->sv->st;
	const char *after;
	struct page p;
	enum MHD_Result ret;
	size_t k;
	int asc, skipping;

	if (!list_begin(c, r, 20, 100, &p, &after, &asc, &ret))
		return ret;
	skipping = after != NULL;
	for (k = 0; k < st->nbatches; k++) {
		struct mock_batch *x = st->batches[st->nbatches - 1 - k];

		if (skipping) {
			skipping = strcmp(x->id, after) != 0;
			continue;
		}
		if (unlisted(st, r->path, st->nbatches - 1 - k))
			continue;
		if (!page_room(&p))
			break;
		mock_batch_json(&p.b, x);
		page_took(&p, x->id);
	}
	return list_end(c, r, &p);
}

enum MHD_Result
get_batch(struct MHD_Connection *c, struct req *r, const char *id,
    int cancel)
{
	struct buf b = BUF_INIT;
	struct mock_batch *x;
	char msg[256];
	int refused = 0;

	pthread_mutex_lock(&r->sv->lock);
	if ((x = mock_batch_find(&r->sv->st, id)) != NULL) {
		if (cancel && mock_batch_cancel(x, mono_now()) != 0) {
			refused = 1;
			snprintf(msg, sizeof msg, "Cannot cancel a batch with "
			    "status '%s'.", mock_bstatus_name[x->status]);
		}
		if (!refused)
			mock_batch_json(&b, x);
	}
	pthread_mutex_unlock(&r->sv->lock);
	if (x == NULL) {
		snprintf(msg, sizeof msg, "No batch found with id '%s'.", id);
		return send_error(c, r, 404, msg, "batch_id", NULL);
	}
	if (refused)
		return send_error(c, r, 409, msg, NULL, NULL);
	return send_json(c, r, 200, &b);
}
