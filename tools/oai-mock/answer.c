/* The deterministic answers of oai-mock(1); see mock.h. */
#include <stdio.h>
#include <string.h>

#include "mock.h"

int
mock_endpoint_ok(const char *endpoint)
{
	return strcmp(endpoint, "/v1/chat/completions") == 0 ||
	    strcmp(endpoint, "/v1/embeddings") == 0 ||
	    strcmp(endpoint, "/v1/responses") == 0 ||
	    strcmp(endpoint, "/v1/completions") == 0 ||
	    strcmp(endpoint, "/v1/moderations") == 0;
}

void
mock_error_body(struct buf *out, const char *message, const char *type,
    const char *param, const char *code)
{
	buf_adds(out, "{\"error\":{\"message\":");
	buf_add_json_string(out, message, strlen(message));
	buf_adds(out, ",\"type\":");
	buf_add_json_string(out, type, strlen(type));
	buf_adds(out, ",\"param\":");
	if (param != NULL)
		buf_add_json_string(out, param, strlen(param));
	else
		buf_adds(out, "null");
	buf_adds(out, ",\"code\":");
	if (code != NULL)
		buf_add_json_string(out, code, strlen(code));
	else
		buf_adds(out, "null");
	buf_adds(out, "}}");
}

int
bad_request(struct buf *out, const char *message, const char *param,
    const char *code)
{
	mock_error_body(out, message, "invalid_request_error", param, code);
	return 400;
}

/* Length of the longest prefix of s[0..n) of at most max bytes that ends
 * on a UTF-8 character boundary. */
static size_t
utf8_prefix(const char *s, size_t n, size_t max)
{
	size_t cut;

	if (n <= max)
		return n;
	cut = max;
	while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
}

/* The text of a message's content: a string, or the "text" members of an
 * array of parts joined by spaces. */
static void
content_text(struct jval content, struct buf *text)
{
	struct jiter it;
	struct jval k, part, t;

	buf_reset(text);
	if (content.type == JT_STRING) {
		jscan_unescape(content, text);
		return;
	}
	if (content.type != JT_ARRAY)
		return;
	jscan_iter(content, &it);
	while (jscan_next(&it, &k, &part)) {
		if (jscan_member(part, "text", &t) && t.type == JT_STRING) {
			if (text->len > 0)
				buf_addc(text, ' ');
			jscan_unescape(t, text);
		}
	}
}

/* The text of the last message of role user in an array of messages. */
void
last_user_text(struct jval messages, struct buf *text)
{
	struct jiter it;
	struct jval k, m, role, content, last = { JT_NONE, NULL, 0 };

	jscan_iter(messages, &it);
	while (jscan_next(&it, &k, &m)) {
		if (jscan_member(m, "role", &role) && jscan_streq(role, "user") &&
		    jscan_member(m, "content", &content))
			last = content;
	}
	content_text(last, text);
}

long long
answer_text(const struct buf *user, uint64_t fallback, long long cap,
    struct buf *text, int *capped)
{
	long long tokens;
	size_t n;

	buf_reset(text);
	buf_adds(text, MOCK_ANSWER_PREFIX);
	if (user->len > 0)
		buf_add(text, user->p, utf8_prefix(user->p, user->len, MOCK_ECHO_MAX));
	else
		buf_printf(text, "%016llx", (unsigned long long)fallback);
	tokens = mock_tokens_of(text->len);
	*capped = 0;
	if (cap > 0 && cap < tokens) {
		n = utf8_prefix(text->p, text->len, (size_t)cap * 4);
		text->len = n;
		text->p[n] = '\0';
		tokens = cap;
		*capped = 1;
	}
	return tokens;
}

/* An optional positive integer member: 0 and *out (0 when absent), or -1
 * after writing the error body. */
int
opt_positive(struct jval body, const char *name, long long *out,
    struct buf *err)
{
	struct jval v;
	char msg[160];

