#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "xalloc.h"

#define SPOOL_CHUNK	((size_t)1 << 20)

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
spool_fd(int fd, const char *name)
{
	struct stat st;
	const char *dir;
	char *path, *chunk;
	size_t size;
	ssize_t n;
	int tmp;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	size = strlen(dir) + sizeof("/batchpipe-spool.XXXXXX");
	path = xmalloc(size);
	snprintf(path, size, "%s/batchpipe-spool.XXXXXX", dir);
	tmp = mkostemp(path, O_CLOEXEC);
	if (tmp < 0) {
		warn("temporary file %s", path);
		free(path);
		return -1;
	}
	unlink(path);
	free(path);
	chunk = xmalloc(SPOOL_CHUNK);
	for (;;) {
		n = read(fd, chunk, SPOOL_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("%s", name);
			break;
		}
		if (n == 0) {
			free(chunk);
			if (lseek(tmp, 0, SEEK_SET) == 0)
				return tmp;
			warn("temporary file");
			close(tmp);
			return -1;
		}
		if (write_all(tmp, chunk, (size_t)n) < 0) {
			warn("temporary file");
			break;
		}
	}
	free(chunk);
	close(tmp);
	return -1;
}
