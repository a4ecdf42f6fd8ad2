#include <stdio.h>
#include <string.h>

#include "idin.h"

int
idin_open(struct idin *in, int argc, char **argv)
{
	memset(in, 0, sizeof(*in));
	if (argc > 0) {
		in->argv = argv;
		in->argc = argc;
		return 0;
	}
	in->from_stdin = 1;
	return jsonl_open(&in->r, "-", 0);
}

int
idin_next(struct idin *in, char **op)
{
	char *line;
	size_t len;
	int rc;

	if (!in->from_stdin) {
		if (in->argc == 0)
			return 0;
		in->argc--;
		*op = *in->argv++;
		return 1;
	}
	while ((rc = jsonl_next(&in->r, &line, &len)) == 1) {
		line[strcspn(line, "\t")] = '\0';
		if (*line != '\0') {
			*op = line;
			return 1;
		}
	}
	return rc;
}

const char *
idin_where(const struct idin *in)
{
	static char where[64];

	if (!in->from_stdin)
		return "argument";
	snprintf(where, sizeof(where), "stdin:%lu", in->r.lineno);
	return where;
}

void
idin_close(struct idin *in)
{
	if (in->from_stdin)
		jsonl_close(&in->r);
}

int
id_valid(const char *s)
{
	size_t n;

	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-");
	return n > 0 && n <= 255 && s[n] == '\0';
}
