/*
 * reqcount: the input tokens of request lines and files; see reqcount.h.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "customid.h"
#include "jscan.h"
#include "jsonl.h"
#include "modeldata.h"
#include "reqcount.h"
#include "tokenizer.h"

static const char *const encodings[REQCOUNT_NENC] = {
	"o200k_base", "cl100k_base"
};

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
reqcount_encoding_known(const char *encoding)
{
	return encoding_index(encoding) >= 0;
}

/* The model of request r, looked up only when it is not the model of the
 * line before.  0, 2 with the reason in rc->why, -1 as reqcount_line. */
static int
model_of(struct reqcount *rc, const struct reqline *r)
{
	const char *enc, *p = r->model.p + 1;
	size_t n = r->model.n - 2;
	int i;

	if (memchr(r->model.p, '\\', r->model.n) != NULL) {
		buf_reset(&rc->scratch);
		jscan_unescape(r->model, &rc->scratch);
		p = rc->scratch.p;
		n = rc->scratch.len;
	}
	if (rc->have_model && n == rc->model.len &&
	    memcmp(p, rc->model.p, n) == 0)
		return 0;
	buf_reset(&rc->model);
	buf_add(&rc->model, p, n);
	rc->have_model = 0;
	if ((enc = rc->encoding) == NULL &&
	    (enc = model_encoding(p, n)) == NULL) {
		buf_reset(&rc->scratch);
		snprintf(rc->why, sizeof(rc->why), "unknown model \"%.*s\": "
		    "no encoding known%s", 100,
		    customid_show(&rc->scratch, rc->model.p, rc->model.len),
		    rc->hint != NULL ? rc->hint : "");
		return 2;
	}
	if ((i = encoding_index(enc)) < 0) {
		snprintf(rc->why, sizeof(rc->why), "encoding %s: not one "
		    "batchpipe knows", enc);
		return 2;
	}
	if (rc->toks[i] == NULL && (rc->toks[i] = tokenizer_open(enc)) == NULL)
		return -1;
	rc->tok = rc->toks[i];
	rc->max_output = model_max_output(p, n);
	rc->have_model = 1;
	return 0;
}

int
reqcount_line(struct reqcount *rc, const char *line, size_t len,
    struct reqline *req, long long *input, long long *cap)
{
	const char *bad;

	if ((bad = reqline_check(line, len, req, &rc->id)) != NULL) {
		snprintf(rc->why, sizeof(rc->why), "%s", bad);
		return 1;
	}
	return reqcount_request(rc, req, input, cap);
}

int
reqcount_request(struct reqcount *rc, const struct reqline *req,
    long long *input, long long *cap)
{
	const char *u;
	size_t ulen;
	int r;

	u = req->url.p + 1;
	ulen = req->url.n - 2;
	if (memchr(req->url.p, '\\', req->url.n) != NULL) {
		buf_reset(&rc->urlbuf);
		jscan_unescape(req->url, &rc->urlbuf);
		u = rc->urlbuf.p;
		ulen = rc->urlbuf.len;
	}
	rc->url = u;
	rc->url_len = ulen;
	/* The url before the model: its reason says more. */
	if (reqtokens_uncounted(&rc->rt, u, ulen) != NULL) {
		snprintf(rc->why, sizeof(rc->why), "%s", rc->rt.why);
		return 2;
	}
	if ((r = model_of(rc, req)) != 0)
		return r;
	rc->rt.tok = rc->tok;
	if ((*input = reqtokens_input(&rc->rt, u, ulen, req->body, cap)) < 0) {
		snprintf(rc->why, sizeof(rc->why), "%s", rc->rt.why);
		return 2;
	}
	return 0;
}

long long
reqcount_file(struct reqcount *rc, const char *path, char *model,
    size_t size, unsigned long long *requests)
{
	struct jsonl in;
	struct reqline req;
	char *line;
	size_t len;
	long long sum = 0, input, cap;
	int n, r;

	model[0] = '\0';
	*requests = 0;
	if (jsonl_open(&in, path, 0) < 0)
		return -1;
	while ((n = jsonl_next(&in, &line, &len)) == 1) {
		if ((r = reqcount_line(rc, line, len, &req, &input,
		    &cap)) < 0)
			break;
		if (r == 0 && *requests == 0 && (rc->model.len >= size ||
		    memchr(rc->model.p, '\0', rc->model.len) != NULL)) {
			snprintf(rc->why, sizeof(rc->why), "model name "
			    "longer than %zu bytes", size - 1);
			r = 2;
		} else if (r == 0 && *requests == 0) {
			memcpy(model, rc->model.p, rc->model.len);
			model[rc->model.len] = '\0';
		} else if (r == 0 && (strlen(model) != rc->model.len ||
		    memcmp(model, rc->model.p, rc->model.len) != 0)) {
			buf_reset(&rc->scratch);
			snprintf(rc->why, sizeof(rc->why), "requests for two "
			    "models, %.100s and %.100s (one a file: see "
			    "jsonl-split)", model, customid_show(&rc->scratch,
			    rc->model.p, rc->model.len));
			r = 2;
		}
		if (r != 0) {
			warnx("%s:%lu: %s", in.name, in.lineno, rc->why);
			break;
		}
		sum += input;
		(*requests)++;
	}
	jsonl_close(&in);
	return n == 0 ? sum : -1;
}

void
reqcount_free(struct reqcount *rc)
{
	int i;

	reqtokens_free(&rc->rt);
	for (i = 0; i < REQCOUNT_NENC; i++)
		tokenizer_free(rc->toks[i]);
	buf_free(&rc->model);
	buf_free(&rc->id);
	buf_free(&rc->urlbuf);
	buf_free(&rc->scratch);
	memset(rc, 0, sizeof(*rc));
}
