#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "utf8.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct scan {
	const char	*start;
	const char	*p;
	const char	*end;
	struct jerr	*e;
	int		 depth;
	struct jmember	*m;		/* jscan_doc_members: where to put */
	size_t		 max, count;	/* the members of depth 1 and 2 */
};

static int value(struct scan *, struct jval *);

static int
fault(struct scan *s, const char *msg)
{
	if (s->p >= s->end)
		msg = "unexpected end of line (truncated JSON?)";
	else if (*s->p == '\0')
		msg = "NUL byte";
	s->e->msg = msg;
	s->e->off = (size_t)(s->p - s->start);
	return -1;
}

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end &&
	    (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#ifndef __SSE2__
/* Nonzero when one of the 8 bytes in x is '"', '\\', a control character
 * or >= 0x80: the bytes the string scanner must look at one by one
 * ("Bit Twiddling Hacks": haszero and hasless over a 64-bit word). */
static int
special8(uint64_t x)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return ((((q - ones) & ~q) | ((b - ones) & ~b) |
	    ((x - ones * 0x20) & ~x) | x) & (ones * 0x80)) != 0;
}
#endif

/*
 * The end of the string whose opening quote is at *pp.  Returns 0 with *pp
 * just past the closing quote, or -1 with *pp at the fault and *why saying
 * what it is.  Plain printable ASCII goes 16 bytes a step with SSE2 (a
 * signed compare with 0x20 also catches the bytes >= 0x80), else 8 with
 * the word trick; the byte that stops the loop is handled at once, since
 * the strings met here are short and often hold a few escapes or accented
 * letters, so the way back into the loop must be cheap.
 */
static inline __attribute__((always_inline)) int
string_at(const unsigned char **pp, const unsigned char *end,
    const char **why)
{
	const unsigned char *p = *pp + 1;
	size_t n;
#ifndef __SSE2__
	uint64_t x;
#endif

	for (;;) {
#ifdef __SSE2__
		while (end - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)p);
			int m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
			    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));

			if (m != 0) {
				p += __builtin_ctz((unsigned)m);
				goto special;
			}
			p += 16;
		}
#else
		while (end - p >= 8) {
			memcpy(&x, p, 8);
			if (special8(x))
				break;
			p += 8;
		}
#endif
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p >= end) {
			*pp = p;
			*why = "unterminated string";
			return -1;
		}
special:
		if (*p == '"') {
			*pp = p + 1;
			return 0;
		}
		if (*p >= 0x80) {
			/* Two-byte sequences (Latin letters) inline. */
			if (*p >= 0xc2 && *p <= 0xdf && end - p >= 2 &&
			    (p[1] & 0xc0) == 0x80) {
				p += 2;
				continue;
			}
			if ((n = utf8_len(p, end)) == 0) {
				*pp = p;
				*why = "invalid UTF-8 in string";
				return -1;
			}
			p += n;
			continue;
		}
		if (*p == '\\') {
			if (p + 1 >= end) {
				*pp = end;
				*why = "unterminated string";
				return -1;
			}
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				if (end - p < 6 || hexval(p[2]) < 0 ||
				    hexval(p[3]) < 0 || hexval(p[4]) < 0 ||
				    hexval(p[5]) < 0) {
					*pp = p;
					*why = "bad \\u escape in string";
					return -1;
				}
				p += 6;
				continue;
			default:
				*pp = p + 1;
				*why = "bad escape in string";
				return -1;
			}
		}
		*pp = p;
		*why = *p ? "control character in string" : "NUL byte";
		return -1;
	}
}

static int
string(struct scan *s)
{
	const unsigned char *p = (const unsigned char *)s->p;
	const char *why;
	int r;

	r = string_at(&p, (const unsigned char *)s->end, &why);
	s->p = (const char *)p;
	return r < 0 ? fault(s, why) : 0;
}

/* The end of the number at *pp: returns 0 with *pp past it, or -1 with *pp
 * where a digit was wanted. */
