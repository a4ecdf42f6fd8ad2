/* writeall: write(2) until all of it is written. */
#ifndef WRITEALL_H
#define WRITEALL_H
#include <stddef.h>

/* write_all: writes p[0..n) to fd, going on after a short write and
 * after a signal interrupts write(2) (EINTR).  Returns 0 when all n
 * bytes are written, or -1 with errno set at the first other error (how
 * much was written is then unknown).  Reports nothing: the caller names
 * the file, and may keep quiet on EPIPE. */
int	write_all(int fd, const void *p, size_t n);

#endif
