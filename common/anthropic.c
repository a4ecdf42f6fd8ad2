/* anthropic: OpenAI's request lines to entries of Anthropic's Message
 * Batches (anthropic.h; anthresult.c reads the batches and results).
 * The format is that of @anthropic-ai/sdk 1.17.0 (npm):
 * resources/messages/messages.d.ts (MessageCreateParams) and
 * resources/messages/batches.d.ts (BatchCreateParams.Request). */
#include <stdio.h>
#include <string.h>

#include "anthropic.h"
#include "buf.h"
#include "envnum.h"
#include "jscan.h"
#include "modeldata.h"
#include "reqline.h"
#include "scrub.h"

/* A reason that names the member at fault; the last call's. */
static _Thread_local char why_buf[120];

static const char *
why_member(const char *what, struct jval key)
{
	struct buf name = BUF_INIT;

	jscan_unescape(key, &name);
	/* The name is the input's: no control character reaches the
	 * terminal that shows the reason. */
	if (name.p != NULL)
		name.len = scrub_controls(name.p, name.len,
		    SCRUB_FOLD | SCRUB_C1);
	buf_addc(&name, '\0');
	snprintf(why_buf, sizeof(why_buf), "%s %.40s has no translation "
	    "to Anthropic's Messages API", what,
	    name.p != NULL ? name.p : "");
	buf_free(&name);
	return why_buf;
}

/* The body members with a translation; anything else is refused rather
 * than dropped, so a request is never run with less than it asked. */
static const char *const body_keys[] = {
	"model", "messages", "max_completion_tokens", "max_tokens",
	"temperature", "top_p", "stop", "top_k", "user", "n", "stream",
};
#define NKEYS	(sizeof(body_keys) / sizeof(body_keys[0]))

/* A member that is absent or null counts as not given, as in OpenAI's
 * API. */
static int
member(struct jval obj, const char *key, struct jval *v)
{
	return jscan_member(obj, key, v) && v->type != JT_NULL;
}

/* Appends the text block of string text, as written. */
static void
add_text_block(struct buf *out, struct jval text)
{
	buf_adds(out, "{\"type\":\"text\",\"text\":");
	buf_add(out, text.p, text.n);
	buf_addc(out, '}');
}

/* Appends text part p ({"type":"text","text":"..."}, nothing else) as
 * Anthropic's text block; -1 for any other part. */
static int
add_text_part(struct buf *out, struct jval p, const char **why)
{
	struct jiter it;
	struct jval k, v, text = { JT_NONE, NULL, 0 };
	struct jval other = { JT_NONE, NULL, 0 };
	int is_text = 0;

	if (p.type != JT_OBJECT) {
		*why = "a content part is not an object";
		return -1;
	}
	jscan_iter(p, &it);
	while (jscan_next(&it, &k, &v))
		if (jscan_streq(k, "type"))
			is_text = jscan_streq(v, "text");
		else if (jscan_streq(k, "text"))
			text = v;
		else if (other.type == JT_NONE)
			other = k;
	if (!is_text) {
		*why = "a content part other than text (image_url, "
		    "input_audio, file) has no translation";
		return -1;
	}
	if (other.type != JT_NONE) {
		*why = why_member("content part member", other);
		return -1;
	}
	if (text.type != JT_STRING) {
		*why = "a text part without a string text";
		return -1;
	}
	add_text_block(out, text);
	return 0;
}

/* Appends content c (a string, or an array of text parts) as text blocks,
 * comma separated, *first telling whether one was written before. */
static int
add_blocks(struct buf *out, struct jval c, int *first, const char **why)
{
	struct jiter it;
	struct jval k, v;

	if (c.type == JT_STRING) {
		if (!*first)
			buf_addc(out, ',');
		*first = 0;
		add_text_block(out, c);
		return 0;
	}
	if (c.type != JT_ARRAY) {
		*why = "a message content that is neither a string nor "
		    "an array of parts";
		return -1;
	}
	jscan_iter(c, &it);
	while (jscan_next(&it, &k, &v)) {
		if (!*first)
			buf_addc(out, ',');
		*first = 0;
		if (add_text_part(out, v, why) < 0)
			return -1;
	}
	return 0;
}

enum role { R_SYSTEM, R_USER, R_ASSISTANT };

/* Reads message m: its role and content, refusing what has no
 * translation (tool calls above all). */
