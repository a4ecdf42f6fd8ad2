/*
 * reqtokens: the input tokens of one request, counted as the API counts
 * them (jsonl-tokens(1) prints them; oai-mock can answer usage with
 * them).  Text is counted with the exact tokenizer; the tokens the API
 * adds around chat messages follow OpenAI's published rule for gpt-3.5,
 * gpt-4, gpt-4o and later models:
 *
 *	/v1/chat/completions	3 per message, plus its role's and its
 *				content's tokens (a string, or the text
 *				parts of an array), plus its name's + 1;
 *				3 more for the reply's priming
 *	/v1/responses		the same, input a string (one user message)
 *				or message items; instructions a system
 *				message before them
 *	/v1/embeddings		input: a string, an array of strings, an
 *	/v1/completions		array of token ids (their number) or of
 *				arrays of ids; completions' prompt the same
 *
 * Not counted: parts other than text (images, audio, files), tool and
 * function definitions, the tool calls of assistant messages, and input
 * items that are not messages (a function call's output, say).
 *
 * Images and videos (/v1/images/generations, /v1/images/edits,
 * /v1/videos): the tokens of body.prompt, counted as completions'; an
 * edit's input images and mask and a video's input_reference are not
 * counted, nor is what is made (images, seconds of video).
 */
#ifndef REQTOKENS_H
#define REQTOKENS_H
#include <stddef.h>

#include "buf.h"
#include "jscan.h"
#include "tokenizer.h"

#define REQTOKENS_SEEN	4	/* strings remembered with their counts */

/* One caller's state: start it zeroed ({ 0 } or memset), set tok (it
 * may change between calls); reqtokens_free frees what it holds (tok
 * stays the caller's). */
struct reqtokens {
	struct tokenizer	*tok;
	struct buf		 scratch;	/* decoded strings */
	char			 why[160];	/* see reqtokens_input */
	/* The last few short strings counted, with their counts: the
	 * requests of a job share their roles and their system prompt. */
	struct {
		struct buf		 text;
		const struct tokenizer	*tok;
		long long		 n;
	}			 seen[REQTOKENS_SEEN];
	unsigned		 next;		/* the slot to replace */
};

/* reqtokens_uncounted: NULL when url[0..len) is an endpoint
 * reqtokens_input counts ("/v1/chat/completions", "/v1/responses",
 * "/v1/embeddings", "/v1/completions", the image and video endpoints),
 * else the reason, in rt->why: "url \"/v1/x\" is not counted (only chat,
 * responses, embeddings, completions, images and videos)".  rt->tok is
 * not used. */
const char	*reqtokens_uncounted(struct reqtokens *rt, const char *url,
		    size_t len);

/* reqtokens_input: the input tokens of a request to url[0..len) (the
 * decoded url of a Batch API request line, or the path of a live call)
 * with body body, an object the scanner accepted, counted with rt->tok.
 * When cap is not NULL, *cap gets the request's cap on output tokens:
 * body's max_completion_tokens, max_output_tokens or max_tokens (the
 * first set, in that order; null is unset), or -1 when it sets none.
 * Returns the input tokens, or -1 with the reason in rt->why, one line
 * naming the member at fault (reqtokens_uncounted's, "no body.messages",
 * "body.messages[2].content is a number, not a string or an array",
 * "body.max_tokens is a string, not a number", "body.max_tokens is not
 * a count of tokens: 1.5", ...); nothing is reported.  Not thread-safe:
 * rt->tok is not.  The body is walked once, its messages once more. */
long long	 reqtokens_input(struct reqtokens *rt, const char *url,
		    size_t len, struct jval body, long long *cap);

/* reqtokens_free: frees what rt holds, not rt->tok; rt can be used
 * again (zeroed). */
void		 reqtokens_free(struct reqtokens *rt);

#endif
