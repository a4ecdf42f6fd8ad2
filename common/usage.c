#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outcheck.h"
#include "usage.h"

extern const char *__progname;

void
usage_help(const char *help)
{
	fputs(help, stdout);
	exit(stdout_close(1) ? 1 : 0);
}

void
usage_version(void)
{
	printf("%s batchpipe %s\n", __progname, BATCHPIPE_VERSION);
	exit(stdout_close(1) ? 1 : 0);
}

void
usage_error(const char *help)
{
	const char *end;

	end = strstr(help, "\n\n");
	fwrite(help, 1, end ? (size_t)(end - help) + 1 : strlen(help), stderr);
	exit(2);
}

/* takes_value: whether getopt's optstring gives option ch a value. */
static int
takes_value(const char *optstring, char ch)
{
	const char *p;

	p = strchr(optstring, ch);
	return ch != ':' && p != NULL && p[1] == ':';
}

void
usage_long_options(int argc, char *argv[], const char *optstring,
    const char *help)
{
	const char *a;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0)
			return;
		if (strcmp(a, "--help") == 0)
			usage_help(help);
		if (strcmp(a, "--version") == 0)
			usage_version();
		if (strncmp(a, "--", 2) == 0) {
			warnx("%s: no such option", a);
			usage_error(help);
		}
		if (a[0] != '-' || a[1] == '\0')
			continue;	/* an operand; getopt looks past it */
		/* A cluster such as -qk key: the first letter that takes a
		 * value ends it, with the rest or the next argument. */
		for (a++; *a != '\0'; a++)
			if (takes_value(optstring, *a)) {
				if (a[1] == '\0')
					i++;
				break;
			}
	}
}
