/*
 * The deterministic answer of oai-mock(1) to a request of Anthropic's
 * Messages API (a Message Batch's params, as the @anthropic-ai/sdk npm
 * package describes MessageCreateParams and Message): the same text and
 * token counts as a chat answer, in Anthropic's shape; see mock.h.
 */
#include <stdio.h>
#include <string.h>

#include "mock.h"

void
anthropic_error_body(struct buf *out, const char *type, const char *message)
{
	buf_adds(out, "{\"type\":\"error\",\"error\":{\"type\":");
	buf_add_json_string(out, type, strlen(type));
	buf_adds(out, ",\"message\":");
	buf_add_json_string(out, message, strlen(message));
	buf_adds(out, "},\"request_id\":null}");
}

static int
invalid(struct buf *out, const char *message)
{
	anthropic_error_body(out, "invalid_request_error", message);
	return 400;
}

long long
messages_prompt_tokens(struct jval body)
{
	struct jval model, system, messages, k, m;
	struct jiter it;
	struct buf chat = BUF_INIT;
	struct jval top;
	struct jerr e;
	long long n;
	int first = 1;

	/* {"model":M,"messages":[{"role":"system","content":S},...]} */
	buf_adds(&chat, "{\"model\":");
	if (jscan_member(body, "model", &model) && model.type == JT_STRING)
		buf_add(&chat, model.p, model.n);
	else
		buf_adds(&chat, "\"\"");
	buf_adds(&chat, ",\"messages\":[");
	if (jscan_member(body, "system", &system) &&
	    (system.type == JT_STRING || system.type == JT_ARRAY)) {
		buf_adds(&chat, "{\"role\":\"system\",\"content\":");
		buf_add(&chat, system.p, system.n);
		buf_addc(&chat, '}');
		first = 0;
	}
	if (jscan_member(body, "messages", &messages) &&
	    messages.type == JT_ARRAY) {
		jscan_iter(messages, &it);
		while (jscan_next(&it, &k, &m)) {
			if (!first)
				buf_addc(&chat, ',');
			buf_add(&chat, m.p, m.n);
			first = 0;
		}
	}
	buf_adds(&chat, "]}");
	if (jscan_doc(chat.p, chat.len, &top, &e) == 0)
		n = mock_prompt_tokens("/v1/chat/completions", top);
	else
		n = mock_tokens_of(body.n);
	buf_free(&chat);
	return n;
}

int
answer_messages(struct jval body, uint64_t seed, struct buf *out,
    struct mock_usage *u)
{
	struct jval model, messages, maxt, k, first;
	struct jiter it;
	struct buf user = BUF_INIT, text = BUF_INIT;
	long long cap;
	int capped;

	if (!jscan_member(body, "model", &model) || model.type != JT_STRING)
		return invalid(out, "model: Field required");
	if (!jscan_member(body, "max_tokens", &maxt))
		return invalid(out, "max_tokens: Field required");
	if (jscan_int(maxt, &cap) != 0 || cap < 1)
		return invalid(out, "max_tokens: Input should be a valid "
		    "integer greater than or equal to 1");
	if (!jscan_member(body, "messages", &messages))
		return invalid(out, "messages: Field required");
	if (messages.type != JT_ARRAY)
		return invalid(out, "messages: Input should be a valid list");
	jscan_iter(messages, &it);
	if (!jscan_next(&it, &k, &first))
		return invalid(out, "messages: at least one message is required");
	last_user_text(messages, &user);
	u->output_tokens = answer_text(&user, mock_hash(messages.p,
	    messages.n, MOCK_HASH_INIT), cap, &text, &capped);
	u->input_tokens = messages_prompt_tokens(body);

	buf_printf(out, "{\"id\":\"msg_01%016llx%06llx\",\"type\":\"message\","
	    "\"role\":\"assistant\",\"model\":",
	    (unsigned long long)mock_mix(seed),
	    (unsigned long long)(mock_mix(seed ^ 0x5bd1e995ULL) >> 40));
	buf_add(out, model.p, model.n);
	buf_adds(out, ",\"content\":[{\"type\":\"text\",\"text\":");
	buf_add_json_string(out, text.p, text.len);
	buf_printf(out, "}],\"stop_reason\":\"%s\",\"stop_sequence\":null,"
	    "\"usage\":{\"input_tokens\":%lld,\"output_tokens\":%lld,"
	    "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
	    "\"service_tier\":\"batch\"}}", capped ? "max_tokens" : "end_turn",
	    u->input_tokens, u->output_tokens);
	buf_free(&user);
	buf_free(&text);
	return 200;
}
