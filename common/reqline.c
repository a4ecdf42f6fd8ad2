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

/* The four top-level keys a request has, in the order of struct
 * reqline; a key that decodes to one of them counts, however written. */
static const char *const keys[] = { "custom_id", "method", "url", "body" };

/* Which of keys[] top-level key k is, or -1. */
static int
which(struct jval k)
{
	if (key_is(k, "custom_id", 9))
		return 0;
	if (key_is(k, "method", 6))
		return 1;
	if (key_is(k, "url", 3))
		return 2;
	if (key_is(k, "body", 4))
		return 3;
	return -1;
}

/* Member k of the request, value v: stored in *r, or the name of the key
 * when it was already seen. */
static const char *
take(struct jval k, struct jval v, struct reqline *r)
{
	struct jval *slot[] = { &r->custom_id, &r->method, &r->url, &r->body };
	int i;

	if ((i = which(k)) < 0)
		return NULL;
	if (slot[i]->type != JT_NONE)
		return keys[i];
	*slot[i] = v;
	return NULL;
}

/* The members a request needs, from the members jscan_doc_members took
 * (or, for a line with too many, from a walk over it).  Returns NULL, or
 * the name of a top-level key that repeats (the members are then
 * unspecified).  A repeated body.model counts by its last occurrence, as
 * with jscan_member. */
static const char *
pick(struct jval top, const struct jmember *m, size_t count,
    struct reqline *r)
{
	struct jiter it;
	struct jval k, v;
	const char *twice;
	size_t i;

	r->custom_id.type = r->method.type = r->url.type = JT_NONE;
	r->body.type = r->model.type = JT_NONE;
	if (count > MAX_MEMBERS) {
		jscan_iter(top, &it);
		while (jscan_next(&it, &k, &v))
			if ((twice = take(k, v, r)) != NULL)
				return twice;
		jscan_member(r->body, "model", &r->model);
		return NULL;
	}
	for (i = 0; i < count; i++)
		if (m[i].depth == 1 &&
		    (twice = take(m[i].key, m[i].val, r)) != NULL)
			return twice;
	if (r->body.type != JT_OBJECT)
		return NULL;
	for (i = 0; i < count; i++)
		if (m[i].depth == 2 && m[i].val.p > r->body.p &&
		    m[i].val.p < r->body.p + r->body.n &&
		    key_is(m[i].key, "model", 5))
			r->model = m[i].val;
	return NULL;
}

/* The endpoints whose API has a default model, and that default, as a
 * JSON string: a request without body.model is a request for it. */
#define JSTR(s)	{ JT_STRING, "\"" s "\"", sizeof(s) + 1 }
static const struct {
	const char	*url;
	struct jval	 model;
} default_models[] = {
	{ "/v1/moderations", JSTR("omni-moderation-latest") },
};

/* The default model of url u (a string that scanned), or NULL. */
static const struct jval *
default_model(struct jval u)
{
	size_t i;

	for (i = 0; i < sizeof(default_models) / sizeof(default_models[0]);
	    i++)
		if (jscan_streq(u, default_models[i].url))
			return &default_models[i].model;
	return NULL;
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
	const char *twice;
	size_t count;

	if (len == 0)
		return "blank line";
	if (jscan_doc_members(line, len, &top, members, MAX_MEMBERS, &count,
	    &e) < 0)
		return e.msg;
	if (top.type != JT_OBJECT)
		return why(r, "%s, not an object", jscan_a_typename(top.type));
	if ((twice = pick(top, members, count, r)) != NULL)
		return why(r, "repeated key \"%s\"", twice);
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
	if (r->model.type == JT_NONE && default_model(r->url) != NULL)
		r->model = *default_model(r->url);
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
