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

void
write_items(struct merge *m, const uint32_t *refs, const uint8_t *styles,
    size_t nitems, const char *field, int as_json, struct tally *t)
{
	struct buf out = BUF_INIT, res = BUF_INIT, scratch = BUF_INIT;
	struct buf show = BUF_INIT, key = BUF_INIT, errkey = BUF_INIT;
	struct jsonl r;
	struct jval item;
	struct jerr je;
	struct parsed pr;
	struct result outc;
	struct seps sp;
	const struct entry *en;
	const char *id;
	char *line;
	size_t len, i = 0, idlen, close, mark;

	buf_add_json_string(&key, field, strlen(field));
	buf_add_json_string(&errkey, field, strlen(field));
	errkey.len--;
	buf_adds(&errkey, "_error\"");
	if (lseek(m->items.fd, m->items.base, SEEK_SET) < 0)
		err(1, "%s", m->items.name);
	jsonl_fdopen(&r, m->items.fd, m->items.name, 0);
	while (i < nitems && jsonl_next(&r, &line, &len) == 1) {
		sp = seps_of(styles[i]);
		en = &m->entries[refs[i++]];
		item = object_of(line, len);
		if (item.n < 2 || item.p[0] != '{' || item.p[item.n - 1] != '}')
			errx(1, "%s: file changed while being read",
			    m->items.name);
		close = item.n - 1;	/* the closing brace */
		buf_reset(&out);
		buf_add(&out, item.p, close);
		/* An empty object gets no comma. */
		if (item.p[1 + strspn(item.p + 1, " \t")] != '}')
			buf_adds(&out, sp.comma);
		mark = out.len;
		if (en->rline == 0) {
			id = idmap_id(&m->index, (size_t)(en - m->entries),
			    &idlen);
			buf_add(&out, errkey.p, errkey.len);
			buf_printf(&out, "%s{\"code\"%s\"missing\"%s"
			    "\"message\"%s\"no result for custom_id ",
			    sp.colon, sp.colon, sp.comma, sp.colon);
			buf_reset(&show);
			buf_add_json_string(&show, id, idlen);
			buf_add(&out, show.p + 1, show.len - 1);
			buf_addc(&out, '}');
			t->missing++;
		} else {
			read_result(m, en, &res);
			parse_result(res.p, &pr);
			count_usage(pr.m[B_USAGE], pr.m[B_MODEL], t, &scratch);
			outcome(&pr, &outc);
			if (!outc.ok) {
				buf_add(&out, errkey.p, errkey.len);
				buf_adds(&out, sp.colon);
				add_error(&out, &pr, sp);
				t->failed++;
			} else if (as_json && answer_text(&pr, &scratch)) {
				buf_add(&out, key.p, key.len);
				buf_adds(&out, sp.colon);
				if (add_json_text(&out, &scratch, &je) == 0)
					t->answered++;
				else {
					out.len = mark;
					add_not_json(&out, &errkey, sp,
					    &scratch, &je, &show);
					t->not_json++;
				}
			} else {
				buf_add(&out, key.p, key.len);
				buf_adds(&out, sp.colon);
				add_answer(&out, &pr, &scratch);
				t->answered++;
			}
		}
		buf_adds(&out, "}\n");
		stdout_write(out.p, out.len);
	}
	if (i < nitems)
		errx(1, "%s: file changed while being read", m->items.name);
	jsonl_close(&r);
	buf_free(&out);
	buf_free(&res);
	buf_free(&scratch);
	buf_free(&show);
	buf_free(&key);
	buf_free(&errkey);
}
