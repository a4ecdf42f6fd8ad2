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
#include <err.h>
#include <stdio.h>
#include <unistd.h>

#include "anthropic_api.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "mkdirs.h"
#include "outcheck.h"
#include "usage.h"
#include "fetch.h"

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

/* fetch_one: downloads file id (checked), the rest of whose input line
 * is rest, to where to says.  Returns as http_download, reported. */
static int
fetch_one(struct http *h, const char *base, struct dest *to, const char *id,
    const char *rest, int quiet)
{
	long long size = -1;
	int gone = 0, rc;

	/* An Anthropic batch's results have no file, nor a size. */
	if (!batch_anthropic(h) && (rc = file_size(h, base, id, &size,
	    &gone)) != HTTP_OK) {
		if (gone)
			explain_gone(h, id, rest);
		return rc;
	}
	http_progress(h, !quiet && isatty(STDERR_FILENO) ? id : NULL);
	rc = dest_fetch(h, to, id, size, &gone);
	if (gone) {
		warnx("%s: the batch is gone from the server", id);
		explain_gone(h, id, rest);
	}
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
	int ch, quiet = 0, verbose = 0, failed = 0, temporary = 0, more, rc;

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
		rc = fetch_one(h, cfg.base_path, &to, id, in.rest, quiet);
		temporary = rc == HTTP_TEMPFAIL;
		if (rc != HTTP_OK)
			failed = 1;
	}
	if (more < 0)
		failed = 1;
	if (dest_close(&to, !failed) != 0)
		failed = 1;

	http_close(h);
	idsrc_close(&in);
	config_free(&cfg);
	if (stdout_close(1) != 0)
		failed = 1;
	if (temporary)
		return 75;
	return failed ? 1 : 0;
}
