/*
 * join: the index of custom_ids, filled from the results, then joined to
 * the items (pass one over them), each line checked.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "customid.h"
#include "jsonl.h"
#include "merge.h"
#include "xalloc.h"

static struct entry *
entry_for(struct merge *m, size_t e)
{
	while (e >= m->entries_cap) {
		m->entries_cap = m->entries_cap ? m->entries_cap * 2 : 4096;
		m->entries = xreallocarray(m->entries, m->entries_cap,
		    sizeof(*m->entries));
	}
	return &m->entries[e];
}

/* Adds id to the index; a new entry starts empty. */
static struct entry *
index_add(struct merge *m, const char *id, size_t n)
{
	int added;
	size_t e = idmap_add(&m->index, id, n, &added);
	struct entry *en = entry_for(m, e);

	if (added)
		memset(en, 0, sizeof(*en));
	return en;
}

void
index_results(struct merge *m)
{
	struct buf scratch = BUF_INIT, show = BUF_INIT, other = BUF_INIT;
	struct jsonl r;
	struct jval top;
	struct entry *en;
	const char *id, *why;
	char *line;
	size_t len, idlen;
	off_t off = m->results.base;
	int got;

	jsonl_fdopen(&r, m->results.fd, m->results.name, 0);
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		if (customid_get(line, len, &top, &scratch, &id, &idlen,
		    &why) < 0)
			errx(1, "%s:%lu: %s", r.name, r.lineno, why);
		if (r.lineno > UINT32_MAX)
			errx(1, "%s: too many lines", r.name);
		en = index_add(m, id, idlen);
		if (en->rline != 0) {
			/* A retried request can have a failed and a good
			 * result: the good one wins, else the first. */
			read_result(m, en, &other);
			warnx("%s:%lu: duplicate custom_id %s (first at line "
			    "%lu)", r.name, r.lineno,
			    customid_show(&show, id, idlen),
			    (unsigned long)en->rline);
			if (succeeded(other.p) || !succeeded(line)) {
				off += (off_t)jsonl_consumed(&r, line);
				continue;
			}
		}
		en->roff = (uint64_t)off;
		en->rlen = (uint32_t)len;
		en->rline = (uint32_t)r.lineno;
		off += (off_t)jsonl_consumed(&r, line);
	}
	if (got < 0)
		exit(1);
	jsonl_close(&r);
	buf_free(&scratch);
	buf_free(&show);
	buf_free(&other);
}

/* Whether the raw member name k (validated, with quotes) is name. */
static int
key_eq(struct jval k, const char *name)
{
	size_t n = strlen(name);

	if (memchr(k.p, '\\', k.n) == NULL)
		return k.n == n + 2 && memcmp(k.p + 1, name, n) == 0;
	return jscan_streq(k, name);
}

/* Appends the name of key k to path; 0 when it holds a dot, which a
 * field path cannot name. */
static int
add_name(struct buf *path, struct jval k)
{
	size_t from = path->len;

	jscan_unescape(k, path);
	return memchr(path->p + from, '.', path->len - from) == NULL;
}

/* suggest: the field path of a member of the first item whose value is
 * a custom_id of the results: the likely key field when the one given
 * (or the line numbers) matches nothing.  When m->suggested is still
 * empty and the value v (a string or an integer) of the member at field
 * path is a custom_id of the results, path is taken; in an object, its
 * members are looked at, down to depth more levels. */
static void
suggest(struct merge *m, struct buf *path, struct jval v, int depth,
    struct buf *scratch)
{
	struct jiter it;
	struct jval k, mv;
	size_t e, len = path->len;

	if (m->suggested.len > 0)
		return;
	if (v.type == JT_OBJECT && depth > 0) {
		jscan_iter(v, &it);
		while (m->suggested.len == 0 && jscan_next(&it, &k, &mv)) {
			path->len = len;
			buf_addc(path, '.');
			if (add_name(path, k))
				suggest(m, path, mv, depth - 1, scratch);
		}
		path->len = len;
		path->p[len] = '\0';
		return;
	}
	buf_reset(scratch);
	if (v.type == JT_STRING)
		jscan_unescape(v, scratch);
	else if (v.type == JT_NUMBER && strcspn(v.p, ".eE-") >= v.n)
		buf_add(scratch, v.p, v.n);
	else
		return;
	e = idmap_find(&m->index, scratch->p, scratch->len);
	if (e != IDMAP_NONE && m->entries[e].rline != 0)
		buf_add(&m->suggested, path->p, path->len);
}