	*out = 0;
	if (!jscan_member(body, name, &v) || v.type == JT_NULL)
		return 0;
	if (jscan_int(v, out) != 0) {
		snprintf(msg, sizeof msg, "Invalid type for '%s': expected an "
		    "integer, but got %s instead.", name, jscan_typename(v.type));
		bad_request(err, msg, name, "invalid_type");
		return -1;
	}
	if (*out < 1) {
		snprintf(msg, sizeof msg, "Invalid '%s': integer below minimum "
		    "value. Expected a value >= 1, but got %lld instead.",
		    name, *out);
		bad_request(err, msg, name, "integer_below_min_value");
		return -1;
	}
	return 0;
}

void
add_id(struct buf *out, const char *key, const char *prefix, uint64_t seed)
{
	buf_printf(out, "\"%s\":\"%s%016llx%08llx\"", key, prefix,
	    (unsigned long long)mock_mix(seed),
	    (unsigned long long)(mock_mix(seed ^ 0x5bd1e995ULL) >> 32));
}

int
model_of(struct jval body, struct jval *model, struct buf *out)
{
	if (!jscan_member(body, "model", model) || model->type != JT_STRING) {
		bad_request(out, "you must provide a model parameter", NULL, NULL);
		return -1;
	}
	return 0;
}

/* Whether a chat request asks for JSON (response_format json_object or
 * json_schema), so that the answer is a JSON object in text, as a model's
 * is: a client that parses answers can be tried offline. */
static int
wants_json(struct jval body)
{
	struct jval format, type;

	if (!jscan_member(body, "response_format", &format) ||
	    !jscan_member(format, "type", &type) || type.type != JT_STRING)
		return 0;
	return jscan_streq(type, "json_object") ||
	    jscan_streq(type, "json_schema");
}

/* text becomes {"answer":TEXT}, cut where the cap cut TEXT: a capped JSON
 * answer is not JSON, as a model's is not. */
static void
as_json_object(struct buf *text, int capped)
{
	struct buf json = BUF_INIT;

	buf_adds(&json, "{\"answer\":");
	buf_add_json_string(&json, text->p, text->len);
	if (capped)
		json.len--;	/* the closing quote */
	else
		buf_addc(&json, '}');
	buf_reset(text);
	buf_add(text, json.p, json.len);
	buf_free(&json);
}

static int
answer_chat(struct jval body, uint64_t seed, long long now, struct buf *out,
    struct mock_usage *u)
{
	struct jval model, messages, k, first;
	struct jiter it;
	struct buf user = BUF_INIT, text = BUF_INIT;
	long long cap, cap2, out_tokens;
	int capped;

	if (model_of(body, &model, out) != 0)
		return 400;
	if (!jscan_member(body, "messages", &messages))
		return bad_request(out, "Missing required parameter: 'messages'.",
		    "messages", "missing_required_parameter");
	if (messages.type != JT_ARRAY)
		return bad_request(out, "Invalid type for 'messages': expected an "
		    "array of objects.", "messages", "invalid_type");
	jscan_iter(messages, &it);
	if (!jscan_next(&it, &k, &first))
		return bad_request(out, "Invalid 'messages': empty array. Expected "
		    "an array with minimum length 1, but got an empty array "
		    "instead.", "messages", "empty_array");
	if (opt_positive(body, "max_tokens", &cap, out) != 0 ||
	    opt_positive(body, "max_completion_tokens", &cap2, out) != 0)
		return 400;
	if (cap2 > 0)
		cap = cap2;
	last_user_text(messages, &user);
	out_tokens = answer_text(&user, mock_hash(messages.p, messages.n,
	    MOCK_HASH_INIT), cap, &text, &capped);
	if (wants_json(body))
		as_json_object(&text, capped);
	u->input_tokens = mock_prompt_tokens("/v1/chat/completions", body);
	u->output_tokens = out_tokens;

