/*
 * fuzz_merge_result: jsonl-merge's one-pass reading of a result line
 * (parse_result, hand-written for speed, on lines jscan_doc accepted, in
 * tools/jsonl-merge/result.c); then add_answer and add_error
 * (tools/jsonl-merge/answer.c), which build the member added to an item.
 * Differential: every slot parse_result fills is the value
 * jscan_member/jscan_path/jscan_index find for the same path (error,
 * response.status_code, response.body, response.body.object, .choices,
 * .output, .data, .usage, .model, and
 * response.body.choices[0].message.content); succeeded() agrees with the
 * rule "error null or absent and status_code 200"; and what add_answer
 * and add_error write (in each spacing), and with -j add_json_text or
 * add_not_json, is one valid JSON value on one line.
 * Excluded (the walker's documented limits): lines with an escaped member
 * name (no API writes them), and lines where a member on the path
 * (response, body, choices' first element, message) is repeated: the
 * walker then merges the repeats, jscan takes the last.
 */
/* links: tools/jsonl-merge/result.c tools/jsonl-merge/answer.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/jsonl-merge/merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
same(struct jval got, struct jval want)
{
	check(got.type == want.type);
	if (want.type != JT_NONE)
		check(got.p == want.p && got.n == want.n);
}

/* 1 when object o has no member named twice and no escaped name, and
 * neither has any object below it on the walker's paths. */
static int
plain(struct jval o, int depth)
{
	struct jiter it, it2;
	struct jval k, v, k2, v2;
	int dup;

	if (o.type != JT_OBJECT || depth > 5)
		return 1;
	jscan_iter(o, &it);
	while (jscan_next(&it, &k, &v)) {
		if (memchr(k.p, '\\', k.n) != NULL)
			return 0;
		dup = 0;
		jscan_iter(o, &it2);
		while (jscan_next(&it2, &k2, &v2))
			if (k2.n == k.n && memcmp(k2.p, k.p, k.n) == 0)
				dup++;
		if (dup > 1)
			return 0;
		if (v.type == JT_ARRAY && jscan_index(v, 0, &v2)) {
			if (!plain(v2, depth + 1))
				return 0;
		} else if (!plain(v, depth + 1))
			return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct parsed r;
	struct jval top, want, resp, body, v;
	struct jerr e, je;
	struct buf out = BUF_INIT, scratch = BUF_INIT;
	struct buf errkey = BUF_INIT, msg = BUF_INIT;
	long long status;
	char *line;
	uint8_t style;
	int ok;

	if (size > 65536 || memchr(data, '\0', size) != NULL)
		return 0;
	line = malloc(size + 1);
	check(line != NULL);
	memcpy(line, data, size);
	line[size] = '\0';
	if (jscan_doc(line, size, &top, &e) != 0 || top.type != JT_OBJECT ||
	    !plain(top, 0))
		goto out;
	parse_result(line, &r);

	jscan_member(top, "error", &want);
	same(r.m[R_ERROR], want);
	if (!jscan_member(top, "response", &resp) || resp.type != JT_OBJECT)
		resp.type = JT_NONE;
	jscan_member(resp, "status_code", &want);
	same(r.m[R_STATUS], want);
	if (!jscan_member(resp, "body", &body))
		body.type = JT_NONE;
	same(r.m[R_BODY], body);
	if (body.type != JT_OBJECT)
		body.type = JT_NONE;
	jscan_member(body, "object", &want);
	same(r.m[B_OBJECT], want);
	jscan_member(body, "choices", &want);
	same(r.m[B_CHOICES], want);
	jscan_member(body, "output", &want);
	same(r.m[B_OUTPUT], want);
	jscan_member(body, "data", &want);
	same(r.m[B_DATA], want);
	jscan_member(body, "usage", &want);
	same(r.m[B_USAGE], want);
	jscan_member(body, "model", &want);
	same(r.m[B_MODEL], want);
	jscan_member(body, "type", &want);
	same(r.m[B_TYPE], want);
	jscan_member(body, "content", &want);
	same(r.m[B_CONTENT], want);
	want.type = JT_NONE;
	if (jscan_member(body, "choices", &v) && jscan_index(v, 0, &v) &&
	    jscan_member(v, "message", &v))
		jscan_member(v, "content", &want);
	same(r.m[C_CONTENT], want);

	ok = (r.m[R_ERROR].type == JT_NONE || r.m[R_ERROR].type == JT_NULL) &&
	    jscan_int(r.m[R_STATUS], &status) == 0 && status == 200;
	check(succeeded(line) == ok);

	add_answer(&out, &r, seps_of(0), &scratch);
	check(jscan_doc(out.p, out.len, &v, &e) == 0);
	for (style = 0; style <= SPACED_COLON + SPACED_COMMA; style++) {
		buf_reset(&out);
		add_error(&out, &r, seps_of(style));
		check(jscan_doc(out.p, out.len, &v, &e) == 0);
	}
	/* -j: the answer's text as JSON, or the error that keeps it. */
	if (answer_text(&r, &scratch)) {
		buf_reset(&out);
		if (add_json_text(&out, &scratch, &je) < 0) {
			buf_adds(&out, "{");
			buf_adds(&errkey, "\"llm_error\"");
			add_not_json(&out, &errkey, seps_of(0), &scratch, &je,
			    &msg);
			buf_adds(&out, "}");
		}
		check(jscan_doc(out.p, out.len, &v, &e) == 0);
		check(memchr(out.p, '\n', out.len) == NULL);
	}
out:
	buf_free(&errkey);
	buf_free(&msg);
	buf_free(&out);
	buf_free(&scratch);
	free(line);
	return 0;
}
