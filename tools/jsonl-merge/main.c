/*
 * jsonl-merge: the answers of a Batch API job, put back onto its items.
 *
 * The results are indexed by custom_id (join.c), the items checked and
 * joined to them (join.c), the ids that match nothing reported here; then
 * each item is written with its answer or error (write.c, from the walk
 * over its result line in result.c and the text built by answer.c), and
 * the tokens and cost summed up (prices.c).  merge.h says how memory is
 * kept to an index.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capwarn.h"
#include "customid.h"
#include "merge.h"
#include "modeldata.h"
#include "outcheck.h"
#include "usage.h"

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "cf:hjk:LP:V";
static const char help[] =
	"usage: jsonl-merge [-chjLV] [-k key-field] [-f field] [-P prices-file]\n"
	"                   items-file results-file\n"
	"\n"
	"  -c               check only that the items and results join\n"
	"  -f field         the member added to each item (default llm)\n"
	"  -j               add a text answer as the JSON it holds\n"
	"  -k key-field     each item's key: this field path, not its line number\n"
	"  -L               the cost of live calls, at the list price\n"
	"  -P prices-file   the price table for the cost\n"
	"  -h               print this help and exit\n"
	"  -V               print the version and exit\n";

struct options {
	const char	*keyfield;	/* -k; NULL: the line number */
	const char	*field;		/* -f */
	const char	*prices;	/* -P; NULL: the default table */
	const char	*items, *results;	/* the operands */
	int		 check;		/* -c */
	int		 as_json;	/* -j */
	int		 live;		/* -L */
};

/* The options and operands into *o; exits 2 on a usage error. */
static void
parse_options(int argc, char *argv[], struct options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->field = "llm";
	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'c':
			o->check = 1;
			break;
		case 'j':
			o->as_json = 1;
			break;
		case 'f':
			o->field = optarg;
			break;
		case 'h':
			usage_help(help);
		case 'k':
			o->keyfield = optarg;
			break;
		case 'L':
			o->live = 1;
			break;
		case 'P':
			o->prices = optarg;
			break;
		case 'V':
			usage_version();
		default:
			usage_error(help);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage_error(help);
	if (*o->field == '\0' || (o->keyfield != NULL && *o->keyfield == '\0')) {
		warnx("empty field name");
		usage_error(help);
	}
	if (strcmp(argv[0], "-") == 0 && strcmp(argv[1], "-") == 0) {
		warnx("the items and the results cannot both be stdin");
		usage_error(help);
	}
	o->items = argv[0];
	o->results = argv[1];
}

/* Counts the items without a result (*unmatched) and the results without
 * an item (returned); without -c (check) the latter are reported, the
 * first ten by id. */
static size_t
unjoined(const struct merge *m, int check, size_t *unmatched)
{
	struct capwarn shown = { 0 };
	struct buf show = BUF_INIT;
	const char *id;
	size_t e, idlen, unknown = 0;

	*unmatched = 0;
	for (e = 0; e < m->index.count; e++) {
		if (m->entries[e].rline == 0) {
			(*unmatched)++;
			continue;
		}
		if (m->entries[e].iline != 0)
			continue;
		unknown++;
		if (check || !capwarn_show(&shown))
			continue;
		id = idmap_id(&m->index, e, &idlen);
		warnx("%s:%lu: custom_id %s matches no item", m->results.name,
		    (unsigned long)m->entries[e].rline,
		    customid_show(&show, id, idlen));
	}
	buf_free(&show);
	if (capwarn_hidden(&shown) > 0)
		warnx("%s: %zu more custom_ids match no item", m->results.name,
		    capwarn_hidden(&shown));
	return unknown;
}

/* -c: the keys alone, before anything is paid for: 0 when every item and
 * result join, else 3 after saying how many do not, and which field of
 * the items would have joined. */
static int
check_join(struct merge *m, const struct options *o, size_t nitems,
    size_t unmatched, size_t unknown)
{
	struct buf *sug = &m->suggested;

	if (unmatched == 0 && unknown == 0)
		return 0;
	if (o->keyfield != NULL && strcmp(sug->p == NULL ? "" : sug->p,
	    o->keyfield) == 0)
		buf_reset(sug);
	warnx("%s: %zu of %zu items match no custom_id of %s, and %zu "
	    "custom_ids match no item%s%s%s", m->items.name, unmatched,
	    nitems, m->results.name, unknown,
	    sug->len > 0 ? "; did you mean -k " : "",
	    sug->len > 0 ? sug->p : "", sug->len > 0 ? "?" : "");
	return 3;
}

static void
merge_free(struct merge *m)
{
	idmap_free(&m->index);
	free(m->entries);
	free(m->win.p);
	buf_free(&m->suggested);
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct merge m;
	struct tally t;
	uint32_t *refs;
	uint8_t *styles;
	size_t nitems, unmatched, unknown;
	int status;

	parse_options(argc, argv, &o);
	if (!o.check && prices_load(o.prices) < 0)
		return 1;
	memset(&m, 0, sizeof(m));
	spool_open(&m.results, o.results);
	spool_open(&m.items, o.items);
	idmap_init(&m.index);
	index_results(&m);
	refs = join_items(&m, o.keyfield, o.field, &nitems, &styles);
	unknown = unjoined(&m, o.check, &unmatched);
	if (o.check) {
		free(refs);
		free(styles);
		status = check_join(&m, &o, nitems, unmatched, unknown);
		merge_free(&m);
		return status;
	}

	memset(&t, 0, sizeof(t));
	write_items(&m, refs, styles, nitems, o.field, o.as_json, &t);
	free(refs);
	free(styles);
	if (stdout_close(1) < 0)
		status = 1;
	else {
		media_warn(&t, o.field);
		summary(nitems, o.as_json, o.live, &t);
		status = t.failed > 0 || t.missing > 0 || t.not_json > 0 ||
		    unknown > 0 ? 3 : 0;
	}
	buf_free(&t.unknown_models);
	merge_free(&m);
	return status;
}
