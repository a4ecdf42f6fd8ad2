/* Where the downloads go: dir/ID.jsonl (-d), one file (-o), or stdout,
 * each file through a temporary file that is kept, or copied out, only
 * once the whole file arrived. */
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anthropic_api.h"
#include "apipath.h"
#include "buf.h"
#include "outcheck.h"
#include "tmpfile.h"
#include "xalloc.h"
#include "fetch.h"

#define COPY_BUFSIZE (256 << 10)

/* Copies fd[0..n) to stdout; exits 1 on a write error.  sendfile(2)
 * moves the bytes inside the kernel (stdout may be a file or a pipe);
 * where it cannot, a read/write loop does. */
static void
copy_out(int fd, long long n, char *buf)
{
	off_t off = 0;
	ssize_t r;

	if (fflush(stdout) != 0)
		stdout_flush();		/* reports and exits */
	while (n > 0) {
		r = sendfile(STDOUT_FILENO, fd, &off, n < (1 << 30) ?
		    (size_t)n : (size_t)1 << 30);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EINVAL || errno == ENOSYS))
			break;
		if (r < 0) {
			if (errno != EPIPE)
				warn("stdout");
			exit(1);
		}
		if (r == 0)
			errx(1, "temporary file: shorter than it was");
		n -= r;
	}
	if (n == 0)
		return;
	if (lseek(fd, off, SEEK_SET) < 0)
		err(1, "temporary file");
	while (n > 0) {
		r = read(fd, buf, n < COPY_BUFSIZE ? (size_t)n : COPY_BUFSIZE);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			err(1, "temporary file");
		stdout_write(buf, (size_t)r);
		n -= r;
	}
}

int
dest_open(struct dest *to)
{
	if (to->outfile != NULL && afile_open(&to->out, to->outfile) != 0)
		return -1;
	/* A FIFO or a device cannot be rewound for a download tried again:
	 * it is written as standard output is, each file once complete. */
	if (to->outfile != NULL && to->out.direct) {
		if (dup2(fileno(to->out.fp), STDOUT_FILENO) < 0)
			err(1, "%s", to->outfile);
		if (afile_commit(&to->out) != 0)
			return -1;
		to->outfile = NULL;
	}
	if (to->dir == NULL && to->outfile == NULL) {
		/* stdout gets a file only after all of it arrived. */
		if ((to->scratch = tmpfile_fd()) < 0)
			return -1;
		to->copybuf = xmalloc(COPY_BUFSIZE);
	}
	return 0;
}

/* got: the bytes fd holds past start, after a download of a size not
 * stated. */
static long long
got(int fd, off_t start)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		err(1, "fstat");
	return (long long)(st.st_size - start);
}

/* get: file id (its contents at path), of *size bytes (-1: not stated),
 * into fd from start; for Anthropic, the results of batch id, translated.
 * *size is then the bytes written.  Returns as http_download. */
static int
get(struct http *h, const char *path, const char *id, int fd, off_t start,
    long long *size, int *gone)
{
	int rc;

	if (batch_anthropic(h))
		return anthropic_results(h, id, fd, start, size, gone);
	rc = http_download(h, path, fd, start, *size, 0);
	if (rc == HTTP_OK && *size < 0)
		*size = got(fd, start);
	return rc;
}

int
dest_fetch(struct http *h, struct dest *to, const char *id,
    long long size, int *gone)
{
	struct buf path = BUF_INIT, name = BUF_INIT;
	struct afile one;
	int rc;

	api_path(&path, "/files/", id, "/content");
	if (to->dir != NULL) {
		buf_printf(&name, "%s/%s.jsonl", to->dir, id);
		if (afile_open(&one, name.p) != 0)
			rc = HTTP_FAILED;
		else if ((rc = get(h, path.p, id, fileno(one.fp), 0, &size,
		    gone)) != HTTP_OK)
			afile_abort(&one);
		else if (afile_commit(&one) != 0)
			rc = HTTP_FAILED;
	} else if (to->outfile != NULL) {
		rc = get(h, path.p, id, fileno(to->out.fp), to->at, &size,
		    gone);
		if (rc == HTTP_OK && size > 0)
			to->at += size;
	} else {
		rc = get(h, path.p, id, to->scratch, 0, &size, gone);
		if (rc == HTTP_OK)
			copy_out(to->scratch, size, to->copybuf);
	}
	buf_free(&path);
	buf_free(&name);
	return rc;
}

int
dest_close(struct dest *to, int ok)
{
	int rc = 0;

	if (to->outfile != NULL) {
		if (!ok)
			afile_abort(&to->out);
		else if (afile_commit(&to->out) != 0)
			rc = -1;
	}
	free(to->copybuf);
	if (to->scratch >= 0)
		close(to->scratch);
	return rc;
}
