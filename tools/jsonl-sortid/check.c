/*
 * The checks: -r compares the index's ids with the requests', -n with 1
 * to a count, and ids found twice are reported.  Each kind of message is
 * shown ten times, then counted (capwarn).
 */
#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "capwarn.h"
#include "customid.h"
#include "idmap.h"
#include "jscan.h"
#include "jsonl.h"
#include "sortid.h"
#include "xalloc.h"

void
report_duplicates(const struct sortid *s, const struct skey *order)
{
	struct buf show = BUF_INIT;
	struct capwarn dup = { 0 };
	const struct rec *r, *f;
	size_t i, first = 0;

	for (i = 1; i < s->nrecs; i++) {
		r = rec_at(s, order[i].rec);
		f = rec_at(s, order[first].rec);
		if (order[i].key != order[first].key || !same_id(s, r, f))
			first = i;
		else if (capwarn_show(&dup))
			warnx("%s:%lu: duplicate custom_id %s (first at %s:%lu)",
			    s->inputs[r->file].name, (unsigned long)r->line,
			    customid_show(&show, id_of(s, r), r->idlen),
			    s->inputs[f->file].name, (unsigned long)f->line);
	}
	if (capwarn_hidden(&dup) > 0)
		warnx("%zu more duplicate custom_ids", capwarn_hidden(&dup));
	buf_free(&show);
}

size_t
check_requests(const struct sortid *s, const char *path)
{
	struct buf scratch = BUF_INIT, show = BUF_INIT;
	struct capwarn stray = { 0 }, missing = { 0 };
	const struct rec *rec;
	struct idmap want;
	struct jsonl r;
	struct jval top;
	const char *id, *why;
	char *line, *seen;
	size_t len, idlen, i, e, reported = 0;
	int got, added;

	if (jsonl_open(&r, path, 0) < 0)
		exit(1);
	idmap_init(&want);
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		if (customid_get(line, len, &top, &scratch, &id, &idlen,
		    &why) < 0) {
			warnx("%s:%lu: %s", r.name, r.lineno, why);
			exit(1);
		}
		idmap_add(&want, id, idlen, &added);
		if (!added)
			warnx("%s:%lu: duplicate custom_id %s in the requests",
			    r.name, r.lineno, customid_show(&show, id, idlen));
	}
	if (got < 0)
		exit(1);
	jsonl_close(&r);
	seen = xcalloc(want.count + 1, 1);
	for (i = 0; i < s->nrecs; i++) {
		rec = rec_at(s, i);
		e = idmap_find(&want, id_of(s, rec), rec->idlen);
		if (e != IDMAP_NONE) {
			seen[e] = 1;
			continue;
		}
		if (capwarn_show(&stray))
			warnx("%s:%lu: custom_id %s is not in the requests",
			    s->inputs[rec->file].name, (unsigned long)rec->line,
			    customid_show(&show, id_of(s, rec), rec->idlen));
		reported++;
	}
	if (capwarn_hidden(&stray) > 0)
		warnx("%zu more custom_ids are not in the requests",
		    capwarn_hidden(&stray));
	for (e = 0; e < want.count; e++) {
		if (seen[e])
			continue;
		id = idmap_id(&want, e, &idlen);
		if (capwarn_show(&missing))
			warnx("no result for custom_id %s",
			    customid_show(&show, id, idlen));
		reported++;
	}
	if (capwarn_hidden(&missing) > 0)
		warnx("no result for %zu more custom_ids",
		    capwarn_hidden(&missing));
	free(seen);
	idmap_free(&want);
	buf_free(&scratch);
	buf_free(&show);
	return reported;
}

size_t
check_count(const struct sortid *s, unsigned long long count)
{
	struct buf show = BUF_INIT;
	struct capwarn stray = { 0 }, missing = { 0 };
	const struct rec *r;
	char *seen = xcalloc(count + 1, 1);
	unsigned long long v, k;
	size_t i, j, reported = 0;
	const char *id;

	for (i = 0; i < s->nrecs; i++) {
		r = rec_at(s, i);
		id = id_of(s, r);
		v = 0;
		for (j = 0; j < r->idlen && j < 20 &&
		    id[j] >= '0' && id[j] <= '9'; j++)
			v = v * 10 + (unsigned long long)(id[j] - '0');
		if (j == r->idlen && id[0] != '0' && j < 20 &&
		    v >= 1 && v <= count) {
			seen[v] = 1;
			continue;
		}
		if (capwarn_show(&stray))
			warnx("%s:%lu: custom_id %s is not in 1..%llu",
			    s->inputs[r->file].name, (unsigned long)r->line,
			    customid_show(&show, id, r->idlen), count);
		reported++;
	}
	if (capwarn_hidden(&stray) > 0)
		warnx("%zu more custom_ids are not in 1..%llu",
		    capwarn_hidden(&stray), count);
	for (k = 1; k <= count; k++)
		if (!seen[k]) {
			if (capwarn_show(&missing))
				warnx("no result for custom_id %llu", k);
			reported++;
		}
	if (capwarn_hidden(&missing) > 0)
		warnx("no result for %zu more custom_ids",
		    capwarn_hidden(&missing));
	free(seen);
	buf_free(&show);
	return reported;
}
