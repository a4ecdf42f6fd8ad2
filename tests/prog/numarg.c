/* numarg: the test program of common/numarg.c (not a tool).
 *
 *	numarg cases.tsv
 *
 * Each line of cases.tsv that is not blank and does not begin with '#'
 * is one case, five fields separated by TABs: the input, the parser
 * (whole, size, decimal or seconds), min and max (ignored by seconds:
 * write -), and what the parser must give: the number, or the error
 * ("invalid", "too small", "too large").  In the input, \t, \n and \\
 * stand for a TAB, a newline and a backslash.  Every case that gives
 * something else is printed as "numarg: file:line: input: expected X,
 * got Y", and the exit status is then 1. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numarg.h"

/* Undoes the escapes of the input field, in place. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/* What the parser kind gives for in, as text, into got. */
static int
parse(const char *kind, const char *in, const char *min, const char *max,
    char *got, size_t size)
{
	const char *errstr;
	long long v = 0;
	double d = 0;
	int real = 0;

	if (strcmp(kind, "whole") == 0)
		v = numarg(in, strtoll(min, NULL, 10), strtoll(max, NULL, 10),
		    &errstr);
	else if (strcmp(kind, "size") == 0)
		v = numarg_size(in, strtoll(min, NULL, 10),
		    strtoll(max, NULL, 10), &errstr);
	else if (strcmp(kind, "decimal") == 0) {
		d = numarg_decimal(in, strtod(min, NULL), strtod(max, NULL),
		    &errstr);
		real = 1;
	} else if (strcmp(kind, "seconds") == 0) {
		d = numarg_seconds(in, &errstr);
		real = 1;
	} else
		return -1;
	if (errstr != NULL)
		snprintf(got, size, "%s", errstr);
	else if (real)
		snprintf(got, size, "%.17g", d);
	else
		snprintf(got, size, "%lld", v);
	return 0;
}

/* Whether got is want: the same text, or for a real the same double. */
static int
same(const char *kind, const char *want, const char *got)
{
	char *end;
	double w;

	if (strcmp(want, got) == 0)
		return 1;
	if (strcmp(kind, "decimal") != 0 && strcmp(kind, "seconds") != 0)
		return 0;
	w = strtod(want, &end);
	return end != want && *end == '\0' && w == strtod(got, NULL);
}

int
main(int argc, char *argv[])
{
	FILE *fp;
	char *line = NULL, *f[5], *p, got[64];
	size_t cap = 0;
	unsigned long lineno = 0;
	int i, failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: numarg cases.tsv\n");
		return 2;
	}
	if ((fp = fopen(argv[1], "r")) == NULL)
		err(1, "%s", argv[1]);
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (i = 0, p = line; i < 5; i++) {
			f[i] = p;
			if (p != NULL && (p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		if (f[4] == NULL || p != NULL)
			errx(1, "%s:%lu: not five fields", argv[1], lineno);
		unescape(f[0]);
		if (parse(f[1], f[0], f[2], f[3], got, sizeof(got)) < 0)
			errx(1, "%s:%lu: %s: no such parser", argv[1], lineno,
			    f[1]);
		if (!same(f[1], f[4], got)) {
			warnx("%s:%lu: \"%s\": expected %s, got %s", argv[1],
			    lineno, f[0], f[4], got);
			failed = 1;
		}
	}
	if (ferror(fp))
		err(1, "%s", argv[1]);
	free(line);
	fclose(fp);
	return failed;
}
