/*
 * mock_answer: the deterministic answers of oai-mock(1).  Each answer is a
 * pure function of the request body (plus the seed that names its ids and
 * the clock for "created"), so a test can predict the text and two runs
 * over the same input give the same answers.  Only oai-mock links this.
 */
#ifndef MOCK_ANSWER_H
#define MOCK_ANSWER_H
#include <stdint.h>

#include "buf.h"
#include "jscan.h"

/* The text every chat or Responses answer starts with; the first
 * MOCK_ECHO_MAX bytes (whole UTF-8 characters) of the last user message
 * follow it. */
#define MOCK_ANSWER_PREFIX	"mock answer to: "
#define MOCK_ECHO_MAX		64

struct mock_usage {
	long long	 input_tokens;
	long long	 output_tokens;
};

/* mock_hash: 64-bit FNV-1a of p[0..n), continuing from h (start with
 * MOCK_HASH_INIT). */
#define MOCK_HASH_INIT	0xcbf29ce484222325ULL
uint64_t mock_hash(const void *p, size_t n, uint64_t h);

/* mock_mix: a well-spread 64-bit function of x (splitmix64). */
uint64_t mock_mix(uint64_t x);

/* mock_endpoint_ok: 1 when oai-mock answers endpoint ("/v1/chat/completions",
 * "/v1/embeddings", "/v1/responses"). */
int	mock_endpoint_ok(const char *endpoint);

/* mock_answer: the answer of endpoint to body (an object the scanner
 * accepted).  Appends the response body (JSON) to out and returns its HTTP
 * status: 200 with usage filled in, or 400 with an OpenAI error body (a
 * missing or invalid parameter).  seed makes the ids; now is "created". */
int	mock_answer(const char *endpoint, struct jval body, uint64_t seed,
	    long long now, struct buf *out, struct mock_usage *usage);

/* mock_answer_init: reads the models table and opens the tokenizers, so
 * that prompt tokens are counted as jsonl-tokens(1) counts them.  Returns
 * 0, or -1 after reporting.  Call once, before any thread answers. */
int	mock_answer_init(void);

/* mock_prompt_tokens: the prompt tokens of a request body, as the answers
 * count them in usage, for the enqueued-token limit: jsonl-tokens(1)'s
 * count (o200k_base for a model it does not know); a token for four bytes
 * of a body it cannot count. */
long long mock_prompt_tokens(const char *endpoint, struct jval body);

/* mock_error_body: appends {"error":{"message","type","param","code"}};
 * param and code may be NULL (JSON null). */
void	mock_error_body(struct buf *out, const char *message, const char *type,
	    const char *param, const char *code);

#endif
