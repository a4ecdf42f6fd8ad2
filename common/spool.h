/* spool: unnamed temporary files in $TMPDIR (or /tmp), for what a tool
 * must keep but not hold in memory: a seekable copy of an input that may
 * be a pipe (spool_fd). */
#ifndef SPOOL_H
#define SPOOL_H
#include <sys/types.h>

/* spool_tmpfile: a new temporary file in $TMPDIR (or /tmp), open for
 * reading and writing, that has no name (O_TMPFILE, or created and
 * unlinked at once where the file system cannot do that): nothing is
 * left behind, whatever happens.  Returns its descriptor, or -1 after
 * reporting "prog: temporary file in DIR: reason". */
int	spool_tmpfile(void);

/* spool_fd: returns fd itself when it is a regular file.  Otherwise copies
 * everything left to read on fd into a spool_tmpfile and returns that
 * file's descriptor, positioned at its start; fd is left open.  Returns -1
 * after reporting "prog: name: reason" (a read error) or "prog: temporary
 * file in DIR: reason" (no room for the copy, say). */
int	spool_fd(int fd, const char *name);

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
