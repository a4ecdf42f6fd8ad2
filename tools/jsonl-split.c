/*
 * jsonl-split: Batch API request lines in, batch input files out.  Every
 * line is checked first; the files are written to temporary names and
 * renamed only once the whole input proved good, so a bad line at the end
 * leaves nothing behind.  Lines are copied byte for byte.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "idset.h"
#include "jscan.h"
#include "jsonl.h"
#include "outcheck.h"
#include "xalloc.h"

#define MAX_LINES_DEFAULT	50000		/* OpenAI's limit per batch */
#define MAX_BYTES_DEFAULT	190000000	/* under OpenAI's 200 MB */
#define WRITE_BUFFER		(1 << 20)

/* The files written so far; static so the clean-up at exit sees them. */
static struct afile	*files;
static char		**paths;
static size_t		 nfiles;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: jsonl-split [-d dir] "
	    "[-p prefix] [-l max-lines] [-b max-bytes] [file]\n");
	exit(status);
}

/* A count with an optional k, M or G (powers of 1000) suffix; exits 2 if
 * it is not a positive number. */
static size_t
parse_count(int opt, const char *s, int suffixes)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (suffixes && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'k': case 'K': mult = 1000; end++; break;
		case 'M': mult = 1000000; end++; break;
		case 'G': mult = 1000000000; end++; break;
		}
	}
	if (errno || end == s || *end != '\0' || *s == '-' || v == 0 ||
	    v > (unsigned long long)SIZE_MAX / mult)
		errx(2, "-%c: not a positive %s: %s", opt, suffixes ?
		    "size" : "number", s);
	return (size_t)(v * mult);
}

/* Reports a bad input line and exits 1; the temporary files go at exit. */
static void __attribute__((noreturn, format(printf, 3, 4)))
bad_line(const char *name, unsigned long lineno, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errx(1, "%s:%lu: %s", name, lineno, msg);
}

/* "a string", "an object", ... for messages. */
static const char *
a_type(enum jtype t)
{
	static char s[16];

	snprintf(s, sizeof(s), "%s %s", t == JT_ARRAY || t == JT_OBJECT ?
	    "an" : "a", jscan_typename(t));
	return s;
}

/* mkdir -p, for the output directory. */
static void
make_dir(const char *dir)
{
	char *p, *copy = xstrdup(dir), c;

	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(copy, 0777) != 0 && errno != EEXIST)
			err(1, "%s", copy);
		if ((*p = c) == '\0')
			break;
	}
	free(copy);
}

