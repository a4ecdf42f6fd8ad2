/* A growable byte buffer, always NUL-terminated after len bytes.
 * Growth failure exits through xalloc ("out of memory", exit 1). */
#ifndef BUF_H
#define BUF_H
#include <stddef.h>

struct buf {
	char	*p;	/* NULL until the first add */
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* buf_reserve: room for at least extra more bytes plus the NUL. */
void	buf_reserve(struct buf *b, size_t extra);
void	buf_add(struct buf *b, const void *data, size_t n);
void	buf_addc(struct buf *b, char c);
void	buf_adds(struct buf *b, const char *s);
void	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* buf_add_json_string: appends s[0..n) as a quoted JSON string, escaping
 * '"', '\\' and control characters.  Bytes >= 0x80 are copied as they are:
 * the caller passes valid UTF-8 (everything the scanner accepted is). */
void	buf_add_json_string(struct buf *b, const char *s, size_t n);
/* buf_reset: empties the buffer and keeps its memory. */
void	buf_reset(struct buf *b);
void	buf_free(struct buf *b);

#endif
