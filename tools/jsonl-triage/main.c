/*
 * jsonl-triage: which requests of a Batch API job succeeded, which are
 * worth another try, and which failed for good, and why.
 *
 * The results are read first into an index of every custom_id
 * (index.c).  The requests are then read in their order: each one that
 * has no success is written for another try (or, failed for good, to -u)
 * and, with -f, listed with the reason of its last failure; the result
 * lines of the requests settled go to -o.  Every output file is written
 * whole or not at all, the counts last.
 */
#include <err.h>
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
#include "scrub.h"
#include "spool.h"
#include "usage.h"
#include "xalloc.h"
#include "triage.h"

/* The output files, in the order they are opened. */
enum { O_RETRY, O_FAILED, O_COUNTS, O_SETTLED, O_LOST, O_UNKNOWN, NOUT };

/* An output file: path NULL when not asked for (the retry file is then
 * stdout). */
struct output {
	const char	*path;
	struct afile	 f;
};

/* The options, and the counts of the run. */
struct triage {
	struct output	 out[NOUT];
	const char	*missing;	/* -m */
	const char	*apikey;	/* masked in the reasons, or NULL */
	int		 quiet;		/* -q */
	int		 last;		/* -F */
	unsigned long long nreq, nok, nretry, nfinal;
};

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

/* Writes p[0..n) to o, or to stdout when o has no path, or exits 1. */
static void
put(const struct output *o, const void *p, size_t n)
{
	if (o->path == NULL)
		stdout_write(p, n);
	else if (n > 0 && fwrite(p, 1, n, o->f.fp) != n)
		err(1, "%s", o->f.path);
}

/* Writes the line p[0..n) and a newline to o, or exits 1. */
static void
putline(const struct output *o, const void *p, size_t n)
{
	put(o, p, n);
	put(o, "\n", 1);
}

/*
 * The -f reason of a request without any result: "no result", or with -m
 * "no result (text)", where each run of TABs, CRs and newlines in text
 * becomes one space and any other control character a space, as in the
 * reasons results give, so that the record stays one line of three
 * fields.
 */
static void
no_result(const char *text, struct buf *out)
{
	size_t start;

	buf_adds(out, "no result");
	if (text == NULL || *text == '\0')
		return;
	buf_adds(out, " (");
	start = out->len;
	buf_adds(out, text);
	out->len = start + scrub_controls(out->p + start, out->len - start,
	    SCRUB_FOLD);
	buf_addc(out, ')');
}


/* The options into *tr, checked with the operands; returns the index in
 * argv of the first operand, the requests file.  Exits 2 on a usage
 * error. */
static int
parse_options(int argc, char *argv[], struct triage *tr)
{
	int ch, i, stdin_used = 0;

	memset(tr, 0, sizeof(*tr));
	if ((tr->apikey = getenv("OPENAI_API_KEY")) != NULL &&
	    *tr->apikey == '\0')
		tr->apikey = NULL;
	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'c': tr->out[O_COUNTS].path = optarg; break;
		case 'F': tr->last = 1; break;
		case 'f': tr->out[O_FAILED].path = optarg; break;
		case 'h': usage_help(help);
		case 'm': tr->missing = optarg; break;
		case 'o': tr->out[O_SETTLED].path = optarg; break;
		case 'q': tr->quiet = 1; break;
		case 'r': tr->out[O_RETRY].path = optarg; break;
		case 'u': tr->out[O_LOST].path = optarg; break;
		case 'V':
			usage_version();
		case 'x': tr->out[O_UNKNOWN].path = optarg; break;
		default: usage_error(help);
		}
	}
	if (argc - optind < 2)
		usage_error(help);
	if (argc - optind - 1 > MAXFILES)
		errx(2, "more than %d results files", MAXFILES);
	for (i = optind; i < argc; i++)
		if (strcmp(argv[i], "-") == 0 && stdin_used++) {
			warnx("only one input can be stdin");
			usage_error(help);
		}
	for (i = 0; i < NOUT; i++)
		if (tr->out[i].path != NULL && *tr->out[i].path == '\0') {
			warnx("empty file name");
			usage_error(help);
		}
	return optind;
}

/* Settles each request of rq in turn, from what the index knows of its
 * id: a success goes to -o; a failure worth another try (or no result)
 * to the retry file, unless -F; any other failure is final, its result
 * to -o and its request to -u.  -f lists every request not settled by a
 * success, with its reason. */
