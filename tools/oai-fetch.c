/* oai-fetch: downloads files: their contents on stdout, concatenated, or
 * one file per id (-d), or all in one file (-o).
 *
 * A file arrives whole or not at all: the body goes to a temporary file
 * (beside the final name for -d and -o, in TMPDIR for stdout), is checked
 * against the size the file object reports, and only then is renamed or
 * copied to stdout.  A dropped connection or a short body starts the file
 * over (http_download truncates and retries).
 *
 * A file the server no longer has is a dead end only when nothing says
 * what to do: when the id came on one of oai-wait's lines, which name the
 * batch, the batch is looked up to say which input file its requests came
 * from and how to pay for them again, deliberately (oai-batch -f); the
 * requests are never submitted again here. */
#include <sys/sendfile.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apipath.h"
#include "atomicfile.h"
#include "batchobj.h"
#include "buf.h"
#include "config.h"
#include "fileobj.h"
#include "http.h"
#include "idsrc.h"
#include "mkdirs.h"
#include "outcheck.h"
#include "usage.h"
#include "xalloc.h"

#define COPY_BUFSIZE (256 << 10)

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "d:ho:qvV";
static const char help[] =
	"usage: oai-fetch [-hqVv] [-d dir | -o file] [file-id ...]\n"
	"\n"
	"  -d dir   write each file to dir/ID.jsonl (dir is made if needed)\n"
	"  -o file  write all the files, concatenated, to file\n"
	"  -q       no progress line\n"
	"  -v       trace every HTTP request and answer header on stderr\n"
	"  -h       print this help and exit\n"
	"  -V       print the version and exit\n";

static void __attribute__((noreturn))
usage(FILE *fp)
{
	if (fp == stdout)
		usage_help(help);
	usage_error(help);
}

/* file_size: the bytes of file id, from GET /files/{id}.  Returns as
 * http_request; a missing or odd "bytes" is HTTP_FAILED, reported.  A
 * file the server does not have (404) is HTTP_FAILED with *gone 1,
 * reported by the caller. */
static int
file_size(struct http *h, const char *base, const char *id, long long *size,
    int *gone)
{
	struct json_object *answer;
	struct fileobj f;
	struct buf path = BUF_INIT;
	long status = 0;
	int rc;

	*gone = 0;
	api_path(&path, "/files/", id, NULL);
	rc = http_request(h, "GET", path.p, NULL, HTTP_QUIET404, &status,
	    &answer);
	if (rc != HTTP_OK) {
		if (rc == HTTP_FAILED && status == 404) {
			*gone = 1;
			warnx("GET %s%s: %s", base, path.p, http_errmsg(h));
		}
		buf_free(&path);
		return rc;
	}
	fileobj_parse(answer, &f);
	if (!f.has_bytes || f.bytes < 0) {
		warnx("GET %s%s: the answer has no size (\"bytes\")",
		    base, path.p);
		rc = HTTP_FAILED;
	} else
		*size = f.bytes;
	fileobj_free(&f);
	buf_free(&path);
	json_object_put(answer);
	return rc;
}

/* exists: 1 when the server has the object at prefix id, 0 when it says
 * it has not (404), -1 when it could not be asked (reported quietly: this
 * is only for a hint). */
static int
exists(struct http *h, const char *prefix, const char *id,
    struct json_object **answer)
{
	struct buf path = BUF_INIT;
	long status = 0;
	int rc;

	api_path(&path, prefix, id, NULL);
	rc = http_request(h, "GET", path.p, NULL, HTTP_QUIET, &status, answer);
	buf_free(&path);
	if (rc == HTTP_OK)
		return 1;
	return rc == HTTP_FAILED && status == 404 ? 0 : -1;
}

/* explain_gone: file id is gone from the server; rest is the rest of its
 * input line.  When that is oai-wait's "output|error TAB batch_ID TAB
 * status", says whose results are lost and how to pay for them again (the
 * wording "is gone from the server" is what oai-pipeline looks for). */
static void
explain_gone(struct http *h, const char *id, const char *rest)
{
	struct json_object *answer = NULL;
	struct batchobj b;
	char kind[8], bid[256], *t;
	const char *in;
	size_t n;

	if (rest == NULL || (strncmp(rest, "output\t", 7) != 0 &&
	    strncmp(rest, "error\t", 6) != 0))
		return;
	n = (size_t)(strchr(rest, '\t') - rest);
	memcpy(kind, rest, n);
	kind[n] = '\0';
	rest += n + 1;
	n = (t = strchr(rest, '\t')) != NULL ? (size_t)(t - rest) :
	    strlen(rest);
	if (n >= sizeof(bid) || !idsrc_valid(rest, n))
		return;
	memcpy(bid, rest, n);
	bid[n] = '\0';
	warnx("%s: the %s file of %s is gone from the server (deleted?); "
	    "the requests it ran were paid for", id, kind, bid);
	in = NULL;
	if (exists(h, "/batches/", bid, &answer) == 1 &&
	    batchobj_parse(answer, &b) == 0) {
		in = b.input_file_id;
		if (in != NULL && !idsrc_valid(in, strlen(in)))
			in = NULL;
	} else
		memset(&b, 0, sizeof(b));
	if (in == NULL)
		warnx("%s: to pay for them again, start a new batch of its "
		    "input file: oai-batch -f INPUT-FILE-ID | oai-wait | "
		    "oai-fetch", id);
	else if (exists(h, "/files/", in, NULL) == 0)
		warnx("%s: its input file %s is gone from the server too: "
		    "to pay for them again, upload the requests again "
		    "(oai-upload) and start a batch of the new file", id, in);
	else
		warnx("%s: to pay for them again, start a new batch of its "
		    "input file: oai-batch -f %s | oai-wait | oai-fetch",
		    id, in);
	batchobj_free(&b);
	if (answer != NULL)
		json_object_put(answer);
}

