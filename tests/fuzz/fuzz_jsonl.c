/*
 * fuzz_jsonl: the JSONL line reader over arbitrary bytes, each line then
 * given to the scanner.  The first input byte picks a small line cap, so
 * the "line longer than" path is reached too.  Checked: no line holds a
 * '\n', each is NUL-terminated, the line numbers
 * count up by one, and the bytes of all the lines returned plus their
 * terminators never exceed the input.  A line flagged unterminated
 * reaches the input's end and is the last one; any other line ends in a
 * '\n' of the input (jsonl_consumed).
 */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jscan.h"
#include "jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jsonl r;
	struct jval top;
	struct jerr err;
	char *line;
	size_t len, total = 0, consumed = 0, maxline;
	unsigned long lineno = 0;
	int got, after_last = 0;

	if (size == 0)
		return 0;
	/* 0 means the default cap; otherwise 1..255 bytes. */
	maxline = data[0];
	data++;
	size--;
	if (memfd < 0) {
		memfd = memfd_create("fuzz_jsonl", 0);
		check(memfd >= 0);
	}
	check(ftruncate(memfd, 0) == 0);
	check(pwrite(memfd, data, size, 0) == (ssize_t)size);
	check(lseek(memfd, 0, SEEK_SET) == 0);

	check(jsonl_open(&r, "-", maxline) == 0);
	r.fd = memfd;		/* in place of stdin; not owned, not closed */
	r.name = "fuzz";
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		check(r.lineno == ++lineno);
		check(line[len] == '\0');
		check(memchr(line, '\n', len) == NULL);
		check(maxline == 0 || len <= maxline);
		total += len + 1;
		check(total <= size + 1);
		check(!after_last);
		consumed += jsonl_consumed(&r, line);
		check(consumed <= size);
		if (r.unterminated) {
			check(consumed == size);
			after_last = 1;
		} else
			check(consumed > 0 && data[consumed - 1] == '\n');
		(void)jscan_doc(line, len, &top, &err);
	}
	check(got == 0 || got == -1);
	jsonl_close(&r);
	return 0;
}
