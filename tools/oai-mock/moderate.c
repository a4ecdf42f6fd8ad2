/*
 * The /v1/moderations answers of oai-mock; see mock.h.  A result is a
 * function of its input's text alone: every score is below 0.01 unless
 * the text asks for its category with MOCK_FLAG_WORD, so that a test can
 * choose which inputs are flagged.
 */
#include <string.h>

#include "mock.h"

#define LOW_SCORE	0.01	/* scores of a category not asked for */
#define HIGH_SCORE	0.99	/* of one asked for */

/* Every category of CreateModerationResponse, in its order, and whether
 * its scores can apply to images as well as to text. */
static const struct {
	const char	*name;
	int		 image;
} categories[] = {
	{ "hate", 0 }, { "hate/threatening", 0 }, { "harassment", 0 },
	{ "harassment/threatening", 0 }, { "illicit", 0 },
	{ "illicit/violent", 0 }, { "self-harm", 1 },
	{ "self-harm/intent", 1 }, { "self-harm/instructions", 1 },
	{ "sexual", 1 }, { "sexual/minors", 0 }, { "violence", 1 },
	{ "violence/graphic", 1 },
};
#define NCAT	(sizeof(categories) / sizeof(categories[0]))

/* One input to classify: its text (the text parts, and an image's url,
 * joined by newlines) and the kinds of parts it had. */
struct input {
	struct buf	 text;
	int		 has_text, has_image;
};

/* Sets asked[c] for each category c that t names after MOCK_FLAG_WORD:
 * the longest name that is followed by neither a letter, '-' nor '/'
 * ("flag:hate/threatening" is not "flag:hate"). */
static void
asked_for(const struct buf *t, int asked[NCAT])
{
	const char *p = t->p, *end = t->p + t->len, *at;
	size_t c, n, best, best_n;

	memset(asked, 0, NCAT * sizeof(asked[0]));
	while (p != NULL && p < end &&
	    (at = memmem(p, (size_t)(end - p), MOCK_FLAG_WORD,
	    sizeof(MOCK_FLAG_WORD) - 1)) != NULL) {
		p = at + sizeof(MOCK_FLAG_WORD) - 1;
		best = NCAT;
		best_n = 0;
		for (c = 0; c < NCAT; c++) {
			n = strlen(categories[c].name);
			if (n > best_n && (size_t)(end - p) >= n &&
			    memcmp(p, categories[c].name, n) == 0 &&
			    (p + n == end || !(p[n] == '-' || p[n] == '/' ||
			    (p[n] >= 'a' && p[n] <= 'z'))))
			{
				best = c;
				best_n = n;
			}
		}
		if (best < NCAT)
			asked[best] = 1;
	}
}

/* Appends the result for in. */
static void
add_result(struct buf *out, const struct input *in, int first)
{
	uint64_t h = mock_hash(in->text.p, in->text.len, MOCK_HASH_INIT);
	int asked[NCAT], flagged = 0;
	double score;
	size_t c;

	asked_for(&in->text, asked);
	for (c = 0; c < NCAT; c++)
		flagged |= asked[c];
	buf_printf(out, "%s{\"flagged\":%s,\"categories\":{", first ? "" : ",",
	    flagged ? "true" : "false");
	for (c = 0; c < NCAT; c++)
		buf_printf(out, "%s\"%s\":%s", c ? "," : "",
		    categories[c].name, asked[c] ? "true" : "false");
	buf_adds(out, "},\"category_scores\":{");
	for (c = 0; c < NCAT; c++) {
		score = asked[c] ? HIGH_SCORE : (double)(mock_mix(h + c) >> 11) *
		    0x1p-53 * LOW_SCORE;
		buf_printf(out, "%s\"%s\":%.6f", c ? "," : "",
		    categories[c].name, score);
	}
	buf_adds(out, "},\"category_applied_input_types\":{");
	for (c = 0; c < NCAT; c++) {
		buf_printf(out, "%s\"%s\":[", c ? "," : "",
		    categories[c].name);
		if (in->has_text)
			buf_adds(out, "\"text\"");
		if (in->has_image && categories[c].image)
			buf_adds(out, in->has_text ? ",\"image\"" : "\"image\"");
		buf_addc(out, ']');
	}
	buf_adds(out, "}}");
}

/* Adds part v of a multimodal input to in: a text part's text, an
 * image's url.  0, or -1 for anything else. */
static int
add_part(struct input *in, struct jval v)
{
	struct jval type, t, img;

	if (v.type != JT_OBJECT || !jscan_member(v, "type", &type))
		return -1;
	if (jscan_streq(type, "text") && jscan_member(v, "text", &t) &&
	    t.type == JT_STRING)
		in->has_text = 1;
	else if (jscan_streq(type, "image_url") &&
	    jscan_member(v, "image_url", &img) &&
	    jscan_member(img, "url", &t) && t.type == JT_STRING)
		in->has_image = 1;
	else
		return -1;
	if (in->text.len > 0)
		buf_addc(&in->text, '\n');
	jscan_unescape(t, &in->text);
	return 0;
}

/* The results of input, a string, an array of strings (a result each)
 * or an array of parts (one result), into results; their number, or -1
 * when input is none of these. */
static long
results_of(struct jval input, struct buf *results)
{
	struct input in = { BUF_INIT, 1, 0 };
	struct jiter it;
	struct jval k, v, first;
	long n = 0;

	if (input.type == JT_STRING) {
		jscan_unescape(input, &in.text);
		add_result(results, &in, 1);
		n = 1;
	} else if (input.type != JT_ARRAY || !jscan_index(input, 0, &first))
		n = -1;
	else if (first.type == JT_STRING) {
		jscan_iter(input, &it);
		while (n >= 0 && jscan_next(&it, &k, &v)) {
			buf_reset(&in.text);
			if (v.type != JT_STRING)
				n = -1;
			else {
				jscan_unescape(v, &in.text);
				add_result(results, &in, n++ == 0);
			}
		}
	} else {
		in.has_text = 0;
		jscan_iter(input, &it);
		while (n >= 0 && jscan_next(&it, &k, &v))
			n = add_part(&in, v) == 0 ? 1 : -1;
		if (n == 1)
			add_result(results, &in, 1);
	}
	buf_free(&in.text);
	return n;
}

int
answer_moderations(struct jval body, uint64_t seed, struct buf *out,
    struct mock_usage *u)
{
	struct jval model = { JT_NONE, NULL, 0 }, input;
	struct buf results = BUF_INIT;

	if (jscan_member(body, "model", &model) && model.type != JT_STRING)
		return bad_request(out, "Invalid type for 'model': expected a "
		    "string.", "model", "invalid_type");
	if (!jscan_member(body, "input", &input))
		return bad_request(out, "Missing required parameter: 'input'.",
		    "input", "missing_required_parameter");
	if (results_of(input, &results) < 0) {
		buf_free(&results);
		return bad_request(out, "Invalid 'input': expected a string, "
		    "an array of strings, or an array of text and image_url "
		    "objects.", "input", "invalid_value");
	}
	u->input_tokens = mock_prompt_tokens("/v1/moderations", body);
	u->output_tokens = 0;
	buf_addc(out, '{');
	add_id(out, "id", "modr-", seed);
	buf_adds(out, ",\"model\":");
	if (model.type == JT_STRING)
		buf_add(out, model.p, model.n);
	else
		buf_adds(out, "\"" MOCK_MODERATION_MODEL "\"");
	buf_adds(out, ",\"results\":[");
	buf_add(out, results.p, results.len);
	buf_adds(out, "]}");
	buf_free(&results);
	return 200;
}
