/*
 * fuzz_anthropic: the translations of common/anthropic.h on any line.
 * anthropic_request, on a line reqline_check accepts: either out is left
 * as it was and there is a reason, or out gained one strict JSON object
 * whose params hold the line's model as written, a max_tokens of at
 * least 1 (the default when the body gives none) and messages that are
 * only user and assistant.  anthropic_result: either out is left as it
 * was, or it gained one strict JSON line with the input's custom_id,
 * that the result classification (common/result.h) reads as the result
 * type says: succeeded ok, canceled and expired worth another try,
 * invalid_request_error final.  anthropic_batch: a batch it accepts has
 * an id, a status, and counts that add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "anthropic.h"
#include "batchobj.h"
#include "buf.h"
#include "jscan.h"
#include "reqline.h"
#include "result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

#define PREFIX	"kept"

/* out holds PREFIX and, after it, exactly what a call added. */
static struct jval
added(const struct buf *out, size_t trim)
{
	struct jval top;
	struct jerr e;

	check(out->len > sizeof(PREFIX) - 1 + trim);
	check(memcmp(out->p, PREFIX, sizeof(PREFIX) - 1) == 0);
	check(jscan_doc(out->p + sizeof(PREFIX) - 1,
	    out->len - (sizeof(PREFIX) - 1) - trim, &top, &e) == 0);
	check(top.type == JT_OBJECT);
	return top;
}

static void
request(const char *line, size_t n, long long def)
{
	struct reqline r;
	struct buf idbuf = BUF_INIT, out = BUF_INIT;
	struct jval top, params, v, m, k, role, given;
	struct jiter it;
	const char *why = NULL;
	long long max;

	if (reqline_check(line, n, &r, &idbuf) != NULL)
		goto done;
	buf_adds(&out, PREFIX);
	if (anthropic_request(&r, def, &out, &why) < 0) {
		check(why != NULL && *why != '\0');
		check(out.len == sizeof(PREFIX) - 1);
		goto done;
	}
	top = added(&out, 0);
	check(jscan_member(top, "params", &params) && params.type == JT_OBJECT);
	check(jscan_member(params, "model", &v) && v.n == r.model.n &&
	    memcmp(v.p, r.model.p, v.n) == 0);
	check(jscan_member(params, "max_tokens", &v) &&
	    jscan_int(v, &max) == 0 && max >= 1);
	if (!jscan_member(r.body, "max_completion_tokens", &given) &&
	    !jscan_member(r.body, "max_tokens", &given))
		check(max == def);
	check(jscan_member(params, "messages", &v) && v.type == JT_ARRAY);
	jscan_iter(v, &it);
	while (jscan_next(&it, &k, &m))
		check(jscan_member(m, "role", &role) &&
		    (jscan_streq(role, "user") ||
		    jscan_streq(role, "assistant")));
done:
	buf_free(&idbuf);
	buf_free(&out);
}

static void
result(const char *line, size_t n)
{
	struct buf out = BUF_INIT;
	struct jval in, id, type, top, v, et;
	struct jerr e;
	struct result r;
	const char *why = NULL;

	buf_adds(&out, PREFIX);
	if (anthropic_result(line, n, &out, &why) < 0) {
		check(why != NULL && *why != '\0');
		check(out.len == sizeof(PREFIX) - 1);
		buf_free(&out);
		return;
	}
	check(out.p[out.len - 1] == '\n');
	top = added(&out, 1);
	check(jscan_doc(line, n, &in, &e) == 0);
	jscan_member(in, "custom_id", &id);
	check(jscan_member(top, "custom_id", &v) && v.n == id.n &&
	    memcmp(v.p, id.p, v.n) == 0);
	check(jscan_path(in, "result.type", &type));
	result_of(top, &r);
	if (jscan_streq(type, "succeeded"))
		check(r.ok);
	else
		check(!r.ok);
	if (jscan_streq(type, "canceled") || jscan_streq(type, "expired"))
		check(r.retry);
	if (jscan_path(in, "result.error.error.type", &et) &&
	    jscan_streq(et, "invalid_request_error"))
		check(!r.retry && r.http == 400);
	buf_free(&out);
}

static void
batch(const char *line, size_t n)
{
	struct jval top;
	struct jerr e;
	struct json_object *o;
	struct batchobj b;
	char *s;

	if (jscan_doc(line, n, &top, &e) != 0 || memchr(line, '\0', n))
		return;
	s = strndup(line, n);
	if (s == NULL)
		return;
	o = json_tokener_parse(s);
	if (o != NULL && anthropic_batch(o, &b) == 0) {
		check(b.id != NULL && b.status != NULL);
		check(b.input_file_id == NULL && b.error_file_id == NULL);
		check(b.completed + b.failed <= b.total);
		check(b.output_file_id == NULL ||
		    strcmp(b.output_file_id, b.id) == 0);
		batchobj_free(&b);
	}
	json_object_put(o);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;

	if (size > 65536)
		return 0;
	request(line, size, 0);
	request(line, size, 4096);
	result(line, size);
	batch(line, size);
	return 0;
}
