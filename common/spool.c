#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "spool.h"
#include "tmpfile.h"
#include "writeall.h"
#include "xalloc.h"

#define SPOOL_CHUNK	((size_t)1 << 20)

int
spool_fd(int fd, const char *name)
{
	return spool_fd_lines(fd, name, 0, NULL, NULL);
}

/* The lines of chunk[0..n) for spool_fd_lines: whole lines are checked
 * in place, or, the first one, after the start carried in *held; the
 * unfinished last line is added to *held.  Returns -1 after reporting a
 * bad line, else 0. */
static int
check_chunk(const char *chunk, size_t n, struct buf *held, size_t *next,
    size_t maxline, unsigned long *lineno, const char *name,
    spool_check check, void *arg)
{
	const char *p = chunk, *end = chunk + n, *nl, *why;
	size_t len;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		len = (size_t)(nl - p);
		++*lineno;
		if (held->len > 0) {
			buf_add(held, p, len);
			why = check(arg, held->p, held->len, *lineno, 0);
			buf_reset(held);
		} else
			why = check(arg, p, len, *lineno, 0);
		*next = 0;
		if (why != NULL) {
			warnx("%s:%lu: %s", name, *lineno, why);
			return -1;
		}
		p = nl + 1;
	}
	if (p == end)
		return 0;
	buf_add(held, p, (size_t)(end - p));
	if (held->len >= *next) {
		if ((why = check(arg, held->p, held->len, *lineno + 1,
		    1)) != NULL) {
			warnx("%s:%lu: %s", name, *lineno + 1, why);
			return -1;
		}
		*next = held->len > maxline / 2 ? maxline + 1 : held->len * 2;
		if (*next <= held->len)
			*next = held->len + 1;
	}
	return 0;
}

int
spool_fd_lines(int fd, const char *name, size_t maxline, spool_check check,
    void *arg)
{
	struct stat st;
	struct buf held = BUF_INIT;
	unsigned long lineno = 0;
	const char *why;
	char *chunk;
	size_t next = 0;
	ssize_t n;
	int tmp;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	if ((tmp = tmpfile_fd()) < 0)
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
			why = held.len == 0 || check == NULL ? NULL :
			    check(arg, held.p, held.len, lineno + 1, 0);
			if (why != NULL) {
				warnx("%s:%lu: %s", name, lineno + 1, why);
				break;
			}
			free(chunk);
			buf_free(&held);
			if (lseek(tmp, 0, SEEK_SET) == 0)
				return tmp;
			warn("temporary file in %s", tmpfile_dir());
			close(tmp);
			return -1;
		}
		if (check != NULL && check_chunk(chunk, (size_t)n, &held,
		    &next, maxline, &lineno, name, check, arg) < 0)
			break;
		if (write_all(tmp, chunk, (size_t)n) < 0) {
			warn("temporary file in %s", tmpfile_dir());
			break;
		}
	}
	free(chunk);
	buf_free(&held);
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