static inline __attribute__((always_inline)) int
number_at(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp, *q;

	if (*p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else {
		for (q = p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p == q)
			goto bad;
	}
	if (p < end && *p == '.') {
		for (q = ++p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p == q)
			goto bad;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		for (q = p; p < end && *p >= '0' && *p <= '9'; p++)
			;
		if (p == q)
			goto bad;
	}
	*pp = p;
	return 0;
bad:
	*pp = p;
	return -1;
}

static int
number(struct scan *s)
{
	const unsigned char *p = (const unsigned char *)s->p;
	int r;

	r = number_at(&p, (const unsigned char *)s->end);
	s->p = (const char *)p;
	return r < 0 ? fault(s, "bad number") : 0;
}

/* The literal word[0..n) at *pp: returns 0 with *pp past it, or -1. */
static inline __attribute__((always_inline)) int
literal_at(const unsigned char **pp, const unsigned char *end,
    const char *word, size_t n)
{
	if ((size_t)(end - *pp) < n || memcmp(*pp, word, n) != 0)
		return -1;
	*pp += n;
	return 0;
}

static int
literal(struct scan *s, const char *word, size_t n)
{
	const unsigned char *p = (const unsigned char *)s->p;

	if (literal_at(&p, (const unsigned char *)s->end, word, n) < 0)
		return fault(s, "unexpected character");
	s->p = (const char *)p;
	return 0;
}

static int
container(struct scan *s, int object)
{
	char close = object ? '}' : ']';
	struct jval k, v;

	if (++s->depth > JSCAN_MAXDEPTH)
		return fault(s, "nested too deeply");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		if (object) {
			if (s->p >= s->end || *s->p != '"')
				return fault(s, "expected a string key");
			k.p = s->p;
			if (string(s) < 0)
				return -1;
			k.n = (size_t)(s->p - k.p);
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return fault(s, "expected ':' after key");
			s->p++;
			skip_ws(s);
		}
		if (value(s, &v) < 0)
			return -1;
		if (object && s->depth <= 2 && s->m != NULL) {
			if (s->count < s->max) {
				k.type = JT_STRING;
				s->m[s->count].key = k;
				s->m[s->count].val = v;
				s->m[s->count].depth = s->depth;
			}
			s->count++;
		}
		skip_ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_ws(s);
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			s->p++;
			s->depth--;
			return 0;
		}
		return fault(s, object ? "expected ',' or '}'" :
		    "expected ',' or ']'");
	}
}

static int
value(struct scan *s, struct jval *v)
{
	int r;

	v->p = s->p;
	if (s->p >= s->end)
		return fault(s, "expected a value");
	switch (*s->p) {
	case '{': v->type = JT_OBJECT; r = container(s, 1); break;
	case '[': v->type = JT_ARRAY; r = container(s, 0); break;
	case '"': v->type = JT_STRING; r = string(s); break;
	case 't': v->type = JT_TRUE; r = literal(s, "true", 4); break;
	case 'f': v->type = JT_FALSE; r = literal(s, "false", 5); break;
	case 'n': v->type = JT_NULL; r = literal(s, "null", 4); break;
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
			v->type = JT_NUMBER;
			r = number(s);
		} else
			r = fault(s, "unexpected character");
	}
	v->n = (size_t)(s->p - v->p);
	return r;
}

/* Whitespace: one compare for the usual case, a byte that is not. */
#define SKIP_WS(p, end) do { \
	if ((p) < (end) && *(p) <= ' ') \
		while ((p) < (end) && (*(p) == ' ' || *(p) == '\t' || \
		    *(p) == '\n' || *(p) == '\r')) \
			(p)++; \
} while (0)

/*
 * fast_doc: jscan_doc_members' answer for a line it accepts, or -1 for one
 * it refuses, without saying why (the recursive scanner above then runs
 * again to find the message and the offset).  The same grammar as value()
 * and container(), written as one loop over an explicit stack so that the
 * position stays in a register and no call is made per value: about half
 * the instructions on result lines.  fuzz_jscan_fast checks that the two
 * accept the same lines and give the same members.
 */
