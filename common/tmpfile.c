#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpfile.h"
#include "xalloc.h"

const char *
tmpfile_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir == NULL || *dir == '\0' ? "/tmp" : dir;
}

int
tmpfile_fd(void)
{
	const char *dir = tmpfile_dir();
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