	buf_addc(out, '{');
	add_id(out, "id", "chatcmpl-", seed);
	buf_printf(out, ",\"object\":\"chat.completion\",\"created\":%lld,"
	    "\"model\":", now);
	buf_add(out, model.p, model.n);
	buf_adds(out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":"
	    "\"assistant\",\"content\":");
	buf_add_json_string(out, text.p, text.len);
	buf_printf(out, ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,"
	    "\"finish_reason\":\"%s\"}],", capped ? "length" : "stop");
	buf_printf(out, "\"usage\":{\"prompt_tokens\":%lld,\"completion_tokens\":"
	    "%lld,\"total_tokens\":%lld,\"prompt_tokens_details\":"
	    "{\"cached_tokens\":0,\"audio_tokens\":0},"
	    "\"completion_tokens_details\":{\"reasoning_tokens\":0,"
	    "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
	    "\"rejected_prediction_tokens\":0}},", u->input_tokens,
	    u->output_tokens, u->input_tokens + u->output_tokens);
	buf_adds(out, "\"service_tier\":\"default\",\"system_fingerprint\":"
	    "\"fp_mock\"}");
	buf_free(&user);
	buf_free(&text);
	return 200;
}

static int
answer_responses(struct jval body, uint64_t seed, long long now,
    struct buf *out, struct mock_usage *u)
{
	struct jval model, input;
	struct buf user = BUF_INIT, text = BUF_INIT;
	long long cap, out_tokens;
	int capped;

	if (model_of(body, &model, out) != 0)
		return 400;
	if (!jscan_member(body, "input", &input) ||
	    (input.type != JT_STRING && input.type != JT_ARRAY))
		return bad_request(out, "Missing required parameter: 'input'.",
		    "input", "missing_required_parameter");
	if (opt_positive(body, "max_output_tokens", &cap, out) != 0)
		return 400;
	if (input.type == JT_STRING)
		jscan_unescape(input, &user);
	else
		last_user_text(input, &user);
	out_tokens = answer_text(&user, mock_hash(input.p, input.n,
	    MOCK_HASH_INIT), cap, &text, &capped);
	u->input_tokens = mock_prompt_tokens("/v1/responses", body);
	u->output_tokens = out_tokens;

	buf_addc(out, '{');
	add_id(out, "id", "resp_", seed);
	buf_printf(out, ",\"object\":\"response\",\"created_at\":%lld,"
	    "\"status\":\"%s\",\"error\":null,\"incomplete_details\":%s,"
	    "\"model\":", now, capped ? "incomplete" : "completed",
	    capped ? "{\"reason\":\"max_output_tokens\"}" : "null");
	buf_add(out, model.p, model.n);
	buf_adds(out, ",\"output\":[{");
	add_id(out, "id", "msg_", seed ^ 1);
	buf_printf(out, ",\"type\":\"message\",\"status\":\"%s\",\"role\":"
	    "\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":",
	    capped ? "incomplete" : "completed");
	buf_add_json_string(out, text.p, text.len);
	buf_printf(out, ",\"annotations\":[]}]}],\"usage\":{\"input_tokens\":"
	    "%lld,\"input_tokens_details\":{\"cached_tokens\":0},"
	    "\"output_tokens\":%lld,\"output_tokens_details\":"
	    "{\"reasoning_tokens\":0},\"total_tokens\":%lld}}",
	    u->input_tokens, u->output_tokens,
	    u->input_tokens + u->output_tokens);
	buf_free(&user);
	buf_free(&text);
	return 200;
}

int
mock_answer(const char *endpoint, struct jval body, uint64_t seed,
    long long now, struct buf *out, struct mock_usage *usage)
{
	usage->input_tokens = usage->output_tokens = 0;
	if (body.type != JT_OBJECT)
		return bad_request(out, "The request body must be a JSON object.",
		    NULL, NULL);
	if (strcmp(endpoint, "/v1/chat/completions") == 0)
		return answer_chat(body, seed, now, out, usage);
	if (strcmp(endpoint, "/v1/embeddings") == 0)
		return answer_embeddings(body, out, usage);
	if (strcmp(endpoint, "/v1/responses") == 0)
		return answer_responses(body, seed, now, out, usage);
	if (strcmp(endpoint, "/v1/completions") == 0)
		return answer_completions(body, seed, now, out, usage);
	if (strcmp(endpoint, "/v1/moderations") == 0)
		return answer_moderations(body, seed, out, usage);
	if (strcmp(endpoint, "/v1/messages") == 0)
		return answer_messages(body, seed, out, usage);
	return bad_request(out, "This endpoint is not served by oai-mock.",
	    NULL, NULL);
}
