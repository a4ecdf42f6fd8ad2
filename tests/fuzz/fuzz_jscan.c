/*
 * fuzz_jscan: the strict JSON scanner on one line of arbitrary bytes.
 * On input jscan_doc accepts, every accessor runs over the whole tree and
 * the results are checked against each other:
 *   - every value's span lies inside the input and rescans on its own;
 *   - jscan_unescape of every string, re-escaped with buf_add_json_string,
 *     scans again and decodes to the same bytes (round trip);
 *   - jscan_member finds each key, and its answer is the last one;
 *   - jscan_index(i) is the i-th element jscan_next gave;
 *   - jscan_int agrees with jscan_double where both succeed.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jval top, v;
	struct jerr err;

	base = (const char *)data;
	basen = size;
	if (jscan_doc(base, size, &top, &err) != 0) {
		check(err.msg != NULL && err.off <= size);
		return 0;
	}
	walk(top, 0);
	/* The members the tools look for. */
	jscan_path(top, "response.body.choices", &v);
	jscan_index(v, 0, &v);
	jscan_path(top, "response.status_code", &v);
	jscan_path(top, "a.b.c.d.e", &v);
	return 0;
}
