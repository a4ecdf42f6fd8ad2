/* The /v1/completions answers of oai-mock; see mock.h. */
#include "mock.h"

/* One choice of a completion: the answer to prompt p (a string, or
 * token ids answered from their hash). */
static void
add_choice(struct buf *out, size_t index, struct jval p, long long cap,
    struct mock_usage *u)
{
	struct buf user = BUF_INIT, text = BUF_INIT;
	int capped;

	if (p.type == JT_STRING)
		jscan_unescape(p, &user);
	u->output_tokens += answer_text(&user, mock_hash(p.p, p.n,
	    MOCK_HASH_INIT), cap, &text, &capped);
	buf_printf(out, "%s{\"text\":", index ? "," : "");
	buf_add_json_string(out, text.p, text.len);
	buf_printf(out, ",\"index\":%zu,\"logprobs\":null,\"finish_reason\":"
	    "\"%s\"}", index, capped ? "length" : "stop");
	buf_free(&user);
	buf_free(&text);
}

/* The legacy completions: a choice for each prompt (a string, token
 * ids, or an array of either), max_tokens 16 unless set, as the API's
 * default. */
int
answer_completions(struct jval body, uint64_t seed, long long now,
    struct buf *out, struct mock_usage *u)
{
	struct jval model, prompt, k, v, first;
	struct jiter it;
	struct buf choices = BUF_INIT;
	long long cap;
	size_t i = 0;

	if (model_of(body, &model, out) != 0)
		return 400;
	if (!jscan_member(body, "prompt", &prompt) ||
	    (prompt.type != JT_STRING && prompt.type != JT_ARRAY))
		return bad_request(out, "Missing required parameter: 'prompt'.",
		    "prompt", "missing_required_parameter");
	if (opt_positive(body, "max_tokens", &cap, out) != 0)
		return 400;
	if (cap == 0)
		cap = 16;
	if (prompt.type == JT_STRING || (jscan_index(prompt, 0, &first) &&
	    first.type == JT_NUMBER))
		add_choice(&choices, i++, prompt, cap, u);
	else {
		jscan_iter(prompt, &it);
		while (jscan_next(&it, &k, &v))
			add_choice(&choices, i++, v, cap, u);
	}
	if (i == 0) {
		buf_free(&choices);
		return bad_request(out, "Invalid 'prompt': empty array.",
		    "prompt", "empty_array");
	}
	u->input_tokens = mock_prompt_tokens("/v1/completions", body);
	buf_addc(out, '{');
	add_id(out, "id", "cmpl-", seed);
	buf_printf(out, ",\"object\":\"text_completion\",\"created\":%lld,"
	    "\"model\":", now);
	buf_add(out, model.p, model.n);
	buf_adds(out, ",\"choices\":[");
	buf_add(out, choices.p, choices.len);
	buf_printf(out, "],\"usage\":{\"prompt_tokens\":%lld,"
	    "\"completion_tokens\":%lld,\"total_tokens\":%lld},"
	    "\"system_fingerprint\":\"fp_mock\"}", u->input_tokens,
	    u->output_tokens, u->input_tokens + u->output_tokens);
	buf_free(&choices);
	return 200;
}
