#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "xalloc.h"

#define CHUNK	((size_t)1 << 20)

/* Runs the caller's hook before an error is reported; errno is kept for
 * the report. */
static void
before_error(struct jsonl *r)
{
	int saved = errno;

	if (r->before_error != NULL)
		r->before_error(r->before_error_arg);
	errno = saved;
}

int
jsonl_open(struct jsonl *r, const char *path, size_t maxline)
{
	memset(r, 0, sizeof(*r));
	r->maxline = maxline ? maxline : JSONL_MAXLINE_DEFAULT;
	if (path == NULL || strcmp(path, "-") == 0) {
		r->fd = STDIN_FILENO;
		r->name = "stdin";
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			warn("%s", path);
			return -1;
		}
		r->owned = 1;
		r->name = path;
	}
	r->cap = CHUNK;
	r->buf = xmalloc(r->cap + 1);
	return 0;
}

/* Reads more input after buf[end]; grows the buffer when it is full of one
 * unfinished line.  Returns bytes read, 0 at EOF, -1 on error. */
static ssize_t
fill(struct jsonl *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		r->cap *= 2;
		r->buf = xreallocarray(r->buf, r->cap + 1, 1);
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		r->end += (size_t)n;
	return n;
}

int
jsonl_next(struct jsonl *r, char **line, size_t *len)
{
	char *nl = NULL, why[80];
	size_t scanned = 0, n;
	ssize_t got;

	for (;;) {
		nl = memchr(r->buf + r->start + scanned, '\n',
		    r->end - r->start - scanned);
		if (nl != NULL || r->eof)
			break;
		scanned = r->end - r->start;
		if (scanned > r->maxline) {
			before_error(r);
			warnx("%s:%lu: line longer than %zu bytes", r->name,
			    r->lineno + 1, r->maxline);
			return -1;
		}
		if (r->before_read != NULL)
			r->before_read(r->before_read_arg);
		got = fill(r);
		if (got < 0) {
			before_error(r);
			warn("%s", r->name);
			return -1;
		}
		if (got == 0)
			r->eof = 1;
	}
	if (nl == NULL && r->start == r->end)
		return 0;
	*line = r->buf + r->start;
	n = nl ? (size_t)(nl - *line) : r->end - r->start;
	r->start += nl ? n + 1 : n;
	r->unterminated = nl == NULL;
	r->lineno++;
	if (jsonl_line_check(*line, &n, r->lineno, r->maxline, why,
	    sizeof(why)) != NULL) {
		before_error(r);
		warnx("%s:%lu: %s", r->name, r->lineno, why);
		return -1;
	}
	(*line)[n] = '\0';
	*len = n;
	return 1;
}

const char *
jsonl_line_check(const char *p, size_t *n, unsigned long lineno,
    size_t maxline, char *why, size_t size)
{
	if (*n > maxline) {
		snprintf(why, size, "line longer than %zu bytes", maxline);
		return why;
	}
	if (*n > 0 && p[*n - 1] == '\r')
		(*n)--;
	if (lineno == 1 && *n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		snprintf(why, size, "UTF-8 byte order mark (not allowed in "
		    "JSONL)");
		return why;
	}
	return NULL;
}

void
jsonl_fdopen(struct jsonl *r, int fd, const char *name, size_t maxline)
{
	memset(r, 0, sizeof(*r));
	r->maxline = maxline ? maxline : JSONL_MAXLINE_DEFAULT;
	r->fd = fd;
	r->name = name;
	r->cap = CHUNK;
	r->buf = xmalloc(r->cap + 1);
}

size_t
jsonl_consumed(const struct jsonl *r, const char *line)
{
	return (size_t)(r->buf + r->start - line);
}

void
jsonl_close(struct jsonl *r)
{
	if (r->owned)
		close(r->fd);
	free(r->buf);
	r->buf = NULL;
}
