/* oai-ls: lists the batches (or, with -f, the files) of the account, newest
 * first, one TSV line each; with batch ids it shows those batches in full.
 * The walk is bounded (list.c); the parts are named in ls.h. */
#include <err.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anthropic_api.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "ls.h"
#include "numarg.h"
#include "outcheck.h"
#include "usage.h"

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "e:fhjm:S:s:vV";
static const char help[] =
	"usage: oai-ls [-fhjVv] [-e endpoint] [-m key=value] [-S status] [-s since]\n"
	"       oai-ls batch-id ... | -\n"
	"\n"
	"  -e endpoint    only batches of this endpoint (/v1/chat/completions)\n"
	"  -f             list files, not batches\n"
	"  -j             print the objects as JSON lines\n"
	"  -m key=value   only batches with this metadata pair (repeatable)\n"
	"  -S status      only objects in this status\n"
	"  -s since       only objects created since: 2026-01-31, 2026-01-31T08:00Z\n"
	"                 or a duration back from now: 90s, 30m, 2h, 3d\n"
	"  -v             trace every HTTP request and answer header on stderr\n"
	"  -h             print this help and exit\n"
	"  -V             print the version and exit\n";

/* parse_since: -s's argument as seconds since the epoch: a duration
 * (digits and one of s, m, h, d, back from now) or an ISO 8601 date,
 * YYYY-MM-DD, with an optional THH:MM or THH:MM:SS, in UTC (a trailing
 * Z allowed).  Returns -1 when it is neither. */
static long long
parse_since(const char *s)
{
	static const char units[] = "smhd";
	static const long long mult[] = { 1, 60, 3600, 86400 };
	struct tm tm;
	const char *errstr, *u, *end;
	char digits[16];
	size_t n = strlen(s);

	if (n >= 2 && n < sizeof(digits) + 1 &&
	    (u = strchr(units, s[n - 1])) != NULL) {
		memcpy(digits, s, n - 1);
		digits[n - 1] = '\0';
		long long v = numarg(digits, 0, 1000000000LL, &errstr);
		if (errstr != NULL)
			return -1;
		return (long long)time(NULL) - v * mult[u - units];
	}
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return -1;
	if (*end == 'T' && (end = strptime(end + 1, "%H:%M", &tm)) != NULL &&
	    *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (end != NULL && *end == 'Z')
		end++;
	if (end == NULL || *end != '\0' || strlen(s) < 10)
		return -1;
	return (long long)timegm(&tm);
}

/* parse_options: the options into *ls and *verbose, checked against the
 * operands that follow them (from optind).  A bad option is a usage
 * error (exit 2). */
static void
parse_options(int argc, char *argv[], struct listing *ls, int *verbose)
{
	char *eq;
	int ch, filtered = 0;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1)
		switch (ch) {
		case 'e':
			ls->endpoint = optarg;
			filtered = 1;
			break;
		case 'f':
			ls->files = 1;
			break;
		case 'h':
			usage_help(help);
		case 'j':
			ls->json = 1;
			break;
		case 'm':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg) {
				warnx("-m %s: not key=value", optarg);
				usage_error(help);
			}
			if (ls->nmeta == MAX_META) {
				warnx("-m %s: at most %d pairs", optarg,
				    MAX_META);
				usage_error(help);
			}
			*eq = '\0';	/* argv is ours to split */
			ls->meta_key[ls->nmeta] = optarg;
			ls->meta_value[ls->nmeta++] = eq + 1;
			filtered = 1;
			break;
		case 'S':
			ls->status = optarg;
			filtered = 1;
			break;
		case 's':
			if ((ls->since = parse_since(optarg)) < 0) {
				warnx("-s %s: not a date (2026-01-31, "
				    "2026-01-31T08:00Z) or a duration (2h, 3d)",
				    optarg);
				usage_error(help);
			}
			filtered = 1;
			break;
		case 'v':
			*verbose = 1;
			break;
		case 'V':
			usage_version();
		default:
			usage_error(help);
		}
	if (ls->files && (ls->endpoint != NULL || ls->nmeta > 0)) {
		warnx("-e and -m filter batches, not files");
		usage_error(help);
	}
	if (optind < argc && (filtered || ls->files)) {
		warnx("batch ids are shown in full: no -e, -f, -m, -S or -s");
		usage_error(help);
	}
}

int
main(int argc, char *argv[])
{
	struct listing ls;
	struct oai_config cfg;
	struct http *h;
	struct idsrc in;
	int verbose = 0, rc;

	memset(&ls, 0, sizeof(ls));
	parse_options(argc, argv, &ls, &verbose);
	argc -= optind;
	argv += optind;

	if (config_load(&cfg) != 0)
		return 1;
	ls.key = cfg.key;
	ls.aligned = isatty(STDOUT_FILENO);
	h = http_open(&cfg, verbose);
	if (ls.files && batch_anthropic(h)) {
		warnx("-f: %s keeps no files to list", cfg.prov->name);
		usage_error(help);
	}
	if (argc > 0) {
		if (idsrc_open(&in, argc, argv) != 0)
			rc = 1;
		else {
			rc = show(h, &in);
			idsrc_close(&in);
		}
	} else
		rc = list(h, &ls);
	http_close(h);
	config_free(&cfg);
	if (stdout_close(0) != 0 && rc == 0)
		rc = 1;
	return rc;
}
