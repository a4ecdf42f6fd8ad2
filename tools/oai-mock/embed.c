/* The embeddings answers of oai-mock; see mock.h. */
#include <math.h>

#include "mock.h"

/* One embedding vector of dims components for the input text t[0..n). */
static void
add_vector(struct buf *out, const char *t, size_t n, long long dims)
{
	uint64_t h = mock_hash(t, n, MOCK_HASH_INIT);
	double sum = 0, x;
	long long j;

	for (j = 0; j < dims; j++) {
		x = (double)(mock_mix(h + (uint64_t)j) >> 11) * 0x1p-53 * 2 - 1;
		sum += x * x;
	}
	sum = sqrt(sum);
	if (sum == 0)
		sum = 1;
	buf_addc(out, '[');
	for (j = 0; j < dims; j++) {
		x = (double)(mock_mix(h + (uint64_t)j) >> 11) * 0x1p-53 * 2 - 1;
		buf_printf(out, "%s%.6f", j ? "," : "", x / sum);
	}
	buf_addc(out, ']');
}

static void
add_embedding(struct buf *out, size_t index, struct jval in, long long dims,
    struct buf *tmp)
{
	buf_reset(tmp);
	if (in.type == JT_STRING)
		jscan_unescape(in, tmp);
	else
		buf_add(tmp, in.p, in.n);
	buf_printf(out, "%s{\"object\":\"embedding\",\"index\":%zu,"
	    "\"embedding\":", index ? "," : "", index);
	add_vector(out, tmp->p, tmp->len, dims);
	buf_addc(out, '}');
}

int
answer_embeddings(struct jval body, struct buf *out, struct mock_usage *u)
{
	struct jval model, input, k, v, first;
	struct jiter it;
	struct buf data = BUF_INIT, tmp = BUF_INIT;
	long long dims;
	size_t i = 0;

	if (model_of(body, &model, out) != 0)
		return 400;
	if (!jscan_member(body, "input", &input))
		return bad_request(out, "Missing required parameter: 'input'.",
		    "input", "missing_required_parameter");
	if (input.type != JT_STRING && input.type != JT_ARRAY)
		return bad_request(out, "'$.input' is invalid. Please check the "
		    "API reference: https://platform.openai.com/docs/api-reference.",
		    "input", "invalid_type");
	if (opt_positive(body, "dimensions", &dims, out) != 0)
		return 400;
	if (dims == 0)
		dims = 8;
	if (dims > 4096)
		return bad_request(out, "Invalid 'dimensions': integer above "
		    "maximum value.", "dimensions", "integer_above_max_value");
	jscan_iter(input, &it);
	if (input.type == JT_STRING ||
	    (jscan_index(input, 0, &first) && first.type == JT_NUMBER)) {
		add_embedding(&data, 0, input, dims, &tmp);
	} else {
		while (jscan_next(&it, &k, &v))
			add_embedding(&data, i++, v, dims, &tmp);
		if (i == 0) {
			buf_free(&data);
			buf_free(&tmp);
			return bad_request(out, "'$.input' is invalid: an empty "
			    "array.", "input", "empty_array");
		}
	}
	u->input_tokens = mock_prompt_tokens("/v1/embeddings", body);
	u->output_tokens = 0;
	buf_adds(out, "{\"object\":\"list\",\"data\":[");
	buf_add(out, data.p, data.len);
	buf_adds(out, "],\"model\":");
	buf_add(out, model.p, model.n);
	buf_printf(out, ",\"usage\":{\"prompt_tokens\":%lld,\"total_tokens\":"
	    "%lld}}", u->input_tokens, u->input_tokens);
	buf_free(&data);
	buf_free(&tmp);
	return 200;
}
