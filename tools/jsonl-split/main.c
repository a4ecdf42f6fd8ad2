/*
 * jsonl-split: Batch API request lines in, batch input files out.  Every
 * line is checked first; the files are written to temporary names and
 * renamed only once the whole input proved good, so a bad line at the end
 * leaves nothing behind.  Lines are copied byte for byte.  A bad last
 * line without a newline is reported as an incomplete last line: that is
 * what a jsonl-prompt that stopped early leaves in the pipe.  With -t each
 * request's input tokens are counted as jsonl-tokens counts them
 * (common/reqcount.c) and a file holds at most max-tokens of them; without
 * it nothing is tokenized (about three times the rest of the work) and
 * the tokens column of the output is "-".
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "mkdirs.h"
#include "modeldata.h"
#include "outcheck.h"
#include "reqcount.h"
#include "reqline.h"
#include "usage.h"
#include "xalloc.h"

#define MAX_LINES_DEFAULT	50000		/* OpenAI's limit per batch */
#define MAX_BYTES_DEFAULT	190000000	/* under OpenAI's 200 MB */
#define COPY_MAX		(1 << 20)	/* see take_line */
#define MAX_MEMBERS		64	/* taken while validating; more: walk */

/* The files written so far; static so the clean-up at exit sees them.
 * Each file's requests and input tokens (-1: not counted, no -t). */
static struct afile	*files;
static char		**paths;
static size_t		*nreqs;
static long long	*ntoks;
static size_t		 nfiles;

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "b:d:hl:p:t:V";
static const char help[] =
	"usage: jsonl-split [-hV] [-d dir] [-p prefix] [-l max-lines]\n"
	"                   [-b max-bytes] [-t max-tokens] [file]\n"
	"\n"
	"  -d dir         the directory for the files (default .)\n"
	"  -p prefix      the start of the file names (default batch-)\n"
	"  -l max-lines   the most lines in a file (default 50000)\n"
	"  -b max-bytes   the most bytes in a file, k, M or G (default 190M)\n"
	"  -t max-tokens  the most input tokens in a file, k, M or G\n"
	"  -h             print this help and exit\n"
	"  -V             print the version and exit\n";

static void __attribute__((noreturn))
usage(int status)
{
	if (status == 0)
		usage_help(help);
	usage_error(help);
}

/* A count, with suffixes an optional k, M or G (powers of 1000); exits 2
 * with "-opt: not a positive what: s" if it is not a positive number. */
static size_t
parse_count(int opt, const char *s, int suffixes, const char *what)
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
		errx(2, "-%c: not a positive %s: %s", opt, what, s);
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

/* The custom_id of the line last written, added to the set only once the
 * next line has been read and checked (idset_hold).  Static for the
 * reader's error hook. */
static struct idset		*ids;
static struct idset_held	 last = IDSET_HELD_INIT;
static const char		*input_name;

/* Adds the last line's custom_id to the set; a duplicate is reported at
 * its own line, before anything found on a later one, and exits 1. */
static void
check_last_id(void *unused)
{
	static struct buf show = BUF_INIT;

	if (idset_settle(ids, &last) < 0)
		bad_line(input_name, last.lineno, "duplicate custom_id "
		    "\"%.*s\"", 200, customid_show(&show, last.id.p,
		    last.id.len));
}

/* What the current file gets next, written with write(2) rather than
 * copied through stdio: a run of whole lines in place in the reader's
 * buffer (they lie one after the other there), or lines copied to copy
 * (those whose "\r\n" becomes "\n", and an unterminated last line).
 * Static for the reader's hook, which writes it before the buffer moves. */
static struct {
	const char	*p;
	size_t		 n;
	struct afile	*f;
	struct buf	 copy;
} run = { NULL, 0, NULL, BUF_INIT };

/* Writes the run to its file; a write error is reported as
 * "prog: path: reason" and exits 1 (the temporary files go at exit). */
