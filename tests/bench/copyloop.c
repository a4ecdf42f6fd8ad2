/*
 * copyloop in out: the floor the filters are measured against, a plain
 * getline(3) and fwrite(3) loop copying in to out, line by line.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char *argv[])
{
	FILE *in, *out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (argc != 3) {
		fprintf(stderr, "usage: copyloop in out\n");
		return 2;
	}
	if ((in = fopen(argv[1], "r")) == NULL ||
	    (out = fopen(argv[2], "w")) == NULL) {
		perror("copyloop");
		return 1;
	}
	while ((n = getline(&line, &cap, in)) > 0)
		if (fwrite(line, 1, (size_t)n, out) != (size_t)n)
			break;
	free(line);
	if (ferror(in) || fclose(out) != 0) {
		perror("copyloop");
		return 1;
	}
	fclose(in);
	return 0;
}
