/*
 * failalloc: an LD_PRELOAD shim that makes the Nth memory allocation of a
 * process fail, to test that a tool survives running out of memory (exits
 * 1 with "out of memory", no crash, no partial output).
 *
 *	FAILALLOC_N=7	malloc, calloc, realloc and reallocarray count their
 *			calls from 1; call 7 returns NULL with errno ENOMEM
 *			(unset or 0: none fails)
 *	FAILALLOC_REPORT=path
 *			at exit, the number of calls made is written there,
 *			so a test knows which N to try
 *
 * glibc sends its own allocations (strdup, stdio buffers, json-c's and
 * libcurl's) through these names too.  Not for sanitizer builds: ASan
 * replaces malloc itself.  Built by the tests: cc -shared -fPIC.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);

static unsigned long calls, fail_at;
static int ready;

static int
fail_now(void)
{
	if (!ready) {
		const char *s = getenv("FAILALLOC_N");

		fail_at = s != NULL ? strtoul(s, NULL, 10) : 0;
		ready = 1;
	}
	return ++calls == fail_at;
}

void *
malloc(size_t n)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *
calloc(size_t count, size_t size)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(count, size);
}

void *
realloc(void *p, size_t n)
{
	if (fail_now()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

void *
reallocarray(void *p, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, count * size);
}

__attribute__((destructor)) static void
report(void)
{
	const char *path = getenv("FAILALLOC_REPORT");
	char text[32];
	int fd, n;

	if (path == NULL)
		return;
	n = snprintf(text, sizeof(text), "%lu\n", calls);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, text, (size_t)n) < 0)
			n = 0;
		close(fd);
	}
}
