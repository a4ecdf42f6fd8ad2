/*
 * result: one walk over a result line picks out everything this tool
 * needs: the line's error, response.status_code, response.body and the
 * body's members below.  jscan_member would walk the whole object again
 * for each of them, about ten walks a line, and jscan_iter skips a value
 * whole before one can descend into it; this walk descends as it goes,
 * so each byte is passed once.  The text was validated by jscan_doc when
 * the results were indexed, so the walk need not check anything; it ends
 * at the NUL that read_result puts after the line.  Its skips lean on
 * that NUL (rawmemchr, strcspn), which jscan's, bounded by a length,
 * cannot; they take fewer instructions a line.
 */
#include <string.h>

#include "merge.h"

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
		{ L_CHOICE, "\"text\"", C_TEXT, L_OTHER },
		{ L_BODY, "\"output\"", B_OUTPUT, L_OTHER },
		{ L_BODY, "\"data\"", B_DATA, L_OTHER },
		{ L_BODY, "\"usage\"", B_USAGE, L_OTHER },
		{ L_BODY, "\"model\"", B_MODEL, L_OTHER },
		{ L_BODY, "\"results\"", B_RESULTS, L_OTHER },
		{ L_BODY, "\"created\"", B_CREATED, L_OTHER },
		{ L_BODY, "\"type\"", B_TYPE, L_OTHER },
		{ L_BODY, "\"content\"", B_CONTENT, L_OTHER },
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
			r->m[slot].type = jscan_type(*v);
			r->m[slot].p = v;
			r->m[slot].n = (size_t)(p - v);
		}
		p = skip_blank(p);
		if (*p != ',')
			return p + 1;
		p = skip_blank(p + 1);
	}
}

void
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

void
outcome(const struct parsed *p, struct result *r)
{
	result_from(p->m[R_ERROR], p->m[R_STATUS], p->m[R_BODY], r);
}

int
succeeded(const char *line)
{
	struct parsed p;
	struct result r;

	parse_result(line, &p);
	outcome(&p, &r);
	return r.ok;
}

