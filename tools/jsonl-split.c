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
#include "customid.h"
#include "idset.h"
#include "jscan.h"
#include "jsonl.h"
#include "outcheck.h"
#include "xalloc.h"

#define MAX_LINES_DEFAULT	50000		/* OpenAI's limit per batch */
#define MAX_BYTES_DEFAULT	190000000	/* under OpenAI's 200 MB */
#define WRITE_BUFFER		(1 << 20)
#define MAX_MEMBERS		64	/* taken while validating; more: walk */

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
/* 1 when key k is the string name (of length n). */
static int
key_is(struct jval k, const char *name, size_t n)
{
	if (k.n == n + 2 && memcmp(k.p + 1, name, n) == 0)
		return 1;
	return k.n > n + 2 && memchr(k.p, '\\', k.n) != NULL &&
	    jscan_streq(k, name);
}

/* The members a request needs, from the members jscan_doc_members took
 * (or, for a line with too many, from walks over it); the last of a
 * repeated key counts, as with jscan_member. */
static void
pick(struct jval top, const struct jmember *m, size_t count,
    struct jval *custom_id, struct jval *method, struct jval *url,
    struct jval *body, struct jval *model)
{
	struct jval k, v;
	size_t i;

	custom_id->type = method->type = url->type = body->type = JT_NONE;
	model->type = JT_NONE;
	if (count > MAX_MEMBERS) {
		jscan_member(top, "custom_id", custom_id);
		jscan_member(top, "method", method);
		jscan_member(top, "url", url);
		jscan_member(top, "body", body);
		jscan_member(*body, "model", model);
		return;
	}
	for (i = 0; i < count; i++) {
		if (m[i].depth != 1)
			continue;
		k = m[i].key;
		v = m[i].val;
		if (key_is(k, "custom_id", 9))
			*custom_id = v;
		else if (key_is(k, "method", 6))
			*method = v;
		else if (key_is(k, "url", 3))
			*url = v;
		else if (key_is(k, "body", 4))
			*body = v;
	}
	if (body->type != JT_OBJECT)
		return;
	for (i = 0; i < count; i++)
		if (m[i].depth == 2 && m[i].val.p > body->p &&
		    m[i].val.p < body->p + body->n && key_is(m[i].key, "model", 5))
			*model = m[i].val;
}

/* 1 when string v decodes to the text in *cur; scratch is for decoding. */
static int
same_text(struct jval v, const struct buf *cur, struct buf *scratch)
{
	if (memchr(v.p, '\\', v.n) == NULL)
		return v.n - 2 == cur->len && memcmp(v.p + 1, cur->p,
		    cur->len) == 0;
	buf_reset(scratch);
	jscan_unescape(v, scratch);
	return scratch->len == cur->len && memcmp(scratch->p, cur->p,
	    cur->len) == 0;
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
	size_t lines = 0, bytes = 0, len, i, count;
	struct buf id = BUF_INIT, scratch = BUF_INIT;
	struct buf cur_url = BUF_INIT, cur_model = BUF_INIT;
	struct idset *ids;
	struct afile *f = NULL;
	struct jsonl in;
	struct jval top, custom_id, method, urlv, body, modelv;
	struct jmember members[MAX_MEMBERS];
	struct jerr e;
	char *line, *dircopy, *wbuf;
	const char *idp;
	size_t idn;
	uint64_t idh;
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
		if (jscan_doc_members(line, len, &top, members, MAX_MEMBERS,
		    &count, &e) < 0)
			bad_line(in.name, in.lineno, "%s", e.msg);
		if (top.type != JT_OBJECT)
			bad_line(in.name, in.lineno, "%s, not an object",
			    jscan_a_typename(top.type));
		pick(top, members, count, &custom_id, &method, &urlv, &body,
		    &modelv);
		if (custom_id.type != JT_STRING)
			bad_line(in.name, in.lineno, custom_id.type ==
			    JT_NONE ? "no custom_id" : "custom_id is %s, not "
			    "a string", jscan_a_typename(custom_id.type));
		if (method.type == JT_NONE)
			bad_line(in.name, in.lineno, "no method");
		if (!jscan_streq(method, "POST"))
			bad_line(in.name, in.lineno, "method is %.*s, not "
			    "\"POST\"", (int)(method.n > 40 ? 40 : method.n),
			    method.p);
		if (urlv.type != JT_STRING)
			bad_line(in.name, in.lineno, urlv.type == JT_NONE ?
			    "no url" : "url is %s, not a string",
			    jscan_a_typename(urlv.type));
		if (body.type != JT_OBJECT)
			bad_line(in.name, in.lineno, body.type == JT_NONE ?
			    "no body" : "body is %s, not an object",
			    jscan_a_typename(body.type));
		if (modelv.type != JT_STRING)
			bad_line(in.name, in.lineno, modelv.type == JT_NONE ?
			    "no body.model" : "body.model is %s, not a string",
			    jscan_a_typename(modelv.type));
		if (memchr(custom_id.p, '\\', custom_id.n) == NULL) {
			idp = custom_id.p + 1;
			idn = custom_id.n - 2;
		} else {
			buf_reset(&id);
			jscan_unescape(custom_id, &id);
			idp = id.p;
			idn = id.len;
		}
		if (idn == 0)
			bad_line(in.name, in.lineno, "empty custom_id");
		/* Checked after the line is written to its temporary file:
		 * that work hides the cache miss on the id's slot. */
		idh = idset_prefetch(ids, idp, idn);

		if (f == NULL || lines == max_lines ||
		    bytes + len + 1 > max_bytes ||
		    !same_text(urlv, &cur_url, &scratch) ||
		    !same_text(modelv, &cur_model, &scratch)) {
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
			jscan_unescape(urlv, &cur_url);
			buf_reset(&cur_model);
			jscan_unescape(modelv, &cur_model);
		}
		line[len] = '\n';
		fwrite(line, 1, len + 1, f->fp);
		if (!idset_add_hashed(ids, idp, idn, idh))
			bad_line(in.name, in.lineno, "duplicate custom_id "
			    "\"%.*s\"", 200, customid_show(&scratch, idp, idn));
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
	buf_free(&scratch);
	buf_free(&cur_url);
	buf_free(&cur_model);
	return stdout_close(1) ? 1 : 0;
}
