/* oai-upload: uploads batch input files; prints file-ID<TAB>path.
 *
 * A re-run must not upload again what the server already has, so the name
 * each file is uploaded under carries the SHA-256 of its contents:
 * "part-0001.jsonl" becomes "part-0001.<32 hex digits>.jsonl".  Before
 * uploading, the server's batch files are listed once and a file with
 * exactly that name and size is reused; a different file that merely has
 * the same plain name has a different hash, so it is never mistaken for
 * this one.  An upload whose answer was lost is reconciled the same way
 * (list again, reuse what arrived) before it is tried again.
 *
 * Two processes of the same user uploading the same content to the same
 * server at once would both find nothing and both upload: each upload
 * takes a lock (runlock.h) keyed by the server and the name uploaded
 * under, so the second waits and then finds the first one's file (the
 * listing is read again when the lock says something was uploaded since
 * it was read).
 *
 * The operand "-" is the file on standard input: it is copied to an
 * unnamed temporary file first (the upload is sent with a length, and the
 * hash must be known before), uploaded as "stdin.<hash>.jsonl", and
 * printed as "-".  An unnamed file leaves nothing behind, whatever stops
 * the upload. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anthropic_api.h"
#include "buf.h"
#include "config.h"
#include "expiry.h"
#include "http.h"
#include "idsrc.h"
#include "outcheck.h"
#include "runlock.h"
#include "upload.h"
#include "usage.h"

/* The Files API's bounds on expires_after.seconds. */

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "hqvVx:";
static const char help[] =
	"usage: oai-upload [-hqVv] [-x seconds] [file ...]\n"
	"\n"
	"  -q          no progress line\n"
	"  -v          trace every HTTP request and answer header on stderr\n"
	"  -x seconds  the files expire this long after upload (3600-2592000)\n"
	"  -h          print this help and exit\n"
	"  -V          print the version and exit\n";

/* parse_options: the options into *quiet, *verbose and *expires_after
 * (-x); returns optind.  A bad option is a usage error (exit 2). */
static int
parse_options(int argc, char *argv[], int *quiet, int *verbose,
    long long *expires_after)
{
	int ch;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1)
		switch (ch) {
		case 'h':
			usage_help(help);
		case 'q':
			*quiet = 1;
			break;
		case 'v':
			*verbose = 1;
			break;
		case 'V':
			usage_version();
		case 'x':
			if ((*expires_after = expiry_seconds('x', optarg)) == -1)
				usage_error(help);
			break;
		default:
			usage_error(help);
		}
	return optind;
}

/* local_file: Anthropic takes a batch's requests inline, so nothing is
 * uploaded: the file is named by an id made of its contents' hash, the
 * same on every run, for oai-batch to find its batch by, and read there
 * from its path.  Standard input's copy would be gone by then.  Returns
 * 0, or 1 after saying why not. */
static int
local_file(const struct idsrc *in, struct input *file, const char *path,
    struct buf *id)
{
	close(file->fd);
	if (strcmp(file->shown, "stdin") == 0 && file->sendpath ==
	    file->fdpath) {
		warnx("%s: standard input: the provider takes the requests "
		    "from oai-batch, which reads them from a file: save them "
		    "to a file first", in->where);
		return 1;
	}
	printf("%s\t%s\n", local_id(id, file->hex), path);
	stdout_flush();
	return 0;
}

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct catalog cat = CATALOG_INIT;
	struct runlock lock = RUNLOCK_NONE;
	struct http *h;
	struct idsrc in;
	struct input file;
	struct buf name = BUF_INIT, line = BUF_INIT;
	const char *path;
	char *id;
	long long expires_after = 0;
	int ch, quiet = 0, verbose = 0, failed = 0, temporary = 0, more;
	int from_stdin, stdin_used = 0, rc;

	ch = parse_options(argc, argv, &quiet, &verbose, &expires_after);
	argc -= ch;
	argv += ch;

	if (config_load(&cfg) != 0)
		return 1;
	if (idsrc_open_paths(&in, argc, argv) != 0)
		return 1;
	h = http_open(&cfg, verbose);
	if (batch_anthropic(h) && expires_after > 0) {
		warnx("-x: %s keeps no uploaded file: nothing expires",
		    cfg.prov->name);
		usage_error(help);
	}

	while (!temporary && (more = idsrc_next(&in, &path)) == 1) {
		if (strpbrk(path, "\t\n") != NULL) {
			warnx("%s: a path with a TAB or newline cannot be "
			    "printed as a record", in.where);
			failed = 1;
			continue;
		}
		from_stdin = in.argv != NULL && strcmp(path, "-") == 0;
		if (from_stdin && stdin_used) {
			warnx("%s: standard input can be uploaded only once",
			    in.where);
			failed = 1;
			continue;
		}
		stdin_used |= from_stdin;
		if (input_open(&file, path, from_stdin, expires_after,
		    &name, &line) != 0) {
			failed = 1;
			continue;
		}
		if (batch_anthropic(h)) {
			failed |= local_file(&in, &file, path, &name);
			continue;
		}
		runlock_acquire(&lock, cfg.base_url, "upload", name.p,
		    file.shown, quiet);
		if (runlock_marked_since(&lock, cat.loaded_at))
			cat.loaded = 0;
		http_progress(h, !quiet && isatty(STDERR_FILENO) ?
		    file.shown : NULL);
		rc = upload(h, cfg.base_path, &cat, file.sendpath, file.shown,
		    name.p, file.size, expires_after, &id);
		/* The copy of stdin lives as long as this descriptor. */
		close(file.fd);
		/* Whatever happened, the next holder lists again. */
		runlock_mark(&lock);
		runlock_release(&lock);
		if (rc == HTTP_TEMPFAIL)
			temporary = 1;
		else if (cat.broken) {
			/* Without the listing a re-run could upload twice:
			 * stop rather than upload blind. */
			failed = 1;
			break;
		} else if (rc != HTTP_OK)
			failed = 1;
		else {
			printf("%s\t%s\n", id, path);
			stdout_flush();
			free(id);
		}
	}
	if (more < 0)
		failed = 1;

	catalog_free(&cat);
	http_close(h);
	idsrc_close(&in);
	config_free(&cfg);
	buf_free(&name);
	buf_free(&line);
	if (stdout_close(0) != 0)
		failed = 1;
	if (temporary)
		return 75;
	return failed ? 1 : 0;
}