int
main(int argc, char *argv[])
{
	const char *dir = ".", *prefix = "batch-", *input;
	size_t max_lines = MAX_LINES_DEFAULT, max_bytes = MAX_BYTES_DEFAULT;
	size_t lines = 0, bytes = 0, len, i;
	struct buf id = BUF_INIT, url = BUF_INIT, model = BUF_INIT;
	struct buf cur_url = BUF_INIT, cur_model = BUF_INIT;
	struct idset *ids;
	struct afile *f = NULL;
	struct jsonl in;
	struct jval top, k, v, custom_id, method, urlv, body, modelv;
	struct jiter it;
	struct jerr e;
	char *line, *dircopy, *wbuf;
	int ch, n, dir_made = 0;

	while ((ch = getopt(argc, argv, "b:d:hl:p:V")) != -1) {
		switch (ch) {
		case 'b': max_bytes = parse_count('b', optarg, 1); break;
		case 'd': dir = optarg; break;
		case 'h': usage(0);
		case 'l': max_lines = parse_count('l', optarg, 0); break;
		case 'p': prefix = optarg; break;
		case 'V':
			puts("jsonl-split batchpipe " BATCHPIPE_VERSION);
			return stdout_close(1) ? 1 : 0;
		default: usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(2);
	input = argc == 1 ? argv[0] : "-";
	if (strchr(prefix, '/') != NULL)
		errx(2, "-p: a prefix cannot contain '/': %s", prefix);
	if (*dir == '\0')
		errx(2, "-d: empty directory name");
	if (max_bytes < 2)
		errx(2, "-b: too small: %zu", max_bytes);
	dircopy = xstrdup(dir);
	for (len = strlen(dircopy); len > 1 && dircopy[len - 1] == '/'; len--)
		dircopy[len - 1] = '\0';

	ids = idset_new();
	wbuf = xmalloc(WRITE_BUFFER);
	/* A line must fit a file with its newline: the reader refuses a
	 * longer one before it takes more memory. */
	if (jsonl_open(&in, input, max_bytes - 1) < 0)
		exit(1);
	while ((n = jsonl_next(&in, &line, &len)) == 1) {
		if (len == 0)
			bad_line(in.name, in.lineno, "blank line");
		if (jscan_doc(line, len, &top, &e) < 0)
			bad_line(in.name, in.lineno, "%s", e.msg);
		if (top.type != JT_OBJECT)
			bad_line(in.name, in.lineno, "%s, not an object",
			    a_type(top.type));

		/* One walk over the members instead of one per key; the
		 * last of a repeated key counts, as with jscan_member. */
		custom_id.type = method.type = urlv.type = body.type = JT_NONE;
		jscan_iter(top, &it);
		while (jscan_next(&it, &k, &v)) {
			if (k.n < 5 || k.n > 11)
				continue;
			if (jscan_streq(k, "custom_id"))
				custom_id = v;
			else if (jscan_streq(k, "method"))
				method = v;
			else if (jscan_streq(k, "url"))
				urlv = v;
			else if (jscan_streq(k, "body"))
				body = v;
		}
		if (custom_id.type != JT_STRING)
			bad_line(in.name, in.lineno, custom_id.type ==
			    JT_NONE ? "no custom_id" : "custom_id is %s, not "
			    "a string", a_type(custom_id.type));
		if (method.type == JT_NONE)
			bad_line(in.name, in.lineno, "no method");
		if (!jscan_streq(method, "POST"))
			bad_line(in.name, in.lineno, "method is %.*s, not "
			    "\"POST\"", (int)(method.n > 40 ? 40 : method.n),
			    method.p);
		if (urlv.type != JT_STRING)
			bad_line(in.name, in.lineno, urlv.type == JT_NONE ?
			    "no url" : "url is %s, not a string",
			    a_type(urlv.type));
		if (body.type != JT_OBJECT)
			bad_line(in.name, in.lineno, body.type == JT_NONE ?
			    "no body" : "body is %s, not an object",
			    a_type(body.type));
		jscan_member(body, "model", &modelv);
		if (modelv.type != JT_STRING)
			bad_line(in.name, in.lineno, modelv.type == JT_NONE ?
			    "no body.model" : "body.model is %s, not a string",
			    a_type(modelv.type));
		buf_reset(&id);
		jscan_unescape(custom_id, &id);
		if (id.len == 0)
			bad_line(in.name, in.lineno, "empty custom_id");
		if (!idset_add(ids, id.p, id.len))
			bad_line(in.name, in.lineno, "duplicate custom_id "
			    "\"%.*s\"", (int)(id.len > 200 ? 200 : id.len),
			    id.p);
		buf_reset(&url);
		jscan_unescape(urlv, &url);
		buf_reset(&model);
		jscan_unescape(modelv, &model);

		if (f == NULL || lines == max_lines ||
		    bytes + len + 1 > max_bytes || url.len != cur_url.len ||
		    memcmp(url.p, cur_url.p, url.len) != 0 ||
		    model.len != cur_model.len ||
		    memcmp(model.p, cur_model.p, model.len) != 0) {
			if (f != NULL && afile_close(f) != 0)
				exit(1);
			if (!dir_made) {
				make_dir(dircopy);
				dir_made = 1;
			}
			files = xreallocarray(files, nfiles + 1,
			    sizeof(*files));
			paths = xreallocarray(paths, nfiles + 1,
			    sizeof(*paths));
			f = &files[nfiles];
			if (asprintf(&paths[nfiles], "%s/%s%04zu.jsonl",
			    dircopy, prefix, nfiles + 1) < 0)
				errx(1, "out of memory");
			if (afile_open(f, paths[nfiles]) != 0)
				exit(1);
			nfiles++;
			setvbuf(f->fp, wbuf, _IOFBF, WRITE_BUFFER);
			lines = bytes = 0;
			buf_reset(&cur_url);
			buf_add(&cur_url, url.p, url.len);
			buf_reset(&cur_model);
			buf_add(&cur_model, model.p, model.len);
		}
		line[len] = '\n';
		fwrite(line, 1, len + 1, f->fp);
		lines++;
		bytes += len + 1;
	}
	if (n < 0)
		exit(1);
	jsonl_close(&in);
	if (f != NULL && afile_close(f) != 0)
		exit(1);

	/* The whole input is good: now the files get their names. */
	for (i = 0; i < nfiles; i++)
		if (afile_commit(&files[i]) != 0)
			exit(1);
	for (i = 0; i < nfiles; i++) {
		printf("%s\n", paths[i]);
		free(paths[i]);
	}
	free(files);
	free(paths);
	free(wbuf);
	free(dircopy);
	idset_free(ids);
	buf_free(&id);
	buf_free(&url);
	buf_free(&model);
	buf_free(&cur_url);
	buf_free(&cur_model);
	return stdout_close(1) ? 1 : 0;
}
