/* atomicfile: output files that appear whole or not at all.  Data goes to
 * a temporary file beside the final name; afile_commit flushes, fsyncs and
 * renames it.  A temporary file that is not committed is removed at exit()
 * and when the process dies of SIGINT, SIGTERM, SIGHUP or SIGPIPE, so no
 * partial file is ever left under a final name, nor a stray temporary. */
#ifndef ATOMICFILE_H
#define ATOMICFILE_H
#include <stdio.h>

struct afile {
	FILE	*fp;		/* write here */
	char	*path;		/* the final name */
	char	*tmp;		/* the temporary name, NULL once done */
	int	 direct;	/* path is written as it is (see afile_open) */
};

/* afile_open: creates the temporary file for path (mode 0666 less the
 * umask, like fopen).  A path that exists and is not a regular file (a
 * device such as /dev/null, a FIFO, a symbolic link such as /dev/stdout)
 * is opened and written as the shell's > would, with direct set: a rename
 * would replace the device or the link itself, and a link may lead to a
 * file the caller's shell holds open.  Nothing written there can be taken
 * back.  Returns 0, or -1 after reporting the error. */
int	afile_open(struct afile *a, const char *path);

/* afile_commit: flushes, fsyncs, closes (unless afile_close did) and
 * renames to the final name, then fsyncs the directory.  Returns 0, or -1
 * after reporting the error and removing the temporary file.  Frees the
 * names either way. */
int	afile_commit(struct afile *a);

/* afile_close: flushes, fsyncs and closes the temporary file but does
 * not rename it yet: for a tool that holds many finished files until its
 * whole input proved good.  afile_commit then only renames it, afile_abort
 * (or the exit clean-up) removes it.  Returns 0, or -1 after reporting the
 * error and removing the temporary file (the names are freed then). */
int	afile_close(struct afile *a);

/* afile_abort: closes and removes the temporary file; frees the names. */
void	afile_abort(struct afile *a);

#endif
