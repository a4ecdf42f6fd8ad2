/*
 * reqtokens: the input tokens of one request; see reqtokens.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "reqtokens.h"

#define PER_MESSAGE	3	/* the tokens that wrap each message */
#define PER_NAME	1	/* a message's name costs one more */
#define PRIMING		3	/* the reply's start, once a request */

enum endpoint { EP_NONE, EP_CHAT, EP_RESPONSES, EP_EMBEDDINGS,
	EP_COMPLETIONS };

static const struct {
	const char	*url;
	enum endpoint	 ep;
} endpoints[] = {
	/* Images and videos: the text of body.prompt, as completions'. */
	{ "/v1/images/generations", EP_COMPLETIONS },
	{ "/v1/images/edits", EP_COMPLETIONS },
	{ "/v1/videos", EP_COMPLETIONS },
	{ "/v1/chat/completions", EP_CHAT },
	{ "/v1/responses", EP_RESPONSES },
	{ "/v1/embeddings", EP_EMBEDDINGS },
	{ "/v1/completions", EP_COMPLETIONS },
};

static enum endpoint
endpoint_of(const char *url, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strlen(endpoints[i].url) == len &&
		    memcmp(endpoints[i].url, url, len) == 0)
			return endpoints[i].ep;
	return EP_NONE;
}

/* Sets rt->why and returns -1. */
static long long __attribute__((format(printf, 2, 3)))
fail(struct reqtokens *rt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rt->why, sizeof(rt->why), fmt, ap);
	va_end(ap);
	return -1;
}

const char *
reqtokens_uncounted(struct reqtokens *rt, const char *url, size_t len)
{
	if (endpoint_of(url, len) != EP_NONE)
		return NULL;
	fail(rt, "url \"%.*s\" is not counted (only chat, responses, "
	    "embeddings, completions, images and videos)",
	    (int)(len > 60 ? 60 : len), url);
	return rt->why;
}

#define SEEN_MAX	4096	/* longer strings are not remembered */

/* The tokens of p[0..len), or -1 for invalid UTF-8: remembered for a
 * string seen in one of the last few calls, else counted. */
static long long
count(struct reqtokens *rt, const char *p, size_t len)
{
	size_t i;
	long long n;

	if (len > SEEN_MAX)
		return tokenizer_count(rt->tok, p, len);
	for (i = 0; i < REQTOKENS_SEEN; i++)
		if (rt->seen[i].text.len == len && rt->seen[i].tok == rt->tok &&
		    (len == 0 || memcmp(rt->seen[i].text.p, p, len) == 0))
			return rt->seen[i].n;
	if ((n = tokenizer_count(rt->tok, p, len)) < 0)
		return -1;
	i = rt->next++ % REQTOKENS_SEEN;
	buf_reset(&rt->seen[i].text);
	buf_add(&rt->seen[i].text, p, len);
	rt->seen[i].tok = rt->tok;
	rt->seen[i].n = n;
	return n;
}

void
reqtokens_free(struct reqtokens *rt)
{
	size_t i;

	buf_free(&rt->scratch);
	for (i = 0; i < REQTOKENS_SEEN; i++)
		buf_free(&rt->seen[i].text);
	memset(rt, 0, sizeof(*rt));
}

/* The tokens of string s (decoded), or -1 with rt->why set. */
static long long
text(struct reqtokens *rt, struct jval s, const char *where, long index,
    const char *member)
{
	long long n;

	if (memchr(s.p, '\\', s.n) == NULL)
		n = count(rt, s.p + 1, s.n - 2);
	else {
		buf_reset(&rt->scratch);
		jscan_unescape(s, &rt->scratch);
		n = count(rt, rt->scratch.p, rt->scratch.len);
	}
	if (n >= 0)
		return n;
	if (index < 0)
		return fail(rt, "%s: invalid UTF-8", where);
	return fail(rt, "%s[%ld]%s%s: invalid UTF-8", where, index,
	    *member ? "." : "", member);
}

/* 1 when key k decodes to name. */
static int
key_is(struct jval k, const char *name)
{
	size_t n = strlen(name);

	if (k.n == n + 2 && memcmp(k.p + 1, name, n) == 0)
		return 1;
	return k.n > n + 2 && jscan_streq(k, name);
}

/* The tokens of a message's content: a string, or an array whose parts
 * with a string "text" count (text, input_text, output_text); other parts
 * (images, audio, files, refusals) count nothing. */
