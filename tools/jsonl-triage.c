/*
 * jsonl-triage: which requests of a Batch API job succeeded, which are
 * worth another try, and which failed for good, and why.
 *
 * The results are read first, one line at a time, into an index of every
 * custom_id with a few bytes about it: where its first successful result
 * is, else where its last failed result is (file, offset, length) and
 * whether that failure is worth another try (common/result decides).  The
 * requests are then read in their order: each one that has no success is
 * written for another try (or, failed for good, to -u) and, with -f,
 * listed with the reason of its last failure; the result lines of the
 * requests settled go to -o.  Result lines are read back from their files
 * by offset: memory holds the ids, never the lines, as results may be
 * many GB.
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "customid.h"
#include "idmap.h"
#include "jscan.h"
#include "jsonl.h"
#include "outcheck.h"
#include "result.h"
#include "scrub.h"
#include "spool.h"
#include "usage.h"
#include "xalloc.h"

#define MAXFILES	UINT16_MAX

/* What the index knows about each custom_id (idmap number). */
enum {
	E_OK = 1,		/* some result succeeded */
	E_FAILED = 2,		/* a failed result: off, len, file */
	E_RETRY = 4,		/* the last failure is worth another try */
	E_REQUEST = 8		/* a request has this id (at reqline) */
};

struct entry {
	uint64_t	 off;		/* the first successful result line when
					 * E_OK, else the last failed one */
	uint32_t	 len;
	uint32_t	 reqline;
	uint16_t	 file;
	uint8_t		 flags;
};

static struct idmap	 index_;
static struct entry	*entries;
static size_t		 entries_cap;

static void usage(int) __attribute__((noreturn));

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "c:Ff:hm:o:qr:u:Vx:";
static const char help[] =
	"usage: jsonl-triage [-FhqV] [-c counts-file] [-f failed-file]\n"
	"                    [-m text] [-o results-file] [-r retry-file]\n"
	"                    [-u failed-requests-file] [-x unknown-file]\n"
	"                    requests-file results-file ...\n"
	"\n"
	"  -c counts-file   the counts, instead of on standard error\n"
	"  -F               the last try: every failure is final\n"
	"  -f failed-file   a line for every request that did not succeed\n"
	"  -m text          the reason of a request without a result\n"
	"  -o results-file  the result lines of the requests settled\n"
	"  -q               do not print the counts\n"
	"  -r retry-file    the requests worth another try, not on stdout\n"
	"  -u failed-requests-file\n"
	"                   the request lines that failed for good\n"
	"  -x unknown-file  the results whose custom_id matches no request\n"
	"  -h               print this help and exit\n"
	"  -V               print the version and exit\n";

static void __attribute__((noreturn))
usage(int status)
{
	if (status == 0)
		usage_help(help);
	usage_error(help);
}

static struct entry *
entry_add(const char *id, size_t n)
{
	int added;
	size_t e = idmap_add(&index_, id, n, &added);

	while (e >= entries_cap) {
		entries_cap = entries_cap ? entries_cap * 2 : 4096;
		entries = xreallocarray(entries, entries_cap,
		    sizeof(*entries));
	}
	if (added)
		memset(&entries[e], 0, sizeof(entries[e]));
	return &entries[e];
}

