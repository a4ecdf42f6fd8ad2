/*
 * A request line as jsonl-split reads it: the checks of common/reqline.c,
 * the duplicate check of its custom_id, its input tokens with -t (counted
 * as jsonl-tokens counts them, common/reqcount.c), and whether it fits
 * the file being written.  fuzz_split_request links this part (and
 * files.c, which it calls).
 */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "customid.h"
#include "idset.h"
#include "jscan.h"
#include "jsonl.h"
#include "reqcount.h"
#include "reqline.h"
#include "split.h"

/* Reports a bad input line and exits 1; the temporary files go at exit. */
static void __attribute__((noreturn, format(printf, 3, 4)))
bad_line(const char *name, unsigned long lineno, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errx(1, "%s:%lu: %s", name, lineno, msg);
}

void
check_last_id(void *arg)
{
	static struct buf show = BUF_INIT;
	struct split *sp = arg;

	if (idset_settle(sp->ids, &sp->last) < 0)
		bad_line(sp->input_name, sp->last.lineno, "duplicate custom_id "
		    "\"%.*s\"", 200, customid_show(&show, sp->last.id.p,
		    sp->last.id.len));
}

int
same_text(struct jval v, const struct buf *cur, struct buf *scratch)
{
	if (memchr(v.p, '\\', v.n) == NULL)
		return v.n - 2 == cur->len && memcmp(v.p + 1, cur->p,
		    cur->len) == 0;
	buf_reset(scratch);
	jscan_unescape(v, scratch);
	return scratch->len == cur->len && memcmp(scratch->p, cur->p,
	    cur->len) == 0;
}

/* Checks line[0..len), line lineno of the input (an unterminated one
 * when unterminated is set), as a request line into req (its decoded id
 * in *id), holds its custom_id for the duplicate check and, with -t,
 * counts its input tokens.  Returns the count, or -1 when not counted.
 * The line's own fault is reported after the last line's duplicate,
 * which is on an earlier line. */
static long long
request_check(struct split *sp, const char *line, size_t len,
    unsigned long lineno, int unterminated, struct reqline *req,
    struct buf *id)
{
	const char *why;
	long long t = -1;
	int r;

	why = reqline_check(line, len, req, id);
	check_last_id(sp);
	if (why != NULL)
		reqline_fail(sp->input_name, lineno, unterminated, why);
	idset_hold(&sp->last, req->id, req->idlen, idset_prefetch(sp->ids,
	    req->id, req->idlen), lineno);
	if (sp->max_tokens == 0)
		return -1;
	if ((r = reqcount_request(&sp->rc, req, &t, NULL)) < 0)
		exit(1);
	if (r != 0)
		reqline_fail(sp->input_name, lineno, 0, sp->rc.why);
	if ((unsigned long long)t > sp->max_tokens)
		bad_line(sp->input_name, lineno, "%lld input tokens, more "
		    "than -t %zu: the request can never fit", t,
		    sp->max_tokens);
	return t;
}

/* 1 when the request req of len bytes (and t tokens, -1: not counted)
 * can go into the file being written: there is one, it is under its caps
 * with the request, and it holds requests of the same url and model. */
static int
request_fits(struct split *sp, const struct reqline *req, size_t len,
    long long t)
{
	return sp->f != NULL && sp->lines != sp->max_lines &&
	    sp->bytes + len + 1 <= sp->max_bytes &&
	    (sp->max_tokens == 0 ||
	    (unsigned long long)(sp->tokens + t) <= sp->max_tokens) &&
	    same_text(req->url, &sp->url, &sp->scratch) &&
	    same_text(req->model, &sp->model, &sp->scratch);
}

int
split_requests(struct split *sp, struct jsonl *in)
{
	struct buf id = BUF_INIT;
	struct reqline req;
	char *line;
	size_t len;
	long long t;
	int n;

	while ((n = jsonl_next(in, &line, &len)) == 1) {
		t = request_check(sp, line, len, in->lineno, in->unterminated,
		    &req, &id);
		if (!request_fits(sp, &req, len, t))
			next_file(sp, &req);
		line[len] = '\n';
		add_line(sp, line, len, jsonl_consumed(in, line) == len + 1, t);
	}
	buf_free(&id);
	return n < 0 ? -1 : 0;
}