static long long
content(struct reqtokens *rt, struct jval c, const char *where, long i)
{
	struct jiter it;
	struct jval k, part, t;
	long long sum = 0, n;

	switch (c.type) {
	case JT_NONE:
	case JT_NULL:
		return 0;
	case JT_STRING:
		return text(rt, c, where, i, "content");
	case JT_ARRAY:
		break;
	default:
		return fail(rt, "%s[%ld].content is %s, not a string or an "
		    "array", where, i, jscan_a_typename(c.type));
	}
	jscan_iter(c, &it);
	while (jscan_next(&it, &k, &part)) {
		if (!jscan_member(part, "text", &t) || t.type != JT_STRING)
			continue;
		if ((n = text(rt, t, where, i, "content")) < 0)
			return -1;
		sum += n;
	}
	return sum;
}

/* The tokens of the messages in array msgs (body.messages, or the
 * Responses API's input items, where items of another type than
 * "message" count nothing), without the priming. */
static long long
messages(struct reqtokens *rt, struct jval msgs, const char *where,
    int items)
{
	struct jiter it, mit;
	struct jval k, m, v, role, cont, name, type;
	long long sum = 0, n;
	long i;

	jscan_iter(msgs, &it);
	for (i = 0; jscan_next(&it, &k, &m); i++) {
		if (m.type != JT_OBJECT)
			return fail(rt, "%s[%ld] is %s, not an object", where,
			    i, jscan_a_typename(m.type));
		role.type = cont.type = name.type = type.type = JT_NONE;
		jscan_iter(m, &mit);
		while (jscan_next(&mit, &k, &v)) {
			if (key_is(k, "role"))
				role = v;
			else if (key_is(k, "content"))
				cont = v;
			else if (key_is(k, "name"))
				name = v;
			else if (key_is(k, "type"))
				type = v;
		}
		if (items && type.type != JT_NONE &&
		    !jscan_streq(type, "message"))
			continue;
		if (role.type != JT_STRING)
			return role.type == JT_NONE ?
			    fail(rt, "%s[%ld]: no role", where, i) :
			    fail(rt, "%s[%ld].role is %s, not a string",
			    where, i, jscan_a_typename(role.type));
		sum += PER_MESSAGE;
		if ((n = text(rt, role, where, i, "role")) < 0)
			return -1;
		sum += n;
		if ((n = content(rt, cont, where, i)) < 0)
			return -1;
		sum += n;
		if (name.type == JT_STRING) {
			if ((n = text(rt, name, where, i, "name")) < 0)
				return -1;
			sum += n + PER_NAME;
		}
	}
	return sum;
}

/* The tokens of embeddings' input or completions' prompt: a string, an
 * array of strings, of token ids (counted as they are) or of arrays of
 * token ids. */
static long long
inputs(struct reqtokens *rt, struct jval in, const char *where)
{
	struct jiter it, iit;
	struct jval k, v, id;
	long long sum = 0, n;
	long i;

	if (in.type == JT_STRING)
		return text(rt, in, where, -1, "");
	if (in.type != JT_ARRAY)
		return in.type == JT_NONE ? fail(rt, "no %s", where) :
		    fail(rt, "%s is %s, not a string or an array", where,
		    jscan_a_typename(in.type));
	jscan_iter(in, &it);
	for (i = 0; jscan_next(&it, &k, &v); i++) {
		switch (v.type) {
		case JT_STRING:
			if ((n = text(rt, v, where, i, "")) < 0)
				return -1;
			sum += n;
			break;
		case JT_NUMBER:
			sum++;
			break;
		case JT_ARRAY:
			jscan_iter(v, &iit);
			while (jscan_next(&iit, &k, &id)) {
				if (id.type != JT_NUMBER)
					return fail(rt, "%s[%ld] holds %s, "
					    "not a token id", where, i,
					    jscan_a_typename(id.type));
				sum++;
			}
			break;
		default:
			return fail(rt, "%s[%ld] is %s, not a string, a token "
			    "id or an array of them", where, i,
			    jscan_a_typename(v.type));
		}
	}
	return sum;
}

/* The members of a body that count, found in one walk. */
struct members {
	struct jval	 messages, input, prompt, instructions;
	struct jval	 caps[3];	/* in the order of cap_names */
};

static const char *const cap_names[] = { "max_completion_tokens",
    "max_output_tokens", "max_tokens" };

