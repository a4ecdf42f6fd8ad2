/*
 * jsonl-split: Batch API request lines in, batch input files out.  Every
 * line is checked first (request.c); the files are written to temporary
 * names and renamed only once the whole input proved good (files.c), so a
 * bad line at the end leaves nothing behind.  Lines are copied byte for
 * byte.  A bad last line without a newline is reported as an incomplete
 * last line: that is what a jsonl-prompt that stopped early leaves in the
 * pipe.  With -t each request's input tokens are counted and a file holds
 * at most max-tokens of them; without it nothing is tokenized (about
 * three times the rest of the work) and the tokens column of the output
 * is "-".
 */
#include <err.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "idset.h"
#include "jsonl.h"
#include "modeldata.h"
#include "numarg.h"
#include "outcheck.h"
#include "provider.h"
#include "reqcount.h"
#include "split.h"
#include "usage.h"
#include "xalloc.h"

#define MAX_LINES_DEFAULT	50000		/* OpenAI's limit per batch */
#define MAX_BYTES_DEFAULT	190000000	/* under OpenAI's 200 MB */

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

/* A positive count, with a suffix k, M or G (powers of 1000) when
 * suffixes is set; exits 2 with "-opt: not a positive what: s" if it is
 * not one. */
static size_t
parse_count(int opt, const char *s, int suffixes, const char *what)
{
	const long long max = SIZE_MAX < LLONG_MAX ? (long long)SIZE_MAX :
	    LLONG_MAX;
	const char *errstr;
	long long v;

	v = suffixes ? numarg_size(s, 1, max, &errstr) :
	    numarg(s, 1, max, &errstr);
	if (errstr != NULL)
		errx(2, "-%c: not a positive %s: %s", opt, what, s);
	return (size_t)v;
}

/* The defaults of -l and -b, for those not given (0): the limits of a
 * batch of the provider BATCHPIPE_PROVIDER names (jsonl-split reads no
 * other configuration), the bytes with the margin of 5% that OpenAI's
 * 190M keeps under its 200 MB; without it, OpenAI's.  An unknown
 * provider exits 2. */
static void
provider_limits(struct split *sp)
{
	const char *v = getenv("BATCHPIPE_PROVIDER");
	const struct provider *p;
	size_t lines = MAX_LINES_DEFAULT, bytes = MAX_BYTES_DEFAULT;

	if (v != NULL && *v != '\0') {
		if ((p = provider_by_name(v)) == NULL)
			errx(2, "BATCHPIPE_PROVIDER: %s: unknown provider "
			    "(known: %s)", v, provider_names());
		else {
			lines = (size_t)p->max_requests;
			bytes = (size_t)(p->max_bytes / 20 * 19);
		}
	}
	if (sp->max_lines == 0)
		sp->max_lines = lines;
	if (sp->max_bytes == 0)
		sp->max_bytes = bytes;
}

int
main(int argc, char *argv[])
{
	const char *dir = ".", *input;
	struct split sp;
	struct jsonl in;
	char *dircopy;
	size_t len;
	int ch;

	memset(&sp, 0, sizeof(sp));
	sp.prefix = "batch-";
	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'b':
			sp.max_bytes = parse_count('b', optarg, 1, "size");
			break;
		case 'd': dir = optarg; break;
		case 'h': usage_help(help);
		case 'l':
			sp.max_lines = parse_count('l', optarg, 0, "number");
			break;
		case 'p': sp.prefix = optarg; break;
		case 't':
			sp.max_tokens = parse_count('t', optarg, 1, "number");
			break;
		case 'V':
			usage_version();
		default: usage_error(help);
		}
	}
	argc -= optind;
	argv += optind;
	provider_limits(&sp);
	if (argc > 1) {
		warnx("%s: one input file at most", argv[1]);
		usage_error(help);
	}
	input = argc == 1 ? argv[0] : "-";
	if (strchr(sp.prefix, '/') != NULL)
		errx(2, "-p: a prefix cannot contain '/': %s", sp.prefix);
	if (*dir == '\0')
		errx(2, "-d: empty directory name");
	/* A path is the first field of an output line. */
	if (strpbrk(dir, "\t\n") != NULL)
		errx(2, "-d: a directory name cannot contain a TAB or a "
		    "newline");
	if (strpbrk(sp.prefix, "\t\n") != NULL)
		errx(2, "-p: a prefix cannot contain a TAB or a newline");
	if (sp.max_bytes < 2)
		errx(2, "-b: too small: %zu", sp.max_bytes);
	dircopy = xstrdup(dir);
	for (len = strlen(dircopy); len > 1 && dircopy[len - 1] == '/'; len--)
		dircopy[len - 1] = '\0';
	sp.dir = dircopy;

	/* The model table before any input: a broken one is found early. */
	if (sp.max_tokens > 0 && models_load(NULL) < 0)
		exit(1);

	sp.ids = idset_new();
	/* A line must fit a file with its newline: the reader refuses a
	 * longer one before it takes more memory. */
	if (jsonl_open(&in, input, sp.max_bytes - 1) < 0)
		exit(1);
	in.before_error = check_last_id;
	in.before_error_arg = &sp;
	in.before_read = write_run;
	in.before_read_arg = &sp;
	sp.input_name = in.name;
	if (split_requests(&sp, &in) < 0)
		exit(1);
	check_last_id(&sp);
	files_finish(&sp);
	jsonl_close(&in);

	/* The whole input is good: now the files get their names. */
	files_commit(&sp);
	reqcount_free(&sp.rc);
	buf_free(&sp.run.copy);
	free(dircopy);
	idset_free(sp.ids);
	buf_free(&sp.last.id);
	buf_free(&sp.scratch);
	buf_free(&sp.url);
	buf_free(&sp.model);
	return stdout_close(1) ? 1 : 0;
}
