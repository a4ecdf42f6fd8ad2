/*
 * The index of the results: every custom_id with a few bytes about it,
 * where its first successful result is, else where its last failed result
 * is (file, offset, length) and whether that failure is worth another try
 * (common/result decides).  Result lines are read back from their files
 * by offset: memory holds the ids, never the lines, as results may be
 * many GB.
 */
#include <sys/types.h>

#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "customid.h"
#include "idmap.h"
#include "jscan.h"
#include "jsonl.h"
#include "preadall.h"
#include "result.h"
#include "scrub.h"
#include "spool.h"
#include "xalloc.h"
#include "triage.h"

struct entry *
entry_add(struct index *ix, const char *id, size_t n)
{
	int added;
	size_t e = idmap_add(&ix->ids, id, n, &added);

	while (e >= ix->cap) {
		ix->cap = ix->cap ? ix->cap * 2 : 4096;
		ix->e = xreallocarray(ix->e, ix->cap, sizeof(*ix->e));
	}
	if (added)
		memset(&ix->e[e], 0, sizeof(ix->e[e]));
	return &ix->e[e];
}

void
index_results(struct index *ix, const struct spool_input *in, uint16_t f)
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
		en = entry_add(ix, id, idlen);
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

void
readback(const struct spool_input *ins, const struct entry *en,
    struct buf *line)
{
	const struct spool_input *in = &ins[en->file];

	buf_reset(line);
	buf_reserve(line, en->len);
	pread_all(in->fd, in->name, line->p, en->len, (off_t)en->off);
	line->len = en->len;
	line->p[en->len] = '\0';
}

void
reason(const char *apikey, const struct spool_input *ins,
    const struct entry *en, struct buf *line, struct buf *why)
{
	struct jval top;
	struct jerr e;
	struct result res;
	struct buf raw = BUF_INIT;

	readback(ins, en, line);
	if (jscan_doc(line->p, line->len, &top, &e) < 0 ||
	    top.type != JT_OBJECT)
		file_changed(ins[en->file].name);
	result_of(top, &res);
	result_why(&res, &raw);
	buf_reset(why);
	scrub(why, raw.p != NULL ? raw.p : "", raw.len, apikey, 0);
	buf_free(&raw);
}
