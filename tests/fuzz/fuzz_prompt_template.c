/*
 * fuzz_prompt_template: jsonl-prompt's template parsing and field picking
 * (parse_template, picker_want/walk/get, over jscan_doc_members), the
 * tool's template part linked into the target.  The input is a template,
 * a NUL byte, and an item line.  Templates the tool refuses (a lone brace, an empty field name, a brace inside a field or
 * its default, invalid UTF-8: it exits 2 on those) are skipped by the
 * same rules, checked here first.  Checked on the rest:
 *   - the segments, put back together ("{{" for a literal '{', ":-" and
 *     the default after a field's name, and so on), give the template
 *     again;
 *   - literal segments are valid JSON string contents;
 *   - for an item the scanner accepts as an object, each field picked
 *     is the value jscan_path finds for the same dotted name (names with
 *     a part of 255 bytes or more excepted: jscan_path does not take
 *     them).
 */
/* links: tools/jsonl-prompt/template.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"
#include "../../tools/jsonl-prompt/prompt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

/* 1 when jsonl-prompt accepts template t (see parse_template). */
static int
acceptable(const char *t)
{
	struct buf b = BUF_INIT;
	struct jval v;
	struct jerr e;
	const char *p, *close;
	int ok;

	buf_add_json_string(&b, t, strlen(t));
	ok = jscan_doc(b.p, b.len, &v, &e) == 0;
	buf_free(&b);
	for (p = t; ok && *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == '{')
			p++;
		else if (p[0] == '}' && p[1] == '}')
			p++;
		else if (*p == '}')
			ok = 0;
		else if (*p == '{') {
			close = strchr(p, '}');
			if (close == NULL || close == p + 1 ||
			    (p[1] == ':' && p[2] == '-') ||
			    memchr(p + 1, '{', (size_t)(close - p - 1)))
				ok = 0;
			else
				p = close;
		}
	}
	return ok;
}

static int
long_part(const char *name)
{
	size_t n;

	for (;;) {
		n = strcspn(name, ".");
		if (n >= 255)
			return 1;
		if (name[n] == '\0')
			return 0;
		name += n + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size), *item;
	struct picker pk = { NULL, NULL, NULL, NULL, 0, { 0 } };
	struct buf again = BUF_INIT, lit = BUF_INIT, text = BUF_INIT;
	struct jval top, got, want;
	struct jerr e;
	struct seg *segs;
	size_t nsegs, i, j, itemlen;
	char *t;
	struct jmember members[MAX_MEMBERS];
	size_t count;
	int found, pass;

	if (nul == NULL || size > 65536)
		return 0;
	t = strndup((const char *)data, (size_t)(nul - (const char *)data));
	check(t != NULL);
	item = nul + 1;
	itemlen = size - (size_t)(item - (const char *)data);
	if (!acceptable(t)) {
		free(t);
		return 0;
	}
	parse_template("template", t, &segs, &nsegs);
	for (i = 0; i < nsegs; i++) {
		if (segs[i].field) {
			check(strstr(segs[i].text, ":-") == NULL);
			buf_addc(&again, '{');
			buf_add(&again, segs[i].text, segs[i].n);
			if (segs[i].dflt != NULL) {
				/* Stored JSON-escaped, as literal text. */
				buf_adds(&again, ":-");
				buf_reset(&lit);
				buf_addc(&lit, '"');
				buf_add(&lit, segs[i].dflt, segs[i].dflt_n);
				buf_addc(&lit, '"');
				check(jscan_doc(lit.p, lit.len, &top, &e) == 0);
				jscan_unescape(top, &again);
			}
			buf_addc(&again, '}');
			segs[i].key = picker_want(&pk, segs[i].text,
			    &segs[i].rest);
			continue;
		}
		/* Literal text is stored JSON-escaped. */
		buf_reset(&lit);
		buf_addc(&lit, '"');
		buf_add(&lit, segs[i].text, segs[i].n);
		buf_addc(&lit, '"');
		check(jscan_doc(lit.p, lit.len, &top, &e) == 0);
		buf_reset(&text);
		jscan_unescape(top, &text);
		for (j = 0; j < text.len; j++) {
			if (text.p[j] == '{' || text.p[j] == '}')
				buf_addc(&again, text.p[j]);
			buf_addc(&again, text.p[j]);
		}
	}
	check(again.len == strlen(t) &&
	    (again.len == 0 || memcmp(again.p, t, again.len) == 0));

	/* Both ways the tool picks: from the members the scan collected,
	 * and by a walk (when a line has more than MAX_MEMBERS). */
	if (jscan_doc_members(item, itemlen, &top, members, MAX_MEMBERS,
	    &count, &e) == 0 && top.type == JT_OBJECT) {
		for (pass = 0; pass < 2; pass++) {
			if (pk.n > 0)
				picker_walk(&pk, top, members, pass == 0 ?
				    count : MAX_MEMBERS + 1);
			for (i = 0; i < nsegs; i++) {
				if (!segs[i].field || long_part(segs[i].text))
					continue;
				found = picker_get(&pk, segs[i].key,
				    segs[i].rest, &got);
				check(found == jscan_path(top, segs[i].text,
				    &want));
				if (found)
					check(got.p == want.p &&
					    got.n == want.n);
			}
		}
	}
	for (i = 0; i < nsegs; i++) {
		free(segs[i].text);
		free(segs[i].dflt);
	}
	free(segs);
	for (i = 0; i < pk.n; i++)
		free(pk.names[i]);
	free(pk.names);
	free(pk.lens);
	free(pk.vals);
	free(pk.plain);
	free(t);
	buf_free(&again);
	buf_free(&lit);
	buf_free(&text);
	return 0;
}
