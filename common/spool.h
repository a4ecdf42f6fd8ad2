/* spool: a seekable copy of an input that may be a pipe (spool_fd), in
 * an unnamed temporary file (common/tmpfile.h), for what a tool must
 * read more than once but not hold in memory. */
#ifndef SPOOL_H
#define SPOOL_H
#include <sys/types.h>

/* spool_fd: returns fd itself when it is a regular file.  Otherwise copies
 * everything left to read on fd into a tmpfile_fd file and returns that
 * file's descriptor, positioned at its start; fd is left open.  Returns -1
 * after reporting "prog: name: reason" (a read error) or "prog: temporary
 * file in DIR: reason" (no room for the copy, say). */
int	spool_fd(int fd, const char *name);

/* spool_check: says whether line lineno, p[0..n) without its "\n", is
 * good: NULL, or the reason it is refused (text that stays valid until
 * the next call).  With partial 1, p[0..n) is only the start of the line
 * (its end has not been read yet): return a reason only when no end can
 * make the line good (a fault well before n, or n over a limit). */
typedef const char *(*spool_check)(void *arg, const char *p, size_t n,
		    unsigned long lineno, int partial);

/* spool_fd_lines: spool_fd for an input of lines that are checked as
 * they are copied, so that a stream that is not what it should be (a
 * device, a binary, an endless bad line) fails at its first bad line
 * instead of filling the disk first.  check is called on every whole
 * line, on an unterminated last line (partial 0), and on the start of a
 * line that has no "\n" yet each time that start has doubled in length
 * (partial 1; from the first time it is carried over a read), and once it
 * is longer than maxline: memory holds at most the longest line (up to
 * maxline and a read more), and the checks take time linear in the
 * input.  Lines are numbered from 1 at the current position of fd.  On a
 * reason, reports "prog: name:lineno: reason" and returns -1; other
 * failures as spool_fd.  A regular fd is returned as it is, unchecked.
 * With check NULL, nothing is checked: that is spool_fd. */
int	spool_fd_lines(int fd, const char *name, size_t maxline,
	    spool_check check, void *arg);

/* An input read more than once: a file, or a pipe's spooled copy. */
struct spool_input {
	const char	*name;		/* for messages: the path, or "stdin" */
	int		 fd;		/* seekable */
	off_t		 base;		/* where its lines begin */
};

/* spool_open: opens path for reading ("-" is stdin, named "stdin"), a
 * pipe through spool_fd, into *in.  On any failure it reports "prog:
 * name: reason" and exits 1. */
void	spool_open(struct spool_input *in, const char *path);

#endif
