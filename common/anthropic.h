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
 * (checked by reqline_check).  Its custom_id must be 1 to 64 letters,
 * digits, '-' or '_' (Anthropic's API reference: one that is not fails
 * the whole batch), its url /v1/chat/completions.
 * model is kept (the model names are Anthropic's); system and developer
 * messages, which must come before the first user or assistant message,
 * become "system" (one string stays a string, else text blocks); user
 * and assistant messages keep their content (a string as written, or
 * text parts as text blocks); max_tokens is the body's
 * max_completion_tokens, else its max_tokens, else default_max when it is
 * positive; temperature (0 to 1: Anthropic's range), top_p and top_k are
 * carried over, stop (a string or strings) as stop_sequences, user as
 * metadata.user_id; n may only be 1 and stream only false.  A member
 * that is null counts as absent.  The custom_id is written decoded, as
 * the results give it back; other strings and numbers are copied as
 * written, so the entry is JSON text as valid as the line.  Returns 0,
 * or -1 (out as it was) with *why a reason: such a custom_id, no
 * max_tokens and no default, a role, a content part or a member that
 * has no translation (tool calls, tool messages, images, any other body
 * member, named).
 * *why is static text, or text that lasts until this thread's next call. */
int	anthropic_request(const struct reqline *req, long long default_max,
	    struct buf *out, const char **why);

/* anthropic_default_max: the max_tokens of a request that gives none,
 * for model[0..len): BATCHPIPE_MAX_TOKENS when set (a whole number from
 * 1 to 100000000, else exit 2 as envnum_whole), else the model's largest
 * output in models.tsv (loaded on the first call that needs it), else
 * -1: there is no default. */
long long	anthropic_default_max(const char *model, size_t len);

/* anthropic_batch: fills *b from a parsed MessageBatch o, in OpenAI's
 * terms: processing_status in_progress is "in_progress", canceling is
 * "cancelling", ended is "cancelled" when cancel_initiated_at is set,
 * "expired" when every request expired, else "completed";
 * output_file_id is the batch's id once results_url is set (oai-fetch
 * reads the results there), input_file_id and error_file_id NULL; any
 * other processing_status is kept as written; total is the sum of
 * request_counts, completed its succeeded, failed its errored, expired
 * and canceled.  Returns 0, or -1 (and *b empty) as batchobj_parse. */
int	anthropic_batch(struct json_object *o, struct batchobj *b);

/* anthropic_result: appends to out, newline-ended, the OpenAI output
 * line of one results line line[0..n) ({"custom_id", "result":{"type":
 * succeeded|errored|canceled|expired, ...}}), scanned strictly (jscan):
 * succeeded is status 200 with the message as body; errored is the
 * error's HTTP status (400 for invalid_request_error, 429
 * rate_limit_error, 500 api_error, 529 overloaded_error, ...: the
 * SDK's table) with the ErrorResponse ({"type":"error","error":{...}})
 * as body; an error type without a known status becomes an error line
 * with the type as its code (held final); canceled and expired are error
 * lines ("response":null) with the codes batch_cancelled and
 * batch_expired, as OpenAI's error file has them, so the result
 * classification treats them alike.  The lines have no "id" (OpenAI's
 * batch_req_ id has no counterpart).  Returns 0, or -1 (out as it was)
 * with *why a reason (static text) for a line that is not a results
 * line. */
int	anthropic_result(const char *line, size_t n, struct buf *out,
	    const char **why);

#endif
