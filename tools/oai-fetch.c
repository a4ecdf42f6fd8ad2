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
#include "tmpfile.h"
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

/* file_size: the bytes of file id, from GET /files/{id}, or -1 when the
 * server states none (a compatible server may not: the download is then
 * checked against its Content-Length only, said once).  Returns as
 * http_request; an odd "bytes" is HTTP_FAILED, reported.  A file the
 * server does not have (404) is HTTP_FAILED with *gone 1, reported by
 * the caller. */
static int
file_size(struct http *h, const char *base, const char *id, long long *size,
    int *gone)
{
	static int said_unsized;
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
	*size = -1;
	if (json_object_object_get_ex(answer, "bytes", NULL) &&
	    (!f.has_bytes || f.bytes < 0)) {
		warnx("GET %s%s: the answer's size (\"bytes\") is not a "
		    "number of bytes", base, path.p);
		rc = HTTP_FAILED;
	} else if (f.has_bytes)
		*size = f.bytes;
	else if (!said_unsized) {
		warnx("GET %s%s: the server states no size (\"bytes\"): "
		    "downloads are checked against their Content-Length only",
		    base, path.p);
		said_unsized = 1;
	}
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
	warnx("%s: the %s file of %s is gone from the server (expired or "
	    "deleted?); the requests it ran were paid for", id, kind, bid);
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

/* Where the files go: dir/ID.jsonl (-d), all into one file (-o), or to
 * stdout through a scratch file. */
struct dest {
	const char	*dir;		/* -d, or NULL */
	const char	*outfile;	/* -o (NULL once it is stdout) */
	struct afile	 out;		/* -o's file */
	off_t		 at;		/* where -o's next file begins */
	int		 scratch;	/* stdout's scratch file, or -1 */
	char		*copybuf;	/* for copy_out */
};

/* dest_open: opens what the files go to: -o's file, or the scratch file
 * for stdout.  Returns 0, or -1 after reporting. */
static int
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

/* fetch: downloads file id, of size bytes (-1: not known), to where to
 * says.  Returns as http_download, reported; a file that cannot be made
 * under -d is HTTP_FAILED, reported. */
static int
fetch(struct http *h, struct dest *to, const char *id, long long size)
{
	struct buf path = BUF_INIT, name = BUF_INIT;
	struct afile one;
	int rc;

	api_path(&path, "/files/", id, "/content");
	if (to->dir != NULL) {
		buf_printf(&name, "%s/%s.jsonl", to->dir, id);
		if (afile_open(&one, name.p) != 0)
			rc = HTTP_FAILED;
		else if ((rc = http_download(h, path.p, fileno(one.fp), 0,
		    size, 0)) != HTTP_OK)
			afile_abort(&one);
		else if (afile_commit(&one) != 0)
			rc = HTTP_FAILED;
	} else if (to->outfile != NULL) {
		rc = http_download(h, path.p, fileno(to->out.fp), to->at, size,
		    0);
		if (rc == HTTP_OK && size < 0)
			size = got(fileno(to->out.fp), to->at);
		if (size > 0)
			to->at += size;
	} else {
		rc = http_download(h, path.p, to->scratch, 0, size, 0);
		if (rc == HTTP_OK)
			copy_out(to->scratch, size < 0 ? got(to->scratch, 0) :
			    size, to->copybuf);
	}
	buf_free(&path);
	buf_free(&name);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct http *h;
	struct idsrc in;
	struct dest to = { NULL, NULL, { 0 }, 0, -1, NULL };
	const char *id, *unmade;
	char shown[80];
	long long size;
	int ch, quiet = 0, verbose = 0, failed = 0, temporary = 0, more, rc;
	int gone;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1)
		switch (ch) {
		case 'd':
			to.dir = optarg;
			break;
		case 'h':
			usage_help(help);
		case 'o':
			to.outfile = optarg;
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
			usage_error(help);
		}
	argc -= optind;
	argv += optind;
	if (to.dir != NULL && to.outfile != NULL) {
		warnx("-d and -o cannot be used together");
		usage_error(help);
	}

	if (config_load(&cfg) != 0)
		return 1;
	/* -d is made as jsonl-split -d is: a fresh job's directory. */
	if (to.dir != NULL && mkdirs(to.dir, &unmade) != 0) {
		warn("%s", unmade);
		config_free(&cfg);
		return 1;
	}
	if (idsrc_open(&in, argc, argv) != 0) {
		config_free(&cfg);
		return 1;
	}
	if (dest_open(&to) != 0) {
		idsrc_close(&in);
		config_free(&cfg);
		return 1;
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
		http_progress(h, !quiet && isatty(STDERR_FILENO) ? id : NULL);
		rc = fetch(h, &to, id, size);
		if (rc == HTTP_TEMPFAIL)
			temporary = 1;
		if (rc != HTTP_OK)
			failed = 1;
	}
	if (more < 0)
		failed = 1;
	if (to.outfile != NULL) {
		/* One file: all of it, or none of it. */
		if (failed)
			afile_abort(&to.out);
		else if (afile_commit(&to.out) != 0)
			failed = 1;
	}

	http_close(h);
	idsrc_close(&in);
	config_free(&cfg);
	free(to.copybuf);
	if (to.scratch >= 0)
		close(to.scratch);
	if (stdout_close(1) != 0)
		failed = 1;
	if (temporary)
		return 75;
	return failed ? 1 : 0;
}
