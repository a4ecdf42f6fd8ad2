#include <err.h>
#include <errno.h>
#include <unistd.h>

#include "preadall.h"

void
pread_all(int fd, const char *name, void *p, size_t n, off_t off)
{
	char *to = p;
	size_t got;
	ssize_t r;

	for (got = 0; got < n; got += (size_t)r) {
		r = pread(fd, to + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0)
			err(1, "%s", name);
		if (r == 0)
			file_changed(name);
	}
}

void
file_changed(const char *name)
{
	errx(1, "%s: file changed while being read", name);
}
