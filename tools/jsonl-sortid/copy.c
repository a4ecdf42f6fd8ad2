/*
 * The copy.  The output is cut into windows of at most WINDOW (or
 * WINDOW_SPREAD) bytes.  A reader thread fills each window, line after
 * line in output order, while the main thread writes the window before.
 * Filled in output order, a window is written front to back, which memory
 * does faster than scattered lines, and a window of WINDOW bytes stays in
 * the processor's cache from the reader's copy to the write.
 *
 * A batch's output file holds the results of a run of consecutive
 * requests, so its lines land within DENSE_SPAN bytes of output and it is
 * read through its mapping; its pages are given back once its last line
 * is copied.  The lines of an input spread over the whole output are read
 * with pread(2) instead, in input order within a window (which the page
 * cache serves faster than a random one), so they want large windows:
 * with such an input the windows are of WINDOW_SPREAD bytes.  Memory is
 * NBUFS windows, the index and the pages of the files in use.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapfile.h"
#include "preadall.h"
#include "sortid.h"
#include "writeall.h"
#include "xalloc.h"

#define WINDOW		((size_t)2 << 20)
#define WINDOW_SPREAD	((size_t)24 << 20)
#define NBUFS		2
#define DENSE_SPAN	((uint64_t)48 << 20)

struct window {
	uint64_t	 lo, hi;	/* output bytes [lo, hi) */
	size_t		 first, end;	/* its lines: order[first .. end) */
};

struct copier {
	const struct sortid *s;
	uint32_t	*order;		/* records in output order */
	size_t		*last;		/* by input: where in order its
					 * last line is */
	char		*dense;		/* by input: all its lines go to
					 * DENSE_SPAN bytes of output */
	struct window	*windows;
	size_t		 nwindows;
	size_t		 most;		/* lines in a window, at most */
	char		*bufs[NBUFS];
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	size_t		 written;	/* windows written so far */
	int		 ready[NBUFS];	/* buffer holds its next window */
};

static int
compare_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a < b ? -1 : a > b;
}

/* Copies the lines of window w into buf, each followed by "\n".  A dense
 * input is read through its mapping, whose pages go once its last line
 * is copied.  The lines of a spread input are read with pread(2) instead
 * (mapping all of it again for every window would cost more), in input
 * order: each such line's record number and place are noted in spread
 * (room for every line of a window), sorted, then read. */
static void
fill_window(const struct copier *cp, const struct window *w, char *buf,
    uint64_t *spread)
{
	const struct sortid *s = cp->s;
	const struct mapfile *m;
	const struct rec *r;
	size_t i, f, nspread = 0;
	uint64_t at = 0;

	for (i = w->first; i < w->end; i++) {
		/* Lines come from all over an input, so their records and
		 * bytes are fetched ahead, the record further ahead than
		 * the bytes whose place it gives. */
		if (i + 16 < w->end)
			__builtin_prefetch(rec_at(s, cp->order[i + 16]));
		if (i + 8 < w->end) {
			r = rec_at(s, cp->order[i + 8]);
			m = &s->inputs[r->file].map;
			if (cp->dense[r->file]) {
				__builtin_prefetch(m->p + r->off);
				__builtin_prefetch(m->p + r->off + 64);
			}
		}
		r = rec_at(s, cp->order[i]);
		f = r->file;
		m = &s->inputs[f].map;
		/* at fits in 32 bits: a window of more than one line holds
		 * at most WINDOW_SPREAD bytes. */
		if (cp->dense[f])
			memcpy(buf + at, m->p + r->off, r->len);
		else
			spread[nspread++] = (uint64_t)cp->order[i] << 32 | at;
		buf[at + r->len] = '\n';
		at += r->len + 1;
		if (cp->dense[f] && cp->last[f] == i)
			mapfile_drop(m, 0, m->size);
	}
	qsort(spread, nspread, sizeof(*spread), compare_u64);
	for (i = 0; i < nspread; i++) {
		r = rec_at(s, spread[i] >> 32);
		pread_all(s->inputs[r->file].fd, s->inputs[r->file].name,
		    buf + (spread[i] & UINT32_MAX), r->len, (off_t)r->off);
	}
}

/* Fills window k into buffer k % NBUFS once window k - NBUFS is written. */
static void *
reader_main(void *arg)
{
	struct copier *cp = arg;
	uint64_t *spread;
	size_t k, b;

	spread = xreallocarray(NULL, cp->most ? cp->most : 1,
	    sizeof(*spread));
	for (k = 0; k < cp->nwindows; k++) {
		b = k % NBUFS;
		pthread_mutex_lock(&cp->lock);
		while (cp->written + NBUFS <= k)
			pthread_cond_wait(&cp->cond, &cp->lock);
		pthread_mutex_unlock(&cp->lock);
		fill_window(cp, &cp->windows[k], cp->bufs[b], spread);
		pthread_mutex_lock(&cp->lock);
		cp->ready[b] = 1;
		pthread_cond_broadcast(&cp->cond);
		pthread_mutex_unlock(&cp->lock);
	}
	free(spread);
	return NULL;
}

/* When standard output is a regular file, reserves its blocks for the
 * size bytes to come, without changing its size (the file never shows
 * bytes not yet written).  The writes into reserved blocks then skip the
 * file system's block reservation.  Where the file system cannot
 * reserve, the writes go on as they would have. */
