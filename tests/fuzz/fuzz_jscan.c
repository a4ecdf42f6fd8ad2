/*
 * fuzz_jscan: the strict JSON scanner on one line of arbitrary bytes.
 * On input jscan_doc accepts, every accessor runs over the whole tree and
 * the results are checked against each other:
 *   - every value's span lies inside the input and rescans on its own;
 *   - jscan_unescape of every string, re-escaped with buf_add_json_string,
 *     scans again and decodes to the same bytes (round trip);
 *   - jscan_member finds each key, and its answer is the last one;
 *   - jscan_index(i) is the i-th element jscan_next gave;
 *   - jscan_int agrees with jscan_double where both succeed;
 *   - jscan_doc_members and jscan_doc_member accept and refuse exactly
 *     what jscan_doc does (same fault offset), and give the members of
 *     depth 1 and 2 that a walk finds, and the member jscan_member finds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *base;
static size_t basen;

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
walk(struct jval v, int depth)
{
	struct jiter it;
	struct jval k, e, again, got;
	struct jerr err;
	struct buf b = BUF_INIT, esc = BUF_INIT, b2 = BUF_INIT;
	size_t i = 0;
	long long ll;
	double d;

	check(v.p >= base && v.n <= basen && v.p + v.n <= base + basen);
	/* Every value is a JSON document on its own. */
	check(jscan_doc(v.p, v.n, &again, &err) == 0);
	check(again.type == v.type && again.n == v.n);
	check(strcmp(jscan_typename(v.type), "?") != 0);

	switch (v.type) {
	case JT_STRING:
		check(jscan_unescape(v, &b) == 0);
		buf_add_json_string(&esc, b.p ? b.p : "", b.len);
		check(jscan_doc(esc.p, esc.len, &again, &err) == 0);
		check(again.type == JT_STRING);
		check(jscan_unescape(again, &b2) == 0);
		check(b2.len == b.len && memcmp(b2.p, b.p, b.len) == 0);
		if (b.len < 200 && memchr(b.p, '\0', b.len) == NULL)
			check(jscan_streq(v, b.p));
		break;
	case JT_NUMBER:
		check(jscan_double(v, &d) == 0 || v.n >= 400);
		if (jscan_int(v, &ll) == 0 && ll > -(1LL << 52) &&
		    ll < (1LL << 52))
			check((double)ll == d);
		break;
	case JT_OBJECT:
	case JT_ARRAY:
		if (depth > 64)
			break;
		jscan_iter(v, &it);
		while (jscan_next(&it, &k, &e)) {
			walk(e, depth + 1);
			if (v.type == JT_OBJECT) {
				check(k.type == JT_STRING);
				walk(k, depth + 1);
				buf_reset(&b);
				jscan_unescape(k, &b);
				/* A key with NUL cannot be named by a C string. */
				if (b.len < 256 &&
				    memchr(b.p, '\0', b.len) == NULL) {
					check(jscan_member(v, b.p, &got) == 1);
					/* The last duplicate wins: got is at or
					 * after this one. */
					check(got.p >= e.p);
					if (strchr(b.p, '.') == NULL) {
						check(jscan_path(v, b.p,
						    &again) == 1);
						check(again.p == got.p);
					}
				}
			} else {
				check(k.type == JT_NONE);
				check(jscan_index(v, i, &got) == 1);
				check(got.p == e.p && got.n == e.n);
			}
			i++;
		}
		if (v.type == JT_ARRAY)
			check(jscan_index(v, i, &got) == 0);
		check(jscan_member(v, "\x01no such key", &got) == 0 ||
		    v.type != JT_OBJECT);
		break;
	default:
		check(jscan_int(v, &ll) == -1);
		check(jscan_unescape(v, &b) == -1);
	}
	buf_free(&b);
	buf_free(&b2);
	buf_free(&esc);
}

#define MAXM 16

/* The members of depth 1 and 2 of top, by walking. */
static size_t
expected_members(struct jval top, struct jmember *e, size_t max)
{
	struct jiter it, it2;
	struct jval k, v, k2, v2;
	size_t n = 0;

	if (top.type != JT_OBJECT)
		return 0;
	jscan_iter(top, &it);
	while (jscan_next(&it, &k, &v)) {
		if (n < max) {
			e[n].key = k;
			e[n].val = v;
			e[n].depth = 1;
		}
		n++;
		if (v.type != JT_OBJECT)
			continue;
		jscan_iter(v, &it2);
		while (jscan_next(&it2, &k2, &v2)) {
			if (n < max) {
				e[n].key = k2;
				e[n].val = v2;
				e[n].depth = 2;
			}
			n++;
		}
	}
	return n;
}

static void
one_pass_scans(const char *s, size_t size, int ok, struct jval top,
    struct jerr *err)
{
	struct jmember m[MAXM], want[4 * MAXM];
	struct jval top2, mem, mem2, k, v;
	struct jiter it;
	struct jerr e2;
	struct buf key = BUF_INIT;
	size_t count, nwant, i, j;
	const char *name = "custom_id";

	check((jscan_doc_members(s, size, &top2, m, MAXM, &count, &e2) == 0) ==
	    ok);
	if (!ok)
		check(e2.off == err->off);
	else {
		check(top2.type == top.type && top2.p == top.p &&
		    top2.n == top.n);
		/* The members are defined for an object at the top only
		 * (the tools refuse any other line first). */
		nwant = expected_members(top, want, 4 * MAXM);
		if (top.type != JT_OBJECT)
			count = 0;
		check(count == nwant);
		for (i = 0; i < count && i < MAXM; i++) {
			for (j = 0; j < nwant && j < 4 * MAXM; j++)
				if (want[j].key.p == m[i].key.p &&
				    want[j].val.p == m[i].val.p &&
				    want[j].val.n == m[i].val.n &&
				    want[j].key.n == m[i].key.n &&
				    want[j].depth == m[i].depth)
					break;
			check(j < nwant || nwant > 4 * MAXM);
			for (j = 0; j < i; j++)
				check(m[j].key.p != m[i].key.p);
		}
	}
	/* jscan_doc_member with a name the line has, if any. */
	if (ok && top.type == JT_OBJECT) {
		jscan_iter(top, &it);
		if (jscan_next(&it, &k, &v)) {
			jscan_unescape(k, &key);
			if (key.len < 200 && memchr(key.p, '\0', key.len) ==
			    NULL)
				name = key.p;
		}
	}
	check((jscan_doc_member(s, size, &top2, name, &mem, &e2) == 0) == ok);
	if (ok) {
		jscan_member(top, name, &mem2);
		check(mem.type == mem2.type && mem.p == mem2.p &&
		    mem.n == mem2.n);
	} else
		check(e2.off == err->off);
	buf_free(&key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jval top, v;
	struct jerr err;

	base = (const char *)data;
	basen = size;
	if (jscan_doc(base, size, &top, &err) != 0) {
		check(err.msg != NULL && err.off <= size);
		one_pass_scans(base, size, 0, top, &err);
		return 0;
	}
	one_pass_scans(base, size, 1, top, &err);
	walk(top, 0);
	/* The members the tools look for. */
	jscan_path(top, "response.body.choices", &v);
	jscan_index(v, 0, &v);
	jscan_path(top, "response.status_code", &v);
	jscan_path(top, "a.b.c.d.e", &v);
	return 0;
}
