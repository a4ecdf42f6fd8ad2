/*
 * jsonl-sortid: Batch API result lines, ordered by custom_id.
 *
 * The lines themselves are never held in memory: the first pass reads the
 * mapped inputs, validates each line and keeps an index entry (its id,
 * file, offset and length) (index.c); the ids are checked against -r or
 * -n (check.c); the index is sorted (order.c); the second pass puts the
 * output together in windows (copy.c).  Standard input (and any other
 * input that cannot seek) is first copied to an unlinked temporary file.
 * Nothing is written until every line has been read and found good.
 */
#include <sys/resource.h>
#include <sys/types.h>

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "mapfile.h"
#include "numarg.h"
#include "outcheck.h"
#include "sortid.h"
#include "spool.h"
#include "usage.h"
#include "xalloc.h"

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "hn:r:V";
static const char help[] =
	"usage: jsonl-sortid [-hV] [-r requests-file | -n count] [file ...]\n"
	"\n"
	"  -n count          the ids must be exactly 1 to count\n"
	"  -r requests-file  the ids must be exactly those of these requests\n"
	"  -h                print this help and exit\n"
	"  -V                print the version and exit\n";

/* Every input stays open until its lines are copied: a job of many
 * result files may need more descriptors than the soft limit. */
static void
raise_open_files(size_t ninputs)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < ninputs + 32) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > ninputs + 32 ? ninputs + 32 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Opens and maps the operands (none: stdin) into s->inputs, a pipe
 * copied to a temporary file first (spool_fd_lines).  Returns 0, or -1
 * after reporting why; a file that cannot be opened exits 1. */
static int
open_inputs(struct sortid *s, int argc, char *argv[])
{
	struct input *in;
	size_t i;
	off_t pos;
	int fd, stdin_fd = -1;

	s->ninputs = argc > 0 ? (size_t)argc : 1;
	s->inputs = xcalloc(s->ninputs, sizeof(*s->inputs));
	raise_open_files(s->ninputs);
	for (i = 0; i < s->ninputs; i++) {
		in = &s->inputs[i];
		if (argc == 0 || strcmp(argv[i], "-") == 0) {
			in->name = "stdin";
			fd = STDIN_FILENO;
		} else {
			in->name = argv[i];
			fd = open(argv[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				err(1, "%s", argv[i]);
		}
		if (fd == STDIN_FILENO && stdin_fd >= 0) {
			/* Named twice: it is read to its end the first time. */
			in->fd = stdin_fd;
			in->again = 1;
			continue;
		}
		in->fd = spool_fd_lines(fd, in->name, JSONL_MAXLINE_DEFAULT,
		    spooled_line, NULL);
		if (in->fd < 0 || mapfile_open(&in->map, in->fd, in->name) < 0)
			return -1;
		if ((pos = lseek(in->fd, 0, SEEK_CUR)) > 0)
			in->start = (uintmax_t)pos < in->map.size ?
			    (size_t)pos : in->map.size;
		if (fd == STDIN_FILENO)
			stdin_fd = in->fd;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *requests = NULL, *errstr = NULL, *why;
	unsigned long long count = 0;
	/* Static: the index stays reachable until exit, which frees it. */
	static struct sortid s;
	struct skey *order;
	size_t i, reported = 0;
	int ch, use_stdin = 0, have_count = 0;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'h':
			usage_help(help);
		case 'n':
			count = (unsigned long long)numarg(optarg, 0,
			    4000000000LL, &why);
			if (why != NULL)
				errstr = "-n: not a count from 0 to 4000000000";
			have_count = 1;
			break;
		case 'r':
			requests = optarg;
			break;
		case 'V':
			usage_version();
		default:
			usage_error(help);
		}
	}
	argc -= optind;
	argv += optind;
	if (errstr != NULL) {
		warnx("%s", errstr);
		usage_error(help);
	}
	if (requests != NULL && have_count) {
		warnx("-r and -n cannot be used together");
		usage_error(help);
	}
	for (i = 0; i < (size_t)argc; i++)
		if (strcmp(argv[i], "-") == 0)
			use_stdin = 1;
	if (argc == 0)
		use_stdin = 1;
	if (requests != NULL && strcmp(requests, "-") == 0 && use_stdin) {
		warnx("-r -: standard input already holds the results");
		usage_error(help);
	}

	if (open_inputs(&s, argc, argv) < 0)
		return 1;
	mapfile_guard();
	if (index_inputs(&s) < 0)
		return 1;
	if (s.nrecs > UINT32_MAX)
		errx(1, "more than %lu lines in all", (unsigned long)UINT32_MAX);

	if (requests != NULL)
		reported = check_requests(&s, requests);
	else if (have_count)
		reported = check_count(&s, count);

	order = sort_index(&s);
	report_duplicates(&s, order);
	write_sorted(&s, order);

	if (stdout_close(1) < 0)
		return 1;
	return reported > 0 ? 3 : 0;
}
