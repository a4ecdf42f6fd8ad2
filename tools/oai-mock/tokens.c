/*
 * The prompt tokens of oai-mock's answers; see mock.h.  They are counted
 * as jsonl-tokens(1) counts them, so that a job's usage, its token-limit
 * fault and jsonl-merge's totals agree with what jsonl-tokens predicted.
 */
#include <pthread.h>
#include <string.h>

#include "mock.h"
#include "modeldata.h"
#include "reqtokens.h"
#include "tokenizer.h"

/* libmicrohttpd answers each connection in its own thread, and both the
 * tokenizer and the model tables' last lookup are caches: one lock. */
static pthread_mutex_t	 count_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tokenizer	*o200k, *cl100k;
static struct reqtokens	 counter;

int
mock_answer_init(void)
{
	if (models_load(NULL) < 0 ||
	    (o200k = tokenizer_open("o200k_base")) == NULL ||
	    (cl100k = tokenizer_open("cl100k_base")) == NULL)
		return -1;
	return 0;
}

long long
mock_tokens_of(size_t bytes)
{
	long long t = (long long)((bytes + 3) / 4);

	return t < 1 ? 1 : t;
}

/* The input tokens of a request to endpoint, by the rules of
 * reqtokens.h, in the encoding of its model (o200k_base for a model the
 * tables do not know: the mock answers any model).  A body those rules
 * cannot count, or a call before mock_answer_init, counts a token for
 * four bytes of it. */
long long
mock_prompt_tokens(const char *endpoint, struct jval body)
{
	struct jval model;
	struct buf name = BUF_INIT;
	const char *enc = NULL;
	long long n = -1, cap;

	if (strcmp(endpoint, "/v1/messages") == 0)
		return messages_prompt_tokens(body);
	pthread_mutex_lock(&count_lock);
	if (jscan_member(body, "model", &model) && model.type == JT_STRING) {
		jscan_unescape(model, &name);
		enc = model_encoding(name.p ? name.p : "", name.len);
	}
	counter.tok = enc != NULL && strcmp(enc, "cl100k_base") == 0 ?
	    cl100k : o200k;
	if (counter.tok != NULL)
		n = reqtokens_input(&counter, endpoint, strlen(endpoint), body,
		    &cap);
	pthread_mutex_unlock(&count_lock);
	buf_free(&name);
	return n >= 0 ? n : mock_tokens_of(body.n);
}
