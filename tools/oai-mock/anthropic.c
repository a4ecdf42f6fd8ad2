/*
 * oai-mock -D anthropic: a request as Anthropic's Message Batches API
 * answers it, from its faults to its handler: the HTTP faults with
 * Anthropic's error bodies, the x-api-key and anthropic-version headers,
 * and the routes of /v1/messages/batches (anthropic_batches.c,
 * anthropic_results.c) and /v1/messages.  The formats are those of the
 * @anthropic-ai/sdk npm package; see oai-mock(1).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monoclock.h"
#include "server.h"
#include "xalloc.h"

enum MHD_Result
send_anthropic_error(struct MHD_Connection *c, struct req *r,
    unsigned status, const char *type, const char *message)
{
	struct buf b = BUF_INIT;

	anthropic_error_body(&b, type, message);
	return send_json(c, r, status, &b);
}

/* The HTTP faults in Anthropic's words.  http503 answers 529
 * overloaded_error: that is how Anthropic says it is overloaded. */
static enum MHD_Result
anthropic_fault(struct MHD_Connection *c, struct req *r)
{
	switch (r->fault) {
	case MF_HTTP400:
		return send_anthropic_error(c, r, 400, "invalid_request_error",
		    "Bad request (a fault oai-mock was told to inject).");
	case MF_HTTP408:
		return send_anthropic_error(c, r, 408, "timeout_error",
		    "Request timed out.");
	case MF_HTTP409:
		return send_anthropic_error(c, r, 409, "conflict_error",
		    "The request conflicted with another request in progress; "
		    "please try again.");
	case MF_HTTP429:
		return send_anthropic_error(c, r, 429, "rate_limit_error",
		    "Number of request tokens has exceeded your per-minute rate "
		    "limit; please try again later.");
	case MF_HTTP500:
		return send_anthropic_error(c, r, 500, "api_error",
		    "Internal server error");
	case MF_HTTP503:
		return send_anthropic_error(c, r, 529, "overloaded_error",
		    "Overloaded");
	default:
		/* redirect and http502: a proxy's answers, no API's */
		return send_fault(c, r);
	}
}

/* A key, and -k's when one was given: in x-api-key, or as a Bearer
 * token, which the SDK sends since its 1.x (both are Anthropic's). */
static int
authorized(struct MHD_Connection *c, struct req *r, enum MHD_Result *ret)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "x-api-key");
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);

	if ((key == NULL || *key == '\0') && h != NULL &&
	    strncasecmp(h, "Bearer ", 7) == 0)
		key = h + 7;
	if (key == NULL || *key == '\0') {
		*ret = send_anthropic_error(c, r, 401, "authentication_error",
		    "x-api-key header is required");
		return 0;
	}
	if (r->sv->key != NULL && strcmp(key, r->sv->key) != 0) {
		*ret = send_anthropic_error(c, r, 401, "authentication_error",
		    "invalid x-api-key");
		return 0;
	}
	return 1;
}

/* anthropic-version: required, a date such as 2023-06-01. */
static int
versioned(struct MHD_Connection *c, struct req *r, enum MHD_Result *ret)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "anthropic-version");
	size_t i;

	if (v == NULL || *v == '\0') {
		*ret = send_anthropic_error(c, r, 400, "invalid_request_error",
		    "anthropic-version: header is required");
		return 0;
	}
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? v[i] != '-' :
		    (v[i] < '0' || v[i] > '9'))
			break;
	if (i < 10 || v[10] != '\0') {
		*ret = send_anthropic_error(c, r, 400, "invalid_request_error",
		    "anthropic-version: invalid version");
		return 0;
	}
	return 1;
}

/* A live Messages call: the answer of a batch's request, at once. */
static enum MHD_Result
live_message(struct MHD_Connection *c, struct req *r)
{
	struct buf b = BUF_INIT;
	struct mock_usage u;
	struct jval top;
	struct jerr e;
	int status;

	if (jscan_doc(r->body.p ? r->body.p : "", r->body.len, &top, &e) != 0 ||
	    top.type != JT_OBJECT)
		return send_anthropic_error(c, r, 400, "invalid_request_error",
		    "The request body is not valid JSON.");
	status = mock_answer("/v1/messages", top, mock_hash(r->body.p,
	    r->body.len, MOCK_HASH_INIT), mock_wall(), &b, &u);
	mono_sleep((double)r->sv->latency_ms / 1000);
	return send_json(c, r, (unsigned)status, &b);
}

/* Splits "/v1/messages/batches[/{id}[/{verb}]]": the number of parts
 * after /v1/messages/batches (0..2), with id and verb pointing into
 * path, or -1. */
static int
route(char *path, char **id, char **verb)
{
	static const char base[] = "/v1/messages/batches";
	char *p;

	*id = *verb = NULL;
	if (strncmp(path, base, sizeof base - 1) != 0)
		return -1;
	p = path + sizeof base - 1;
	if (*p == '\0')
		return 0;
	if (*p++ != '/' || *p == '\0')
		return -1;
	*id = p;
	if ((p = strchr(p, '/')) == NULL)
		return 1;
	*p++ = '\0';
	*verb = p;
	return *p != '\0' && strchr(p, '/') == NULL ? 2 : -1;
}

enum MHD_Result
anthropic_respond(struct MHD_Connection *c, struct req *r)
{
	char *copy = xstrdup(r->path), *id, *verb, msg[300];
	const char *m = r->method;
	enum MHD_Result ret;
	int parts;

	if (r->fault >= 0 && r->fault <= MF_REDIRECT) {
		ret = anthropic_fault(c, r);
		goto out;
	}
	if (!authorized(c, r, &ret) || !versioned(c, r, &ret))
		goto out;
	parts = route(copy, &id, &verb);
	if (parts == 0 && !strcmp(m, "POST"))
		ret = anthropic_create(c, r);
	else if (parts == 0 && !strcmp(m, "GET"))
		ret = anthropic_list(c, r);
	else if (parts == 1 && !strcmp(m, "GET"))
		ret = anthropic_get(c, r, id, 0);
	else if (parts == 1 && !strcmp(m, "DELETE"))
		ret = anthropic_delete(c, r, id);
	else if (parts == 2 && !strcmp(verb, "cancel") && !strcmp(m, "POST"))
		ret = anthropic_get(c, r, id, 1);
	else if (parts == 2 && !strcmp(verb, "results") && !strcmp(m, "GET"))
		ret = anthropic_results(c, r, id);
	else if (!strcmp(r->path, "/v1/messages") && !strcmp(m, "POST"))
		ret = live_message(c, r);
	else {
		snprintf(msg, sizeof msg, "Not Found (%s %.200s)", m, r->path);
		ret = send_anthropic_error(c, r, 404, "not_found_error", msg);
	}
out:
	free(copy);
	return ret;
}
