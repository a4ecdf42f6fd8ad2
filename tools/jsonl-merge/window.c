/*
 * window: result lines read back from the results file by offset.  When
 * the results are read in the order they are in the file (sorted results
 * and items in the same order, the pipeline's usual case), one large read
 * serves many lines instead of a pread(2) a line, which costs more than
 * the rest of the work on it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"
#include "xalloc.h"

#define WINDOW	((size_t)1 << 20)

/* preads exactly n bytes at off of the results into p. */
static void
pread_all(const struct spool_input *in, char *p, size_t n, uint64_t off)
{
	size_t got;
	ssize_t r;

	for (got = 0; got < n; got += (size_t)r) {
		r = pread(in->fd, p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0)
			err(1, "%s", in->name);
		if (r == 0)
			errx(1, "%s: file changed while being read", in->name);
	}
}

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
		pread_all(&m->results, win->p, want, en->roff);
		win->start = en->roff;
		win->len = want;
		memcpy(b->p, win->p, en->rlen);
	} else
		pread_all(&m->results, b->p, en->rlen, en->roff);
	win->last_end = end;
	/* Scanned again: the walk over it trusts its input, and the file
	 * could have been rewritten since it was indexed. */
	if (jscan_doc(b->p, b->len, &top, &e) < 0 || top.type != JT_OBJECT)
		errx(1, "%s: file changed while being read", m->results.name);
}
