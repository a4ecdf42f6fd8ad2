/*
 * jsonl-merge: the answers of a Batch API job, put back onto its items.
 *
 * Memory holds an index, not the lines: every custom_id once, with the
 * offset of its result line, and one number an item.  The results are
 * read first (a pipe is copied to an unlinked temporary file so that the
 * lines can be read back with pread(2)); the items are read twice, once to
 * check every line and join it, then to write it with its answer appended
 * as text before the closing brace (the item is never re-serialised).  So
 * nothing is written unless every input line is good.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "capwarn.h"
#include "customid.h"
#include "idmap.h"
#include "jscan.h"
#include "jsonl.h"
#include "modeldata.h"
#include "outcheck.h"
#include "result.h"
#include "spool.h"
#include "usage.h"
#include "xalloc.h"

/* What the index knows about each custom_id (idmap number). */
struct entry {
	uint64_t	 roff;		/* result line: offset, length, number */
	uint32_t	 rlen;
	uint32_t	 rline;		/* 0: no result */
	uint32_t	 iline;		/* first item with this key; 0: none */
};

static struct spool_input	 items, results;
static struct idmap	 index_;
static struct entry	*entries;
static size_t		 entries_cap;

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

static void __attribute__((noreturn))
usage(FILE *fp)
{
	if (fp == stdout)
		usage_help(help);
	usage_error(help);
}

static struct entry *
entry_for(size_t e)
{
	while (e >= entries_cap) {
		entries_cap = entries_cap ? entries_cap * 2 : 4096;
		entries = xreallocarray(entries, entries_cap,
		    sizeof(*entries));
	}
	return &entries[e];
}

/* Adds id to the index; a new entry starts empty. */
static struct entry *
index_add(const char *id, size_t n)
{
	int added;
	size_t e = idmap_add(&index_, id, n, &added);
	struct entry *en = entry_for(e);

	if (added)
		memset(en, 0, sizeof(*en));
	return en;
}

/* preads exactly n bytes at off of the results into p. */
static void
pread_all(char *p, size_t n, uint64_t off)
{
	size_t got;
	ssize_t r;

	for (got = 0; got < n; got += (size_t)r) {
		r = pread(results.fd, p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r < 0)
			err(1, "%s", results.name);
		if (r == 0)
			errx(1, "%s: file changed while being read",
			    results.name);
	}
}

/* A window of the results file: when the results are read in the order
 * they are in the file (sorted results and items in the same order, the
 * pipeline's usual case), one large read serves many lines instead of a
 * pread(2) a line, which costs more than the rest of the work on it. */
#define WINDOW	((size_t)1 << 20)

static struct {
	char		*p;
	size_t		 cap, len;
	uint64_t	 start;		/* file offset of p[0] */
	uint64_t	 last_end;	/* end of the line read last */
} win;

/* Reads the result line of en into b, NUL-terminated. */
static void
read_result(const struct entry *en, struct buf *b)
{
	uint64_t end = en->roff + en->rlen;
	struct jval top;
	struct jerr e;
	struct stat st;
	size_t want;
	off_t size;

	buf_reset(b);
	buf_reserve(b, en->rlen);
	b->len = en->rlen;
	b->p[b->len] = '\0';
	if (en->roff >= win.start && end <= win.start + win.len)
		memcpy(b->p, win.p + (en->roff - win.start), en->rlen);
	/* Sequential (the line follows the last one, after its "\n" or
	 * "\r\n"): fill the window from here, up to the end of the file. */
	else if (en->roff >= win.last_end && en->roff <= win.last_end + 2 &&
	    win.last_end > 0 && fstat(results.fd, &st) == 0 &&
	    (size = st.st_size) > 0 && (uint64_t)size >= end) {
		want = en->rlen > WINDOW ? en->rlen : WINDOW;
		if ((uint64_t)size - en->roff < want)
			want = (size_t)((uint64_t)size - en->roff);
		if (want > win.cap) {
			free(win.p);
			win.p = xmalloc(want);
			win.cap = want;
		}
		pread_all(win.p, want, en->roff);
		win.start = en->roff;
		win.len = want;
		memcpy(b->p, win.p, en->rlen);
	} else
		pread_all(b->p, en->rlen, en->roff);
	win.last_end = end;
	/* Scanned again: the walk below trusts its input, and the file
	 * could have been rewritten since it was indexed. */
	if (jscan_doc(b->p, b->len, &top, &e) < 0 || top.type != JT_OBJECT)
		errx(1, "%s: file changed while being read", results.name);
}

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

