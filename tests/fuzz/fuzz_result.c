/*
 * fuzz_result: common/result's reading of a result line against the rules
 * written out again the plain way (jscan_member a key, as the driver's awk
 * verdict() reads them): success, the error code and message chosen,
 * worth another try; result_from (jsonl-merge's entry) decides as
 * result_of; the reason is one line (no TAB, CR, LF or NUL), starts with
 * "HTTP " exactly when there is a status, and is empty only on success.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"
#include "result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
given(struct jval v)
{
	return v.type != JT_NONE && v.type != JT_NULL &&
	    !(v.type == JT_STRING && v.n == 2);
}

static void
same(struct jval got, struct jval want)
{
	check(got.type == want.type);
	if (want.type != JT_NONE)
		check(got.p == want.p && got.n == want.n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const codes[] = { "batch_expired",
	    "batch_cancelled", "server_error", "internal_error",
	    "rate_limit_exceeded", "timeout", "service_unavailable" };
	struct jval top, error, response, status, body, be, code, msg;
	struct jerr e;
	struct result r, r2;
	struct buf why = BUF_INIT;
	long long http;
	size_t i;
	int ok, retry;

	if (size > 65536 || jscan_doc((const char *)data, size, &top, &e) != 0 ||
	    top.type != JT_OBJECT)
		return 0;
	result_of(top, &r);

	jscan_member(top, "error", &error);
	jscan_member(top, "response", &response);
	status.type = body.type = JT_NONE;
	if (response.type == JT_OBJECT) {
		jscan_member(response, "status_code", &status);
		jscan_member(response, "body", &body);
	}
	same(r.error, error);
	same(r.status, status);
	same(r.body, body);
	if (jscan_int(status, &http) < 0)
		http = -1;
	check(r.http == http);
	ok = http == 200 && (error.type == JT_NONE || error.type == JT_NULL);
	check(r.ok == ok);

	result_from(error, status, body, &r2);
	check(r2.ok == r.ok && r2.retry == r.retry);
	same(r2.code, r.code);
	same(r2.message, r.message);

	result_why(&r, &why);
	check((why.len == 0) == ok);
	check(why.len == 0 || why.p[why.len] == '\0');
	for (i = 0; i < why.len; i++)
		check(why.p[i] != '\t' && why.p[i] != '\r' &&
		    why.p[i] != '\n' && why.p[i] != '\0');
	if (!ok && status.type != JT_NONE)
		check(strncmp(why.p, "HTTP ", 5) == 0);
	buf_free(&why);
	if (ok) {
		check(!r.retry);
		return 0;
	}

	code.type = msg.type = JT_NONE;
	if (error.type == JT_OBJECT) {
		jscan_member(error, "code", &code);
		jscan_member(error, "message", &msg);
	}
	if (!given(code) && jscan_path(body, "error", &be) &&
	    be.type == JT_OBJECT) {
		jscan_member(be, "code", &code);
		if (!given(code))
			jscan_member(be, "type", &code);
		if (!given(msg))
			jscan_member(be, "message", &msg);
	}
	if (!given(code))
		code.type = JT_NONE;
	if (!given(msg))
		msg.type = JT_NONE;
	same(r.code, code);
	same(r.message, msg);
	retry = http == 408 || http == 429 || (http >= 500 && http < 600) ||
	    (status.type == JT_NONE && code.type == JT_NONE);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (jscan_streq(code, codes[i]))
			retry = 1;
	check(r.retry == retry);
	return 0;
}