static void
write_run(void *unused)
{
	const char *p = run.p;
	size_t n = run.n;
	ssize_t w;

	if (n == 0 || run.f == NULL)
		return;
	run.n = 0;
	while (n > 0) {
		w = write(fileno(run.f->fp), p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			err(1, "%s", run.f->path);
		p += w;
		n -= (size_t)w;
	}
	buf_reset(&run.copy);
}

/* Adds line[0..n) with its '\n' (line[n]) to the run for file f: in place
 * when the line took exactly n + 1 bytes of input, else as a copy. */
static void
take_line(struct afile *f, const char *line, size_t n, int in_place)
{
	int copied = run.n > 0 && run.p == run.copy.p;

	if (run.n > 0 && (run.f != f || copied == in_place ||
	    (in_place && run.p + run.n != line)))
		write_run(NULL);
	run.f = f;
	if (in_place) {
		if (run.n == 0)
			run.p = line;
		run.n += n + 1;
		return;
	}
	buf_add(&run.copy, line, n + 1);
	run.p = run.copy.p;
	run.n = run.copy.len;
	if (run.n >= COPY_MAX)
		write_run(NULL);
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

/* The number in name when name is one a run with this prefix gives its
 * files (prefix, a number of four or five digits, ".jsonl"), else 0; *rest
 * gets what follows ".jsonl". */
static size_t
own_number(const char *name, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix), digits = 0, number = 0;
	const char *p;

	if (strncmp(name, prefix, n) != 0)
		return 0;
	for (p = name + n; isdigit((unsigned char)*p); p++) {
		digits++;
		number = number * 10 + (size_t)(*p - '0');
	}
	if (digits < 4 || digits > 5 || (digits == 5 && name[n] == '0'))
		return 0;
	if (strncmp(p, ".jsonl", 6) != 0)
		return 0;
	*rest = p + 6;
	return number;
}

/* 1 when name is a temporary name a run with this prefix gives its files
 * (afile_open's ".NAME.tmp.XXXXXX" for an own_number NAME), else 0. */
static int
own_temporary(const char *name, const char *prefix)
{
	const char *rest;

	if (name[0] != '.' || own_number(name + 1, prefix, &rest) == 0)
		return 0;
	if (strncmp(rest, ".tmp.", 5) != 0)
		return 0;
	return strlen(rest + 5) == 6 && strchr(rest + 5, '/') == NULL;
}

/*
 * Refuses (exits 1, the new files still under their temporary names, so
 * removed at exit) when dir holds files of this prefix numbered past
 * written, the number of files this run made: an earlier, longer split's, which this one would not replace.
 * Left there, "dir/prefix*.jsonl" would upload them beside the new ones,
 * and their requests would be paid for twice.
 */
static void
refuse_stale(const char *dir, const char *prefix, size_t written)
{
	struct dirent *e;
	const char *rest;
	char first[NAME_MAX + 1] = "";
	size_t n, stale = 0, lowest = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT && written == 0)
			return;
		err(1, "%s", dir);
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		n = own_number(e->d_name, prefix, &rest);
		if (n <= written || *rest != '\0')
			continue;
		stale++;
		if (lowest == 0 || n < lowest) {
			lowest = n;
			snprintf(first, sizeof(first), "%s", e->d_name);
		}
	}
	if (errno != 0)
		err(1, "%s", dir);
	closedir(d);
	if (stale == 0)
		return;
	if (stale == 1)
		errx(1, "%s: %s is from an earlier split, which this one "
		    "(%zu files) does not replace; remove it or use another "
		    "-d or -p: nothing was written", dir, first, written);
	errx(1, "%s: %s and %zu more files are from an earlier split, which "
	    "this one (%zu files) does not replace; remove them or use "
	    "another -d or -p: nothing was written", dir, first, stale - 1,
	    written);
}

/*
 * Takes the lock of the output directory dir, held until exit, and, when
 * no other jsonl-split holds it, removes the temporaries that a killed run
 * with the same prefix left there (own_temporary).  Every run holds a
 * shared flock(2) on dir while it writes there, so a run that gets it
 * exclusively knows that no temporary in dir is being written.  When
 * another run holds it nothing is removed: the next run alone does it.  A
 * file system without flock: nothing is removed either.  An unreadable
 * dir, or a temporary that cannot be removed, is reported and exits 1.
 */
static void
lock_and_clean(const char *dir, const char *prefix)
{
	struct dirent *e;
	DIR *d;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		err(1, "%s", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
				;
		return;
	}
	if ((d = opendir(dir)) == NULL)
		err(1, "%s", dir);
	while ((errno = 0, e = readdir(d)) != NULL)
		if (own_temporary(e->d_name, prefix) &&
		    unlinkat(fd, e->d_name, 0) != 0 && errno != ENOENT)
			err(1, "%s/%s", dir, e->d_name);
	if (errno != 0)
		err(1, "%s", dir);
	closedir(d);
	while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
		;
}