static int
fast_doc(const char *text, size_t n, struct jval *top, struct jmember *m,
    size_t max, size_t *count)
{
	struct frame {
		const unsigned char	*start;	/* the '{' or '[' */
		const unsigned char	*key;	/* objects: the current key */
		size_t			 keyn;
		int			 object;
	} st[JSCAN_MAXDEPTH + 1];
	const unsigned char *p = (const unsigned char *)text;
	const unsigned char *end = p + n, *v, *k;
	const char *why;
	enum jtype type;
	size_t got = 0;
	int depth = 0, object = 0;	/* object: st[depth] is one */

value:
	SKIP_WS(p, end);
	if (p >= end)
		return -1;
	v = p;
	switch (*p) {
	case '{':
	case '[':
		if (++depth > JSCAN_MAXDEPTH)
			return -1;
		st[depth].start = p;
		st[depth].object = object = *p == '{';
		p++;
		SKIP_WS(p, end);
		if (p < end && *p == (object ? '}' : ']')) {
			p++;
			goto close;
		}
		if (object)
			goto key;
		goto value;
	case '"':
		if (string_at(&p, end, &why) < 0)
			return -1;
		type = JT_STRING;
		break;
	case 't':
		if (literal_at(&p, end, "true", 4) < 0)
			return -1;
		type = JT_TRUE;
		break;
	case 'f':
		if (literal_at(&p, end, "false", 5) < 0)
			return -1;
		type = JT_FALSE;
		break;
	case 'n':
		if (literal_at(&p, end, "null", 4) < 0)
			return -1;
		type = JT_NULL;
		break;
	default:
		if (*p != '-' && (*p < '0' || *p > '9'))
			return -1;
		if (number_at(&p, end) < 0)
			return -1;
		type = JT_NUMBER;
	}
	/* A value [v, p) of type `type` ended; it belongs to st[depth]. */
done:
	if (depth == 0)
		goto finish;
	if (object && depth <= 2 && m != NULL) {
		if (got < max) {
			m[got].key.type = JT_STRING;
			m[got].key.p = (const char *)st[depth].key;
			m[got].key.n = st[depth].keyn;
			m[got].val.type = type;
			m[got].val.p = (const char *)v;
			m[got].val.n = (size_t)(p - v);
			m[got].depth = depth;
		}
		got++;
	}
	SKIP_WS(p, end);
	if (p < end && *p == ',') {
		p++;
		if (!object)
			goto value;
		SKIP_WS(p, end);
		goto key;
	}
	if (p < end && *p == (object ? '}' : ']')) {
		p++;
		goto close;
	}
	return -1;
key:
	if (p >= end || *p != '"')
		return -1;
	k = p;
	if (string_at(&p, end, &why) < 0)
		return -1;
	st[depth].key = k;
	st[depth].keyn = (size_t)(p - k);
	SKIP_WS(p, end);
	if (p >= end || *p != ':')
		return -1;
	p++;
	goto value;
close:
	/* The container st[depth] ended at p. */
	v = st[depth].start;
	type = object ? JT_OBJECT : JT_ARRAY;
	depth--;
	object = depth > 0 && st[depth].object;
	goto done;
finish:
	k = p;
	SKIP_WS(p, end);
	if (p < end)
		return -1;
	top->type = type;
	top->p = (const char *)v;
	top->n = (size_t)(k - v);
	*count = got;
	return 0;
}

int
jscan_doc(const char *text, size_t n, struct jval *top, struct jerr *e)
{
	size_t count = 0;

	return jscan_doc_members(text, n, top, NULL, 0, &count, e);
}

/* The recursive scanner over a whole line, with the message and offset
 * of the first fault. */
static int
slow_doc(const char *text, size_t n, struct jval *top,
    struct jmember *m, size_t max, size_t *count, struct jerr *e)
{
	/* *e is only written (on error): cppcheck takes the callers'
	 * uninitialised struct jerr for a read. */
	/* cppcheck-suppress ctuuninitvar */
	struct scan s = { text, text, text + n, e, 0, m, max, 0 };

	top->type = JT_NONE;
	top->p = text;
	top->n = 0;
	skip_ws(&s);
	if (s.p >= s.end) {
		e->msg = "no JSON value";
		e->off = 0;
		return -1;
	}
	if (value(&s, top) < 0)
		return -1;
	skip_ws(&s);
	if (s.p < s.end)
		return fault(&s, *s.p == '\0' ? "NUL byte" :
		    "more than one JSON value on the line");
	*count = s.count;
	return 0;
}