/*
 * One walk over a result line picks out everything this tool needs: the
 * line's error, response.status_code, response.body and the body's
 * members below.  Hand-written on purpose: with jscan_member each lookup
 * walks the whole object again (about ten walks a line, measured as two
 * thirds of the run time).  The text was validated by jscan_doc when the
 * results were indexed, so the walk need not check anything; it ends at
 * the NUL that read_result puts after the line.
 */
enum {
	R_ERROR, R_STATUS, R_BODY,
	B_OBJECT, B_CHOICES, B_OUTPUT, B_DATA, B_USAGE, B_MODEL,
	C_CONTENT,		/* choices[0].message.content */
	R_N
};

struct parsed {
	struct jval	 m[R_N];
};

enum level { L_TOP, L_RESPONSE, L_BODY, L_CHOICE, L_MESSAGE, L_OTHER };

static const char *
skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* p is at a string's opening quote; returns the byte after its close. */
static const char *
skip_string(const char *p)
{
	const char *q, *b;

	/* The closing quote is the first one after an even run of
	 * backslashes; the text was validated, so there is one, and
	 * rawmemchr (vectorised in glibc) can look for it unbounded. */
	for (p++;;) {
		q = rawmemchr(p, '"');
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0)
			return q + 1;
		p = q + 1;
	}
}

static const char *
skip_any(const char *p)
{
	int depth = 0;

	do {
		p = skip_blank(p);
		if (*p == '"')
			p = skip_string(p);
		else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (*p == ',' || *p == ':')
			p++;
		else
			p += strcspn(p, ",:}] \t\r\n");
	} while (depth > 0);
	return p;
}

static enum jtype
type_of(char c)
{
	switch (c) {
	case '{': return JT_OBJECT;
	case '[': return JT_ARRAY;
	case '"': return JT_STRING;
	case 't': return JT_TRUE;
	case 'f': return JT_FALSE;
	case 'n': return JT_NULL;
	default: return JT_NUMBER;
	}
}

/* Which slot of struct parsed the member k[0..n) (raw, with quotes) fills
 * at this level, or -1; *into gets the level to descend into. */
static int
slot_of(enum level lv, const char *k, size_t n, enum level *into)
{
	static const struct { enum level lv; const char key[16]; int slot;
	    enum level into; } t[] = {
		{ L_TOP, "\"error\"", R_ERROR, L_OTHER },
		{ L_TOP, "\"response\"", -1, L_RESPONSE },
		{ L_RESPONSE, "\"status_code\"", R_STATUS, L_OTHER },
		{ L_RESPONSE, "\"body\"", R_BODY, L_BODY },
		{ L_BODY, "\"object\"", B_OBJECT, L_OTHER },
		{ L_BODY, "\"choices\"", B_CHOICES, L_CHOICE },
		{ L_CHOICE, "\"message\"", -1, L_MESSAGE },
		{ L_MESSAGE, "\"content\"", C_CONTENT, L_OTHER },
		{ L_BODY, "\"output\"", B_OUTPUT, L_OTHER },
		{ L_BODY, "\"data\"", B_DATA, L_OTHER },
		{ L_BODY, "\"usage\"", B_USAGE, L_OTHER },
		{ L_BODY, "\"model\"", B_MODEL, L_OTHER },
	};
	size_t i;

	*into = L_OTHER;
	/* Keys with escapes are never the ones looked for; a key that is
	 * spelt with escapes would be missed (no API writes them). */
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].lv == lv && n < sizeof(t[i].key) &&
		    t[i].key[n] == '\0' && memcmp(t[i].key, k, n) == 0) {
			*into = t[i].into;
			return t[i].slot;
		}
	return -1;
}

static const char *walk(const char *, enum level, struct parsed *);

/* Walks the array at p (at its '['), descending into its first element
 * when that is an object; returns the byte after the array. */