static int
message_of(struct jval m, enum role *role, struct jval *content,
    const char **why)
{
	struct jiter it;
	struct jval k, v, r = { JT_NONE, NULL, 0 };
	struct jval other = { JT_NONE, NULL, 0 };
	int calls = 0;

	if (m.type != JT_OBJECT) {
		*why = "a message is not an object";
		return -1;
	}
	content->type = JT_NONE;
	jscan_iter(m, &it);
	while (jscan_next(&it, &k, &v))
		if (jscan_streq(k, "role"))
			r = v;
		else if (jscan_streq(k, "content"))
			*content = v;
		else if (jscan_streq(k, "tool_calls") ||
		    jscan_streq(k, "function_call"))
			calls = 1;
		else if (other.type == JT_NONE)
			other = k;
	if (jscan_streq(r, "tool") || jscan_streq(r, "function"))
		return (*why = "a tool result message has no translation "
		    "(Anthropic's tool_result blocks differ)"), -1;
	if (calls)
		return (*why = "a tool call has no translation "
		    "(Anthropic's tool_use blocks differ)"), -1;
	if (other.type != JT_NONE)
		return (*why = why_member("message member", other)), -1;
	if (jscan_streq(r, "system") || jscan_streq(r, "developer"))
		*role = R_SYSTEM;
	else if (jscan_streq(r, "user"))
		*role = R_USER;
	else if (jscan_streq(r, "assistant"))
		*role = R_ASSISTANT;
	else
		return (*why = "a message without a role user, assistant, "
		    "system or developer"), -1;
	if (content->type != JT_STRING && content->type != JT_ARRAY) {
		*why = "a message without content (a string or an array "
		    "of text parts)";
		return -1;
	}
	return 0;
}

/* Appends ,"system":... for the system and developer messages, which
 * must come before the conversation: Anthropic has one system prompt.
 * One string stays a string; anything else becomes text blocks. */
static int
add_system(struct buf *out, struct jval msgs, const char **why)
{
	struct jiter it;
	struct jval k, m, c, only = { JT_NONE, NULL, 0 };
	enum role role;
	size_t nsys = 0, start = out->len;
	int talking = 0, first = 1;

	jscan_iter(msgs, &it);
	buf_adds(out, ",\"system\":[");
	while (jscan_next(&it, &k, &m)) {
		if (message_of(m, &role, &c, why) < 0)
			return -1;
		if (role != R_SYSTEM) {
			talking = 1;
			continue;
		}
		if (talking)
			return (*why = "a system message after the "
			    "conversation began has no translation"), -1;
		nsys++;
		only = c;
		if (add_blocks(out, c, &first, why) < 0)
			return -1;
	}
	if (nsys == 0 || (nsys == 1 && only.type == JT_STRING)) {
		out->len = start;
		if (nsys == 1) {
			buf_adds(out, ",\"system\":");
			buf_add(out, only.p, only.n);
		}
	} else
		buf_addc(out, ']');
	out->p[out->len] = '\0';
	if (!talking)
		return (*why = "no user or assistant message"), -1;
	return 0;
}

/* Appends ,"messages":[...]: the user and assistant messages, their
 * content a string as written, else text blocks. */
static int
add_messages(struct buf *out, struct jval msgs, const char **why)
{
	struct jiter it;
	struct jval k, m, c;
	enum role role;
	int first_msg = 1, first;

	buf_adds(out, ",\"messages\":[");
	jscan_iter(msgs, &it);
	while (jscan_next(&it, &k, &m)) {
		if (message_of(m, &role, &c, why) < 0)
			return -1;
		if (role == R_SYSTEM)
			continue;
		if (!first_msg)
			buf_addc(out, ',');
		first_msg = 0;
		buf_adds(out, role == R_USER ? "{\"role\":\"user\",\"content\":" :
		    "{\"role\":\"assistant\",\"content\":");
		if (c.type == JT_STRING)
			buf_add(out, c.p, c.n);
		else {
			first = 1;
			buf_addc(out, '[');
			if (add_blocks(out, c, &first, why) < 0)
				return -1;
			buf_addc(out, ']');
		}
		buf_addc(out, '}');
	}
	buf_adds(out, "]");
	return 0;
}

/* The request's max_tokens: max_completion_tokens, else max_tokens, else
 * def when positive; -1 with *why otherwise. */
static long long
max_tokens_of(struct jval body, long long def, const char **why)
{
	struct jval v;
	long long n;

	if (member(body, "max_completion_tokens", &v) ||
	    member(body, "max_tokens", &v)) {
		if (jscan_int(v, &n) < 0 || n < 1) {
			*why = "max_tokens is not a whole number above 0";
			return -1;
		}
		return n;
	}
	if (def > 0)
		return def;
	*why = "no max_tokens, which Anthropic requires, and no default "
	    "(BATCHPIPE_MAX_TOKENS, or the model's largest output in "
	    "models.tsv)";
	return -1;
}

/* Appends the sampling members: temperature (Anthropic's range is 0 to
 * 1, OpenAI's 0 to 2: a value above 1 cannot mean the same), top_p and
 * top_k as written, stop as stop_sequences, user as metadata.user_id;
 * n and stream checked. */