int
jscan_doc_members(const char *text, size_t n, struct jval *top,
    struct jmember *m, size_t max, size_t *count, struct jerr *e)
{
	if (fast_doc(text, n, top, m, max, count) == 0)
		return 0;
	return slow_doc(text, n, top, m, max, count, e);
}

int
jscan_doc_member(const char *text, size_t n, struct jval *top,
    const char *key, struct jval *member, struct jerr *e)
{
	struct jmember m[32];
	struct jval k;
	size_t count, i, klen;

	member->type = JT_NONE;
	member->p = NULL;
	member->n = 0;
	if (jscan_doc_members(text, n, top, m, 32, &count, e) < 0)
		return -1;
	if (top->type != JT_OBJECT)
		return 0;
	if (count > 32) {
		jscan_member(*top, key, member);
		return 0;
	}
	klen = strlen(key);
	for (i = 0; i < count; i++) {
		k = m[i].key;
		if (m[i].depth != 1)
			continue;
		/* Most keys hold no escape: a length check settles them. */
		if (k.n == klen + 2 ? memcmp(k.p + 1, key, klen) == 0 :
		    k.n > klen + 2 && memchr(k.p, '\\', k.n) != NULL &&
		    jscan_streq(k, key))
			*member = m[i].val;
	}
	return 0;
}

/* The end of the validated value starting at p. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	do {
		switch (*p) {
		case '"':
			/* The closing quote is the first one after an even
			 * run of backslashes; memchr finds candidates fast. */
			for (p++;;) {
				const char *q = memchr(p, '"',
				    (size_t)(end - p)), *b = q;

				while (b > p && b[-1] == '\\')
					b--;
				p = q + 1;
				if ((q - b) % 2 == 0)
					break;
			}
			break;
		case '{': case '[':
			depth++;
			p++;
			break;
		case '}': case ']':
			depth--;
			p++;
			break;
		default:
			if (depth > 0) {
				p++;
				break;
			}
			while (p < end && *p != ',' && *p != '}' &&
			    *p != ']' && *p != ' ' && *p != '\t' &&
			    *p != '\n' && *p != '\r')
				p++;
		}
	} while (depth > 0 && p < end);
	return p;
}

static const char *
ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

enum jtype
jscan_type(char c)
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

void
jscan_iter(struct jval c, struct jiter *it)
{
	it->object = c.type == JT_OBJECT;
	if (c.type != JT_OBJECT && c.type != JT_ARRAY) {
		it->p = it->end = c.p;
		return;
	}
	it->p = ws(c.p + 1, c.p + c.n - 1);
	it->end = c.p + c.n - 1;	/* the closing bracket */
}

int
jscan_next(struct jiter *it, struct jval *key, struct jval *val)
{
	const char *p = it->p;

	key->type = JT_NONE;
	key->p = NULL;
	key->n = 0;
	if (p >= it->end)
		return 0;
	if (it->object) {
		key->type = JT_STRING;
		key->p = p;
		p = skip_value(p, it->end);
		key->n = (size_t)(p - key->p);
		p = ws(p, it->end) + 1;		/* the ':' */
		p = ws(p, it->end);
	}
	val->type = jscan_type(*p);
	val->p = p;
	p = skip_value(p, it->end);
	val->n = (size_t)(p - val->p);
	p = ws(p, it->end);
	if (p < it->end && *p == ',')
		p = ws(p + 1, it->end);
	it->p = p;
	return 1;
}

int
jscan_member(struct jval obj, const char *key, struct jval *out)
{
	struct jiter it;
	struct jval k, v;
	int found = 0;

	out->type = JT_NONE;
	out->p = NULL;
	out->n = 0;
	if (obj.type != JT_OBJECT)
		return 0;
	jscan_iter(obj, &it);
	while (jscan_next(&it, &k, &v))
		if (jscan_streq(k, key)) {
			*out = v;
			found = 1;
		}
	return found;
}