static const char *
walk_first(const char *p, enum level lv, struct parsed *r)
{
	p = skip_blank(p + 1);
	if (*p == ']')
		return p + 1;
	p = *p == '{' ? walk(p, lv, r) : skip_any(p);
	for (;;) {
		p = skip_blank(p);
		if (*p != ',')
			return p + 1;
		p = skip_any(skip_blank(p + 1));
	}
}

/* Walks the object at p (at its '{'); returns the byte after it. */
static const char *
walk(const char *p, enum level lv, struct parsed *r)
{
	const char *k, *v;
	enum level into;
	int slot;

	p = skip_blank(p + 1);
	if (*p == '}')
		return p + 1;
	for (;;) {
		k = p;
		p = skip_string(p);
		slot = slot_of(lv, k, (size_t)(p - k), &into);
		v = p = skip_blank(skip_blank(p) + 1);
		if (into == L_CHOICE && *p == '[')
			p = walk_first(p, into, r);
		else if (into != L_OTHER && *p == '{')
			p = walk(p, into, r);
		else
			p = skip_any(p);
		if (slot >= 0) {
			r->m[slot].type = type_of(*v);
			r->m[slot].p = v;
			r->m[slot].n = (size_t)(p - v);
		}
		p = skip_blank(p);
		if (*p != ',')
			return p + 1;
		p = skip_blank(p + 1);
	}
}

/* line: a validated result line, NUL-terminated. */
static void
parse_result(const char *line, struct parsed *r)
{
	size_t i;

	for (i = 0; i < R_N; i++) {
		r->m[i].type = JT_NONE;
		r->m[i].p = NULL;
		r->m[i].n = 0;
	}
	walk(skip_blank(line), L_TOP, r);
	/* A response that is not an object has no status or body. */
}

/* Success and failure are decided by common/result, from the members
 * the walk found. */
static void
outcome(const struct parsed *p, struct result *r)
{
	result_from(p->m[R_ERROR], p->m[R_STATUS], p->m[R_BODY], r);
}

static int
succeeded(const char *line)
{
	struct parsed p;
	struct result r;

	parse_result(line, &p);
	outcome(&p, &r);
	return r.ok;
}

