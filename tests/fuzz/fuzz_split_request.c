/*
 * fuzz_split_request: jsonl-split's reading of a request line: the checks
 * of reqline_check (common/reqline.c) and same_text, which compares a url
 * or model with the current file's (tools/jsonl-split/request.c).
 * Differential against jscan_doc and jscan_member/jscan_path: a line is
 * accepted exactly when it is one object whose custom_id is a non-empty
 * string, method the string "POST", url a string, body an object and
 * body.model a string; the members are the ones jscan_member finds, the
 * decoded id is jscan_unescape's; a rejected line has exactly the reason
 * expected (one line of text; a top-level custom_id, method, url or body
 * given twice is refused).  Both member-picking paths: the same line
 * with 65 extra members in front (more than reqline takes while scanning,
 * so it walks) gets the same verdict and the same member texts.
 * same_text is 1 exactly when the decoded string equals the text.
 */
/* links: tools/jsonl-split/request.c tools/jsonl-split/files.c */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"
#include "reqline.h"
#include "../../tools/jsonl-split/split.h"

#define PAD_MEMBERS	65	/* more than reqline's MAX_MEMBERS */

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

/* Same type and same text, at any place. */
static void
same_bytes(struct jval got, struct jval want)
{
	check(got.type == want.type);
	if (want.type != JT_NONE)
		check(got.n == want.n && memcmp(got.p, want.p, got.n) == 0);
}

/* The reason reqline_check must give, worked out with jscan_doc and
 * jscan_member/jscan_path; NULL for a good line.  msg is room for it. */
static const char *
expected(const char *s, size_t n, char *msg, size_t size, struct buf *tmp)
{
	static const char *const names[] = { "custom_id", "method", "url",
	    "body" };
	struct jval top, v, method, k;
	struct jiter it;
	struct jerr e;
	int seen[4] = { 0 }, i;

	if (n == 0)
		return "blank line";
	if (jscan_doc(s, n, &top, &e) != 0)
		return e.msg;
	if (top.type != JT_OBJECT) {
		snprintf(msg, size, "%s, not an object",
		    jscan_a_typename(top.type));
		return msg;
	}
	/* A top-level custom_id, method, url or body given twice, however
	 * spelt: the first to repeat, at its second occurrence. */
	jscan_iter(top, &it);
	while (jscan_next(&it, &k, &v))
		for (i = 0; i < 4; i++)
			if (jscan_streq(k, names[i]) && seen[i]++) {
				snprintf(msg, size, "repeated key \"%s\"",
				    names[i]);
				return msg;
			}
	jscan_member(top, "custom_id", &v);
	if (v.type == JT_NONE)
		return "no custom_id";
	if (v.type != JT_STRING) {
		snprintf(msg, size, "custom_id is %s, not a string",
		    jscan_a_typename(v.type));
		return msg;
	}
	if (!jscan_member(top, "method", &method))
		return "no method";
	if (!jscan_streq(method, "POST")) {
		snprintf(msg, size, "method is %.*s, not \"POST\"",
		    (int)(method.n > 40 ? 40 : method.n), method.p);
		return msg;
	}
	jscan_member(top, "url", &v);
	if (v.type == JT_NONE)
		return "no url";
	if (v.type != JT_STRING) {
		snprintf(msg, size, "url is %s, not a string",
		    jscan_a_typename(v.type));
		return msg;
	}
	jscan_member(top, "body", &v);
	if (v.type == JT_NONE)
		return "no body";
	if (v.type != JT_OBJECT) {
		snprintf(msg, size, "body is %s, not an object",
		    jscan_a_typename(v.type));
		return msg;
	}
	jscan_path(top, "body.model", &v);
	if (v.type == JT_NONE)
		return "no body.model";
	if (v.type != JT_STRING) {
		snprintf(msg, size, "body.model is %s, not a string",
		    jscan_a_typename(v.type));
		return msg;
	}
	jscan_member(top, "custom_id", &v);
	buf_reset(tmp);
	jscan_unescape(v, tmp);
	if (tmp->len == 0)
		return "empty custom_id";
	return NULL;
}

