/* spool: a seekable copy of an input that may be a pipe, so that a tool
 * can keep an index of offsets instead of the lines themselves and read
 * the lines back later with pread(2). */
#ifndef SPOOL_H
#define SPOOL_H

/* spool_fd: returns fd itself when it is a regular file.  Otherwise copies
 * everything left to read on fd into a temporary file in $TMPDIR (or /tmp),
 * which is unlinked at once (nothing is left behind, whatever happens),
 * and returns that file's descriptor, positioned at its start; fd is left
 * open.  Returns -1 after reporting "prog: name: reason" (a read error) or
 * "prog: temporary file: reason" (no room for the copy, say). */
int	spool_fd(int fd, const char *name);

#endif