/* Reads every line of result file number f into the index. */
static void
index_results(const struct spool_input *in, uint16_t f)
{
	struct buf scratch = BUF_INIT;
	struct jsonl r;
	struct jval top;
	struct result res;
	struct entry *en;
	const char *id, *why;
	char *line;
	size_t len, idlen;
	uint64_t off = (uint64_t)in->base;
	int got;

	jsonl_fdopen(&r, in->fd, in->name, 0);
	for (; (got = jsonl_next(&r, &line, &len)) == 1;
	    off += jsonl_consumed(&r, line)) {
		if (customid_get(line, len, &top, &scratch, &id, &idlen,
		    &why) < 0)
			errx(1, "%s:%lu: %s", r.name, r.lineno, why);
		en = entry_add(id, idlen);
		if (en->flags & E_OK)
			continue;
		result_of(top, &res);
		if (res.ok) {
			/* The first success is the one -o copies. */
			en->flags |= E_OK;
			en->off = off;
			en->len = (uint32_t)len;
			en->file = f;
			continue;
		}
		/* The last failure counts, as the driver's rounds did. */
		en->flags = (uint8_t)((en->flags & ~E_RETRY) | E_FAILED |
		    (res.retry ? E_RETRY : 0));
		en->off = off;
		en->len = (uint32_t)len;
		en->file = f;
	}
	if (got < 0)
		exit(1);
	jsonl_close(&r);
	buf_free(&scratch);
}

/* The result line en points at, read back into line (NUL-terminated). */
static void
readback(const struct spool_input *ins, const struct entry *en,
    struct buf *line)
{
	const struct spool_input *in = &ins[en->file];
	size_t got;
	ssize_t r;

	buf_reset(line);
	buf_reserve(line, en->len);
	for (got = 0; got < en->len; got += (size_t)r) {
		r = pread(in->fd, line->p + got, en->len - got,
		    (off_t)(en->off + got));
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0)
			err(1, "%s", in->name);
		if (r == 0)
			break;
	}
	line->len = got;
	line->p[got] = '\0';
	if (got < en->len)
		errx(1, "%s: file changed while being read", in->name);
}

/* The key in OPENAI_API_KEY, masked in the reasons (a server can echo
 * it back in a message); NULL when unset. */
static const char *apikey;

/* The reason of the failed result of en, into why; its line into line. */
static void
reason(const struct spool_input *ins, const struct entry *en, struct buf *line,
    struct buf *why)
{
	struct jval top;
	struct jerr e;
	struct result res;
	struct buf raw = BUF_INIT;

	readback(ins, en, line);
	if (jscan_doc(line->p, line->len, &top, &e) < 0 ||
	    top.type != JT_OBJECT)
		errx(1, "%s: file changed while being read", ins[en->file].name);
	result_of(top, &res);
	result_why(&res, &raw);
	buf_reset(why);
	scrub(why, raw.p != NULL ? raw.p : "", raw.len, apikey, 0);
	buf_free(&raw);
}

/* Writes p[0..n) to fp (stdout or the file of a), or exits 1. */
static void
put(FILE *fp, const struct afile *a, const void *p, size_t n)
{
	if (fp == stdout)
		stdout_write(p, n);
	else if (n > 0 && fwrite(p, 1, n, fp) != n)
		err(1, "%s", a->path);
}

/* Writes the line p[0..n) and a newline to fp, or exits 1. */
static void
putline(FILE *fp, const struct afile *a, const void *p, size_t n)
{
	put(fp, a, p, n);
	put(fp, a, "\n", 1);
}

/*
 * The -f reason of a request without any result: "no result", or with -m
 * "no result (text)", where each run of TABs, CRs and newlines in text
 * becomes one space, as in the reasons results give, so that the record
 * stays one line of three fields.
 */
static void
no_result(const char *text, struct buf *out)
{
	int folding = 0;

	buf_adds(out, "no result");
	if (text == NULL || *text == '\0')
		return;
	buf_adds(out, " (");
	for (; *text != '\0'; text++) {
		if (*text == '\t' || *text == '\r' || *text == '\n') {
			if (!folding)
				buf_addc(out, ' ');
			folding = 1;
		} else {
			buf_addc(out, *text);
			folding = 0;
		}
	}
	buf_addc(out, ')');
}