static int
add_sampling(struct buf *out, struct jval body, const char **why)
{
	struct jiter it;
	struct jval k, v, s;
	long long n;
	double d;

	if (member(body, "temperature", &v)) {
		if (jscan_double(v, &d) < 0 || d < 0 || d > 1)
			return (*why = "temperature is not a number from 0 "
			    "to 1 (Anthropic's range)"), -1;
		buf_adds(out, ",\"temperature\":");
		buf_add(out, v.p, v.n);
	}
	if (member(body, "top_p", &v)) {
		if (v.type != JT_NUMBER)
			return (*why = "top_p is not a number"), -1;
		buf_adds(out, ",\"top_p\":");
		buf_add(out, v.p, v.n);
	}
	if (member(body, "top_k", &v)) {
		if (v.type != JT_NUMBER)
			return (*why = "top_k is not a number"), -1;
		buf_adds(out, ",\"top_k\":");
		buf_add(out, v.p, v.n);
	}
	if (member(body, "stop", &v)) {
		buf_adds(out, ",\"stop_sequences\":");
		if (v.type == JT_STRING) {
			buf_addc(out, '[');
			buf_add(out, v.p, v.n);
			buf_addc(out, ']');
		} else if (v.type == JT_ARRAY) {
			jscan_iter(v, &it);
			while (jscan_next(&it, &k, &s))
				if (s.type != JT_STRING)
					return (*why = "stop holds a value "
					    "that is not a string"), -1;
			buf_add(out, v.p, v.n);
		} else
			return (*why = "stop is neither a string nor an "
			    "array of strings"), -1;
	}
	/* n and stream have one value a batch can honour. */
	if (member(body, "n", &v) && (jscan_int(v, &n) < 0 || n != 1))
		return (*why = "n other than 1 has no translation"), -1;
	if (member(body, "stream", &v) && v.type != JT_FALSE)
		return (*why = "stream has no translation in a batch"), -1;
	if (member(body, "user", &v)) {
		if (v.type != JT_STRING)
			return (*why = "user is not a string"), -1;
		buf_adds(out, ",\"metadata\":{\"user_id\":");
		buf_add(out, v.p, v.n);
		buf_addc(out, '}');
	}
	return 0;
}

/* Anthropic's custom_id: 1 to 64 letters, digits, '-' or '_' (the API
 * reference's pattern ^[a-zA-Z0-9_-]{1,64}$).  One id outside it fails
 * the whole batch's creation, so it is refused here, line by line. */
static int
custom_id_ok(const char *id, size_t n)
{
	size_t i;

	if (n < 1 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') ||
		    id[i] == '-' || id[i] == '_'))
			return 0;
	return 1;
}

int
anthropic_request(const struct reqline *req, long long default_max,
    struct buf *out, const char **why)
{
	struct jiter it;
	struct jval k, v, msgs;
	size_t start = out->len, i;
	long long max;

	if (!custom_id_ok(req->id, req->idlen))
		return (*why = "custom_id is not 1 to 64 letters, digits, "
		    "'-' or '_', as Anthropic requires"), -1;
	if (!jscan_streq(req->url, "/v1/chat/completions"))
		return (*why = "url is not /v1/chat/completions, the only "
		    "one Anthropic's Messages API stands for"), -1;
	jscan_iter(req->body, &it);
	while (jscan_next(&it, &k, &v)) {
		for (i = 0; i < NKEYS && !jscan_streq(k, body_keys[i]); i++)
			;
		if (i == NKEYS)
			return (*why = why_member("body member", k)), -1;
	}
	if (!jscan_member(req->body, "messages", &msgs) ||
	    msgs.type != JT_ARRAY)
		return (*why = "body.messages is not an array"), -1;
	if ((max = max_tokens_of(req->body, default_max, why)) < 0)
		return -1;
	buf_adds(out, "{\"custom_id\":");
	buf_add_json_string(out, req->id, req->idlen);	/* as it comes back */
	buf_adds(out, ",\"params\":{\"model\":");
	buf_add(out, req->model.p, req->model.n);
	buf_printf(out, ",\"max_tokens\":%lld", max);
	if (add_system(out, msgs, why) < 0 ||
	    add_messages(out, msgs, why) < 0 ||
	    add_sampling(out, req->body, why) < 0) {
		out->len = start;
		if (out->p != NULL)
			out->p[start] = '\0';
		return -1;
	}
	buf_adds(out, "}}");
	return 0;
}

long long
anthropic_default_max(const char *model, size_t len)
{
	static int loaded;
	long n;

	n = envnum_whole("BATCHPIPE_MAX_TOKENS", 0, 1, 100000000L,
	    "tokens");
	if (n > 0)
		return n;
	if (!loaded) {
		loaded = 1;
		if (models_load(NULL) < 0)
			return -1;
	}
	return model_max_output(model, len);
}
