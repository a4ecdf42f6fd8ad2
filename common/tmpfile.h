/* tmpfile: unnamed scratch files in $TMPDIR (or /tmp), for what a tool
 * must keep but not hold in memory. */
#ifndef TMPFILE_H
#define TMPFILE_H

/* tmpfile_fd: a new temporary file in tmpfile_dir(), open for reading
 * and writing (close-on-exec), that has no name (O_TMPFILE, or created
 * and unlinked at once where the file system cannot do that): nothing is
 * left behind, whatever happens.  Returns its descriptor, or -1 after
 * reporting "prog: temporary file in DIR: reason". */
int		 tmpfile_fd(void);

/* tmpfile_dir: $TMPDIR, or /tmp when it is unset or empty; for the
 * messages of callers that fail later on the file. */
const char	*tmpfile_dir(void);

#endif
