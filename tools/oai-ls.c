/* oai-ls: lists the batches (or, with -f, the files) of the account, newest
 * first, one TSV line each; with batch ids it shows those batches in full.
 * The walk is bounded: it stops at the first object older than -s, and
 * without -s at http_list's page cap, so an old organization's history is
 * never read whole by accident. */
#include <err.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anthropic_api.h"
#include "batchobj.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "numarg.h"
#include "outcheck.h"
#include "scrub.h"
#include "usage.h"
#include "xalloc.h"

#define MAX_META	16	/* the API's own limit on metadata pairs */

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

struct filter {
	const char	*status, *endpoint;
	const char	*meta_key[MAX_META], *meta_value[MAX_META];
	int		 nmeta;
	long long	 since;			/* 0: no bound */
	int		 files, json, aligned;
	char		**rows;			/* aligned: the rows kept */
	size_t		 nrows;
	const char	*key;			/* masked in what is shown */
};

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

/* member_string: o's string member name, or NULL. */
static const char *
member_string(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long long
member_int(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

/* The fields of a row: the server's text, made one field of one line. */
static void
field(struct buf *row, const char *s, const char *key)
{
	if (row->len > 0)
		buf_addc(row, '\t');
	if (s == NULL || *s == '\0')
		buf_addc(row, '-');
	else
		scrubs(row, s, key, 0);
}

static void
field_time(struct buf *row, long long t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		s[0] = '\0';
	field(row, s, NULL);
}

static void
field_int(struct buf *row, long long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", v);
	field(row, s, NULL);
}

/* The batch's model: the Batch object's own member, else the one
 * oai-batch -Q writes in the metadata (batchpipe_model). */
static const char *
batch_model(struct json_object *o)
{
	struct json_object *meta;
	const char *m;

	if ((m = member_string(o, "model")) != NULL)
		return m;
	if (json_object_object_get_ex(o, "metadata", &meta))
		return member_string(meta, "batchpipe_model");
	return NULL;
}

/* When the batch ended, whichever way: the latest of the four. */
static long long
batch_ended(struct json_object *o)
{
	static const char *const at[] = { "completed_at", "failed_at",
	    "expired_at", "cancelled_at" };
	long long t, ended = 0;
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if ((t = member_int(o, at[i])) > ended)
			ended = t;
	return ended;
}

static void
batch_row(struct buf *row, struct json_object *o, const char *key)
{
	struct batchobj b;

	if (batchobj_parse(o, &b) != 0)
		memset(&b, 0, sizeof(b));
	field(row, member_string(o, "id"), key);
	field(row, member_string(o, "status"), key);
	field(row, member_string(o, "endpoint"), key);
	field(row, batch_model(o), key);
	field_int(row, b.total);
	field_int(row, b.completed);
	field_int(row, b.failed);
	field_time(row, object_created_at(o));
	field_time(row, batch_ended(o));
	field(row, b.input_file_id, key);
	field(row, b.output_file_id, key);
	field(row, b.error_file_id, key);
	batchobj_free(&b);
}

static void
file_row(struct buf *row, struct json_object *o, const char *key)
{
	field(row, member_string(o, "id"), key);
	field(row, member_string(o, "purpose"), key);
	field_int(row, member_int(o, "bytes"));
	field_time(row, object_created_at(o));
	field(row, member_string(o, "filename"), key);
	field(row, member_string(o, "status"), key);
}

/* matches: 1 when o passes every filter but -s. */
static int
matches(const struct filter *f, struct json_object *o)
{
	struct json_object *meta;
	const char *s;
	int i;

	if (f->status != NULL && ((s = member_string(o, "status")) == NULL ||
	    strcmp(s, f->status) != 0))
		return 0;
	if (f->endpoint != NULL && ((s = member_string(o, "endpoint")) ==
	    NULL || strcmp(s, f->endpoint) != 0))
		return 0;
	for (i = 0; i < f->nmeta; i++) {
		s = json_object_object_get_ex(o, "metadata", &meta) ?
		    member_string(meta, f->meta_key[i]) : NULL;
		if (s == NULL || strcmp(s, f->meta_value[i]) != 0)
			return 0;
	}
	return 1;
}

/* each: one listed object.  Newest first, so the first one older than
 * -s ends the walk. */
static int
each(struct json_object *o, void *arg)
{
	struct filter *f = arg;
	struct buf row = BUF_INIT;

	if (f->since > 0 && object_created_at(o) < f->since)
		return 1;
	if (!matches(f, o))
		return 0;
	if (f->json)
		buf_adds(&row, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	else if (f->files)
		file_row(&row, o, f->key);
	else
		batch_row(&row, o, f->key);
	if (f->aligned && !f->json) {
		f->rows = xreallocarray(f->rows, f->nrows + 1, sizeof(*f->rows));
		f->rows[f->nrows++] = xstrdup(row.p);
	} else {
		buf_addc(&row, '\n');
		stdout_write(row.p, row.len);
	}
	buf_free(&row);
	return 0;
}

/* print_aligned: the kept rows, each column as wide as its widest field
 * and two spaces apart, for a person at a terminal. */
static void
print_aligned(struct filter *f)
{
	size_t width[16] = { 0 }, i, c, n;
	char *p, *tab;

	for (i = 0; i < f->nrows; i++)
		for (p = f->rows[i], c = 0; c < 16; p = tab + 1, c++) {
			tab = strchr(p, '\t');
			n = tab != NULL ? (size_t)(tab - p) : strlen(p);
			if (n > width[c])
				width[c] = n;
			if (tab == NULL)
				break;
		}
	for (i = 0; i < f->nrows; i++) {
		for (p = f->rows[i], c = 0; c < 16; p = tab + 1, c++) {
			if ((tab = strchr(p, '\t')) == NULL) {
				printf("%s\n", p);
				break;
			}
			printf("%-*.*s  ", (int)width[c], (int)(tab - p), p);
		}
		free(f->rows[i]);
	}
	free(f->rows);
}

/* show: the batches named, each as its whole object on one line (its
 * errors.data holds every error of a failed batch).  Returns 0, 1 or 75. */
static int
show(struct http *h, struct idsrc *in)
{
	struct buf path = BUF_INIT;
	struct json_object *o;
	const char *id;
	char shown[80];
	long status;
	int more, rc, failed = 0;

	while ((more = idsrc_next(in, &id)) == 1) {
		if (!idsrc_valid(id, in->len)) {
			warnx("%s: %s: not a batch id", in->where,
			    idsrc_shown(id, in->len, shown, sizeof(shown)));
			failed = 1;
			continue;
		}
		batch_path(h, &path, id, NULL);
		rc = http_request(h, "GET", path.p, NULL, 0, &status, &o);
		if (rc == HTTP_TEMPFAIL) {
			buf_free(&path);
			return 75;
		}
		if (rc != HTTP_OK) {
			failed = 1;
			continue;
		}
		printf("%s\n", json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		stdout_flush();
	}
	buf_free(&path);
	return more < 0 || failed ? 1 : 0;
}

/* list: walks the batches or files.  Returns 0, 1 or 75. */
static int
list(struct http *h, struct filter *f)
{
	int rc;

	rc = f->files ? http_list(h, "/files?limit=10000&order=desc", each,
	    f) : batch_list(h, each, f);
	if (f->aligned)
		print_aligned(f);
	if (rc == HTTP_TEMPFAIL)
		return 75;
	return rc == HTTP_OK ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	struct filter f;
	struct oai_config cfg;
	struct http *h;
	struct idsrc in;
	char *eq;
	int ch, verbose = 0, filtered = 0, rc;

	memset(&f, 0, sizeof(f));
	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1)
		switch (ch) {
		case 'e':
			f.endpoint = optarg;
			filtered = 1;
			break;
		case 'f':
			f.files = 1;
			break;
		case 'h':
			usage_help(help);
		case 'j':
			f.json = 1;
			break;
		case 'm':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg) {
				warnx("-m %s: not key=value", optarg);
				usage_error(help);
			}
			if (f.nmeta == MAX_META) {
				warnx("-m %s: at most %d pairs", optarg,
				    MAX_META);
				usage_error(help);
			}
			*eq = '\0';	/* argv is ours to split */
			f.meta_key[f.nmeta] = optarg;
			f.meta_value[f.nmeta++] = eq + 1;
			filtered = 1;
			break;
		case 'S':
			f.status = optarg;
			filtered = 1;
			break;
		case 's':
			if ((f.since = parse_since(optarg)) < 0) {
				warnx("-s %s: not a date (2026-01-31, "
				    "2026-01-31T08:00Z) or a duration (2h, 3d)",
				    optarg);
				usage_error(help);
			}
			filtered = 1;
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
	if (f.files && (f.endpoint != NULL || f.nmeta > 0)) {
		warnx("-e and -m filter batches, not files");
		usage_error(help);
	}
	if (argc > 0 && (filtered || f.files)) {
		warnx("batch ids are shown in full: no -e, -f, -m, -S or -s");
		usage_error(help);
	}

	if (config_load(&cfg) != 0)
		return 1;
	f.key = cfg.key;
	f.aligned = isatty(STDOUT_FILENO);
	h = http_open(&cfg, verbose);
	if (f.files && batch_anthropic(h)) {
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
		rc = list(h, &f);
	http_close(h);
	config_free(&cfg);
	if (stdout_close(0) != 0 && rc == 0)
		rc = 1;
	return rc;
}
