/*
 * standalone: a main() for a fuzz target without libFuzzer, so the seed
 * corpus and every regression input replay with any C compiler, under
 * plain builds, ASan+UBSan and valgrind (tests/test-fuzz-corpus.sh).
 * Usage: TARGET FILE...; each file is one input.
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char *argv[])
{
	FILE *fp;
	char *data;
	long n;
	int i;

	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "rb")) == NULL)
			err(1, "%s", argv[i]);
		if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
		    fseek(fp, 0, SEEK_SET) != 0)
			err(1, "%s", argv[i]);
		/* Exactly n bytes, so a read past the end is caught. */
		if ((data = malloc(n ? (size_t)n : 1)) == NULL)
			err(1, NULL);
		if (fread(data, 1, (size_t)n, fp) != (size_t)n)
			err(1, "%s", argv[i]);
		fclose(fp);
		/* Names the input that a crash report is about. */
		fprintf(stderr, "input %s\n", argv[i]);
		LLVMFuzzerTestOneInput((const uint8_t *)data, (size_t)n);
		free(data);
	}
	return 0;
}
