/*
 * answer: the member added to an item, built as text from the members of
 * its result line that parse_result found: the answer of a success, the
 * error of a failure.
 */
#include <string.h>

#include "merge.h"

/* The output text of a successful responses body: every output_text
 * part of output[].content[], decoded and joined into text.  1 when
 * there is one, else 0. */
static int
output_text(struct jval output, struct buf *text)
{
	struct jval item, content, part, type, t, k;
	struct jiter it, ci;
	int found = 0;

	buf_reset(text);
	jscan_iter(output, &it);
	while (jscan_next(&it, &k, &item)) {
		if (!jscan_member(item, "content", &content) ||
		    content.type != JT_ARRAY)
			continue;
		jscan_iter(content, &ci);
		while (jscan_next(&ci, &k, &part))
			if (jscan_member(part, "type", &type) &&
			    jscan_streq(type, "output_text") &&
			    jscan_member(part, "text", &t) &&
			    t.type == JT_STRING) {
				jscan_unescape(t, text);
				found = 1;
			}
	}
	return found;
}

/* The text of an Anthropic message (the body anthropic_result writes
 * for a succeeded request): every text block of content[], decoded and
 * joined into text.  1 when there is one, else 0. */
static int
message_text(struct jval content, struct buf *text)
{
	struct jval block, type, t, k;
	struct jiter it;
	int found = 0;

	buf_reset(text);
	jscan_iter(content, &it);
	while (jscan_next(&it, &k, &block))
		if (jscan_member(block, "type", &type) &&
		    jscan_streq(type, "text") &&
		    jscan_member(block, "text", &t) && t.type == JT_STRING) {
			jscan_unescape(t, text);
			found = 1;
		}
	return found;
}

/* Whether body is an Anthropic message with its content array. */
static int
is_message(const struct jval *m)
{
	return jscan_streq(m[B_TYPE], "message") &&
	    m[B_CONTENT].type == JT_ARRAY;
}

/* The answer of a successful response body when it is text (chat content
 * that is a string, the responses output text, a completion's text, an
 * Anthropic message's text), decoded into text: 1; else 0. */
int
answer_text(const struct parsed *r, struct buf *text)
{
	const struct jval *m = r->m;

	if (jscan_streq(m[B_OBJECT], "chat.completion")) {
		buf_reset(text);
		return jscan_unescape(m[C_CONTENT], text) == 0;
	}
	if (jscan_streq(m[B_OBJECT], "text_completion")) {
		buf_reset(text);
		return jscan_unescape(m[C_TEXT], text) == 0;
	}
	if (jscan_streq(m[B_OBJECT], "response") &&
	    m[B_OUTPUT].type == JT_ARRAY)
		return output_text(m[B_OUTPUT], text);
	if (is_message(m))
		return message_text(m[B_CONTENT], text);
	return 0;
}

/* The member name of one moderation result, then its value as written
 * (null when absent), appended to out. */
static void
add_member(struct buf *out, struct jval result, const char *name,
    struct seps s)
{
	struct jval v;

	buf_printf(out, "\"%s\"%s", name, s.colon);
	if (result.type == JT_OBJECT && jscan_member(result, name, &v))
		buf_add(out, v.p, v.n);
	else
		buf_adds(out, "null");
}

/* A moderation's results (CreateModerationResponse.results, one for each
 * input, in the order of the inputs): of each, flagged, categories and
 * category_scores; one object for one result (one input, a string), an
 * array of them otherwise, so that a request of many inputs keeps their
 * order.  category_applied_input_types is left out: it says only
 * whether text or an image was scored. */
static void
add_moderation(struct buf *out, struct jval results, struct seps s)
{
	struct jiter it;
	struct jval k, one;
	size_t n = 0;
	int many;

	jscan_iter(results, &it);
	while (jscan_next(&it, &k, &one))
		n++;
	if ((many = n != 1))
		buf_addc(out, '[');
	jscan_iter(results, &it);
	for (n = 0; jscan_next(&it, &k, &one); n++) {
		if (n > 0)
			buf_adds(out, s.comma);
		buf_addc(out, '{');
		add_member(out, one, "flagged", s);
		buf_adds(out, s.comma);
		add_member(out, one, "categories", s);
		buf_adds(out, s.comma);
		add_member(out, one, "category_scores", s);
		buf_addc(out, '}');
	}
	if (many)
		buf_addc(out, ']');
}

enum media
media_of(const struct parsed *r)
{
	const struct jval *m = r->m;

	if (jscan_streq(m[B_OBJECT], "video"))
		return MEDIA_VIDEOS;
	/* ImagesResponse has no object member, and created is the one
	 * member it must have; a moderation has results instead. */
	if (m[R_BODY].type == JT_OBJECT && m[B_OBJECT].type == JT_NONE &&
	    m[B_CREATED].type != JT_NONE && m[B_RESULTS].type == JT_NONE)
		return MEDIA_IMAGES;
	return MEDIA_NONE;
}

/* The answer in a successful response body, as JSON text appended to out:
 * chat: choices[0].message.content; completions: choices[0].text;
 * responses: the output text; an Anthropic message: its text;
 * embeddings: data[0].embedding; moderations: flagged, categories and
 * scores (add_moderation); anything
 * else: the whole body. */
