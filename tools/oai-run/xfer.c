/*
 * The requests in flight: one libcurl easy handle a slot, all on one
 * multi handle (HTTP/2 streams on one connection where the server offers
 * it, else a pool of kept-alive connections).  A slot keeps its request
 * until the request has its result line: an answer, a permanent error,
 * or the tries run out.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jscan.h"
#include "monoclock.h"
#include "http.h"
#include "run.h"
#include "xalloc.h"

/* An answer larger than this is not a model's: it is cut and the
 * request fails. */
#define ANSWER_MAX	((size_t)64 << 20)

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	if (x->answer.len + n > ANSWER_MAX) {
		x->too_big = 1;
		return 0;
	}
	buf_add(&x->answer, data, n);
	return n;
}

static void
take_value(char **slot, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' '))
		n--;
	free(*slot);
	*slot = xstrndup(v, n);
}

static size_t
on_header(char *data, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nitems, l;
	char *v = NULL;

	pace_header(&x->run->pace, data, n, mono_now(), x->cost);
	if (n > 15 && strncasecmp(data, "retry-after-ms:", 15) == 0)
		take_value(&x->after_ms, data + 15, n - 15);
	else if (n > 12 && strncasecmp(data, "retry-after:", 12) == 0)
		take_value(&x->after, data + 12, n - 12);
	else if (n > 13 && strncasecmp(data, "x-request-id:", 13) == 0) {
		take_value(&v, data + 13, n - 13);
		l = strlen(v);
		if (l >= sizeof(x->request_id))
			l = sizeof(x->request_id) - 1;
		memcpy(x->request_id, v, l);
		x->request_id[l] = '\0';
		free(v);
	}
	return n;
}

void
xfer_setup(struct run *r, int n)
{
	struct xfer *x;
	int i;

	r->xfers = xcalloc((size_t)n, sizeof(*r->xfers));
	r->nxfers = n;
	for (i = 0; i < n; i++) {
		x = &r->xfers[i];
		x->run = r;
		if ((x->curl = curl_easy_init()) == NULL)
			errx(1, "cannot initialise libcurl");
		http_easy_defaults(x->curl, &r->cfg, r->stall_s);
		curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, r->headers);
		curl_easy_setopt(x->curl, CURLOPT_HTTP_VERSION,
		    (long)CURL_HTTP_VERSION_2TLS);
		curl_easy_setopt(x->curl, CURLOPT_PIPEWAIT, 1L);
		curl_easy_setopt(x->curl, CURLOPT_ERRORBUFFER, x->err);
		curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, x);
		curl_easy_setopt(x->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(x->curl, CURLOPT_HEADERDATA, x);
		curl_easy_setopt(x->curl, CURLOPT_PRIVATE, x);
	}
}

void
xfer_start(struct xfer *x)
{
	x->tries++;
	x->answer.len = 0;
	x->too_big = 0;
	x->request_id[0] = x->err[0] = '\0';
	free(x->after);
	free(x->after_ms);
	x->after = x->after_ms = NULL;
	curl_easy_setopt(x->curl, CURLOPT_URL, x->url.p);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)x->body.len);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, x->body.p);
	if (curl_multi_add_handle(x->run->multi, x->curl) != CURLM_OK)
		errx(1, "cannot start a transfer");
	x->active = 1;
	pace_started(&x->run->pace, x->cost);
}

/* Why a transfer with no usable answer failed: an error code for the
 * result line that the result rules (common/result.h) find worth
 * another try. */
static const char *
failure_code(CURLcode code)
{
	return code == CURLE_OPERATION_TIMEDOUT ? "timeout" :
	    "connection_error";
}

/* With -v, one line for each answer or failed try. */
static void
trace(const struct xfer *x, long status, CURLcode code, long again_ms)
{
	char what[CURL_ERROR_SIZE + 16];

	progress_clear(&x->run->meter);
	if (status > 0)
		snprintf(what, sizeof(what), "HTTP %ld", status);
	else
		snprintf(what, sizeof(what), "%s", x->err[0] ? x->err :
		    curl_easy_strerror(code));
	if (again_ms >= 0)
		warnx("%s: %s, try %d of %d; again in %ld ms", x->idtext.p,
		    what, x->tries, x->run->policy.max_tries, again_ms);
	else
		warnx("%s: %s, try %d", x->idtext.p, what, x->tries);
}

int
xfer_finish(struct xfer *x, CURLcode code)
{
	struct run *r = x->run;
	long status = 0, wait_ms = -1;
	int again;

	curl_multi_remove_handle(r->multi, x->curl);
	x->active = 0;
	pace_ended(&r->pace, x->cost);
	if (code == CURLE_OK)
		curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401) {
		progress_clear(&r->meter);
		warnx("%s: HTTP 401: the key is refused; nothing more is sent",
		    r->cfg.base_url);
		return -1;
	}
	if (http_untrusted(code)) {
		progress_clear(&r->meter);
		warnx("%s: %s%s; nothing more is sent", r->cfg.base_url,
		    x->err[0] ? x->err : curl_easy_strerror(code),
		    HTTP_CA_HINT);
		return -1;
	}
	again = code != CURLE_OK || x->too_big || retry_status(status);
	if (status > 0)
		wait_ms = retry_after_ms(x->after_ms, x->after, time(NULL),
		    r->policy.cap_ms);
	if (again && wait_ms < 0)
		wait_ms = retry_backoff_ms(&r->policy, x->tries);
	pace_answer(&r->pace, status, wait_ms, mono_now());
	if (again && x->tries < r->policy.max_tries) {
		x->due = mono_now() + wait_ms / 1000.0;
		if (r->verbose)
			trace(x, status, code, wait_ms);
		return 0;
	}
	if (r->verbose)
		trace(x, status, code, -1);
	if (again)
		r->gave_up++;
	if (status > 0 && !x->too_big)
		out_result(r, x, status, NULL, NULL);
	else
		out_result(r, x, 0, x->too_big ? "answer_too_large" :
		    failure_code(code), x->too_big ? "the answer is over 64 MiB" :
		    x->err[0] ? x->err : curl_easy_strerror(code));
	x->busy = 0;
	return 1;
}

void
xfer_cleanup(struct run *r)
{
	struct xfer *x;
	int i;

	for (i = 0; i < r->nxfers; i++) {
		x = &r->xfers[i];
		if (x->active)
			curl_multi_remove_handle(r->multi, x->curl);
		curl_easy_cleanup(x->curl);
		buf_free(&x->id);
		buf_free(&x->idtext);
		buf_free(&x->url);
		buf_free(&x->body);
		buf_free(&x->answer);
		free(x->after);
		free(x->after_ms);
	}
	free(r->xfers);
}
