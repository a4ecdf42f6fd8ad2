/*
 * media: oai-mock's answers for the image and video endpoints of the
 * Batch API, so that a job of them can run through the tools offline.
 * Each is a pure function of the request body, as answer.c's are: an
 * ImagesResponse of one fixed 1x1 PNG an image asked for, a VideoResource
 * of a job just queued (the Batch API answers the create call; the video
 * itself is fetched later, which the mock does not serve).
 */
#include <string.h>

#include "mock.h"

/* A 1x1 transparent PNG, base64: every image the mock makes. */
#define MOCK_PNG_B64	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAA" \
			"DUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

/* The image tokens of one low-quality 1024x1024 image of gpt-image-1. */
#define MOCK_IMAGE_TOKENS	272

int
mock_media_endpoint(const char *endpoint)
{
	return strcmp(endpoint, "/v1/images/generations") == 0 ||
	    strcmp(endpoint, "/v1/images/edits") == 0 ||
	    strcmp(endpoint, "/v1/videos") == 0;
}

/* body's prompt, a non-empty string (required by both), into *prompt: 0,
 * or -1 after appending the error body to out. */
static int
prompt_of(struct jval body, struct jval *prompt, struct buf *out)
{
	if (!jscan_member(body, "prompt", prompt)) {
		bad_request(out, "Missing required parameter: 'prompt'.",
		    "prompt", "missing_required_parameter");
		return -1;
	}
	if (prompt->type != JT_STRING || prompt->n <= 2) {
		bad_request(out, "Invalid 'prompt': expected a non-empty "
		    "string.", "prompt", "invalid_value");
		return -1;
	}
	return 0;
}

/* The member name of body, when a string, as written; else dflt. */
static void
add_string(struct buf *out, struct jval body, const char *name,
    const char *dflt)
{
	struct jval v;

	buf_printf(out, ",\"%s\":", name);
	if (jscan_member(body, name, &v) && v.type == JT_STRING)
		buf_add(out, v.p, v.n);
	else
		buf_printf(out, "\"%s\"", dflt);
}

static int
answer_images(const char *endpoint, struct jval body, long long now,
    struct buf *out, struct mock_usage *u)
{
	struct jval prompt;
	long long n, i;

	if (prompt_of(body, &prompt, out) != 0 ||
	    opt_positive(body, "n", &n, out) != 0)
		return 400;
	if (n == 0)
		n = 1;
	if (n > 10)
		return bad_request(out, "Invalid 'n': integer above maximum "
		    "value. Expected a value <= 10.", "n",
		    "integer_above_max_value");
	u->input_tokens = mock_prompt_tokens(endpoint, body);
	u->output_tokens = MOCK_IMAGE_TOKENS * n;
	buf_printf(out, "{\"created\":%lld,\"data\":[", now);
	for (i = 0; i < n; i++)
		buf_printf(out, "%s{\"b64_json\":\"" MOCK_PNG_B64 "\"}",
		    i > 0 ? "," : "");
	buf_adds(out, "]");
	add_string(out, body, "background", "opaque");
	add_string(out, body, "output_format", "png");
	add_string(out, body, "size", "1024x1024");
	add_string(out, body, "quality", "low");
	buf_printf(out, ",\"usage\":{\"total_tokens\":%lld,\"input_tokens\":"
	    "%lld,\"output_tokens\":%lld,\"input_tokens_details\":{"
	    "\"text_tokens\":%lld,\"image_tokens\":0}}}", u->input_tokens +
	    u->output_tokens, u->input_tokens, u->output_tokens,
	    u->input_tokens);
	return 200;
}

static int
answer_video(struct jval body, uint64_t seed, long long now,
    struct buf *out)
{
	struct jval prompt, model;

	if (prompt_of(body, &prompt, out) != 0 ||
	    model_of(body, &model, out) != 0)
		return 400;
	buf_printf(out, "{\"id\":\"video_%016llx\",\"object\":\"video\","
	    "\"model\":", (unsigned long long)mock_mix(seed));
	buf_add(out, model.p, model.n);
	buf_printf(out, ",\"status\":\"queued\",\"progress\":0,"
	    "\"created_at\":%lld,\"completed_at\":null,\"expires_at\":null,"
	    "\"prompt\":", now);
	buf_add(out, prompt.p, prompt.n);
	add_string(out, body, "size", "720x1280");
	add_string(out, body, "seconds", "4");
	buf_adds(out, ",\"remixed_from_video_id\":null,\"error\":null}");
	return 200;
}

int
mock_answer_media(const char *endpoint, struct jval body, uint64_t seed,
    long long now, struct buf *out, struct mock_usage *usage)
{
	usage->input_tokens = usage->output_tokens = 0;
	if (strcmp(endpoint, "/v1/videos") == 0)
		return answer_video(body, seed, now, out);
	return answer_images(endpoint, body, now, out, usage);
}
