/* scrub: the one way text from a server is made fit to show or store. */
#ifndef SCRUB_H
#define SCRUB_H
#include <stddef.h>

struct buf;

#define SCRUB_MASK	"[redacted]"	/* what stands for the key */

/* scrub: appends to out the server's text s[0..n), made safe, in this
 * order: every occurrence of key (when key is non-NULL and not empty)
 * replaced by SCRUB_MASK; then every control character (bytes 0x00-0x1f
 * and 0x7f, and the C1 controls U+0080-U+009F in UTF-8) made one space,
 * so the text can drive no terminal and stays one line; then, when max
 * is not 0, cut to at most max bytes (never inside a UTF-8 sequence) with
 * "..." added.  Masking comes before the cut, so no piece of the key can
 * show at the cut.  out is NUL-terminated as always; nothing is reported.
 * scrubs is the same for a NUL-terminated s (NULL: nothing appended). */
void	scrub(struct buf *out, const char *s, size_t n, const char *key,
	    size_t max);
void	scrubs(struct buf *out, const char *s, const char *key, size_t max);

#define SCRUB_C1	1	/* the C1 controls too */
#define SCRUB_FOLD	2	/* a run of TAB, CR, LF and NUL: one space */

/* scrub_controls: the control characters of p[0..n) made spaces, in
 * place, so that the text can drive no terminal: the bytes 0x00-0x1f
 * and 0x7f; with SCRUB_C1 the C1 controls U+0080-U+009F in UTF-8 (two
 * bytes, one space); with SCRUB_FOLD a run of TAB, CR, LF and NUL one
 * space (a message on one line).  Returns the new length (p is not
 * NUL-terminated by it).  scrub does this with SCRUB_C1. */
size_t	scrub_controls(char *p, size_t n, int flags);

#endif