int
main(int argc, char *argv[])
{
	const char *dir = ".", *prefix = "batch-", *input;
	size_t max_lines = MAX_LINES_DEFAULT, max_bytes = MAX_BYTES_DEFAULT;
	size_t max_tokens = 0, lines = 0, bytes = 0, len, i;
	long long tokens = 0, t = -1;
	struct buf id = BUF_INIT, scratch = BUF_INIT;
	struct buf cur_url = BUF_INIT, cur_model = BUF_INIT;
	struct afile *f = NULL;
	struct jsonl in;
	struct reqline req;
	struct reqcount rc;
	char *line, *dircopy, count[24];
	const char *why, *failed;
	int ch, n, r, dir_made = 0;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'b':
			max_bytes = parse_count('b', optarg, 1, "size");
			break;
		case 'd': dir = optarg; break;
		case 'h': usage(0);
		case 'l':
			max_lines = parse_count('l', optarg, 0, "number");
			break;
		case 'p': prefix = optarg; break;
		case 't':
			max_tokens = parse_count('t', optarg, 1, "number");
			break;
		case 'V':
			usage_version();
		default: usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1) {
		warnx("%s: one input file at most", argv[1]);
		usage(2);
	}
	input = argc == 1 ? argv[0] : "-";
	if (strchr(prefix, '/') != NULL)
		errx(2, "-p: a prefix cannot contain '/': %s", prefix);
	if (*dir == '\0')
		errx(2, "-d: empty directory name");
	/* A path is the first field of an output line. */
	if (strpbrk(dir, "\t\n") != NULL)
		errx(2, "-d: a directory name cannot contain a TAB or a "
		    "newline");
	if (strpbrk(prefix, "\t\n") != NULL)
		errx(2, "-p: a prefix cannot contain a TAB or a newline");
	if (max_bytes < 2)
		errx(2, "-b: too small: %zu", max_bytes);
	dircopy = xstrdup(dir);
	for (len = strlen(dircopy); len > 1 && dircopy[len - 1] == '/'; len--)
		dircopy[len - 1] = '\0';

	/* The model table before any input: a broken one is found early. */
	memset(&rc, 0, sizeof(rc));
	if (max_tokens > 0 && models_load(NULL) < 0)
		exit(1);

	ids = idset_new();
	/* A line must fit a file with its newline: the reader refuses a
	 * longer one before it takes more memory. */
	if (jsonl_open(&in, input, max_bytes - 1) < 0)
		exit(1);
	in.before_error = check_last_id;
	in.before_read = write_run;
	input_name = in.name;
	while ((n = jsonl_next(&in, &line, &len)) == 1) {
		why = reqline_check(line, len, &req, &id);
		check_last_id(NULL);
		if (why != NULL)
			reqline_fail(in.name, in.lineno, in.unterminated, why);
		idset_hold(&last, req.id, req.idlen, idset_prefetch(ids,
		    req.id, req.idlen), in.lineno);
		if (max_tokens > 0) {
			if ((r = reqcount_request(&rc, &req, &t, NULL)) < 0)
				exit(1);
			if (r != 0)
				reqline_fail(in.name, in.lineno, 0, rc.why);
			if ((unsigned long long)t > max_tokens)
				bad_line(in.name, in.lineno, "%lld input tokens, "
				    "more than -t %zu: the request can never "
				    "fit", t, max_tokens);
		}

		if (f == NULL || lines == max_lines ||
		    bytes + len + 1 > max_bytes ||
		    (max_tokens > 0 && (unsigned long long)(tokens + t) >
		    max_tokens) ||
		    !same_text(req.url, &cur_url, &scratch) ||
		    !same_text(req.model, &cur_model, &scratch)) {
			write_run(NULL);
			if (f != NULL && afile_close(f) != 0)
				exit(1);
			if (f != NULL) {
				nreqs[nfiles - 1] = lines;
				ntoks[nfiles - 1] = max_tokens > 0 ? tokens : -1;
			}
			if (!dir_made) {
				if (mkdirs(dircopy, &failed) != 0)
					err(1, "%s", failed);
				lock_and_clean(dircopy, prefix);
				dir_made = 1;
			}
			files = xreallocarray(files, nfiles + 1,
			    sizeof(*files));
			paths = xreallocarray(paths, nfiles + 1,
			    sizeof(*paths));
			nreqs = xreallocarray(nreqs, nfiles + 1,
			    sizeof(*nreqs));
			ntoks = xreallocarray(ntoks, nfiles + 1,
			    sizeof(*ntoks));
			f = &files[nfiles];
			if (asprintf(&paths[nfiles], "%s/%s%04zu.jsonl",
			    dircopy, prefix, nfiles + 1) < 0)
				errx(1, "out of memory");
			if (afile_open(f, paths[nfiles]) != 0)
				exit(1);
			nfiles++;
			lines = bytes = 0;
			tokens = 0;
			buf_reset(&cur_url);
			jscan_unescape(req.url, &cur_url);
			buf_reset(&cur_model);
			jscan_unescape(req.model, &cur_model);
		}
		line[len] = '\n';
		take_line(f, line, len, jsonl_consumed(&in, line) == len + 1);
		lines++;
		bytes += len + 1;
		if (t >= 0)
			tokens += t;
	}
	if (n < 0)
		exit(1);
	check_last_id(NULL);
	write_run(NULL);
	jsonl_close(&in);
	if (f != NULL && afile_close(f) != 0)
		exit(1);
	if (f != NULL) {
		nreqs[nfiles - 1] = lines;
		ntoks[nfiles - 1] = max_tokens > 0 ? tokens : -1;
	}

	/* The whole input is good: now the files get their names. */
	refuse_stale(dircopy, prefix, nfiles);
	for (i = 0; i < nfiles; i++)
		if (afile_commit(&files[i]) != 0)
			exit(1);
	for (i = 0; i < nfiles; i++) {
		if (ntoks[i] < 0)
			snprintf(count, sizeof(count), "-");
		else
			snprintf(count, sizeof(count), "%lld", ntoks[i]);
		printf("%s\t%zu\t%s\n", paths[i], nreqs[i], count);
		free(paths[i]);
	}
	free(files);
	free(paths);
	free(nreqs);
	free(ntoks);
	reqcount_free(&rc);
	buf_free(&run.copy);
	free(dircopy);
	idset_free(ids);
	buf_free(&last.id);
	buf_free(&id);
	buf_free(&scratch);
	buf_free(&cur_url);
	buf_free(&cur_model);
	return stdout_close(1) ? 1 : 0;
}
