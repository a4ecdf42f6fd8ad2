/*
 * A request to oai-mock from its first byte to its line in the request
 * log: the faults that hit it, its body read, its key checked, and the
 * handler that answers it; see mock.h.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "monoclock.h"
#include "server.h"
#include "xalloc.h"

#define MAX_JSON_BODY		(32 << 20)	/* a JSON request body */

/* Which fault hits this call: the first given that fires decides; the
 * ones after it do not count the call. */
static void
pick_faults(struct req *r)
{
	struct mock_store *st = &r->sv->st;
	int content = strncmp(r->path, "/v1/files/", 10) == 0 &&
	    strcmp(r->method, "GET") == 0 && strlen(r->path) > 18 &&
	    strcmp(r->path + strlen(r->path) - 8, "/content") == 0;
	int create = strcmp(r->path, "/v1/batches") == 0 &&
	    strcmp(r->method, "POST") == 0;
	int upload = strcmp(r->path, "/v1/files") == 0 &&
	    strcmp(r->method, "POST") == 0;
	size_t i;

	r->fault = -1;
	for (i = 0; i < st->nfaults; i++) {
		struct mock_fault *f = &st->faults[i];

		if (!mock_fault_matches(f, r->path))
			continue;
		if (f->kind == MF_SLOW) {
			r->slow_ms = f->value;
			continue;
		}
		if (f->kind > MF_LOSE_UPLOAD || r->fault >= 0 ||
		    (f->kind == MF_CUT && !content) ||
		    (f->kind == MF_LOSE_CREATE && !create) ||
		    (f->kind == MF_LOSE_UPLOAD && !upload))
			continue;
		if (mock_fault_fire(f))
			r->fault = (int)f->kind;
	}
}

static int
authorized(struct MHD_Connection *c, struct req *r, enum MHD_Result *ret)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *given;
	char msg[256];
	size_t n;
	int dialect = dialect_authorized(c, r, ret);

	if (dialect >= 0)
		return dialect;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		*ret = send_error(c, r, 401, "You didn't provide an API key. You "
		    "need to provide your API key in an Authorization header "
		    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
		    NULL, NULL);
		return 0;
	}
	given = h + 7;
	if (r->sv->key != NULL && strcmp(given, r->sv->key) != 0) {
		/* Like OpenAI, show only the ends of the wrong key. */
		n = strlen(given);
		if (n > 8)
			snprintf(msg, sizeof msg, "Incorrect API key provided: "
			    "%.3s***%s. You can find your API key at "
			    "https://platform.openai.com/account/api-keys.",
			    given, given + n - 4);
		else
			snprintf(msg, sizeof msg, "Incorrect API key provided: "
			    "***. You can find your API key at "
			    "https://platform.openai.com/account/api-keys.");
		*ret = send_error(c, r, 401, msg, NULL, "invalid_api_key");
		return 0;
	}
	return 1;
}

/* A live request's cost in tokens for the tpm limit: its input tokens
 * plus its max output (0 when it gives none). */
static long long
live_tokens(const char *endpoint, struct jval top)
{
	static const char *const caps[] = { "max_completion_tokens",
	    "max_tokens", "max_output_tokens" };
	struct buf ignored = BUF_INIT;
	long long cap = 0, v;
	size_t i;

	for (i = 0; i < sizeof caps / sizeof caps[0] && cap == 0; i++)
		if (opt_positive(top, caps[i], &v, &ignored) == 0)
			cap = v;
	buf_free(&ignored);
	return mock_prompt_tokens(endpoint, top) + cap;
}

/* The 429 of a limit without room: OpenAI's message and the wait. */
static enum MHD_Result
rate_limited(struct MHD_Connection *c, struct req *r, int tokens)
{
	struct buf b = BUF_INIT;
	char msg[300];

	snprintf(msg, sizeof msg, "Rate limit reached in organization "
	    "org-mock on %s per min (%s): Limit %s, Remaining %s. Please try "
	    "again in %.0fms. Visit https://platform.openai.com/account/"
	    "rate-limits to learn more.", tokens ? "tokens" : "requests",
	    tokens ? "TPM" : "RPM", tokens ? r->rl.limit_tok : r->rl.limit_req,
	    tokens ? r->rl.remain_tok : r->rl.remain_req,
	    ceil(r->rl_wait * 1000));
	mock_error_body(&b, msg, tokens ? "tokens" : "requests", NULL,
	    "rate_limit_exceeded");
	return send_json(c, r, 429, &b);
}

static enum MHD_Result
answer_live(struct MHD_Connection *c, struct req *r, const char *endpoint)
{
	struct buf b = BUF_INIT;
	struct mock_usage u;
	struct jval top;
	enum MHD_Result ret;
	long long tokens;
	int status, by_tokens;

	if (json_body(c, r, &top, &ret) != 0)
		return ret;
	tokens = live_tokens(endpoint, top);
	pthread_mutex_lock(&r->sv->lock);
	r->inflight = ++r->sv->live;
	r->rl_wait = rl_take(&r->sv->rl, tokens, mono_now(), &r->rl);
	by_tokens = r->sv->rl.tpm > 0 && (r->sv->rl.rpm <= 0 ||
	    r->sv->rl.req_level >= 1);
	pthread_mutex_unlock(&r->sv->lock);
	if (r->rl_wait > 0)
		ret = rate_limited(c, r, by_tokens);
	else {
		status = mock_answer(endpoint, top, mock_hash(r->body.p,
		    r->body.len, MOCK_HASH_INIT), mock_wall(), &b, &u);
		mono_sleep((double)r->sv->latency_ms / 1000);
		ret = send_json(c, r, (unsigned)status, &b);
	}
	pthread_mutex_lock(&r->sv->lock);
	r->sv->live--;
	pthread_mutex_unlock(&r->sv->lock);
	return ret;
}