size_t
jscan_path_head(const char *path, const char **rest)
{
	const char *dot = strchr(path, '.');

	*rest = dot != NULL ? dot + 1 : NULL;
	return dot != NULL ? (size_t)(dot - path) : strlen(path);
}

int
jscan_path(struct jval v, const char *dotted, struct jval *out)
{
	char part[256];
	const char *rest;
	size_t n;

	for (;;) {
		n = jscan_path_head(dotted, &rest);
		if (rest == NULL)
			return jscan_member(v, dotted, out);
		if (n >= sizeof(part)) {
			out->type = JT_NONE;
			return 0;
		}
		memcpy(part, dotted, n);
		part[n] = '\0';
		if (!jscan_member(v, part, &v)) {
			*out = v;
			return 0;
		}
		dotted = rest;
	}
}

int
jscan_index(struct jval arr, size_t i, struct jval *out)
{
	struct jiter it;
	struct jval k;

	out->type = JT_NONE;
	if (arr.type != JT_ARRAY)
		return 0;
	jscan_iter(arr, &it);
	while (jscan_next(&it, &k, out))
		if (i-- == 0)
			return 1;
	out->type = JT_NONE;
	return 0;
}

static void
put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];

	if (cp < 0x80) {
		buf_addc(b, (char)cp);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		buf_add(b, u, 4);
	}
}

static unsigned long
hex4(const char *p)
{
	/* The scanner let only hex digits through: no -1 here. */
	return (unsigned long)hexval(p[0]) << 12 |
	    (unsigned long)hexval(p[1]) << 8 |
	    (unsigned long)hexval(p[2]) << 4 | (unsigned long)hexval(p[3]);
}

int
jscan_unescape(struct jval str, struct buf *out)
{
	const char *p, *end, *run;

	if (str.type != JT_STRING)
		return -1;
	p = str.p + 1;
	end = str.p + str.n - 1;
	buf_reserve(out, str.n);
	while (p < end) {
		run = p;
		while (p < end && *p != '\\')
			p++;
		buf_add(out, run, (size_t)(p - run));
		if (p >= end)
			break;
		switch (p[1]) {
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'n': buf_addc(out, '\n'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'u': {
			unsigned long cp = hex4(p + 2), lo;

			p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 &&
			    p[0] == '\\' && p[1] == 'u' &&
			    (lo = hex4(p + 2)) >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd;
			put_utf8(out, cp);
			continue;
		}
		default: buf_addc(out, p[1]); break;	/* " \ / */
		}
		p += 2;
	}
	return 0;
}

int
jscan_streq(struct jval str, const char *lit)
{
	size_t n = strlen(lit);
	struct buf b = BUF_INIT;
	int eq;

	if (str.type != JT_STRING)
		return 0;
	if (memchr(str.p, '\\', str.n) == NULL)
		return str.n == n + 2 && memcmp(str.p + 1, lit, n) == 0;
	jscan_unescape(str, &b);
	eq = b.len == n && memcmp(b.p, lit, n) == 0;
	buf_free(&b);
	return eq;
}

int
jscan_int(struct jval v, long long *out)
{
	char tmp[32], *end;
	long long x;

	if (v.type != JT_NUMBER || v.n >= sizeof(tmp) ||
	    memchr(v.p, '.', v.n) || memchr(v.p, 'e', v.n) ||
	    memchr(v.p, 'E', v.n))
		return -1;
	memcpy(tmp, v.p, v.n);
	tmp[v.n] = '\0';
	errno = 0;
	x = strtoll(tmp, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

int
jscan_double(struct jval v, double *out)
{
	char tmp[400], *end;

	if (v.type != JT_NUMBER || v.n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v.p, v.n);
	tmp[v.n] = '\0';
	*out = strtod(tmp, &end);
	return *end ? -1 : 0;
}

const char *
jscan_typename(enum jtype t)
{
	static const char *const names[] = { "absent", "null", "false",
	    "true", "number", "string", "array", "object" };

	return t <= JT_OBJECT ? names[t] : "?";
}

const char *
jscan_a_typename(enum jtype t)
{
	static const char *const names[] = { "absent", "null", "false",
	    "true", "a number", "a string", "an array", "an object" };

	return t <= JT_OBJECT ? names[t] : "?";
}
