/*
 * failwrite: an LD_PRELOAD shim that fills the disk: once a process has
 * written FAILWRITE_BYTES bytes with write(2), writev(2) or pwrite(2),
 * every further write fails with ENOSPC.  With FAILWRITE_PREFIX set, only
 * writes to files whose path starts with it count and fail (the path is
 * read from /proc/self/fd), so stderr stays usable.
 *
 * It sees the calls a program makes itself (the HTTP layer writes a
 * download with write(2)); glibc's stdio calls the kernel directly and is
 * not seen: for stdio the tests use a file size limit (ulimit -f) or a
 * small tmpfs instead.  Not for sanitizer builds.  Built by the tests:
 * cc -shared -fPIC ... -ldl.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/uio.h>

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static unsigned long long budget, written;
static const char *prefix;
static int ready;

static void
init(void)
{
	const char *s = getenv("FAILWRITE_BYTES");

	real_write = (ssize_t (*)(int, const void *, size_t))
	    dlsym(RTLD_NEXT, "write");
	real_writev = (ssize_t (*)(int, const struct iovec *, int))
	    dlsym(RTLD_NEXT, "writev");
	real_pwrite = (ssize_t (*)(int, const void *, size_t, off_t))
	    dlsym(RTLD_NEXT, "pwrite");
	budget = s != NULL ? strtoull(s, NULL, 10) : ~0ULL;
	prefix = getenv("FAILWRITE_PREFIX");
	ready = 1;
}

/* How many of n bytes may go to fd: n, fewer, or -1 for none (ENOSPC). */
static ssize_t
allowed(int fd, size_t n)
{
	char link[64], path[PATH_MAX];
	ssize_t len;

	if (!ready)
		init();
	if (prefix != NULL) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, path, sizeof(path) - 1);
		if (len < 0)
			return (ssize_t)n;
		path[len] = '\0';
		if (strncmp(path, prefix, strlen(prefix)) != 0)
			return (ssize_t)n;
	}
	if (written >= budget) {
		errno = ENOSPC;
		return -1;
	}
	if (n > budget - written)
		n = (size_t)(budget - written);
	written += n;
	return (ssize_t)n;
}

ssize_t
write(int fd, const void *p, size_t n)
{
	ssize_t ok = allowed(fd, n);

	return ok < 0 ? -1 : real_write(fd, p, (size_t)ok);
}

ssize_t
pwrite(int fd, const void *p, size_t n, off_t off)
{
	ssize_t ok = allowed(fd, n);

	return ok < 0 ? -1 : real_pwrite(fd, p, (size_t)ok, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	size_t n = 0;
	int i;

	for (i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	if (allowed(fd, n) < (ssize_t)n) {
		errno = ENOSPC;
		return -1;
	}
	return real_writev(fd, iov, cnt);
}