/* Fills *m from body; the last of a repeated key counts, as with
 * jscan_member. */
static void
pick(struct jval body, struct members *m)
{
	struct jiter it;
	struct jval k, v;
	size_t i;

	memset(m, 0, sizeof(*m));
	jscan_iter(body, &it);
	while (jscan_next(&it, &k, &v)) {
		switch (k.p[1]) {
		case 'm':
			if (key_is(k, "messages"))
				m->messages = v;
			for (i = 0; i < 3; i++)
				if (key_is(k, cap_names[i]))
					m->caps[i] = v;
			break;
		case 'i':
			if (key_is(k, "input"))
				m->input = v;
			else if (key_is(k, "instructions"))
				m->instructions = v;
			break;
		case 'p':
			if (key_is(k, "prompt"))
				m->prompt = v;
			break;
		case '\\':
			/* An escaped key: rare, so the slow way. */
			if (key_is(k, "messages"))
				m->messages = v;
			else if (key_is(k, "input"))
				m->input = v;
			else if (key_is(k, "instructions"))
				m->instructions = v;
			else if (key_is(k, "prompt"))
				m->prompt = v;
			for (i = 0; i < 3; i++)
				if (key_is(k, cap_names[i]))
					m->caps[i] = v;
			break;
		}
	}
}

/* The cap on output tokens, -1 for none, or -2 with rt->why set. */
static long long
cap_of(struct reqtokens *rt, const struct members *m)
{
	struct jval v;
	long long n;
	size_t i;

	for (i = 0; i < 3; i++) {
		v = m->caps[i];
		if (v.type == JT_NONE || v.type == JT_NULL)
			continue;
		if (v.type != JT_NUMBER) {
			fail(rt, "body.%s is %s, not a number", cap_names[i],
			    jscan_a_typename(v.type));
			return -2;
		}
		if (jscan_int(v, &n) < 0 || n < 0) {
			fail(rt, "body.%s is not a count of tokens: %.*s",
			    cap_names[i], (int)(v.n > 30 ? 30 : v.n), v.p);
			return -2;
		}
		return n;
	}
	return -1;
}

/* The Responses API: instructions as a system message, then input, a
 * string (one user message) or an array of items; then the priming. */
static long long
responses(struct reqtokens *rt, const struct members *m)
{
	struct jval in = m->input, instr = m->instructions;
	long long sum = PRIMING, n;

	if (instr.type != JT_NONE && instr.type != JT_NULL) {
		if (instr.type != JT_STRING)
			return fail(rt, "body.instructions is %s, not a "
			    "string", jscan_a_typename(instr.type));
		if ((n = text(rt, instr, "body.instructions", -1, "")) < 0)
			return -1;
		sum += PER_MESSAGE + count(rt, "system", 6) + n;
	}
	if (in.type == JT_NONE || in.type == JT_NULL)
		return sum;
	if (in.type == JT_STRING) {
		if ((n = text(rt, in, "body.input", -1, "")) < 0)
			return -1;
		return sum + PER_MESSAGE + count(rt, "user", 4) +
		    n;
	}
	if (in.type != JT_ARRAY)
		return fail(rt, "body.input is %s, not a string or an array",
		    jscan_a_typename(in.type));
	if ((n = messages(rt, in, "body.input", 1)) < 0)
		return -1;
	return sum + n;
}

long long
reqtokens_input(struct reqtokens *rt, const char *url, size_t len,
    struct jval body, long long *cap)
{
	struct members m;
	long long n;
	enum endpoint ep;

	if ((ep = endpoint_of(url, len)) == EP_NONE) {
		reqtokens_uncounted(rt, url, len);
		return -1;
	}
	pick(body, &m);
	if (cap != NULL && (*cap = cap_of(rt, &m)) == -2)
		return -1;
	switch (ep) {
	case EP_CHAT:
		if (m.messages.type == JT_NONE)
			return fail(rt, "no body.messages");
		if (m.messages.type != JT_ARRAY)
			return fail(rt, "body.messages is %s, not an array",
			    jscan_a_typename(m.messages.type));
		if ((n = messages(rt, m.messages, "body.messages", 0)) < 0)
			return -1;
		return n + PRIMING;
	case EP_RESPONSES:
		return responses(rt, &m);
	case EP_EMBEDDINGS:
		return inputs(rt, m.input, "body.input");
	default:
		return inputs(rt, m.prompt, "body.prompt");
	}
}
