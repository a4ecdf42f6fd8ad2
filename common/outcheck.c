#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "outcheck.h"

int
stdout_close(int report_epipe)
{
	int failed;

	errno = 0;
	failed = fflush(stdout) != 0 || ferror(stdout);
	if (fclose(stdout) != 0)
		failed = 1;
	if (!failed)
		return 0;
	if (errno == EPIPE && !report_epipe)
		return -1;
	if (errno)
		warn("stdout");
	else
		warnx("stdout: write error");
	return -1;
}

void
stdout_fail(void)
{
	if (errno != EPIPE)
		warn("stdout");
	exit(1);
}

void
stdout_write(const void *p, size_t n)
{
	if (fwrite(p, 1, n, stdout) != n)
		stdout_fail();
}

void
stdout_flush(void)
{
	if (fflush(stdout) != 0)
		stdout_fail();
}
