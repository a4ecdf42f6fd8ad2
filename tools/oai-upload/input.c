/* An operand made ready to send: opened (standard input copied to an
 * unnamed file first), hashed, its first line checked, and named with
 * its hash. */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "filehash.h"
#include "regfile.h"
#include "reqline.h"
#include "tmpfile.h"
#include "upload.h"
#include "writeall.h"
#include "xalloc.h"

/* The first line is checked whole up to this length; a longer one (a
 * request with an image, say) only by its first byte. */
#define FIRST_LINE_MAX ((size_t)16 << 20)

/* The name to upload path under: its base name, the ".jsonl" taken off
 * and any byte outside [A-Za-z0-9._-] made '_' (so the multipart header
 * carries it unchanged), then ".<hash>.jsonl" (".<hash>.x<seconds>.jsonl"
 * with an expiry: after the hash, where no plain name can put it). */
static void
remote_name(struct buf *b, const char *path, const char *hex,
    long long expires_after)
{
	char *copy, *base, *s;
	size_t n;

	copy = xstrdup(path);
	base = basename(copy);
	n = strlen(base);
	if (n > 6 && strcmp(base + n - 6, ".jsonl") == 0)
		base[n -= 6] = '\0';
	if (n > 160)
		base[160] = '\0';
	for (s = base; *s != '\0'; s++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", *s) == NULL)
			*s = '_';
	buf_reset(b);
	buf_printf(b, "%s.%.*s", *base != '\0' ? base : "input",
	    HASH_CHARS, hex);
	if (expires_after > 0)
		buf_printf(b, ".x%lld", expires_after);
	buf_printf(b, ".jsonl");
	free(copy);
}

/* stdin_spool: all of standard input copied into an unnamed temporary
 * file (tmpfile_fd), whatever stdin is (a file is copied too, from where
 * it stands, as a pipe would be).  Returns the copy's descriptor at
 * offset 0, or -1 after reporting. */
static int
stdin_spool(void)
{
	char chunk[1 << 16];
	ssize_t n;
	int fd;

	if ((fd = tmpfile_fd()) < 0)
		return -1;
	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("stdin");
			break;
		}
		if (n == 0) {
			if (lseek(fd, 0, SEEK_SET) == 0)
				return fd;
			warn("stdin: temporary file");
			break;
		}
		if (write_all(fd, chunk, (size_t)n) != 0) {
			warn("stdin: temporary file");
			break;
		}
	}
	close(fd);
	return -1;
}

/* request_fault: NULL when the file on fd (size bytes) starts with a
 * Batch API request line, as jsonl-split checks one (reqline_check); else
 * why not.  A cheap check before anything is sent, so that an empty file
 * or one of something else is refused at once rather than by the batch
 * later: only the first line is read (pread: fd's offset stays), and one
 * longer than FIRST_LINE_MAX only by its first byte. */
static const char *
request_fault(int fd, off_t size, struct buf *line)
{
	struct reqline req;
	struct buf idbuf = BUF_INIT;
	const char *why, *nl = NULL;
	char chunk[1 << 16];
	ssize_t n;

	if (size == 0)
		return "an empty file: no requests to upload";
	buf_reset(line);
	while (nl == NULL && line->len < FIRST_LINE_MAX) {
		n = pread(fd, chunk, sizeof(chunk), (off_t)line->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return strerror(errno);
		if (n == 0)
			break;
		nl = memchr(chunk, '\n', (size_t)n);
		buf_add(line, chunk, nl != NULL ? (size_t)(nl - chunk) :
		    (size_t)n);
	}
	if (nl == NULL && line->len >= FIRST_LINE_MAX)
		return line->p[0] == '{' ? NULL :
		    "line 1 is not a batch request (not a JSON object)";
	why = reqline_check(line->p != NULL ? line->p : "", line->len, &req,
	    &idbuf);
	buf_free(&idbuf);
	if (why == NULL)
		return NULL;
	buf_reset(line);
	buf_printf(line, "line 1 is not a batch request: %s", why);
	return line->p;
}

int
input_open(struct input *in, const char *path, int from_stdin,
    long long expires_after, struct buf *name, struct buf *line)
{
	struct stat st;
	const char *why;
	char hex[65];
	off_t size;

	in->shown = from_stdin ? "stdin" : path;
	if (from_stdin) {
		if ((in->fd = stdin_spool()) < 0)
			return -1;
		/* curl reads the file by name: the unnamed copy's name in
		 * /proc. */
		snprintf(in->fdpath, sizeof(in->fdpath), "/proc/self/fd/%d",
		    in->fd);
		in->sendpath = in->fdpath;
	} else if ((in->fd = regfile_open(path, &st)) < 0) {
		/* A FIFO would block the open until a writer came. */
		if (in->fd == -1)
			warn("%s", path);
		else
			warnx("%s: not a regular file", path);
		return -1;
	} else
		in->sendpath = path;
	if (filehash_sha256(in->fd, hex, &size) != 0) {
		warn("%s", in->shown);
		close(in->fd);
		return -1;
	}
	if ((why = request_fault(in->fd, size, line)) != NULL) {
		warnx("%s: %s; not uploaded", in->shown, why);
		close(in->fd);
		return -1;
	}
	remote_name(name, from_stdin ? "stdin.jsonl" : path, hex,
	    expires_after);
	in->size = (long long)size;
	memcpy(in->hex, hex, sizeof(in->hex));
	return 0;
}