static void
settle_requests(struct triage *tr, struct index *ix,
    const struct spool_input *ins, struct jsonl *rq)
{
	struct buf scratch = BUF_INIT, rec = BUF_INIT, why = BUF_INIT;
	struct buf show = BUF_INIT, lbuf = BUF_INIT, noresult = BUF_INIT;
	const struct output *settled = &tr->out[O_SETTLED];
	struct jval top, raw;
	struct entry *en;
	const char *id, *bad;
	char *line;
	size_t len, idlen;
	int got, again;

	no_result(tr->missing, &noresult);
	while ((got = jsonl_next(rq, &line, &len)) == 1) {
		if (customid_get(line, len, &top, &scratch, &id, &idlen,
		    &bad) < 0)
			errx(1, "%s:%lu: %s", rq->name, rq->lineno, bad);
		if (rq->lineno > UINT32_MAX)
			errx(1, "%s: too many lines", rq->name);
		en = entry_add(ix, id, idlen);
		if (en->flags & E_REQUEST)
			errx(1, "%s:%lu: duplicate custom_id %s (first at line "
			    "%lu)", rq->name, rq->lineno,
			    customid_show(&show, id, idlen),
			    (unsigned long)en->reqline);
		en->flags |= E_REQUEST;
		en->reqline = (uint32_t)rq->lineno;
		tr->nreq++;
		if (en->flags & E_OK) {
			tr->nok++;
			if (settled->path != NULL) {
				readback(ins, en, &lbuf);
				putline(settled, lbuf.p, lbuf.len);
			}
			continue;
		}
		if (en->flags & E_FAILED)
			reason(tr->apikey, ins, en, &lbuf, &why);
		else {
			buf_reset(&why);
			buf_add(&why, noresult.p, noresult.len);
		}
		/* Could another try mend it?  -f says so even under -F. */
		again = !(en->flags & E_FAILED) || (en->flags & E_RETRY);
		if (again && !tr->last) {
			tr->nretry++;
			putline(&tr->out[O_RETRY], line, len);
		} else {
			/* Failed for good: settled, with the last failure. */
			tr->nfinal++;
			if (settled->path != NULL && (en->flags & E_FAILED))
				putline(settled, lbuf.p, lbuf.len);
			if (tr->out[O_LOST].path != NULL)
				putline(&tr->out[O_LOST], line, len);
		}
		if (tr->out[O_FAILED].path == NULL)
			continue;
		/* The id as the request spells it, escapes and all. */
		jscan_member(top, "custom_id", &raw);
		buf_reset(&rec);
		buf_add(&rec, raw.p + 1, raw.n - 2);
		buf_adds(&rec, again ? "\tretry\t" : "\tfinal\t");
		buf_add(&rec, why.p, why.len);
		buf_addc(&rec, '\n');
		put(&tr->out[O_FAILED], rec.p, rec.len);
	}
	if (got < 0)
		exit(1);
	buf_free(&scratch);
	buf_free(&rec);
	buf_free(&why);
	buf_free(&show);
	buf_free(&lbuf);
	buf_free(&noresult);
}

/* Results for ids no request has: never among the settled (-o),
 * reported, counted and, with -x, kept apart.  Returns their count. */
static size_t
unknown_results(const struct triage *tr, const struct index *ix,
    const struct spool_input *ins)
{
	const struct output *x = &tr->out[O_UNKNOWN];
	struct buf show = BUF_INIT, lbuf = BUF_INIT;
	size_t e, unknown = 0, first = 0, idlen;
	const char *id;

	for (e = 0; e < ix->ids.count; e++) {
		if (ix->e[e].flags & E_REQUEST)
			continue;
		if (unknown++ == 0)
			first = e;
		if (x->path != NULL) {
			readback(ins, &ix->e[e], &lbuf);
			putline(x, lbuf.p, lbuf.len);
		}
	}
	if (unknown > 0) {
		id = idmap_id(&ix->ids, first, &idlen);
		warnx("%zu result%s match%s no request (the first: custom_id "
		    "%s)", unknown, unknown == 1 ? "" : "s",
		    unknown == 1 ? "es" : "", customid_show(&show, id, idlen));
	}
	buf_free(&show);
	buf_free(&lbuf);
	return unknown;
}

/*
 * Everything was read and is good: the files get their names, the counts
 * last, so that a driver that takes them for the sign of a finished step
 * finds every other file there.  Returns 0, or -1 after reporting an
 * error.
 */
static int
commit_outputs(struct triage *tr)
{
	static const int order[NOUT] = {
		O_SETTLED, O_LOST, O_FAILED, O_UNKNOWN, O_RETRY, O_COUNTS
	};
	int i;

	for (i = 0; i < NOUT; i++)
		if (tr->out[order[i]].path != NULL &&
		    afile_commit(&tr->out[order[i]].f) != 0)
			return -1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct triage tr;
	struct index ix;
	struct spool_input *ins;
	struct buf counts = BUF_INIT;
	struct jsonl rq;
	size_t e, nres, unknown;
	int first, i;

	first = parse_options(argc, argv, &tr);

	/* Every input and output is opened before any work. */
	nres = (size_t)(argc - first - 1);
	ins = xreallocarray(NULL, nres, sizeof(*ins));
	for (e = 0; e < nres; e++)
		spool_open(&ins[e], argv[first + 1 + (int)e]);
	if (jsonl_open(&rq, argv[first], 0) < 0)
		exit(1);
	for (i = 0; i < NOUT; i++)
		if (tr.out[i].path != NULL &&
		    afile_open(&tr.out[i].f, tr.out[i].path) != 0)
			exit(1);

	memset(&ix, 0, sizeof(ix));
	idmap_init(&ix.ids);
	for (e = 0; e < nres; e++)
		index_results(&ix, &ins[e], (uint16_t)e);
	settle_requests(&tr, &ix, ins, &rq);
	jsonl_close(&rq);
	unknown = unknown_results(&tr, &ix, ins);

	buf_printf(&counts, "requests %llu\nsucceeded %llu\nretry %llu\n"
	    "failed %llu\n", tr.nreq, tr.nok, tr.nretry, tr.nfinal);
	if (unknown > 0)
		buf_printf(&counts, "unknown %zu\n", unknown);
	if (tr.out[O_COUNTS].path != NULL)
		put(&tr.out[O_COUNTS], counts.p, counts.len);
	if (commit_outputs(&tr) != 0)
		return 1;
	if (stdout_close(1) < 0)
		return 1;
	if (tr.out[O_COUNTS].path == NULL && !tr.quiet)
		fputs(counts.p, stderr);
	for (e = 0; e < nres; e++)
		if (ins[e].fd != STDIN_FILENO)
			close(ins[e].fd);
	free(ins);
	free(ix.e);
	idmap_free(&ix.ids);
	buf_free(&counts);
	return 0;
}
