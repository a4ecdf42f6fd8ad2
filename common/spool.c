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

static const char *
tmpdir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir == NULL || *dir == '\0' ? "/tmp" : dir;
}

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
spool_tmpfile(void)
{
	const char *dir = tmpdir();
	char *path;
	size_t size;
	int fd, saved;

#ifdef O_TMPFILE
	/* A file that never has a name: not even a signal between creating
	 * and unlinking it can leave it behind. */
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	/* Not every file system has O_TMPFILE (and the error it gives then
	 * varies): a named file, unlinked at once. */
	size = strlen(dir) + sizeof("/batchpipe-spool.XXXXXX");
	path = xmalloc(size);
	snprintf(path, size, "%s/batchpipe-spool.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	saved = errno;
	if (fd >= 0)
		unlink(path);
	free(path);
	if (fd < 0) {
		errno = saved;
		warn("temporary file in %s", dir);
	}
	return fd;
}

int
spool_fd(int fd, const char *name)
{
	struct stat st;
	char *chunk;
	ssize_t n;
	int tmp;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	if ((tmp = spool_tmpfile()) < 0)
		return -1;
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
			warn("temporary file in %s", tmpdir());
			close(tmp);
			return -1;
		}
		if (write_all(tmp, chunk, (size_t)n) < 0) {
			warn("temporary file in %s", tmpdir());
			break;
		}
	}
	free(chunk);
	close(tmp);
	return -1;
}

void
spool_open(struct spool_input *in, const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		in->name = "stdin";
		fd = STDIN_FILENO;
	} else {
		in->name = path;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			err(1, "%s", path);
	}
	if ((in->fd = spool_fd(fd, in->name)) < 0)
		exit(1);
	if ((in->base = lseek(in->fd, 0, SEEK_CUR)) < 0)
		err(1, "%s", in->name);
}
