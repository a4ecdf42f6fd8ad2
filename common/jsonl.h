/* jsonl: a line reader for JSONL input that counts lines and caps their
 * length, so one giant line cannot take all memory.  Lines are returned
 * without their "\n" or "\r\n" and are NUL-terminated (they may contain
 * NUL bytes of their own: use the length). */
#ifndef JSONL_H
#define JSONL_H
#include <stddef.h>

#define JSONL_MAXLINE_DEFAULT	((size_t)64 << 20)	/* 64 MiB */

struct jsonl {
	int		 fd;
	int		 owned;		/* close fd at jsonl_close */
	const char	*name;		/* for messages: the path, or "stdin" */
	unsigned long	 lineno;	/* of the line last returned */
	size_t		 maxline;
	char		*buf;
	size_t		 cap, start, end;
	int		 eof;
	int		 unterminated;	/* see jsonl_next */
	void		(*before_error)(void *);	/* see jsonl_next */
	void		*before_error_arg;
	void		(*before_read)(void *);		/* see jsonl_next */
	void		*before_read_arg;
};

/* jsonl_open: path "-" or NULL reads stdin.  maxline 0 means the default.
 * Returns 0, or -1 after reporting "prog: path: reason". */
int	jsonl_open(struct jsonl *r, const char *path, size_t maxline);

/* jsonl_next: the next line in *line and *len.  Returns 1 for a line, 0 at
 * the end of the input, -1 after reporting "prog: name:line: reason" (a
 * read error, a line over maxline, a UTF-8 byte order mark).  The line
 * stays valid until the next call.  After a 1, r->unterminated is 1 when
 * that line had no "\n" (the input ended in it: it is the last line, and
 * its writer may have stopped in the middle of it), else 0.
 *
 * When r->before_error is set (it is NULL after jsonl_open and
 * jsonl_fdopen), it is called with r->before_error_arg just before an
 * error is reported: a caller that checks a line only after reading the
 * next one does that check there, so its messages keep the order of the
 * lines (it may exit).
 *
 * The lines returned lie one after the other in r->buf, each followed by
 * its terminator (whose first byte the NUL overwrote) unless it is an
 * unterminated last line, until a call reads more input, which may move
 * them all.  When r->before_read is set
 * (NULL after jsonl_open and jsonl_fdopen), such a call first calls it
 * with r->before_read_arg: a caller can keep pointers to the lines
 * returned so far until then, to write a run of them at once, say. */
int	jsonl_next(struct jsonl *r, char **line, size_t *len);

/* jsonl_line_check: the rules jsonl_next applies to a whole line, for a
 * reader that finds its lines itself (in a mapped file, say): p[0..*n) is
 * line lineno, without its "\n".  Returns NULL, with a "\r" at the end
 * taken off *n, or why the line is refused, written into why[0..size):
 * "line longer than MAXLINE bytes", or, on line 1, "UTF-8 byte order mark
 * (not allowed in JSONL)". */
const char *jsonl_line_check(const char *p, size_t *n, unsigned long lineno,
	    size_t maxline, char *why, size_t size);

/* jsonl_fdopen: reads the open descriptor fd (not closed by jsonl_close),
 * naming it name in messages.  Cannot fail. */
void	jsonl_fdopen(struct jsonl *r, int fd, const char *name, size_t maxline);

/* jsonl_consumed: the bytes of input the line last returned took, with
 * its "\n" or "\r\n": the sum over the lines is the offset of the next
 * line from where reading began. */
size_t	jsonl_consumed(const struct jsonl *r, const char *line);

void	jsonl_close(struct jsonl *r);

#endif
