/*
 * The answers oai-mock's handlers send: JSON, errors in OpenAI's shape,
 * and the HTTP faults; see mock.h.
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server.h"
#include "xalloc.h"

/* The wait a 429 asks for.  By default Retry-After says 1 s and
 * retry-after-ms 100 ms, as OpenAI often does: a client must prefer the
 * finer one.  retry-after=date:S sends only Retry-After, as the HTTP date
 * S seconds (rounded up) from now, the other form RFC 9110 allows. */
static void
add_retry_after(const struct mock_store *st, struct MHD_Response *resp)
{
	const struct mock_fault *f = NULL;
	char v[64];
	struct tm tm;
	time_t when;
	size_t i;

	for (i = 0; i < st->nfaults; i++)
		if (st->faults[i].kind == MF_RETRY_AFTER)
			f = &st->faults[i];
	if (f != NULL && f->http_date) {
		when = time(NULL) + (time_t)fmin(ceil(f->value), 1e9);
		if (gmtime_r(&when, &tm) != NULL && strftime(v, sizeof v,
		    "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
			MHD_add_response_header(resp, "Retry-After", v);
		return;
	}
	snprintf(v, sizeof v, "%.0f", f == NULL ? 1 : ceil(f->value));
	MHD_add_response_header(resp, "Retry-After", v);
	snprintf(v, sizeof v, "%.0f", f == NULL ? 100 : f->value * 1000);
	MHD_add_response_header(resp, "retry-after-ms", v);
}

static enum MHD_Result
send_body(struct MHD_Connection *c, struct req *r, unsigned status,
    const char *type, const char *body, size_t n)
{
	struct mock_store *st = &r->sv->st;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char rid[80];

	resp = MHD_create_response_from_buffer(n, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	pthread_mutex_lock(&r->sv->lock);
	mock_new_id(st, rid, sizeof rid, "req_", 1);
	pthread_mutex_unlock(&r->sv->lock);
	MHD_add_response_header(resp, "Content-Type", type);
	if (r->sv->dialect->dialect == DIALECT_ANTHROPIC)
		MHD_add_response_header(resp, "request-id", rid);
	else {
		MHD_add_response_header(resp, "x-request-id", rid);
		MHD_add_response_header(resp, "openai-version", "2020-10-01");
	}
	if (r->rl.set) {
		MHD_add_response_header(resp, "x-ratelimit-limit-requests",
		    r->rl.limit_req);
		MHD_add_response_header(resp, "x-ratelimit-limit-tokens",
		    r->rl.limit_tok);
		MHD_add_response_header(resp, "x-ratelimit-remaining-requests",
		    r->rl.remain_req);
		MHD_add_response_header(resp, "x-ratelimit-remaining-tokens",
		    r->rl.remain_tok);
		MHD_add_response_header(resp, "x-ratelimit-reset-requests",
		    r->rl.reset_req);
		MHD_add_response_header(resp, "x-ratelimit-reset-tokens",
		    r->rl.reset_tok);
	}
	if (status == 429 && r->rl_wait > 0) {
		snprintf(rid, sizeof rid, "%.0f", ceil(r->rl_wait));
		MHD_add_response_header(resp, "Retry-After", rid);
		snprintf(rid, sizeof rid, "%.0f", ceil(r->rl_wait * 1000));
		MHD_add_response_header(resp, "retry-after-ms", rid);
	} else if (status == 429)
		add_retry_after(st, resp);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	return ret;
}

enum MHD_Result
send_json(struct MHD_Connection *c, struct req *r, unsigned status,
    struct buf *b)
{
	enum MHD_Result ret;

	ret = send_body(c, r, status, "application/json", b->p ? b->p : "",
	    b->len);
	buf_free(b);
	return ret;
}

enum MHD_Result
send_error(struct MHD_Connection *c, struct req *r, unsigned status,
    const char *message, const char *param, const char *code)
{
	struct buf b = BUF_INIT;

	mock_error_body(&b, message, status < 500 ? "invalid_request_error" : "server_error", param, code);
	return send_json(c, r, status, &b);
}

enum MHD_Result
no_such_file(struct MHD_Connection *c, struct req *r, const char *id,
    const char *param)
{
	char msg[256];

	snprintf(msg, sizeof msg, "No such File object: %s", id);
	return send_error(c, r, 404, msg, param, NULL);
}

/* The redirect fault: 307 to the same path under /moved on this server,
 * so a client that followed it would show up in the request log there. */
static enum MHD_Result
send_redirect(struct MHD_Connection *c, struct req *r)
{
	static const char page[] = "<html>\r\n<head><title>307 Temporary "
	    "Redirect</title></head>\r\n<body>\r\n<center><h1>307 Temporary "
	    "Redirect</h1></center>\r\n</body>\r\n</html>\r\n";
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct buf loc = BUF_INIT;

	resp = MHD_create_response_from_buffer(sizeof page - 1,
	    (void *)(uintptr_t)page, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (host != NULL && *host != '\0' && strpbrk(host, "\r\n/") == NULL)
		buf_printf(&loc, "http://%s/moved%s", host, r->path);
	else
		buf_printf(&loc, "/moved%s", r->path);
	MHD_add_response_header(resp, "Content-Type", "text/html");
	MHD_add_response_header(resp, "Location", loc.p);
	ret = MHD_queue_response(c, 307, resp);
	MHD_destroy_response(resp);
	buf_free(&loc);
	r->status = 307;
	return ret;
}

enum MHD_Result
send_fault(struct MHD_Connection *c, struct req *r)
{
	struct buf b = BUF_INIT;
	static const char gateway[] = "<html>\r\n<head><title>502 Bad Gateway"
	    "</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
	    "</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n"
	    "</html>\r\n";

	switch (r->fault) {
	case MF_REDIRECT:
		return send_redirect(c, r);
	case MF_HTTP400:
		mock_error_body(&b, "Bad request (a fault oai-mock was told to "
		    "inject).", "invalid_request_error", NULL, NULL);
		return send_json(c, r, 400, &b);
	case MF_HTTP408:
		mock_error_body(&b, "Request timed out.", "timeout", NULL, NULL);
		return send_json(c, r, 408, &b);
	case MF_HTTP409:
		mock_error_body(&b, "The request conflicted with another request "
		    "in progress; please try again.", "invalid_request_error",
		    NULL, "conflict");
		return send_json(c, r, 409, &b);
	case MF_HTTP429:
		mock_error_body(&b, "Rate limit reached for requests. Please "
		    "try again in 1s.", "requests", NULL, "rate_limit_exceeded");
		return send_json(c, r, 429, &b);
	case MF_HTTP500:
		mock_error_body(&b, "The server had an error while processing "
		    "your request. Sorry about that!", "server_error", NULL,
		    NULL);
		return send_json(c, r, 500, &b);
	case MF_HTTP502:
		/* A gateway's page, not JSON: clients meet those too. */
		return send_body(c, r, 502, "text/html", gateway,
		    sizeof gateway - 1);
	default:
		mock_error_body(&b, "The engine is currently overloaded, please "
		    "try again later.", "server_error", NULL, NULL);
		return send_json(c, r, 503, &b);
	}
}

/* Parses the JSON request body into *top; 0, or -1 after answering. */
int
json_body(struct MHD_Connection *c, struct req *r, struct jval *top,
    enum MHD_Result *ret)
{
	struct jerr e;

	if (r->body_too_big) {
		*ret = send_error(c, r, 413, "The request body is too large.",
		    NULL, NULL);
		return -1;
	}
	if (jscan_doc(r->body.p ? r->body.p : "", r->body.len, top, &e) != 0 ||
	    top->type != JT_OBJECT) {
		*ret = send_error(c, r, 400, "We could not parse the JSON body of "
		    "your request. (HINT: This likely means you aren't using "
		    "your HTTP library correctly. The OpenAI API expects a JSON "
		    "payload, but what was sent was not valid JSON.)", NULL,
		    NULL);
		return -1;
	}
	return 0;
}

/* A required string member: its decoded value (allocated) or NULL. */
char *
str_member(struct jval obj, const char *name)
{
	struct buf b = BUF_INIT;
	struct jval v;

	if (!jscan_member(obj, name, &v) || v.type != JT_STRING)
		return NULL;
	jscan_unescape(v, &b);
	return b.p ? b.p : xstrdup("");
}
