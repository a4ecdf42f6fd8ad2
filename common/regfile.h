/* regfile: opens a file that must be a regular file, without blocking
 * on one that is not (a FIFO with no writer, a terminal, a device). */
#ifndef REGFILE_H
#define REGFILE_H
#include <sys/stat.h>

/* regfile_open: opens path read-only (close-on-exec) and fstat()s it into
 * *st.  The open itself does not block: a FIFO is opened with O_NONBLOCK,
 * which is cleared again before the descriptor is returned.  Returns the
 * descriptor; -1 when the open or fstat failed (errno says why); -2 when
 * path is not a regular file (*st says what it is).  Reports nothing. */
int	regfile_open(const char *path, struct stat *st);

#endif
