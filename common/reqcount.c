/*
 * reqcount: a checked request line's input tokens; see reqcount.h.
 */
#include <stdio.h>
#include <string.h>

#include "customid.h"
#include "jscan.h"
#include "modeldata.h"
#include "reqcount.h"

static const char *const encodings[REQCOUNT_NENC] = {
	"o200k_base", "cl100k_base"
};

/* The index of encoding name in encodings[], or -1. */
static int
encoding_index(const char *name)
{
	int i;

	for (i = 0; i < REQCOUNT_NENC; i++)
		if (strcmp(name, encodings[i]) == 0)
			return i;
	return -1;
}

int
reqcount_encoding_known(const char *name)
{
	return encoding_index(name) >= 0;
}

/* The text of string v: in place when it holds no escape, else decoded
 * into b. */
static const char *
text_of(struct jval v, struct buf *b, size_t *len)
{
	if (memchr(v.p, '\\', v.n) == NULL) {
		*len = v.n - 2;
		return v.p + 1;
	}
	buf_reset(b);
	jscan_unescape(v, b);
	*len = b->len;
	return b->p;
}

/* Points rc->tok at the tokenizer of the model p[0..n), looked up only
 * when it is not the model of the request before.  Returns 0, -1 with
 * rc->why set, or -2 after tokenizer_open reported why. */
static int
model_of(struct reqcount *rc, const char *p, size_t n)
{
	struct buf show = BUF_INIT;
	const char *enc;
	int i;

	if (rc->model_valid && n == rc->model.len &&
	    memcmp(p, rc->model.p, n) == 0)
		return 0;
	buf_reset(&rc->model);
	buf_add(&rc->model, p, n);
	rc->model_valid = 0;
	if ((enc = rc->encoding) == NULL &&
	    (enc = model_encoding(p, n)) == NULL) {
		snprintf(rc->why, sizeof(rc->why), "unknown model \"%.100s\": "
		    "no encoding known%s", customid_show(&show, p, n),
		    rc->hint != NULL ? rc->hint : "");
		buf_free(&show);
		return -1;
	}
	if ((i = encoding_index(enc)) < 0) {
		snprintf(rc->why, sizeof(rc->why), "model \"%.100s\": encoding "
		    "%.40s is not one batchpipe counts", customid_show(&show,
		    p, n), enc);
		buf_free(&show);
		return -1;
	}
	if (rc->toks[i] == NULL && (rc->toks[i] = tokenizer_open(enc)) == NULL)
		return -2;
	rc->tok = rc->toks[i];
	rc->max_output = model_max_output(p, n);
	rc->model_valid = 1;
	return 0;
}

long long
reqcount_input(struct reqcount *rc, const struct reqline *r, long long *cap)
{
	const char *model;
	size_t len;
	long long n;
	int m;

	rc->url = text_of(r->url, &rc->urlbuf, &rc->urllen);
	/* The url before the model: its reason says more. */
	if (reqtokens_uncounted(&rc->rt, rc->url, rc->urllen) != NULL)
		goto fail;
	model = text_of(r->model, &rc->scratch, &len);
	if ((m = model_of(rc, model, len)) < 0)
		return m;
	rc->rt.tok = rc->tok;
	if ((n = reqtokens_input(&rc->rt, rc->url, rc->urllen, r->body,
	    cap)) < 0)
		goto fail;
	return n;
fail:
	snprintf(rc->why, sizeof(rc->why), "%s", rc->rt.why);
	return -1;
}

void
reqcount_free(struct reqcount *rc)
{
	const char *encoding = rc->encoding, *hint = rc->hint;
	int i;

	for (i = 0; i < REQCOUNT_NENC; i++)
		tokenizer_free(rc->toks[i]);
	buf_free(&rc->model);
	buf_free(&rc->urlbuf);
	buf_free(&rc->scratch);
	reqtokens_free(&rc->rt);
	memset(rc, 0, sizeof(*rc));
	rc->encoding = encoding;
	rc->hint = hint;
}
