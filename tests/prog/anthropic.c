/* anthropic: the test program of common/anthropic.c and anthresult.c
 * (not a tool).
 *
 *	anthropic request [default_max]	< request lines
 *	anthropic result		< Anthropic results lines
 *	anthropic batch			< MessageBatch objects, one a line
 *	anthropic default model		(anthropic_default_max)
 *
 * Each input line gives one output line: the translation (checked to be
 * strict JSON), or "error: WHY".  A result line is followed by the
 * classification of what it became (common/result.h): "= ok",
 * "= retry: WHY" or "= final: WHY".
 * A batch gives "status total completed failed output_file_id" ("-" for
 * none).  Lines that are blank or begin with '#' are copied as they are,
 * so an expected output reads as its cases. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "anthropic.h"
#include "batchobj.h"
#include "buf.h"
#include "jscan.h"
#include "reqline.h"
#include "result.h"

static void
request(const char *line, size_t n, long long def, struct buf *out)
{
	struct reqline r = { 0 };
	struct buf idbuf = BUF_INIT;
	struct jval top;
	struct jerr e;
	const char *why;

	if ((why = reqline_check(line, n, &r, &idbuf)) != NULL)
		printf("error: reqline: %s\n", why);
	else if (anthropic_request(&r, def, out, &why) < 0)
		printf("error: %s%s\n", why, out->len > 0 ?
		    " (and out was changed)" : "");
	else if (jscan_doc(out->p, out->len, &top, &e) < 0)
		printf("invalid output: %s: %s\n", e.msg, out->p);
	else
		printf("%s\n", out->p);
	buf_free(&idbuf);
}

static void
result(const char *line, size_t n, struct buf *out)
{
	struct jval top;
	struct jerr e;
	struct result r;
	struct buf why = BUF_INIT;
	const char *reason;

	if (anthropic_result(line, n, out, &reason) < 0) {
		printf("error: %s%s\n", reason, out->len > 0 ?
		    " (and out was changed)" : "");
		return;
	}
	fputs(out->p, stdout);
	/* The line written must itself be strict JSON. */
	if (jscan_doc(out->p, out->len - 1, &top, &e) < 0) {
		printf("= invalid output: %s\n", e.msg);
		return;
	}
	result_of(top, &r);
	result_why(&r, &why);
	printf("= %s%s%s\n", r.ok ? "ok" : r.retry ? "retry" : "final",
	    why.len > 0 ? ": " : "", why.len > 0 ? why.p : "");
	buf_free(&why);
}

static void
batch(const char *line, size_t n)
{
	struct jval top;
	struct jerr e;
	struct json_object *o;
	struct batchobj b;

	if (jscan_doc(line, n, &top, &e) < 0 ||
	    (o = json_tokener_parse(line)) == NULL) {
		printf("error: not JSON\n");
		return;
	}
	if (anthropic_batch(o, &b) < 0)
		printf("error: not a MessageBatch\n");
	else
		printf("%s %lld %lld %lld %s\n", b.status, b.total,
		    b.completed, b.failed,
		    b.output_file_id != NULL ? b.output_file_id : "-");
	if (b.input_file_id != NULL || b.error_file_id != NULL)
		printf("error: a file id that Anthropic has no use for\n");
	batchobj_free(&b);
	json_object_put(o);
}

int
main(int argc, char **argv)
{
	struct buf out = BUF_INIT;
	char *line = NULL;
	size_t cap = 0, n;
	ssize_t got;
	long long def = 0;

	if (argc == 3 && strcmp(argv[1], "default") == 0) {
		printf("%lld\n", anthropic_default_max(argv[2],
		    strlen(argv[2])));
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "request") != 0 &&
	    strcmp(argv[1], "result") != 0 && strcmp(argv[1], "batch") != 0))
		errx(2, "usage: anthropic request [default_max] | result | "
		    "batch | default model");
	if (argc > 2)
		def = strtoll(argv[2], NULL, 10);
	while ((got = getline(&line, &cap, stdin)) > 0) {
		n = (size_t)got;
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#') {
			printf("%s\n", line);
			continue;
		}
		buf_reset(&out);
		if (strcmp(argv[1], "request") == 0)
			request(line, n, def, &out);
		else if (strcmp(argv[1], "result") == 0)
			result(line, n, &out);
		else
			batch(line, n);
	}
	free(line);
	buf_free(&out);
	return ferror(stdout) || fflush(stdout) != 0;
}