static void
reserve_output(uint64_t size)
{
	struct stat st;
	off_t at;
	int flags;

	if (fstat(STDOUT_FILENO, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (flags = fcntl(STDOUT_FILENO, F_GETFL)) < 0)
		return;
	if (flags & O_APPEND)
		at = st.st_size;
	else if ((at = lseek(STDOUT_FILENO, 0, SEEK_CUR)) < 0)
		return;
	if (size > (uint64_t)INT64_MAX - (uint64_t)at)
		return;
	(void)fallocate(STDOUT_FILENO, FALLOC_FL_KEEP_SIZE, at, (off_t)size);
}

/* Finds each input's last line, tells dense inputs from spread ones,
 * cuts the output into windows (larger ones when an input is spread, see
 * WINDOW_SPREAD) and keeps the order's record numbers.  *cap gets the
 * largest window's size. */
static void
plan_copy(struct copier *cp, const struct skey *order, size_t *cap)
{
	const struct sortid *s = cp->s;
	size_t nrecs = s->nrecs, ninputs = s->ninputs;
	struct window *w = NULL;
	uint64_t *lowest, *highest, pos, need, size = WINDOW;
	size_t i, f, alloc = 0;

	lowest = xreallocarray(NULL, ninputs, sizeof(*lowest));
	highest = xcalloc(ninputs, sizeof(*highest));
	for (f = 0; f < ninputs; f++)
		lowest[f] = UINT64_MAX;
	cp->last = xcalloc(ninputs, sizeof(*cp->last));
	cp->dense = xcalloc(ninputs, 1);
	cp->order = xreallocarray(NULL, nrecs ? nrecs : 1,
	    sizeof(*cp->order));
	for (i = 0, pos = 0; i < nrecs; i++) {
		/* The records are all over the index: fetched ahead. */
		if (i + 16 < nrecs)
			__builtin_prefetch(rec_at(s, order[i + 16].rec));
		f = rec_at(s, order[i].rec)->file;
		if (pos < lowest[f])
			lowest[f] = pos;
		highest[f] = pos;
		cp->last[f] = i;
		cp->order[i] = order[i].rec;
		pos += (uint64_t)order[i].len + 1;
	}
	for (f = 0; f < ninputs; f++) {
		cp->dense[f] = lowest[f] != UINT64_MAX &&
		    highest[f] - lowest[f] <= DENSE_SPAN;
		if (lowest[f] != UINT64_MAX && !cp->dense[f])
			size = WINDOW_SPREAD;
	}
	free(lowest);
	free(highest);

	*cap = 0;
	for (i = 0, pos = 0; i < nrecs; i++) {
		need = (uint64_t)order[i].len + 1;
		if (w == NULL || (pos + need - w->lo > size && pos > w->lo)) {
			if (cp->nwindows == alloc) {
				alloc = alloc ? alloc * 2 : 64;
				cp->windows = xreallocarray(cp->windows,
				    alloc, sizeof(*cp->windows));
			}
			w = &cp->windows[cp->nwindows++];
			w->lo = w->hi = pos;
			w->first = i;
		}
		pos += need;
		w->hi = pos;
		w->end = i + 1;
		if (w->hi - w->lo > *cap)
			*cap = (size_t)(w->hi - w->lo);
		if (w->end - w->first > cp->most)
			cp->most = w->end - w->first;
	}
}

void
write_sorted(struct sortid *s, struct skey *order)
{
	struct copier cp;
	pthread_t reader;
	size_t k, b, cap;

	memset(&cp, 0, sizeof(cp));
	cp.s = s;
	plan_copy(&cp, order, &cap);
	free(order);
	if (cp.nwindows > 0)
		reserve_output(cp.windows[cp.nwindows - 1].hi);
	buf_free(&s->parts[0].ids);
	buf_free(&s->parts[1].ids);
	for (b = 0; b < NBUFS; b++)
		cp.bufs[b] = xmalloc(cap ? cap : 1);
	pthread_mutex_init(&cp.lock, NULL);
	pthread_cond_init(&cp.cond, NULL);
	if (cp.nwindows > 0 && (errno = pthread_create(&reader, NULL,
	    reader_main, &cp)) != 0)
		err(1, "pthread_create");
	for (k = 0; k < cp.nwindows; k++) {
		b = k % NBUFS;
		pthread_mutex_lock(&cp.lock);
		while (!cp.ready[b])
			pthread_cond_wait(&cp.cond, &cp.lock);
		pthread_mutex_unlock(&cp.lock);
		if (write_all(STDOUT_FILENO, cp.bufs[b],
		    (size_t)(cp.windows[k].hi - cp.windows[k].lo)) < 0) {
			if (errno != EPIPE)
				warn("stdout");
			exit(1);
		}
		pthread_mutex_lock(&cp.lock);
		cp.ready[b] = 0;
		cp.written = k + 1;
		pthread_cond_broadcast(&cp.cond);
		pthread_mutex_unlock(&cp.lock);
	}
	if (cp.nwindows > 0)
		pthread_join(reader, NULL);
	for (b = 0; b < NBUFS; b++)
		free(cp.bufs[b]);
	free(cp.order);
	free(cp.last);
	free(cp.dense);
	free(cp.windows);
}
