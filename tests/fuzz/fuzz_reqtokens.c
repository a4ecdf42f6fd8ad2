/*
 * fuzz_reqtokens: a request body to reqtokens_input (jsonl-tokens'
 * counting rules), for each endpoint: the first byte picks the url (0
 * chat, 1 responses, 2 embeddings, 3 completions, else one it does not
 * count), the rest is the body.  On every body the scanner accepts as an
 * object: a refusal has a reason of one line; a count is the same again
 * (from the strings remembered) and from a fresh state; chat counts at
 * least the priming and 3 a message; the output cap is the first of
 * max_completion_tokens, max_output_tokens, max_tokens that jscan_member
 * finds set (a differential on the one-walk member picking, escaped keys
 * included); a chat body without messages is refused for it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"
#include "reqtokens.h"
#include "tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const urls[] = { "/v1/chat/completions", "/v1/responses",
    "/v1/embeddings", "/v1/completions", "/v1/audio/speech" };

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* The vocabulary from the checkout when the program does not lie in it
 * (the corpus replay builds it in a scratch directory). */
static struct tokenizer *
tok(void)
{
	static struct tokenizer *t;
	char dir[4096];

	if (t != NULL)
		return t;
	if (getenv("BATCHPIPE_SHARE") == NULL && getenv("TOP") != NULL) {
		snprintf(dir, sizeof(dir), "%s/share", getenv("TOP"));
		setenv("BATCHPIPE_SHARE", dir, 1);
	}
	if ((t = tokenizer_open("o200k_base")) == NULL)
		abort();
	return t;
}

/* The cap by jscan_member, as reqtokens_input documents it. */
static int
want_cap(struct jval body, long long *cap)
{
	static const char *const names[] = { "max_completion_tokens",
	    "max_output_tokens", "max_tokens" };
	struct jval v;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!jscan_member(body, names[i], &v) || v.type == JT_NULL)
			continue;
		if (jscan_int(v, cap) < 0 || *cap < 0)
			return -1;
		return 0;
	}
	*cap = -1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reqtokens rt;
	struct reqtokens fresh;
	struct jval body, v;
	struct jerr e;
	const char *url;
	long long n, again, cap, cap2, want;
	int capok;

	if (size < 1)
		return 0;
	url = urls[data[0] < 4 ? data[0] : 4];
	if (jscan_doc((const char *)data + 1, size - 1, &body, &e) < 0 ||
	    body.type != JT_OBJECT)
		return 0;
	rt.tok = tok();
	n = reqtokens_input(&rt, url, strlen(url), body, &cap);
	check(n >= -1);
	if (data[0] >= 4)
		check(n == -1 && reqtokens_uncounted(&rt, url, strlen(url)));
	capok = want_cap(body, &want);
	if (n < 0) {
		check(rt.why[0] != '\0' && strchr(rt.why, '\n') == NULL);
		if (data[0] < 4 && capok < 0)
			check(strncmp(rt.why, "body.max_", 9) == 0);
		return 0;
	}
	check(capok == 0 && cap == want);
	again = reqtokens_input(&rt, url, strlen(url), body, &cap2);
	check(again == n && cap2 == cap);
	memset(&fresh, 0, sizeof(fresh));
	fresh.tok = rt.tok;
	check(reqtokens_input(&fresh, url, strlen(url), body, NULL) == n);
	reqtokens_free(&fresh);
	if (data[0] == 0) {
		check(jscan_member(body, "messages", &v) && v.type == JT_ARRAY);
		check(n >= 3);
	}
	return 0;
}
