/*
 * fuzz_retry_after: retry_after_ms, the parser of the retry-after-ms and
 * Retry-After header values the HTTP layer obeys.  The input is split at
 * its first NUL byte into the two header values (no NUL: Retry-After
 * only; a leading NUL: retry-after-ms only).  Checked: the result is -1 or
 * within [0, cap]; a plain decimal retry-after-ms wins; and the answer
 * does not depend on anything but the arguments (two calls agree).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *ms = NULL, *after, *nul;
	const time_t now = 1711471533;	/* a fixed clock: a pure function */
	long cap = 60000, r;

	if (size > 4096)
		return 0;
	copy = malloc(size + 1);
	check(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	after = copy;
	if ((nul = memchr(copy, '\0', size)) != NULL) {
		ms = copy;
		after = nul + 1;
		if (nul == copy) {
			ms = copy + 1;
			after = NULL;
		}
	}
	r = retry_after_ms(ms, after, now, cap);
	check(r == -1 || (r >= 0 && r <= cap));
	check(retry_after_ms(ms, after, now, cap) == r);
	check(retry_after_ms(ms, after, now, 0) <= 0);
	if (ms != NULL && *ms >= '0' && *ms <= '9' &&
	    strspn(ms, "0123456789") == strlen(ms) && strlen(ms) < 10)
		check(r == (atol(ms) < cap ? atol(ms) : cap));
	free(copy);
	return 0;
}