/* How many of an item's members the scan that validates it keeps. */
#define ITEM_MEMBERS	64

/* An item's members, in the order they are written: those that the scan
 * validating the line kept (depth 1 of m[0..count)), one pass over the
 * line for both; or, when it had no room for them all, by jscan_next. */
struct members {
	struct jval	 top;
	struct jmember	 m[ITEM_MEMBERS];
	size_t		 count, i;
	struct jiter	 it;
};

/* Pass one's settings and buffers. */
struct join {
	const char	*keyfield;	/* -k; NULL: the line number */
	const char	*field;		/* -f */
	char		*keyname;	/* keyfield's first name, or NULL */
	const char	*keyrest;	/* the names after it, or NULL */
	struct buf	 errfield;	/* field, then "_error" */
	struct buf	 scratch, show, path;
	char		 num[32];	/* a line number as the key */
	struct members	 ms;		/* of the item being read */
};

/* Reads the item line[0..len) of r into *ms: an object, else exits 1. */
static void
item_of(const struct jsonl *r, const char *line, size_t len,
    struct members *ms)
{
	struct jerr e;
	size_t i;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len)
		errx(1, "%s:%lu: blank line", r->name, r->lineno);
	if (jscan_doc_members(line, len, &ms->top, ms->m, ITEM_MEMBERS,
	    &ms->count, &e) < 0)
		errx(1, "%s:%lu: %s", r->name, r->lineno, e.msg);
	if (ms->top.type != JT_OBJECT)
		errx(1, "%s:%lu: %s", r->name, r->lineno,
		    ms->top.type == JT_ARRAY ? "a JSON array, not an object" :
		    "not a JSON object");
	if (r->lineno > UINT32_MAX)
		errx(1, "%s: too many lines", r->name);
	ms->i = 0;
	if (ms->count > ITEM_MEMBERS)
		jscan_iter(ms->top, &ms->it);
}

/* The next member of the item in *ms: 1 with *k, *v, and *next where
 * the member after it begins (the closing brace when there is none); 0
 * after the last. */
static int
next_member(struct members *ms, struct jval *k, struct jval *v,
    const char **next)
{
	if (ms->count > ITEM_MEMBERS) {
		if (!jscan_next(&ms->it, k, v))
			return 0;
		*next = ms->it.p;
		return 1;
	}
	while (ms->i < ms->count && ms->m[ms->i].depth != 1)
		ms->i++;
	if (ms->i == ms->count)
		return 0;
	*k = ms->m[ms->i].key;
	*v = ms->m[ms->i++].val;
	while (ms->i < ms->count && ms->m[ms->i].depth != 1)
		ms->i++;
	*next = ms->i < ms->count ? ms->m[ms->i].key.p :
	    ms->top.p + ms->top.n - 1;
	return 1;
}

/* The members of the item in j->ms, line r->lineno: exits 1 when one is
 * named as the member to add (or its _error); *key gets the member named
 * j->keyname (the last one if it repeats; JT_NONE: none); on the first
 * line each member is a -k suggestion.  Returns the item's SPACED_
 * bits, read from its first colon and its first comma. */
static uint8_t
item_members(struct merge *m, struct join *j, const struct jsonl *r,
    struct jval *key)
{
	struct jval k, v;
	const char *colon, *comma, *next;
	const char *close = j->ms.top.p + j->ms.top.n - 1;
	uint8_t st = 0;
	int first = 1, commas = 0;

