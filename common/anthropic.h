/* anthropic: the translations between OpenAI's batch formats, which
 * every tool reads and writes, and Anthropic's Message Batches API (the
 * @anthropic-ai/sdk npm package describes it: MessageBatch,
 * MessageBatchIndividualResponse, MessageCreateParams).  Request files
 * stay in OpenAI's line format and result lines come out in OpenAI's
 * output format, so nothing after oai-fetch learns about Anthropic. */
#ifndef ANTHROPIC_H
#define ANTHROPIC_H
#include <stddef.h>

struct buf;
struct json_object;
struct reqline;
struct batchobj;

/* anthropic_request: appends to out one entry of a Message Batches
 * create request, {"custom_id":...,"params":{...}}, for request line req
 * (checked by reqline_check; its url must be /v1/chat/completions).
 * model is kept (the model names are Anthropic's); system and developer
 * messages become "system"; user and assistant messages keep their text
 * (a string, or text parts); max_tokens is the body's
 * max_completion_tokens, else its max_tokens, else default_max when it is
 * positive; temperature, top_p and stop (as stop_sequences) are carried
 * over.  Returns 0, or -1 with *why a reason (static text): no
 * max_tokens and no default, a role, a content part or a member that has
 * no translation. */
int	anthropic_request(const struct reqline *req, long long default_max,
	    struct buf *out, const char **why);

/* anthropic_batch: fills *b from a parsed MessageBatch o, in OpenAI's
 * terms: processing_status in_progress is "in_progress", canceling is
 * "cancelling", ended is "cancelled" when cancel_initiated_at is set,
 * "expired" when every request expired, else "completed";
 * output_file_id is the batch's id once results_url is set (oai-fetch
 * reads the results there), error_file_id NULL; total is the sum of
 * request_counts, completed its succeeded, failed its errored, expired
 * and canceled.  Returns 0, or -1 (and *b empty) as batchobj_parse. */
int	anthropic_batch(struct json_object *o, struct batchobj *b);

/* anthropic_result: appends to out, newline-ended, the OpenAI output
 * line of one results line line[0..n) ({"custom_id", "result":{"type":
 * succeeded|errored|canceled|expired, ...}}): succeeded is status 200
 * with the message as body; errored is the error's HTTP status (400 for
 * invalid_request_error, 500 for api_error, ...) with {"error":{...}} as
 * body; canceled and expired are error lines with the codes
 * batch_cancelled and batch_expired, as OpenAI's error file has them, so
 * the result classification treats them alike.  Returns 0, or -1 with
 * *why a reason for a line that is not a results line. */
int	anthropic_result(const char *line, size_t n, struct buf *out,
	    const char **why);

#endif
