/* tokenize: the tokenizer's test and bench program (not a tool).
 *
 *	tokenize -E encoding [-i] [file]
 *	tokenize -E encoding -r [file]
 *
 * By default it reads JSONL lines {"text": "..."} and prints, per line,
 * the number of tokens of the decoded text and, with -i, a TAB and the
 * token ids separated by spaces.  With -r it reads raw text and counts
 * each line, its "\n" included, with one tokenizer_count per line; it
 * prints only "TOKENS TAB BYTES" for the whole input.
 *
 * A text that is not valid UTF-8 (json-c passes raw bytes through) is an
 * error: "tokenize: file:line: not valid UTF-8", exit 1. */
#include <err.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outcheck.h"
#include "tokenizer.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: tokenize -E encoding [-i | -r] [file]\n");
}

/* text_of: the decoded "text" member of the JSON object line[0..len), in
 * *text and *n.  Returns 0, or -1 after reporting why not. */
static int
text_of(struct json_tokener *tok, const char *line, size_t len,
    const char *where, struct json_object **obj, const char **text,
    size_t *n)
{
	struct json_object *v;

	json_tokener_reset(tok);
	*obj = json_tokener_parse_ex(tok, line, (int)len);
	if (*obj == NULL || json_tokener_get_parse_end(tok) != len) {
		warnx("%s: not one JSON value", where);
		return -1;
	}
	if (!json_object_object_get_ex(*obj, "text", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		warnx("%s: no string member \"text\"", where);
		return -1;
	}
	*text = json_object_get_string(v);
	*n = (size_t)json_object_get_string_len(v);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct tokenizer *t;
	struct json_tokener *tok;
	struct json_object *obj;
	FILE *fp;
	const char *encoding = NULL, *name, *text;
	char *line = NULL, where[512];
	uint32_t *ids = NULL;
	size_t cap = 0, linecap = 0, n, i;
	ssize_t len;
	unsigned long lineno = 0;
	long long count, total = 0, bytes = 0;
	int ch, showids = 0, raw = 0, failed = 0;

	while ((ch = getopt(argc, argv, "E:hir")) != -1)
		switch (ch) {
		case 'E':
			encoding = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			showids = 1;
			break;
		case 'r':
			raw = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	argc -= optind;
	argv += optind;
	if (encoding == NULL || argc > 1 || (raw && showids)) {
		usage(stderr);
		return 2;
	}

	if (argc == 0 || strcmp(argv[0], "-") == 0) {
		fp = stdin;
		name = "stdin";
	} else if ((fp = fopen(argv[0], "r")) == NULL)
		err(1, "%s", argv[0]);
	else
		name = argv[0];
	if ((t = tokenizer_open(encoding)) == NULL)
		return 1;
	if ((tok = json_tokener_new()) == NULL)
		errx(1, "out of memory");

	while (!failed && (len = getline(&line, &linecap, fp)) != -1) {
		lineno++;
		count = 0;
		snprintf(where, sizeof(where), "%s:%lu", name, lineno);
		if (raw) {
			count = tokenizer_count(t, line, (size_t)len);
			if (count < 0) {
				warnx("%s: not valid UTF-8", where);
				failed = 1;
			}
			total += count;
			bytes += len;
			continue;
		}
		n = (size_t)len;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		obj = NULL;
		if (text_of(tok, line, n, where, &obj, &text, &n) != 0) {
			failed = 1;
		} else if (showids) {
			count = tokenizer_encode(t, text, n, &ids, &cap);
			if (count >= 0) {
				printf("%lld\t", count);
				for (i = 0; i < (size_t)count; i++)
					printf(i ? " %" PRIu32 : "%" PRIu32,
					    ids[i]);
				putchar('\n');
			}
		} else {
			count = tokenizer_count(t, text, n);
			if (count >= 0)
				printf("%lld\n", count);
		}
		if (!failed && count < 0) {
			warnx("%s: not valid UTF-8", where);
			failed = 1;
		}
		json_object_put(obj);
	}
	if (ferror(fp)) {
		warn("%s", name);
		failed = 1;
	}
	if (raw && !failed)
		printf("%lld\t%lld\n", total, bytes);

	if (fp != stdin)
		fclose(fp);
	free(line);
	free(ids);
	json_tokener_free(tok);
	tokenizer_free(t);
	if (stdout_close(1) != 0)
		failed = 1;
	return failed ? 1 : 0;
}