int
main(int argc, char *argv[])
{
	const char *retry_path = NULL, *failed_path = NULL, *counts_path = NULL;
	const char *settled_path = NULL, *lost_path = NULL, *missing = NULL;
	const char *unknown_path = NULL;
	struct afile retry_f = { NULL, NULL, NULL, 0 }, failed_f = retry_f;
	struct afile counts_f = retry_f, settled_f = retry_f, lost_f = retry_f;
	struct afile unknown_f = retry_f;
	struct spool_input *ins;
	struct buf scratch = BUF_INIT, rec = BUF_INIT, why = BUF_INIT;
	struct buf show = BUF_INIT, lbuf = BUF_INIT, noresult = BUF_INIT;
	struct jsonl rq;
	struct jval top, raw;
	struct entry *en;
	FILE *retry_fp = stdout;
	const char *id, *bad;
	char *line;
	size_t len, idlen, e, nres, unknown = 0, first_unknown = 0;
	unsigned long long nreq = 0, nok = 0, nretry = 0, nfinal = 0;
	int ch, got, quiet = 0, last = 0, stdin_used = 0, i, again;

	if ((apikey = getenv("OPENAI_API_KEY")) != NULL && *apikey == '\0')
		apikey = NULL;
	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'c': counts_path = optarg; break;
		case 'F': last = 1; break;
		case 'f': failed_path = optarg; break;
		case 'h': usage(0);
		case 'm': missing = optarg; break;
		case 'o': settled_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'r': retry_path = optarg; break;
		case 'u': lost_path = optarg; break;
		case 'V':
			usage_version();
		case 'x': unknown_path = optarg; break;
		default: usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage(2);
	if (argc - 1 > MAXFILES)
		errx(2, "more than %d results files", MAXFILES);
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") == 0 && stdin_used++) {
			warnx("only one input can be stdin");
			usage(2);
		}
	if ((retry_path != NULL && *retry_path == '\0') ||
	    (failed_path != NULL && *failed_path == '\0') ||
	    (counts_path != NULL && *counts_path == '\0') ||
	    (settled_path != NULL && *settled_path == '\0') ||
	    (lost_path != NULL && *lost_path == '\0') ||
	    (unknown_path != NULL && *unknown_path == '\0')) {
		warnx("empty file name");
		usage(2);
	}

	/* Every input and output is opened before any work. */
	nres = (size_t)argc - 1;
	ins = xreallocarray(NULL, nres, sizeof(*ins));
	for (e = 0; e < nres; e++)
		spool_open(&ins[e], argv[e + 1]);
	if (jsonl_open(&rq, argv[0], 0) < 0)
		exit(1);
	if (retry_path != NULL) {
		if (afile_open(&retry_f, retry_path) != 0)
			exit(1);
		retry_fp = retry_f.fp;
	}
	if (failed_path != NULL && afile_open(&failed_f, failed_path) != 0)
		exit(1);
	if (counts_path != NULL && afile_open(&counts_f, counts_path) != 0)
		exit(1);
	if (settled_path != NULL && afile_open(&settled_f, settled_path) != 0)
		exit(1);
	if (lost_path != NULL && afile_open(&lost_f, lost_path) != 0)
		exit(1);
	if (unknown_path != NULL && afile_open(&unknown_f, unknown_path) != 0)
		exit(1);
	no_result(missing, &noresult);

	idmap_init(&index_);
	for (e = 0; e < nres; e++)
		index_results(&ins[e], (uint16_t)e);

	while ((got = jsonl_next(&rq, &line, &len)) == 1) {
		if (customid_get(line, len, &top, &scratch, &id, &idlen,
		    &bad) < 0)
			errx(1, "%s:%lu: %s", rq.name, rq.lineno, bad);
		if (rq.lineno > UINT32_MAX)
			errx(1, "%s: too many lines", rq.name);
		en = entry_add(id, idlen);
		if (en->flags & E_REQUEST)
			errx(1, "%s:%lu: duplicate custom_id %s (first at line "
			    "%lu)", rq.name, rq.lineno,
			    customid_show(&show, id, idlen),
			    (unsigned long)en->reqline);
		en->flags |= E_REQUEST;
		en->reqline = (uint32_t)rq.lineno;
		nreq++;
		if (en->flags & E_OK) {
			nok++;
			if (settled_path != NULL) {
				readback(ins, en, &lbuf);
				putline(settled_f.fp, &settled_f, lbuf.p,
				    lbuf.len);
			}
			continue;
		}
		if (en->flags & E_FAILED)
			reason(ins, en, &lbuf, &why);
		else {
			buf_reset(&why);
			buf_add(&why, noresult.p, noresult.len);
		}
		/* Could another try mend it?  -f says so even under -F. */
		again = !(en->flags & E_FAILED) || (en->flags & E_RETRY);
		if (again && !last) {
			nretry++;
			putline(retry_fp, &retry_f, line, len);
		} else {
			/* Failed for good: settled, with the last failure. */
			nfinal++;
			if (settled_path != NULL && (en->flags & E_FAILED))
				putline(settled_f.fp, &settled_f, lbuf.p,
				    lbuf.len);
			if (lost_path != NULL)
				putline(lost_f.fp, &lost_f, line, len);
		}
		if (failed_path == NULL)
			continue;
		/* The id as the request spells it, escapes and all. */
		jscan_member(top, "custom_id", &raw);
		buf_reset(&rec);
		buf_add(&rec, raw.p + 1, raw.n - 2);
		buf_adds(&rec, again ? "\tretry\t" : "\tfinal\t");
		buf_add(&rec, why.p, why.len);
		buf_addc(&rec, '\n');
		put(failed_f.fp, &failed_f, rec.p, rec.len);
	}
	if (got < 0)
		exit(1);
	jsonl_close(&rq);

	/* Results for ids no request has: never among the settled (-o),
	 * reported, counted and, with -x, kept apart. */
	for (e = 0; e < index_.count; e++) {
		if (entries[e].flags & E_REQUEST)
			continue;
		if (unknown++ == 0)
			first_unknown = e;
		if (unknown_path != NULL) {
			readback(ins, &entries[e], &lbuf);
			putline(unknown_f.fp, &unknown_f, lbuf.p, lbuf.len);
		}
	}
	if (unknown > 0) {
		id = idmap_id(&index_, first_unknown, &idlen);
		warnx("%zu result%s match%s no request (the first: custom_id "
		    "%s)", unknown, unknown == 1 ? "" : "s",
		    unknown == 1 ? "es" : "", customid_show(&show, id, idlen));
	}

	buf_reset(&rec);
	buf_printf(&rec, "requests %llu\nsucceeded %llu\nretry %llu\n"
	    "failed %llu\n", nreq, nok, nretry, nfinal);
	if (unknown > 0)
		buf_printf(&rec, "unknown %zu\n", unknown);
	if (counts_path != NULL)
		put(counts_f.fp, &counts_f, rec.p, rec.len);

	/*
	 * Everything was read and is good: the files get their names, the
	 * counts last, so that a driver that takes them for the sign of a
	 * finished step finds every other file there.
	 */
	if ((settled_path != NULL && afile_commit(&settled_f) != 0) ||
	    (lost_path != NULL && afile_commit(&lost_f) != 0) ||
	    (failed_path != NULL && afile_commit(&failed_f) != 0) ||
	    (unknown_path != NULL && afile_commit(&unknown_f) != 0) ||
	    (retry_path != NULL && afile_commit(&retry_f) != 0) ||
	    (counts_path != NULL && afile_commit(&counts_f) != 0))
		return 1;
	if (stdout_close(1) < 0)
		return 1;
	if (counts_path == NULL && !quiet)
		fputs(rec.p, stderr);
	for (e = 0; e < nres; e++)
		if (ins[e].fd != STDIN_FILENO)
			close(ins[e].fd);
	free(ins);
	free(entries);
	idmap_free(&index_);
	buf_free(&scratch);
	buf_free(&rec);
	buf_free(&why);
	buf_free(&show);
	buf_free(&lbuf);
	buf_free(&noresult);
	return 0;
}
