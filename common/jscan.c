#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

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

static inline __attribute__((always_inline)) void
skip_ws(struct scan *s)
{
	/* Most often there is none: one test of the next byte. */
	if (s->p < s->end && (unsigned char)*s->p > ' ')
		return;
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

/* Length of the valid UTF-8 sequence at p (>= 0x80), or 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

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

#ifdef __SSE2__
/* Bit i set when p[i] is '"', '\\', a control character or >= 0x80 (a
 * signed compare with 0x20 catches both), for the 16 bytes at p. */
static inline unsigned
special16(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)p);

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
	    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));
}
#endif

/* Inlined: keys and values call it some twenty times a request line. */
static inline __attribute__((always_inline)) int
string(struct scan *s)
{
	const unsigned char *p = (const unsigned char *)s->p + 1;
	const unsigned char *end = (const unsigned char *)s->end;
	uint64_t x;
	size_t n;
#ifdef __SSE2__
	unsigned m;
#endif

	for (;;) {
		/* The common case: plain printable ASCII, 16 bytes a step
		 * with SSE2 (a signed compare with 0x20 also catches the
		 * bytes >= 0x80), else 8 with the word trick.  The byte
		 * SSE2 stops at is the special one: handled at once, not
		 * looked at again by the slower loops. */
#ifdef __SSE2__
		while (end - p >= 16) {
			if ((m = special16(p)) != 0) {
				p += __builtin_ctz(m);
				goto special;
			}
			p += 16;
		}
		/* The last bytes: the 16 that end the text, when it is that
		 * long, without the ones before p. */
		if (p < end && end - (const unsigned char *)s->start >= 16) {
			m = special16(end - 16) >> (16 - (end - p));
			if (m != 0) {
				p += __builtin_ctz(m);
				goto special;
			}
			p = end;
		}
#endif
		while (end - p >= 8) {
			memcpy(&x, p, 8);
			if (special8(x))
				break;
			p += 8;
		}
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\')
			p++;
		if (p >= end) {
			s->p = (const char *)p;
			return fault(s, "unterminated string");
		}
#ifdef __SSE2__
special:
#endif
		if (*p == '"') {
			s->p = (const char *)p + 1;
			return 0;
		}
		/* A two-byte UTF-8 sequence (Latin letters with accents):
		 * what utf8_len accepts for a first byte 0xc2 to 0xdf. */
		if (*p >= 0xc2 && *p <= 0xdf && end - p >= 2 &&
		    (p[1] & 0xc0) == 0x80) {
			p += 2;
			continue;
		}
		s->p = (const char *)p;
		if (*p == '\\') {
			if (p + 1 >= end) {
				s->p = (const char *)end;
				return fault(s, "unterminated string");
			}
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b':
			case 'f': case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				if (end - p < 6 || hexval(p[2]) < 0 ||
				    hexval(p[3]) < 0 || hexval(p[4]) < 0 ||
				    hexval(p[5]) < 0)
					return fault(s, "bad \\u escape in string");
				p += 6;
				continue;
			default:
				s->p++;
				return fault(s, "bad escape in string");
			}
		}
		if (*p < 0x20)
			return fault(s, *p ? "control character in string" :
			    "NUL byte");
		if ((n = utf8_len(p, end)) == 0)
			return fault(s, "invalid UTF-8 in string");
		p += n;
	}
}

static int
digits(struct scan *s)
{
	const char *p0 = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > p0 ? 0 : fault(s, "bad number");
}

static int
number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (digits(s) < 0)
		return -1;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (digits(s) < 0)
			return -1;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (digits(s) < 0)
			return -1;
	}
	return 0;
}

static int
literal(struct scan *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fault(s, "unexpected character");
	s->p += n;
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
		/* A string, the most common value, without the call to
		 * value(). */
		if (s->p < s->end && *s->p == '"') {
			v.p = s->p;
			v.type = JT_STRING;
			if (string(s) < 0)
				return -1;
			v.n = (size_t)(s->p - v.p);
		} else if (value(s, &v) < 0)
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

int
jscan_doc(const char *text, size_t n, struct jval *top, struct jerr *e)
{
	size_t count = 0;

	return jscan_doc_members(text, n, top, NULL, 0, &count, e);
}

int
jscan_doc_members(const char *text, size_t n, struct jval *top,
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
jscan_doc_member(const char *text, size_t n, struct jval *top,
    const char *key, struct jval *member, struct jerr *e)
{
	struct jmember m[32];
	size_t count, i;

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
	for (i = 0; i < count; i++)
		if (m[i].depth == 1 && jscan_streq(m[i].key, key))
			*member = m[i].val;
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

static enum jtype
type_at(const char *p)
{
	switch (*p) {
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
	val->type = type_at(p);
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

int
jscan_path(struct jval v, const char *dotted, struct jval *out)
{
	char part[256];
	const char *dot;
	size_t n;

	for (;;) {
		dot = strchr(dotted, '.');
		if (dot == NULL)
			return jscan_member(v, dotted, out);
		n = (size_t)(dot - dotted);
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
		dotted = dot + 1;
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