void
add_answer(struct buf *out, const struct parsed *r, struct seps s,
    struct buf *scratch)
{
	const struct jval *m = r->m;
	struct jval body = m[R_BODY], obj = m[B_OBJECT], v;

	if (jscan_streq(obj, "chat.completion") && m[C_CONTENT].type) {
		buf_add(out, m[C_CONTENT].p, m[C_CONTENT].n);
		return;
	}
	if (jscan_streq(obj, "text_completion") && m[C_TEXT].type) {
		buf_add(out, m[C_TEXT].p, m[C_TEXT].n);
		return;
	}
	/* CreateModerationResponse is the one body with results and no
	 * object member. */
	if (obj.type == JT_NONE && m[B_RESULTS].type == JT_ARRAY) {
		add_moderation(out, m[B_RESULTS], s);
		return;
	}
	if (jscan_streq(obj, "response") && (v = m[B_OUTPUT]).type == JT_ARRAY) {
		if (output_text(v, scratch))
			buf_add_json_string(out, scratch->p, scratch->len);
		else
			buf_adds(out, "null");
		return;
	}
	if (is_message(m)) {
		if (message_text(m[B_CONTENT], scratch))
			buf_add_json_string(out, scratch->p, scratch->len);
		else
			buf_adds(out, "null");
		return;
	}
	if (jscan_streq(obj, "list") && (v = m[B_DATA]).type == JT_ARRAY &&
	    jscan_index(v, 0, &v) && jscan_member(v, "embedding", &v)) {
		buf_add(out, v.p, v.n);
		return;
	}
	if (body.type == JT_NONE)
		buf_adds(out, "null");	/* a 200 without a body */
	else
		buf_add(out, body.p, body.n);
}

/* -j: appends text, when it is one JSON value (RFC 8259, as jscan reads
 * it: no NaN, no single quotes), to out without its white space: 0.
 * Else -1 and *e says why. */
int
add_json_text(struct buf *out, const struct buf *text, struct jerr *e)
{
	struct jval v;
	const char *p, *end;
	int in_string = 0;

	if (jscan_doc(text->p, text->len, &v, e) < 0)
		return -1;
	/* Valid JSON has white space only between tokens, never a raw
	 * control character inside a string: a newline in a pretty-printed
	 * answer would split the item's line. */
	buf_reserve(out, v.n);
	for (p = v.p, end = v.p + v.n; p < end; p++) {
		if (in_string) {
			if (*p == '\\')
				buf_addc(out, *p++);
			else if (*p == '"')
				in_string = 0;
		} else if (*p == '"')
			in_string = 1;
		else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			continue;
		buf_addc(out, *p);
	}
	return 0;
}

struct seps
seps_of(uint8_t style)
{
	struct seps s;

	s.comma = style & SPACED_COMMA ? ", " : ",";
	s.colon = style & SPACED_COLON ? ": " : ":";
	return s;
}

/* {"code": ..., "message": ...} of a failed result, appended to out with
 * the separators s: the code and message common/result finds, as
 * written; without them "http_N" and "HTTP status N"; a line with neither
 * an error nor a status is a bad_result. */
void
add_error(struct buf *out, const struct parsed *p, struct seps s)
{
	struct result r;

	outcome(p, &r);
	buf_printf(out, "{\"code\"%s", s.colon);
	if (r.code.type == JT_NONE && r.http < 0 &&
	    (r.error.type == JT_NONE || r.error.type == JT_NULL)) {
		buf_printf(out, "\"bad_result\"%s\"message\"%s\"the result "
		    "has neither a response with a status_code nor an "
		    "error\"}", s.comma, s.colon);
		return;
	}
	if (r.code.type != JT_NONE)
		buf_add(out, r.code.p, r.code.n);
	else if (r.http >= 0)
		buf_printf(out, "\"http_%lld\"", r.http);
	else
		buf_adds(out, "null");
	buf_printf(out, "%s\"message\"%s", s.comma, s.colon);
	if (r.message.type != JT_NONE)
		buf_add(out, r.message.p, r.message.n);
	else if (r.http >= 0 && r.code.type == JT_NONE)
		buf_printf(out, "\"HTTP status %lld\"", r.http);
	else
		buf_adds(out, "null");
	buf_addc(out, '}');
}

/* -j, an answer that is not JSON: the member errkey, code invalid_json,
 * a message saying why, and the answer's text, so that nothing paid for
 * is lost.  msg: a buffer for the message. */
void
add_not_json(struct buf *out, const struct buf *errkey, struct seps s,
    const struct buf *text, const struct jerr *e, struct buf *msg)
{
	buf_add(out, errkey->p, errkey->len);
	buf_printf(out, "%s{\"code\"%s\"invalid_json\"%s\"message\"%s",
	    s.colon, s.colon, s.comma, s.colon);
	buf_reset(msg);
	buf_printf(msg, "the answer is not JSON: %s at byte %zu", e->msg,
	    e->off + 1);
	buf_add_json_string(out, msg->p, msg->len);
	buf_printf(out, "%s\"answer\"%s", s.comma, s.colon);
	buf_add_json_string(out, text->p, text->len);
	buf_addc(out, '}');
}

