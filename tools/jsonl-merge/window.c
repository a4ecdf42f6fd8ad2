/*
 * window: result lines read back from the results file by offset.  When
 * the results are read in the order they are in the file (sorted results
 * and items in the same order, the pipeline's usual case), one large read
 * serves many lines instead of a pread(2) a line, which costs more than
 * the rest of the work on it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"
#include "preadall.h"
#include "xalloc.h"

#define WINDOW	((size_t)1 << 20)

void
read_result(struct merge *m, const struct entry *en, struct buf *b)
{
	struct window *win = &m->win;
	uint64_t end = en->roff + en->rlen;
	struct jval top;
	struct jerr e;
	struct stat st;
	size_t want;
	off_t size;

	buf_reset(b);
	buf_reserve(b, en->rlen);
	b->len = en->rlen;
	b->p[b->len] = '\0';
	if (en->roff >= win->start && end <= win->start + win->len)
		memcpy(b->p, win->p + (en->roff - win->start), en->rlen);
	/* Sequential (the line follows the last one, after its "\n" or
	 * "\r\n"): fill the window from here, up to the end of the file. */
	else if (en->roff >= win->last_end && en->roff <= win->last_end + 2 &&
	    win->last_end > 0 && fstat(m->results.fd, &st) == 0 &&
	    (size = st.st_size) > 0 && (uint64_t)size >= end) {
		want = en->rlen > WINDOW ? en->rlen : WINDOW;
		if ((uint64_t)size - en->roff < want)
			want = (size_t)((uint64_t)size - en->roff);
		if (want > win->cap) {
			free(win->p);
			win->p = xmalloc(want);
			win->cap = want;
		}
		pread_all(m->results.fd, m->results.name, win->p, want,
		    (off_t)en->roff);
		win->start = en->roff;
		win->len = want;
		memcpy(b->p, win->p, en->rlen);
	} else
		pread_all(m->results.fd, m->results.name, b->p, en->rlen,
		    (off_t)en->roff);
	win->last_end = end;
	/* Scanned again: the walk over it trusts its input, and the file
	 * could have been rewritten since it was indexed. */
	if (jscan_doc(b->p, b->len, &top, &e) < 0 || top.type != JT_OBJECT)
		file_changed(m->results.name);
}
