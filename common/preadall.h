/* preadall: reading back a part of a file already read once (an index
 * holds its offsets), where a short read means the file changed. */
#ifndef PREADALL_H
#define PREADALL_H
#include <sys/types.h>

#include <stddef.h>

/* pread_all: reads exactly n bytes at offset off of fd into p, going on
 * after a short read and after EINTR.  A read error is reported as
 * "prog: name: reason", and an end of file before n bytes as
 * file_changed's message; both exit 1. */
void	pread_all(int fd, const char *name, void *p, size_t n, off_t off);

/* file_changed: reports "prog: name: file changed while being read" and
 * exits 1: the one message for a file that is no longer what was read
 * (shorter, or no longer the JSON it was), whoever finds it. */
void	file_changed(const char *name) __attribute__((noreturn));

#endif
