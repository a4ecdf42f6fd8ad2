/*
 * The output side: requests are written as they are made, so the next
 * tool in the pipe works at the same time, but the last two bytes made so
 * far (the "}\n" that ends every request) are always held back, and
 * written only once the whole input proved good.  Whenever this tool
 * stops early (a bad item, a write error, a signal, a crash), what the
 * next tool got ends inside a request, with no newline: jsonl-split
 * rejects such input whole, so a failed run never looks like a smaller
 * complete job, even to a shell without `set -o pipefail`.  On a pipe
 * each write(2) or vmsplice(2) ends away from a newline and is moved whole
 * or not at all: it is at most PIPE_BUF bytes, or, into an empty pipe, at
 * most the pipe's size, which the kernel takes without waiting.  A kill in
 * the middle of a write cannot leave the reader at the end of a line
 * either.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "atomicfile.h"
#include "buf.h"
#include "outcheck.h"
#include "prompt.h"

void
pipeout_open(struct pipeout *po, const char *path)
{
	struct stat st;
	int fill;

	po->fd = STDOUT_FILENO;
	if (path != NULL && strcmp(path, "-") != 0) {
		po->name = path;
		if (afile_open(&po->file, path) != 0)
			exit(1);
		po->fd = fileno(po->file.fp);
		po->atomic = !po->file.direct;
	}
	/* A bigger pipe to the next filter: fewer switches between the two
	 * (Linux only; elsewhere, or when refused, the default stays). */
#ifdef F_SETPIPE_SZ
	if (fstat(po->fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		fcntl(po->fd, F_SETPIPE_SZ, 1 << 20);
		if ((fill = fcntl(po->fd, F_GETPIPE_SZ)) > 0)
			po->pipe_size = (size_t)fill;
	}
	po->page_size = (size_t)sysconf(_SC_PAGESIZE);
#endif
	/* To a pipe (or anything but a regular file), pieces a pipe takes
	 * whole or not at all (write_pieces, pipeout_flush).  A regular file
	 * is read by a later command, which can see how this one ended; it
	 * gets large writes, which a full disk or SIGKILL can still cut
	 * short. */
	po->piece = fstat(po->fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    SIZE_MAX : PIPE_BUF;
}

/* Reports a failed write to the output (errno), as stdout_fail does for
 * stdout, and exits 1; a -o file's temporary goes with the exit. */
static void __attribute__((noreturn))
write_fail(const struct pipeout *po)
{
	if (po->name == NULL)
		stdout_fail();
	warn("%s", po->name);
	exit(1);
}

/* Writes p[0..n) to the output with write(2), in pieces of at most piece
 * bytes, or of pipe_size when the output is a pipe with nothing in it (the
 * write then finds room for all it holds, so it never waits and is never
 * cut short); exits 1 on an error (quietly on EPIPE).  Unless at_end (this
 * is the end of the output), no piece ends just before or after a newline,
 * so the output as far as it went never ends with a whole line or with
 * a line missing only its newline; p[n] must then be readable (it is
 * part of the held-back bytes).  Request lines are far longer than two
 * bytes, so moving a piece's end back by one or two bytes is enough. */
static void
write_pieces(const struct pipeout *po, const char *p, size_t n, int at_end)
{
	size_t k, most;
	ssize_t w;
	int queued;

	while (n > 0) {
		most = po->piece;
		if (po->pipe_size > po->piece && ioctl(po->fd, FIONREAD,
		    &queued) == 0 && queued == 0)
			most = po->pipe_size;
		k = n < most ? n : most;
		if (k < n || !at_end)
			while (p[k - 1] == '\n' || p[k] == '\n')
				k--;
		w = write(po->fd, p, k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			write_fail(po);
		p += w;
		n -= (size_t)w;
	}
}

/* Into an empty pipe the bytes are spliced (vmsplice(2)), not copied: a
 * copy into the pipe costs a large share of the pipeline's CPU.  The pipe
 * then holds out's very pages until the reader takes them, so out and
 * spare change places; spare is written again only after a later flush
 * found the pipe empty, when no page of ours is left in it. */
void
pipeout_flush(struct pipeout *po)
{
	struct buf *out = &po->out, t;
	size_t n = out->len - HELD_BACK;
	struct iovec iov;
	ssize_t w = 0;
	int queued;

	/* One slot of the pipe a page, and the first and last pages may be
	 * partly ours: then it has room for all, and no wait can cut the
	 * splice short. */
	if (n + 2 * po->page_size <= po->pipe_size && out->p[n - 1] != '\n' &&
	    out->p[n] != '\n' &&
	    ioctl(po->fd, FIONREAD, &queued) == 0 && queued == 0) {
		iov.iov_base = out->p;
		iov.iov_len = n;
		while ((w = vmsplice(po->fd, &iov, 1,
		    SPLICE_F_NONBLOCK)) < 0 &&
		    errno == EINTR)
			;
		if (w < 0 && errno == EPIPE)
			stdout_fail();
	}
	if (w <= 0) {
		write_pieces(po, out->p, n, 0);
		memmove(out->p, out->p + n, HELD_BACK);
		out->len = HELD_BACK;
		return;
	}
	if ((size_t)w < n)	/* not seen, as the pipe had room */
		write_pieces(po, out->p + w, n - (size_t)w, 0);
	buf_reset(&po->spare);
	buf_add(&po->spare, out->p + n, HELD_BACK);
	t = *out;
	*out = po->spare;
	po->spare = t;
}

/* With a bad first item, nothing at all goes out.  The exit removes -o's
 * temporary. */
void
pipeout_give_up(const struct pipeout *po)
{
	if (!po->atomic && po->whole > HELD_BACK)
		write_pieces(po, po->out.p, po->whole - HELD_BACK, 0);
	exit(1);
}

void
pipeout_finish(struct pipeout *po)
{
	write_pieces(po, po->out.p, po->out.len, 1);
	if (po->name != NULL && afile_commit(&po->file) != 0)
		exit(1);
	buf_free(&po->out);
}