/* The members jscan_member and jscan_path find in an accepted line. */
static void
accepted(const char *s, size_t n, const struct reqline *r, struct buf *tmp)
{
	struct jval top, want;
	struct jerr e;

	check(jscan_doc(s, n, &top, &e) == 0);
	jscan_member(top, "custom_id", &want);
	same(r->custom_id, want);
	check(want.type == JT_STRING);
	jscan_member(top, "method", &want);
	same(r->method, want);
	check(jscan_streq(want, "POST"));
	jscan_member(top, "url", &want);
	same(r->url, want);
	check(want.type == JT_STRING);
	jscan_member(top, "body", &want);
	same(r->body, want);
	check(want.type == JT_OBJECT);
	jscan_path(top, "body.model", &want);
	same(r->model, want);
	check(want.type == JT_STRING);
	buf_reset(tmp);
	jscan_unescape(r->custom_id, tmp);
	check(r->idlen > 0 && r->idlen == tmp->len &&
	    memcmp(r->id, tmp->p, tmp->len) == 0);
}

/* s as an object with PAD_MEMBERS more members in front, in *out; 0 when
 * s is not an object. */
static int
padded(const char *s, size_t n, struct buf *out)
{
	struct jval top;
	struct jerr e;
	const char *rest;
	size_t i;

	if (jscan_doc(s, n, &top, &e) != 0 || top.type != JT_OBJECT)
		return 0;
	buf_reset(out);
	buf_addc(out, '{');
	for (i = 0; i < PAD_MEMBERS; i++) {
		char m[32];

		snprintf(m, sizeof(m), "%s\"_%zu\":0", i ? "," : "", i);
		buf_add(out, m, strlen(m));
	}
	rest = top.p + 1;
	while (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r')
		rest++;
	if (*rest != '}')
		buf_addc(out, ',');
	buf_add(out, rest, (size_t)(top.p + top.n - rest));
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *got, *want;
	struct reqline r, rp;
	struct buf idbuf = BUF_INIT, idbuf2 = BUF_INIT, tmp = BUF_INIT;
	struct buf pad = BUF_INIT, cur = BUF_INIT, scratch = BUF_INIT;
	char msg[128];

	got = reqline_check(s, size, &r, &idbuf);
	want = expected(s, size, msg, sizeof(msg), &tmp);
	if (want == NULL) {
		check(got == NULL);
		accepted(s, size, &r, &tmp);
	} else {
		/* One line, as the reader hands over only lines. */
		check(got != NULL && *got != '\0' && strcmp(got, want) == 0);
		check(memchr(s, '\n', size) != NULL ||
		    strchr(got, '\n') == NULL);
	}

	if (padded(s, size, &pad)) {
		want = reqline_check(pad.p, pad.len, &rp, &idbuf2);
		check((got == NULL) == (want == NULL));
		if (got != NULL) {
			check(strcmp(got, want) == 0);
		} else {
			accepted(pad.p, pad.len, &rp, &tmp);
			same_bytes(rp.custom_id, r.custom_id);
			same_bytes(rp.method, r.method);
			same_bytes(rp.url, r.url);
			same_bytes(rp.body, r.body);
			same_bytes(rp.model, r.model);
		}
	}

	if (got == NULL) {
		jscan_unescape(r.url, &cur);
		check(same_text(r.url, &cur, &scratch) == 1);
		buf_addc(&cur, 'x');
		check(same_text(r.url, &cur, &scratch) == 0);
	}
	buf_free(&idbuf);
	buf_free(&idbuf2);
	buf_free(&tmp);
	buf_free(&pad);
	buf_free(&cur);
	buf_free(&scratch);
	return 0;
}