	key->type = JT_NONE;
	while (next_member(&j->ms, &k, &v, &next)) {
		if (first) {
			/* Between the name and the value: blanks and the
			 * colon. */
			colon = memchr(k.p + k.n, ':', (size_t)(v.p -
			    (k.p + k.n)));
			if (colon[1] == ' ' || colon[1] == '\t')
				st |= SPACED_COLON;
			first = 0;
		}
		/* Between the value and the next member: blanks, the comma,
		 * blanks. */
		if (commas == 0 && next < close) {
			commas = 1;
			comma = memchr(v.p + v.n, ',', (size_t)(next -
			    (v.p + v.n)));
			if (comma[1] == ' ' || comma[1] == '\t')
				st |= SPACED_COMMA;
		}
		if (key_eq(k, j->field) || key_eq(k, j->errfield.p))
			errx(1, "%s:%lu: the item already has a field "
			    "\"%s\"", r->name, r->lineno,
			    key_eq(k, j->field) ? j->field : j->errfield.p);
		if (j->keyname != NULL && key_eq(k, j->keyname))
			*key = v;
		if (r->lineno == 1) {
			buf_reset(&j->path);
			if (add_name(&j->path, k))
				suggest(m, &j->path, v, 3, &j->scratch);
		}
	}
	/* One member: the comma added is spaced as its colon. */
	if (commas == 0 && (st & SPACED_COLON))
		st |= SPACED_COMMA;
	return st;
}

/* The custom_id that the item with the member key (found by
 * item_members) answers to, into *id and *idlen: its line number without
 * -k, else the value at the -k path, a string or an integer; else exits
 * 1. */
static void
item_id(struct join *j, const struct jsonl *r, struct jval key,
    const char **id, size_t *idlen)
{
	if (key.type != JT_NONE && j->keyrest != NULL)
		jscan_path(key, j->keyrest, &key);
	if (j->keyfield == NULL) {
		snprintf(j->num, sizeof(j->num), "%lu", r->lineno);
		*id = j->num;
		*idlen = strlen(j->num);
	} else if (key.type == JT_STRING) {
		buf_reset(&j->scratch);
		jscan_unescape(key, &j->scratch);
		*id = j->scratch.p;
		*idlen = j->scratch.len;
	} else if (key.type == JT_NUMBER &&
	    strcspn(key.p, ".eE") >= key.n) {
		*id = key.p;
		*idlen = key.n;
	} else if (key.type == JT_NONE)
		errx(1, "%s:%lu: no field \"%s\"", r->name, r->lineno,
		    j->keyfield);
	else
		errx(1, "%s:%lu: field \"%s\" is %s, not a string or "
		    "an integer", r->name, r->lineno, j->keyfield,
		    key.type == JT_NUMBER ? "a fraction" :
		    jscan_typename(key.type));
	if (*idlen == 0)
		errx(1, "%s:%lu: field \"%s\" is empty", r->name,
		    r->lineno, j->keyfield);
}

uint32_t *
join_items(struct merge *m, const char *keyfield, const char *field,
    size_t *nitems, uint8_t **styles)
{
	struct join *j = xcalloc(1, sizeof(*j));
	struct jsonl r;
	struct jval key;
	struct entry *en;
	uint32_t *refs = NULL;
	uint8_t *style = NULL, st;
	size_t cap = 0, n = 0, len, idlen;
	const char *id;
	char *line;
	int got;

	j->keyfield = keyfield;
	j->field = field;
	if (keyfield != NULL)
		j->keyname = xstrndup(keyfield, jscan_path_head(keyfield,
		    &j->keyrest));
	buf_adds(&j->errfield, field);
	buf_adds(&j->errfield, "_error");
	jsonl_fdopen(&r, m->items.fd, m->items.name, 0);
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		item_of(&r, line, len, &j->ms);
		st = item_members(m, j, &r, &key);
		item_id(j, &r, key, &id, &idlen);
		en = index_add(m, id, idlen);
		if (en->iline != 0)
			errx(1, "%s:%lu: duplicate key %s (first at line %lu)",
			    r.name, r.lineno, customid_show(&j->show, id,
			    idlen), (unsigned long)en->iline);
		en->iline = (uint32_t)r.lineno;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			refs = xreallocarray(refs, cap, sizeof(*refs));
			style = xreallocarray(style, cap, sizeof(*style));
		}
		style[n] = st;
		refs[n++] = (uint32_t)(en - m->entries);
	}
	if (got < 0)
		exit(1);
	jsonl_close(&r);
	buf_free(&j->scratch);
	buf_free(&j->show);
	buf_free(&j->errfield);
	buf_free(&j->path);
	free(j->keyname);
	free(j);
	*nitems = n;
	*styles = style;
	return refs;
}