/* Splits "/v1/{coll}/{id}/{verb}": returns the number of parts after
 * /v1 (1..3), with id and verb (pointers into the copy), or 0. */
static int
route(char *path, char **coll, char **id, char **verb)
{
	char *p;

	*coll = *id = *verb = NULL;
	if (strncmp(path, "/v1/", 4) != 0)
		return 0;
	*coll = path + 4;
	if ((p = strchr(*coll, '/')) == NULL)
		return 1;
	*p++ = '\0';
	*id = p;
	if ((p = strchr(*id, '/')) == NULL)
		return **id ? 2 : 0;
	*p++ = '\0';
	*verb = p;
	return **id && **verb && strchr(p, '/') == NULL ? 3 : 0;
}

/* Writes the call's line in the request log, once.  A call is logged as
 * soon as its answer is decided, before libmicrohttpd sends it: a client
 * that makes one call after another sees them logged in its order, which
 * tests compare line for line. */
static void
log_call(struct req *r)
{
	if (r->logged || r->sv->quiet)
		return;
	r->logged = 1;
	if (r->fault >= 0)
		fprintf(stderr, "oai-mock: %s %s %u (fault %s)\n", r->method,
		    r->path, r->status,
		    mock_fault_name((enum mock_fault_kind)r->fault));
	else if (r->inflight > 0)
		fprintf(stderr, "oai-mock: %s %s %u (%d in flight)\n",
		    r->method, r->path, r->status, r->inflight);
	else if (r->replayed)
		fprintf(stderr, "oai-mock: %s %s %u (replayed %s)\n",
		    r->method, r->path, r->status, r->replayed);
	else
		fprintf(stderr, "oai-mock: %s %s %u\n", r->method, r->path,
		    r->status);
}

static enum MHD_Result
respond(struct MHD_Connection *c, struct req *r)
{
	char *copy = xstrdup(r->path), *coll, *id, *verb, msg[300];
	const char *m = r->method;
	enum MHD_Result ret;
	int parts;

	mono_sleep(r->slow_ms / 1000);
	if (r->sv->dialect->dialect == DIALECT_ANTHROPIC) {
		ret = anthropic_respond(c, r);
		goto out;
	}
	if (r->fault >= 0 && r->fault <= MF_REDIRECT) {
		ret = send_fault(c, r);
		goto out;
	}
	if (!authorized(c, r, &ret))
		goto out;
	parts = route(copy, &coll, &id, &verb);
	if (parts == 1 && strcmp(coll, "files") == 0 && !strcmp(m, "GET"))
		ret = list_files(c, r);
	else if (parts == 1 && strcmp(coll, "files") == 0 && !strcmp(m, "POST"))
		ret = upload_file(c, r);
	else if (parts == 2 && strcmp(coll, "files") == 0 && !strcmp(m, "GET"))
		ret = get_file(c, r, id);
	else if (parts == 2 && strcmp(coll, "files") == 0 &&
	    !strcmp(m, "DELETE"))
		ret = delete_file(c, r, id);
	else if (parts == 3 && strcmp(coll, "files") == 0 &&
	    !strcmp(verb, "content") && !strcmp(m, "GET"))
		ret = file_content(c, r, id);
	else if (parts == 1 && strcmp(coll, "batches") == 0 &&
	    !strcmp(m, "POST"))
		ret = create_batch(c, r);
	else if (parts == 1 && strcmp(coll, "batches") == 0 &&
	    !strcmp(m, "GET"))
		ret = list_batches(c, r);
	else if (parts == 2 && strcmp(coll, "batches") == 0 &&
	    !strcmp(m, "GET"))
		ret = get_batch(c, r, id, 0);
	else if (parts == 3 && strcmp(coll, "batches") == 0 &&
	    !strcmp(verb, "cancel") && !strcmp(m, "POST"))
		ret = get_batch(c, r, id, 1);
	else if (!strcmp(m, "POST") && mock_endpoint_ok(r->path))
		ret = answer_live(c, r, r->path);
	else {
		snprintf(msg, sizeof msg, "Invalid URL (%s %.200s)", m, r->path);
		ret = send_error(c, r, 404, msg, NULL, NULL);
	}
out:
	free(copy);
	log_call(r);
	return ret;
}

enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct req *r = *con_cls;

	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		r->sv = cls;
		r->upfd = -1;
		r->method = xstrdup(method);
		r->path = dialect_path(c, cls, url);
		*con_cls = r;
		pthread_mutex_lock(&r->sv->lock);
		pick_faults(r);
		pthread_mutex_unlock(&r->sv->lock);
		if (r->fault == MF_CLOSE) {
			log_call(r);
			return MHD_NO;
		}
		upload_begin(c, r);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (r->pp != NULL) {
			if (MHD_post_process(r->pp, upload_data,
			    *upload_data_size) != MHD_YES)
				r->upload_error = 1;
		} else if (r->body.len + *upload_data_size >
		    (r->sv->dialect->dialect == DIALECT_ANTHROPIC ?
		    (size_t)r->sv->dialect->max_bytes : MAX_JSON_BODY))
			r->body_too_big = 1;
		else
			buf_add(&r->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return respond(c, r);
}

void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	if (r == NULL)
		return;
	/* A call cut off before its answer was decided. */
	log_call(r);
	if (r->pp != NULL)
		MHD_destroy_post_processor(r->pp);
	if (r->upfd != -1)
		close(r->upfd);
	if (r->uppath != NULL)
		unlink(r->uppath);
	free(r->uppath);
	free(r->filename);
	free(r->method);
	free(r->path);
	buf_free(&r->body);
	buf_free(&r->purpose);
	buf_free(&r->expiry);
	free(r);
	*con_cls = NULL;
}
