/* mapfile: a regular file mapped read-only, for a reader that walks a big
 * file without copying it into its own memory.  The pages a reader has
 * passed are given back with mapfile_drop, so the mapping does not make
 * the process's resident memory grow with the file. */
#ifndef MAPFILE_H
#define MAPFILE_H
#include <stddef.h>

struct mapfile {
	const char	*name;		/* for messages */
	const char	*p;		/* the file's bytes; NULL when empty */
	size_t		 size;
};

/* mapfile_open: maps the regular file open on fd (its whole size, as
 * fstat(2) gives it now), read-only and shared.  fd may be closed
 * afterwards.  Returns 0, or -1 after reporting "prog: name: reason". */
int	mapfile_open(struct mapfile *m, int fd, const char *name);

/* mapfile_drop: for a reader that has passed byte to: gives back the
 * resident pages from the one holding byte from up to, not including,
 * the one holding byte to (all of them when to is the file's size)
 * (madvise MADV_DONTNEED: the file's pages stay in the page cache, a
 * later read maps them again).  Calls with from = the last call's to
 * give back every page once. */
void	mapfile_drop(const struct mapfile *m, size_t from, size_t to);

/* mapfile_close: unmaps the file. */
void	mapfile_close(struct mapfile *m);

/* mapfile_guard: makes SIGBUS, which a read of a mapped file that another
 * process has cut short raises, end the process with status 1 and the
 * message "prog: an input file was cut short while being read" instead
 * of a core dump.  Call once, before reading any mapping. */
void	mapfile_guard(void);

#endif
