/* result: the one definition of a Batch API result's outcome (result.h). */
#include <string.h>

#include "result.h"
#include "scrub.h"

/* The error codes that say the request was never run, or that the server
 * failed: another try may succeed. */
static const char *const retry_codes[] = {
	"batch_expired", "batch_cancelled", "server_error", "internal_error",
	"rate_limit_exceeded", "timeout", "service_unavailable",
	"connection_error",
};

static const struct jval none = { JT_NONE, NULL, 0 };

/* A code or message counts when it is there, not null and not "". */
static int
given(struct jval v)
{
	return v.type != JT_NONE && v.type != JT_NULL &&
	    !(v.type == JT_STRING && v.n == 2);
}

void
result_from(struct jval error, struct jval status, struct jval body,
    struct result *r)
{
	struct jval be;
	size_t i;

	r->error = error;
	r->status = status;
	r->body = body;
	r->code = r->message = none;
	if (jscan_int(status, &r->http) < 0)
		r->http = -1;
	r->ok = r->http == 200 &&
	    (error.type == JT_NONE || error.type == JT_NULL);
	r->retry = 0;
	if (r->ok)
		return;
	if (error.type == JT_OBJECT) {
		jscan_member(error, "code", &r->code);
		jscan_member(error, "message", &r->message);
	}
	if (!given(r->code) && jscan_member(body, "error", &be) &&
	    be.type == JT_OBJECT) {
		if (!jscan_member(be, "code", &r->code) || !given(r->code))
			jscan_member(be, "type", &r->code);
		if (!given(r->message))
			jscan_member(be, "message", &r->message);
	}
	if (!given(r->code))
		r->code = none;
	if (!given(r->message))
		r->message = none;
	if (r->http == 408 || r->http == 429 ||
	    (r->http >= 500 && r->http <= 599))
		r->retry = 1;
	else if (r->code.type == JT_NONE)
		/* Neither status nor code: nothing blames the request. */
		r->retry = status.type == JT_NONE;
	else if (r->code.type == JT_STRING)
		for (i = 0; i < sizeof(retry_codes) / sizeof(retry_codes[0]);
		    i++)
			if (jscan_streq(r->code, retry_codes[i])) {
				r->retry = 1;
				break;
			}
}

void
result_of(struct jval top, struct result *r)
{
	struct jiter it;
	struct jval k, v, error = none, status = none, body = none;
	struct jval response = none;

	/* One walk over each object instead of a jscan_member a key. */
	jscan_iter(top, &it);
	while (jscan_next(&it, &k, &v))
		if (jscan_streq(k, "error"))
			error = v;
		else if (jscan_streq(k, "response"))
			response = v;
	if (response.type == JT_OBJECT) {
		jscan_iter(response, &it);
		while (jscan_next(&it, &k, &v))
			if (jscan_streq(k, "status_code"))
				status = v;
			else if (jscan_streq(k, "body"))
				body = v;
	}
	result_from(error, status, body, r);
}

/* Appends v (decoded when a string, else as written) to out. */
static void
add_value(struct buf *out, struct jval v)
{
	if (v.type == JT_STRING)
		jscan_unescape(v, out);
	else
		buf_add(out, v.p, v.n);
}

void
result_why(const struct result *r, struct buf *out)
{
	size_t start = out->len;

	if (r->ok)
		return;
	if (r->status.type != JT_NONE) {
		buf_adds(out, "HTTP ");
		buf_add(out, r->status.p, r->status.n);	/* as written */
		buf_adds(out, ": ");
	}
	if (r->code.type != JT_NONE)
		add_value(out, r->code);
	else
		buf_adds(out, "no error code");
	if (r->message.type != JT_NONE) {
		buf_adds(out, ": ");
		add_value(out, r->message);
	}
	/* The text is the server's: it must not drive the terminal of
	 * whoever reads the reasons, and stays one line. */
	out->len = start + scrub_controls(out->p + start, out->len - start,
	    SCRUB_FOLD);
	out->p[out->len] = '\0';
}