/* A scratch file in TMPDIR, unlinked at once: stdout gets a file only
 * after all of it arrived, and nothing is left behind whatever happens. */
static int
scratch_open(void)
{
	const char *dir;
	struct buf b = BUF_INIT;
	int fd;

	dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	buf_printf(&b, "%s/oai-fetch.XXXXXX", dir);
	if ((fd = mkostemp(b.p, O_CLOEXEC)) < 0)
		err(1, "%s", b.p);
	unlink(b.p);
	buf_free(&b);
	return fd;
}

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
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct http *h;
	struct idsrc in;
	struct afile out, one;
	struct buf path = BUF_INIT, dest = BUF_INIT;
	const char *dir = NULL, *outfile = NULL;
	const char *id, *unmade;
	char *copybuf = NULL, shown[80];
	long long size;
	off_t at = 0;
	int ch, quiet = 0, verbose = 0, failed = 0, temporary = 0, more, rc;
	int scratch = -1, gone;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1)
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'o':
			outfile = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			usage_version();
		default:
			usage(stderr);
			return 2;
		}
	argc -= optind;
	argv += optind;
	if (dir != NULL && outfile != NULL) {
		warnx("-d and -o cannot be used together");
		usage(stderr);
		return 2;
	}

	if (config_load(&cfg) != 0)
		return 1;
	/* -d is made as jsonl-split -d is: a fresh job's directory. */
	if (dir != NULL && mkdirs(dir, &unmade) != 0) {
		warn("%s", unmade);
		config_free(&cfg);
		return 1;
	}
	if (idsrc_open(&in, argc, argv) != 0) {
		config_free(&cfg);
		return 1;
	}
	if (outfile != NULL && afile_open(&out, outfile) != 0) {
		idsrc_close(&in);
		config_free(&cfg);
		return 1;
	}
	/* A FIFO or a device cannot be rewound for a download tried again:
	 * it is written as standard output is, each file once complete. */
	if (outfile != NULL && out.direct) {
		if (dup2(fileno(out.fp), STDOUT_FILENO) < 0)
			err(1, "%s", outfile);
		if (afile_commit(&out) != 0)
			return 1;
		outfile = NULL;
	}
	if (dir == NULL && outfile == NULL) {
		scratch = scratch_open();
		copybuf = xmalloc(COPY_BUFSIZE);
	}
	h = http_open(&cfg, verbose);

	while (!temporary && (more = idsrc_next(&in, &id)) == 1) {
		if (!idsrc_valid(id, in.len)) {
			warnx("%s: %s: not a file id", in.where,
			    idsrc_shown(id, in.len, shown, sizeof(shown)));
			failed = 1;
			continue;
		}
		if ((rc = file_size(h, cfg.base_path, id, &size,
		    &gone)) != HTTP_OK) {
			if (gone)
				explain_gone(h, id, in.rest);
			temporary = rc == HTTP_TEMPFAIL;
			failed = 1;
			continue;
		}
		api_path(&path, "/files/", id, "/content");
		http_progress(h, !quiet && isatty(STDERR_FILENO) ? id : NULL);
		if (dir != NULL) {
			buf_reset(&dest);
			buf_printf(&dest, "%s/%s.jsonl", dir, id);
			if (afile_open(&one, dest.p) != 0) {
				failed = 1;
				continue;
			}
			rc = http_download(h, path.p, fileno(one.fp), 0, size,
			    0);
			if (rc == HTTP_OK && afile_commit(&one) != 0)
				rc = HTTP_FAILED;
			else if (rc != HTTP_OK)
				afile_abort(&one);
		} else if (outfile != NULL) {
			rc = http_download(h, path.p, fileno(out.fp), at, size,
			    0);
			at += size;
		} else {
			rc = http_download(h, path.p, scratch, 0, size, 0);
			if (rc == HTTP_OK)
				copy_out(scratch, size, copybuf);
		}
		if (rc == HTTP_TEMPFAIL)
			temporary = 1;
		if (rc != HTTP_OK)
			failed = 1;
	}
	if (more < 0)
		failed = 1;
	if (outfile != NULL) {
		/* One file: all of it, or none of it. */
		if (failed)
			afile_abort(&out);
		else if (afile_commit(&out) != 0)
			failed = 1;
	}

	http_close(h);
	idsrc_close(&in);
	config_free(&cfg);
	buf_free(&path);
	buf_free(&dest);
	free(copybuf);
	if (scratch >= 0)
		close(scratch);
	if (stdout_close(1) != 0)
		failed = 1;
	if (temporary)
		return 75;
	return failed ? 1 : 0;
}
