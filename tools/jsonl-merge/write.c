/*
 * write: pass two over the items: each line again, with the member for
 * its answer or its error added as text before its closing brace.
 */
#include <sys/types.h>

#include <err.h>
#include <string.h>
#include <unistd.h>

#include "jsonl.h"
#include "merge.h"
#include "outcheck.h"
#include "preadall.h"

/* An already validated line as a value, without scanning it again. */
static struct jval
object_of(const char *line, size_t len)
{
	struct jval v = { JT_OBJECT, line, len };

	while (v.n > 0 && (*v.p == ' ' || *v.p == '\t')) {
		v.p++;
		v.n--;
	}
	while (v.n > 0 && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
		v.n--;
	return v;
}

/* Pass two's buffers. */
struct writer {
	struct buf	 out;		/* the item being written */
	struct buf	 res;		/* its result line */
	struct buf	 scratch, show;
	struct buf	 key;		/* the member added, as JSON */
	struct buf	 errkey;	/* the same, with "_error" */
	int		 as_json;	/* -j */
};

/* The member of an item without a result, appended to w->out. */
static void
add_missing(struct writer *w, struct merge *m, const struct entry *en,
    struct seps sp)
{
	const char *id;
	size_t idlen;

	id = idmap_id(&m->index, (size_t)(en - m->entries), &idlen);
	buf_add(&w->out, w->errkey.p, w->errkey.len);
	buf_printf(&w->out, "%s{\"code\"%s\"missing\"%s\"message\"%s\"no "
	    "result for custom_id ", sp.colon, sp.colon, sp.comma, sp.colon);
	buf_reset(&w->show);
	buf_add_json_string(&w->show, id, idlen);
	buf_add(&w->out, w->show.p + 1, w->show.len - 1);
	buf_addc(&w->out, '}');
}

/* The member of an item from its result en, appended to w->out, and
 * counted in *t. */
static void
add_result(struct writer *w, struct merge *m, const struct entry *en,
    struct seps sp, struct tally *t)
{
	struct parsed pr;
	struct result outc;
	struct jerr je;
	size_t mark = w->out.len;

	read_result(m, en, &w->res);
	parse_result(w->res.p, &pr);
	/* An image's usage names no model, a video has none: media_warn
	 * says that their cost is not counted. */
	if (media_of(&pr) == MEDIA_NONE)
		count_usage(pr.m[B_USAGE], pr.m[B_MODEL], t, &w->scratch);
	outcome(&pr, &outc);
	if (!outc.ok) {
		buf_add(&w->out, w->errkey.p, w->errkey.len);
		buf_adds(&w->out, sp.colon);
		add_error(&w->out, &pr, sp);
		t->failed++;
	} else if (w->as_json && answer_text(&pr, &w->scratch)) {
		buf_add(&w->out, w->key.p, w->key.len);
		buf_adds(&w->out, sp.colon);
		if (add_json_text(&w->out, &w->scratch, &je) == 0)
			t->answered++;
		else {
			w->out.len = mark;
			add_not_json(&w->out, &w->errkey, sp, &w->scratch, &je,
			    &w->show);
			t->not_json++;
		}
	} else {
		buf_add(&w->out, w->key.p, w->key.len);
		buf_adds(&w->out, sp.colon);
		add_answer(&w->out, &pr, sp, &w->scratch);
		t->answered++;
		t->media[media_of(&pr)]++;
	}
}

void
write_items(struct merge *m, const uint32_t *refs, const uint8_t *styles,
    size_t nitems, const char *field, int as_json, struct tally *t)
{
	struct writer w = { BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT,
	    BUF_INIT, as_json };
	struct jsonl r;
	struct jval item;
	struct seps sp;
	const struct entry *en;
	char *line;
	size_t len, i = 0;

	buf_add_json_string(&w.key, field, strlen(field));
	buf_add_json_string(&w.errkey, field, strlen(field));
	w.errkey.len--;
	buf_adds(&w.errkey, "_error\"");
	if (lseek(m->items.fd, m->items.base, SEEK_SET) < 0)
		err(1, "%s", m->items.name);
	jsonl_fdopen(&r, m->items.fd, m->items.name, 0);
	while (i < nitems && jsonl_next(&r, &line, &len) == 1) {
		sp = seps_of(styles[i]);
		en = &m->entries[refs[i++]];
		item = object_of(line, len);
		if (item.n < 2 || item.p[0] != '{' || item.p[item.n - 1] != '}')
			file_changed(m->items.name);
		buf_reset(&w.out);
		buf_add(&w.out, item.p, item.n - 1);	/* to its '}' */
		/* An empty object gets no comma. */
		if (item.p[1 + strspn(item.p + 1, " \t")] != '}')
			buf_adds(&w.out, sp.comma);
		if (en->rline == 0) {
			add_missing(&w, m, en, sp);
			t->missing++;
		} else
			add_result(&w, m, en, sp, t);
		buf_adds(&w.out, "}\n");
		stdout_write(w.out.p, w.out.len);
	}
	if (i < nitems)
		file_changed(m->items.name);
	jsonl_close(&r);
	buf_free(&w.out);
	buf_free(&w.res);
	buf_free(&w.scratch);
	buf_free(&w.show);
	buf_free(&w.key);
	buf_free(&w.errkey);
}
