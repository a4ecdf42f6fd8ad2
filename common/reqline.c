/*
 * reqline: the checks on one Batch API request line; see reqline.h.
 */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reqline.h"

#define MAX_MEMBERS	64	/* taken while validating; more: walk */

/* 1 when key k is the string name (of length n > 0, no backslash).  A
 * key written longer than the name can still decode to it when it holds
 * an escape; its text starts with its first byte unless that is a
 * backslash, so most keys are told apart by their first byte. */
static inline int
key_is(struct jval k, const char *name, size_t n)
{
	if (k.p[1] != name[0] && k.p[1] != '\\')
		return 0;
	if (k.n == n + 2 && memcmp(k.p + 1, name, n) == 0)
		return 1;
	return k.n > n + 2 && memchr(k.p, '\\', k.n) != NULL &&
	    jscan_streq(k, name);
}

/* The members a request needs, from the members jscan_doc_members took
 * (or, for a line with too many, from walks over it); the last of a
 * repeated key counts, as with jscan_member. */
static void
pick(struct jval top, const struct jmember *m, size_t count,
    struct reqline *r)
{
	struct jval k, v;
	size_t i;

	r->custom_id.type = r->method.type = r->url.type = JT_NONE;
	r->body.type = r->model.type = JT_NONE;
	if (count > MAX_MEMBERS) {
		jscan_member(top, "custom_id", &r->custom_id);
		jscan_member(top, "method", &r->method);
		jscan_member(top, "url", &r->url);
		jscan_member(top, "body", &r->body);
		jscan_member(r->body, "model", &r->model);
		return;
	}
	for (i = 0; i < count; i++) {
		if (m[i].depth != 1)
			continue;
		k = m[i].key;
		v = m[i].val;
		if (key_is(k, "custom_id", 9))
			r->custom_id = v;
		else if (key_is(k, "method", 6))
			r->method = v;
		else if (key_is(k, "url", 3))
			r->url = v;
		else if (key_is(k, "body", 4))
			r->body = v;
	}
	if (r->body.type != JT_OBJECT)
		return;
	for (i = 0; i < count; i++)
		if (m[i].depth == 2 && m[i].val.p > r->body.p &&
		    m[i].val.p < r->body.p + r->body.n &&
		    key_is(m[i].key, "model", 5))
			r->model = m[i].val;
}

/* A reason with a part taken from the line, in r->why. */
static const char * __attribute__((format(printf, 2, 3)))
why(struct reqline *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return r->why;
}

const char *
reqline_check(const char *line, size_t len, struct reqline *r,
    struct buf *idbuf)
{
	struct jmember members[MAX_MEMBERS];
	struct jval top;
	struct jerr e;
	size_t count;

	if (len == 0)
		return "blank line";
	if (jscan_doc_members(line, len, &top, members, MAX_MEMBERS, &count,
	    &e) < 0)
		return e.msg;
	if (top.type != JT_OBJECT)
		return why(r, "%s, not an object", jscan_a_typename(top.type));
	pick(top, members, count, r);
	if (r->custom_id.type != JT_STRING)
		return r->custom_id.type == JT_NONE ? "no custom_id" :
		    why(r, "custom_id is %s, not a string",
		    jscan_a_typename(r->custom_id.type));
	if (r->method.type == JT_NONE)
		return "no method";
	if (!(r->method.n == 6 && memcmp(r->method.p, "\"POST\"", 6) == 0) &&
	    !jscan_streq(r->method, "POST"))
		return why(r, "method is %.*s, not \"POST\"",
		    (int)(r->method.n > 40 ? 40 : r->method.n), r->method.p);
	if (r->url.type != JT_STRING)
		return r->url.type == JT_NONE ? "no url" :
		    why(r, "url is %s, not a string",
		    jscan_a_typename(r->url.type));
	if (r->body.type != JT_OBJECT)
		return r->body.type == JT_NONE ? "no body" :
		    why(r, "body is %s, not an object",
		    jscan_a_typename(r->body.type));
	if (r->model.type != JT_STRING)
		return r->model.type == JT_NONE ? "no body.model" :
		    why(r, "body.model is %s, not a string",
		    jscan_a_typename(r->model.type));
	if (memchr(r->custom_id.p, '\\', r->custom_id.n) == NULL) {
		r->id = r->custom_id.p + 1;
		r->idlen = r->custom_id.n - 2;
	} else {
		buf_reset(idbuf);
		jscan_unescape(r->custom_id, idbuf);
		r->id = idbuf->p;
		r->idlen = idbuf->len;
	}
	if (r->idlen == 0)
		return "empty custom_id";
	return NULL;
}

void
reqline_fail(const char *name, unsigned long lineno, int unterminated,
    const char *why)
{
	if (unterminated)
		errx(1, "%s:%lu: incomplete last line (the writer stopped "
		    "early?): %s", name, lineno, why);
	errx(1, "%s:%lu: %s", name, lineno, why);
}