static void
index_results(void)
{
	struct buf scratch = BUF_INIT, show = BUF_INIT, other = BUF_INIT;
	struct jsonl r;
	struct jval top;
	struct entry *en;
	const char *id, *why;
	char *line;
	size_t len, idlen;
	off_t off = results.base;
	int got;

	jsonl_fdopen(&r, results.fd, results.name, 0);
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		if (customid_get(line, len, &top, &scratch, &id, &idlen,
		    &why) < 0)
			errx(1, "%s:%lu: %s", r.name, r.lineno, why);
		if (r.lineno > UINT32_MAX)
			errx(1, "%s: too many lines", r.name);
		en = index_add(id, idlen);
		if (en->rline != 0) {
			/* A retried request can have a failed and a good
			 * result: the good one wins, else the first. */
			read_result(en, &other);
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

/* The field path of a member of the first item whose value is a
 * custom_id of the results: the likely key field when the one given (or
 * the line numbers) matches nothing. */
static struct buf suggested = BUF_INIT;

/* Appends the name of key k to path; 0 when it holds a dot, which a
 * field path cannot name. */
static int
add_name(struct buf *path, struct jval k)
{
	size_t from = path->len;

	jscan_unescape(k, path);
	return memchr(path->p + from, '.', path->len - from) == NULL;
}

/* suggest: when suggested is still empty and the value v (a string or
 * an integer) of the member at field path is a custom_id of the results,
 * path is taken; in an object, its members are looked at, down to depth
 * more levels. */
static void
suggest(struct buf *path, struct jval v, int depth, struct buf *scratch)
{
	struct jiter it;
	struct jval k, m;
	size_t e, len = path->len;

	if (suggested.len > 0)
		return;
	if (v.type == JT_OBJECT && depth > 0) {
		jscan_iter(v, &it);
		while (suggested.len == 0 && jscan_next(&it, &k, &m)) {
			path->len = len;
			buf_addc(path, '.');
			if (add_name(path, k))
				suggest(path, m, depth - 1, scratch);
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
	e = idmap_find(&index_, scratch->p, scratch->len);
	if (e != IDMAP_NONE && entries[e].rline != 0)
		buf_add(&suggested, path->p, path->len);
}

/* How an item writes its separators, for the text added to it: a space
 * after its colons, after its commas (bits of a byte an item). */
#define SPACED_COLON	1
#define SPACED_COMMA	2

/* Pass one over the items: checks every line, finds its key (the member
 * at field path keyfield) and joins it to the index.  Returns the entry
 * number of each item, in order, and in *styles its SPACED_ bits. */
static uint32_t *
join_items(const char *keyfield, const char *field, size_t *nitems,
    uint8_t **styles)
{
	struct buf scratch = BUF_INIT, show = BUF_INIT, errfield = BUF_INIT;
	struct buf path = BUF_INIT;
	struct jsonl r;
	struct jval top, k, v, key;
	struct jerr e;
	struct entry *en;
	uint32_t *refs = NULL;
	uint8_t *style = NULL, st;
	size_t cap = 0, n = 0, len, i;
	char *line, num[32], *keyname = NULL;
	const char *id, *p, *keyrest = NULL;
	size_t idlen;
	int got, colons, commas;

	if (keyfield != NULL)
		keyname = xstrndup(keyfield, jscan_path_head(keyfield,
		    &keyrest));
	buf_adds(&errfield, field);
	buf_adds(&errfield, "_error");
	jsonl_fdopen(&r, items.fd, items.name, 0);
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
			;
		if (i == len)
			errx(1, "%s:%lu: blank line", r.name, r.lineno);
		if (jscan_doc(line, len, &top, &e) < 0)
			errx(1, "%s:%lu: %s", r.name, r.lineno, e.msg);
		if (top.type != JT_OBJECT)
			errx(1, "%s:%lu: %s", r.name, r.lineno,
			    top.type == JT_ARRAY ? "a JSON array, not an object" :
			    "not a JSON object");
		if (r.lineno > UINT32_MAX)
			errx(1, "%s: too many lines", r.name);
		key.type = JT_NONE;
		st = 0;
		colons = commas = 0;
		for (p = skip_blank(top.p + 1); *p != '}';) {
			k.type = JT_STRING;
			k.p = p;
			p = skip_string(p);
			k.n = (size_t)(p - k.p);
			p = skip_blank(p);	/* at the colon */
			if (colons++ == 0 && (p[1] == ' ' || p[1] == '\t'))
				st |= SPACED_COLON;
			v.p = p = skip_blank(p + 1);
			p = skip_any(p);
			v.type = type_of(*v.p);
			v.n = (size_t)(p - v.p);
			if (key_eq(k, field) || key_eq(k, errfield.p))
				errx(1, "%s:%lu: the item already has a field "
				    "\"%s\"", r.name, r.lineno,
				    key_eq(k, field) ? field : errfield.p);
			if (keyname != NULL && key_eq(k, keyname))
				key = v;
			if (r.lineno == 1) {
				buf_reset(&path);
				if (add_name(&path, k))
					suggest(&path, v, 3, &scratch);
			}
			p = skip_blank(p);
			if (*p == ',') {
				if (commas++ == 0 &&
				    (p[1] == ' ' || p[1] == '\t'))
					st |= SPACED_COMMA;
				p = skip_blank(p + 1);
			}
		}
		/* One member: the comma added is spaced as its colon. */
		if (commas == 0 && (st & SPACED_COLON))
			st |= SPACED_COMMA;
		if (key.type != JT_NONE && keyrest != NULL)
			jscan_path(key, keyrest, &key);
		if (keyfield == NULL) {
			snprintf(num, sizeof(num), "%lu", r.lineno);
			id = num;
			idlen = strlen(num);
		} else if (key.type == JT_STRING) {
			buf_reset(&scratch);
			jscan_unescape(key, &scratch);
			id = scratch.p;
			idlen = scratch.len;
		} else if (key.type == JT_NUMBER &&
		    strcspn(key.p, ".eE") >= key.n) {
			id = key.p;
			idlen = key.n;
		} else if (key.type == JT_NONE)
			errx(1, "%s:%lu: no field \"%s\"", r.name, r.lineno,
			    keyfield);
		else
			errx(1, "%s:%lu: field \"%s\" is %s, not a string or "
			    "an integer", r.name, r.lineno, keyfield,
			    key.type == JT_NUMBER ? "a fraction" :
			    jscan_typename(key.type));
		if (idlen == 0)
			errx(1, "%s:%lu: field \"%s\" is empty", r.name,
			    r.lineno, keyfield);
		en = index_add(id, idlen);
		if (en->iline != 0)
			errx(1, "%s:%lu: duplicate key %s (first at line %lu)",
			    r.name, r.lineno, customid_show(&show, id, idlen),
			    (unsigned long)en->iline);
		en->iline = (uint32_t)r.lineno;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			refs = xreallocarray(refs, cap, sizeof(*refs));
			style = xreallocarray(style, cap, sizeof(*style));
		}
		style[n] = st;
		refs[n++] = (uint32_t)(en - entries);
	}
	if (got < 0)
		exit(1);
	jsonl_close(&r);
	buf_free(&scratch);
	buf_free(&show);
	buf_free(&errfield);
	buf_free(&path);
	free(keyname);
	*nitems = n;
	*styles = style;
	return refs;
}

struct tally {
	size_t			 answered, failed, missing;
	size_t			 not_json;	/* -j: answers that are not */
	unsigned long long	 intok, cachedtok, outtok;
	double			 cost;		/* USD, list price */
	unsigned long long	 unknown_in, unknown_out;	/* unpriced */
	struct buf		 unknown_models;		/* "a, b" */
};

/* usage's member a (chat) or b (responses, or a's path there), when a
 * positive integer, else 0. */
static unsigned long long
token_count(struct jval usage, const char *a, const char *b)
{
	struct jval v;
	long long x;

	if ((jscan_path(usage, a, &v) || jscan_path(usage, b, &v)) &&
	    jscan_int(v, &x) == 0 && x > 0)
		return (unsigned long long)x;
	return 0;
}

/* Whether the list "a, b, c" has name as one of its items (not merely
 * as a part of one: "gpt-4o" is not in "gpt-4o-mini"). */
static int
listed(const struct buf *list, const char *name)
{
	const char *p = list->p;
	size_t n = strlen(name);

	while (p != NULL && (p = strstr(p, name)) != NULL) {
		if ((p == list->p || (p - list->p >= 2 && p[-1] == ' ' &&
		    p[-2] == ',')) && (p[n] == '\0' || p[n] == ','))
			return 1;
		if (*p++ == '\0')
			break;
	}
	return 0;
}

/* Adds a response body's usage to the totals and its cost, by its
 * model's prices (common/modeldata): cached input tokens at the cached
 * price, the rest of the input at the input price, a long-context tier
 * when the request's input passes it. */
static void
count_usage(struct jval usage, struct jval model, struct tally *t,
    struct buf *scratch)
{
	unsigned long long in, cached, out;
	struct model_price p;
	int priced = 0;

	if (usage.type != JT_OBJECT)
		return;
	in = token_count(usage, "prompt_tokens", "input_tokens");
	cached = token_count(usage, "prompt_tokens_details.cached_tokens",
	    "input_tokens_details.cached_tokens");
	if (cached > in)
		cached = in;
	out = token_count(usage, "completion_tokens", "output_tokens");
	t->intok += in;
	t->cachedtok += cached;
	t->outtok += out;
	buf_reset(scratch);
	if (model.type == JT_STRING) {
		jscan_unescape(model, scratch);
		priced = price_of_request(scratch->p, scratch->len, in,
		    &p) == 0;
	} else
		buf_adds(scratch, "(none)");
	if (priced) {
		t->cost += ((double)(in - cached) * p.in +
		    (double)cached * p.cached_in + (double)out * p.out) / 1e6;
		return;
	}
	t->unknown_in += in;
	t->unknown_out += out;
	if (scratch->len == 0)
		buf_adds(scratch, "\"\"");	/* "model": "" */
	if (prices_path() != NULL && (in > 0 || out > 0) &&
	    t->unknown_models.len < 200 &&
	    !listed(&t->unknown_models, scratch->p)) {
		if (t->unknown_models.len > 0)
			buf_adds(&t->unknown_models, ", ");
		buf_add(&t->unknown_models, scratch->p, strlen(scratch->p));
	}
}

/* The output text of a successful responses body: every output_text
 * part of output[].content[], decoded and joined into text.  1 when
 * there is one, else 0. */
static int
output_text(struct jval output, struct buf *text)
{
	struct jval item, content, part, type, t, k;
	struct jiter it, ci;
	int found = 0;

	buf_reset(text);
	jscan_iter(output, &it);
	while (jscan_next(&it, &k, &item)) {
		if (!jscan_member(item, "content", &content) ||
		    content.type != JT_ARRAY)
			continue;
		jscan_iter(content, &ci);
		while (jscan_next(&ci, &k, &part))
			if (jscan_member(part, "type", &type) &&
			    jscan_streq(type, "output_text") &&
			    jscan_member(part, "text", &t) &&
			    t.type == JT_STRING) {
				jscan_unescape(t, text);
				found = 1;
			}
	}
	return found;
}

/* The answer of a successful response body when it is text (chat content
 * that is a string, the responses output text), decoded into text: 1;
 * else 0. */
static int
answer_text(const struct parsed *r, struct buf *text)
{
	const struct jval *m = r->m;

	if (jscan_streq(m[B_OBJECT], "chat.completion")) {
		buf_reset(text);
		return jscan_unescape(m[C_CONTENT], text) == 0;
	}
	if (jscan_streq(m[B_OBJECT], "response") &&
	    m[B_OUTPUT].type == JT_ARRAY)
		return output_text(m[B_OUTPUT], text);
	return 0;
}

/* The answer in a successful response body, as JSON text appended to out:
 * chat: choices[0].message.content; responses: the output text; embeddings:
 * data[0].embedding; anything else: the whole body. */
static void
add_answer(struct buf *out, const struct parsed *r, struct buf *scratch)
{
	const struct jval *m = r->m;
	struct jval body = m[R_BODY], obj = m[B_OBJECT], v;

	if (jscan_streq(obj, "chat.completion") && m[C_CONTENT].type) {
		buf_add(out, m[C_CONTENT].p, m[C_CONTENT].n);
		return;
	}
	if (jscan_streq(obj, "response") && (v = m[B_OUTPUT]).type == JT_ARRAY) {
		if (output_text(v, scratch))
			buf_add_json_string(out, scratch->p, scratch->len);
		else
			buf_adds(out, "null");
		return;
	}
	if (jscan_streq(obj, "list") && (v = m[B_DATA]).type == JT_ARRAY &&
	    jscan_index(v, 0, &v) && jscan_member(v, "embedding", &v)) {
		buf_add(out, v.p, v.n);
		return;
	}
	if (body.type == JT_NONE)
		buf_adds(out, "null");	/* a 200 without a body */
	else
		buf_add(out, body.p, body.n);
}

/* -j: appends text, when it is one JSON value (RFC 8259, as jscan reads
 * it: no NaN, no single quotes), to out without its white space: 0.
 * Else -1 and *e says why. */
static int
add_json_text(struct buf *out, const struct buf *text, struct jerr *e)
{
	struct jval v;
	const char *p, *end;
	int in_string = 0;

	if (jscan_doc(text->p, text->len, &v, e) < 0)
		return -1;
	/* Valid JSON has white space only between tokens, never a raw
	 * control character inside a string: a newline in a pretty-printed
	 * answer would split the item's line. */
	buf_reserve(out, v.n);
	for (p = v.p, end = v.p + v.n; p < end; p++) {
		if (in_string) {
			if (*p == '\\')
				buf_addc(out, *p++);
			else if (*p == '"')
				in_string = 0;
		} else if (*p == '"')
			in_string = 1;
		else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			continue;
		buf_addc(out, *p);
	}
	return 0;
}

/* The separators of the text added to an item, spaced as the item's own
 * (SPACED_ bits). */
struct seps {
	const char	*comma;		/* ", " or "," */
	const char	*colon;		/* ": " or ":" */
};

static struct seps
seps_of(uint8_t style)
{
	struct seps s;

	s.comma = style & SPACED_COMMA ? ", " : ",";
	s.colon = style & SPACED_COLON ? ": " : ":";
	return s;
}

/* {"code": ..., "message": ...} of a failed result, appended to out with
 * the separators s: the code and message common/result finds, as
 * written; without them "http_N" and "HTTP status N"; a line with neither
 * an error nor a status is a bad_result. */
static void
add_error(struct buf *out, const struct parsed *p, struct seps s)
{
	struct result r;

	outcome(p, &r);
	buf_printf(out, "{\"code\"%s", s.colon);
	if (r.code.type == JT_NONE && r.http < 0 &&
	    (r.error.type == JT_NONE || r.error.type == JT_NULL)) {
		buf_printf(out, "\"bad_result\"%s\"message\"%s\"the result "
		    "has neither a response with a status_code nor an "
		    "error\"}", s.comma, s.colon);
		return;
	}
	if (r.code.type != JT_NONE)
		buf_add(out, r.code.p, r.code.n);
	else if (r.http >= 0)
		buf_printf(out, "\"http_%lld\"", r.http);
	else
		buf_adds(out, "null");
	buf_printf(out, "%s\"message\"%s", s.comma, s.colon);
	if (r.message.type != JT_NONE)
		buf_add(out, r.message.p, r.message.n);
	else if (r.http >= 0 && r.code.type == JT_NONE)
		buf_printf(out, "\"HTTP status %lld\"", r.http);
	else
		buf_adds(out, "null");
	buf_addc(out, '}');
}

/* -j, an answer that is not JSON: the member errkey, code invalid_json,
 * a message saying why, and the answer's text, so that nothing paid for
 * is lost.  msg: a buffer for the message. */
static void
add_not_json(struct buf *out, const struct buf *errkey, struct seps s,
    const struct buf *text, const struct jerr *e, struct buf *msg)
{
	buf_add(out, errkey->p, errkey->len);
	buf_printf(out, "%s{\"code\"%s\"invalid_json\"%s\"message\"%s",
	    s.colon, s.colon, s.comma, s.colon);
	buf_reset(msg);
	buf_printf(msg, "the answer is not JSON: %s at byte %zu", e->msg,
	    e->off + 1);
	buf_add_json_string(out, msg->p, msg->len);
	buf_printf(out, "%s\"answer\"%s", s.comma, s.colon);
	buf_add_json_string(out, text->p, text->len);
	buf_addc(out, '}');
}

/* Pass two: every item again, in order, with its answer or error; with
 * as_json, an answer that is text is taken as JSON (-j). */
static void
write_items(const uint32_t *refs, const uint8_t *styles, size_t nitems,
    const char *field, int as_json, struct tally *t)
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
	if (lseek(items.fd, items.base, SEEK_SET) < 0)
		err(1, "%s", items.name);
	jsonl_fdopen(&r, items.fd, items.name, 0);
	while (i < nitems && jsonl_next(&r, &line, &len) == 1) {
		sp = seps_of(styles[i]);
		en = &entries[refs[i++]];
		item = object_of(line, len);
		if (item.n < 2 || item.p[0] != '{' || item.p[item.n - 1] != '}')
			errx(1, "%s: file changed while being read",
			    items.name);
		close = item.n - 1;	/* the closing brace */
		buf_reset(&out);
		buf_add(&out, item.p, close);
		/* An empty object gets no comma. */
		if (item.p[1 + strspn(item.p + 1, " \t")] != '}')
			buf_adds(&out, sp.comma);
		mark = out.len;
		if (en->rline == 0) {
			id = idmap_id(&index_, (size_t)(en - entries), &idlen);
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
			read_result(en, &res);
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
		errx(1, "%s: file changed while being read", items.name);
	jsonl_close(&r);
	buf_free(&out);
	buf_free(&res);
	buf_free(&scratch);
	buf_free(&show);
	buf_free(&key);
	buf_free(&errkey);
}

/* summary: the totals on stderr; the cost at the Batch API's price, or
 * with live at the list price that live calls (oai-run) pay. */
static void
summary(size_t nitems, int as_json, int live, const struct tally *t)
{
	double cost = t->cost * (live ? 1 : BATCH_PRICE_FACTOR);
	char price[64];

	if (as_json)
		warnx("%zu items: %zu answered, %zu failed, %zu missing, %zu "
		    "answers not JSON", nitems, t->answered, t->failed,
		    t->missing, t->not_json);
	else
		warnx("%zu items: %zu answered, %zu failed, %zu missing",
		    nitems, t->answered, t->failed, t->missing);
	if (t->cachedtok > 0)
		warnx("tokens: %llu prompt (%llu of them cached, priced as "
		    "cached input), %llu completion", t->intok, t->cachedtok,
		    t->outtok);
	else
		warnx("tokens: %llu prompt, %llu completion", t->intok,
		    t->outtok);
	if (prices_path() == NULL) {
		warnx("cost: unknown (no price table: see -P)");
		return;
	}
	if (live)
		snprintf(price, sizeof(price), "at the list price (live calls)");
	else
		snprintf(price, sizeof(price), "at the batch discount (%.0f%%)",
		    (1 - BATCH_PRICE_FACTOR) * 100);
	if (t->unknown_in == 0 && t->unknown_out == 0)
		warnx("cost: $%.6f %s", cost, price);
	else
		warnx("cost: $%.6f %s, and unknown "
		    "for %llu prompt and %llu completion tokens of models "
		    "not in %s: %s", cost, price, t->unknown_in, t->unknown_out,
		    prices_path(), t->unknown_models.len ?
		    t->unknown_models.p : "(none)");
}

int
main(int argc, char *argv[])
{
	const char *keyfield = NULL, *field = "llm", *prices_opt = NULL;
	struct buf show = BUF_INIT;
	struct tally t;
	uint32_t *refs;
	uint8_t *styles;
	struct capwarn shown_unknown = { 0 };
	size_t nitems, e, unknown = 0, unmatched = 0, idlen;
	const char *id;
	int ch, check = 0, as_json = 0, live = 0;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'c':
			check = 1;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'f':
			field = optarg;
			break;
		case 'h':
			usage(stdout);
			break;
		case 'k':
			keyfield = optarg;
			break;
		case 'L':
			live = 1;
			break;
		case 'P':
			prices_opt = optarg;
			break;
		case 'V':
			usage_version();
		default:
			usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage(stderr);
	if (*field == '\0' || (keyfield != NULL && *keyfield == '\0')) {
		warnx("empty field name");
		usage(stderr);
	}
	if (strcmp(argv[0], "-") == 0 && strcmp(argv[1], "-") == 0) {
		warnx("the items and the results cannot both be stdin");
		usage(stderr);
	}

	if (!check && prices_load(prices_opt) < 0)
		return 1;
	spool_open(&results, argv[1]);
	spool_open(&items, argv[0]);
	idmap_init(&index_);
	index_results();
	refs = join_items(keyfield, field, &nitems, &styles);

	for (e = 0; e < index_.count; e++) {
		if (entries[e].rline == 0) {
			unmatched++;
			continue;
		}
		if (entries[e].iline != 0)
			continue;
		unknown++;
		if (check || !capwarn_show(&shown_unknown))
			continue;
		id = idmap_id(&index_, e, &idlen);
		warnx("%s:%lu: custom_id %s matches no item", results.name,
		    (unsigned long)entries[e].rline,
		    customid_show(&show, id, idlen));
	}
	buf_free(&show);
	if (check) {
		/* -c: the keys alone, before anything is paid for. */
		free(refs);
		free(styles);
		if (unmatched == 0 && unknown == 0)
			return 0;
		if (keyfield != NULL && strcmp(suggested.p == NULL ? "" :
		    suggested.p, keyfield) == 0)
			buf_reset(&suggested);
		warnx("%s: %zu of %zu items match no custom_id of %s, and "
		    "%zu custom_ids match no item%s%s%s", items.name,
		    unmatched, nitems, results.name, unknown,
		    suggested.len > 0 ? "; did you mean -k " : "",
		    suggested.len > 0 ? suggested.p : "",
		    suggested.len > 0 ? "?" : "");
		return 3;
	}
	if (capwarn_hidden(&shown_unknown) > 0)
		warnx("%s: %zu more custom_ids match no item", results.name,
		    capwarn_hidden(&shown_unknown));

	memset(&t, 0, sizeof(t));
	write_items(refs, styles, nitems, field, as_json, &t);
	free(refs);
	free(styles);
	if (stdout_close(1) < 0)
		return 1;
	summary(nitems, as_json, live, &t);
	buf_free(&t.unknown_models);
	return t.failed > 0 || t.missing > 0 || t.not_json > 0 ||
	    unknown > 0 ? 3 : 0;
}
