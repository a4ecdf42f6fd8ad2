/* spool: unnamed temporary files in $TMPDIR (or /tmp), for what a tool
 * must keep but not hold in memory: a seekable copy of an input that may
 * be a pipe (spool_fd), or output held back until the whole input is
 * known good (spool_hold, spool_release). */
#ifndef SPOOL_H
#define SPOOL_H
#include <sys/types.h>

#include "buf.h"

/* Held output stays in memory up to this many bytes, then goes to a
 * temporary file. */
#define SPOOL_HOLD_MEMORY	((size_t)4 << 20)

/* Output held back: the text is in the caller's struct buf, and in fd
 * (first) once it outgrew SPOOL_HOLD_MEMORY. */
struct spool_held {
	int	fd;	/* the temporary file, or -1 */
};

#define SPOOL_HELD_INIT { -1 }

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

/* spool_hold: takes the text in b as the next part of the held output.
 * While everything held is under SPOOL_HOLD_MEMORY it stays in b (call
 * again after adding more to b); past that b is written to a
 * spool_tmpfile and emptied.  On an error (no room in the temporary file,
 * say) reports "prog: temporary file in DIR: reason" and exits 1: nothing
 * has been written to stdout. */
void	spool_hold(struct spool_held *h, struct buf *b);

/* spool_release: writes everything held, then what is left in b, to
 * stdout (stdio's stdout is flushed first, then written to with
 * write(2) or sendfile(2)), closes the temporary file and empties b.  On a write error reports "prog: stdout: reason" and exits 1 (a
 * broken pipe, EPIPE, exits 1 quietly). */
void	spool_release(struct spool_held *h, struct buf *b);

#endif
