/*
 * fuzz_jscan_jsonc: differential check of the scanner against json-c.
 *
 * json-c runs in its strict mode (JSON_TOKENER_STRICT |
 * JSON_TOKENER_VALIDATE_UTF8, depth JSCAN_MAXDEPTH), the closest it has to
 * RFC 8259; it must consume the whole input.  The rules, for every input
 * that is not excluded below:
 *   1. jscan_doc accepts exactly when json-c accepts.
 *   2. When both accept, the trees are the same: same type at every node
 *      (json-c's int and double are both "number"), same array lengths,
 *      same member set and values (the last of duplicate keys, in both),
 *      same decoded string bytes, and the same value for integers that
 *      fit 53 bits.  In particular custom_id, url, model, method, the
 *      response status_code, body and error fields the tools read are the
 *      same bytes json-c gives.
 * Excluded, because json-c 0.16 differs from RFC 8259 there even in its
 * strict mode, and jscan is right (found by this target, see the corpus
 * files named jsonc-lax-*): input that json-c accepts and jscan rejects
 * with one of these faults, told by jscan's message and the byte at the
 * fault's offset:
 *   - "invalid UTF-8 in string": json-c takes overlong forms, UTF-8
 *     encoded surrogates and code points past U+10FFFF;
 *   - "control character in string": json-c takes raw bytes < 0x20;
 *   - "unexpected character" or "expected a string key" at ', N, n, I, i,
 *     \f or \v: single-quoted strings, NaN, Infinity, and any isspace()
 *     byte as white space;
 *   - any fault right after a byte of a number ("0123456789+-.eE"):
 *     json-c takes ill-formed numbers ("1.", "-.0", "06.5", "2e").
 * And inputs holding a NUL byte are skipped (json-c's tokener stops at
 * one).  When both accept, these are not compared:
 *   - the bytes of strings holding a UTF-16 surrogate escape (\ud800):
 *     jscan decodes a lone one as U+FFFD, json-c 0.16 differently;
 *   - the json-c side of objects with a member name holding \u0000:
 *     json-c keeps names as C strings, cut at the NUL;
 *   - numbers other than integers of at most 53 bits (json-c clamps
 *     bigger ones to INT64 and keeps doubles as doubles).
 * Anything else that differs is a bug in one of the two: the target
 * aborts and the input becomes a regression case.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
has_lone_surrogate_escape(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 5 < n; i++)
		if (p[i] == '\\' && (p[i + 1] == 'u' || p[i + 1] == 'U') &&
		    (p[i + 2] == 'd' || p[i + 2] == 'D') &&
		    strchr("89abcdefABCDEF", p[i + 3]) != NULL && p[i + 3])
			return 1;
	return 0;
}

/* 1 when jscan's fault e is one json-c is known to let through. */
static int
jsonc_laxity(const char *s, size_t n, const struct jerr *e)
{
	char c = e->off < n ? s[e->off] : '\0';
	char before = e->off > 0 && e->off <= n ? s[e->off - 1] : '\0';

	if (strcmp(e->msg, "invalid UTF-8 in string") == 0 ||
	    strcmp(e->msg, "control character in string") == 0)
		return 1;
	if ((strcmp(e->msg, "unexpected character") == 0 ||
	    strcmp(e->msg, "expected a string key") == 0) &&
	    c != '\0' && strchr("'NnIi\f\v", c) != NULL)
		return 1;
	if (before != '\0' && strchr("0123456789+-.eE", before) != NULL)
		return 1;
	return 0;
}

static void
same(struct jval v, struct json_object *o, int depth)
{
	enum json_type t = json_object_get_type(o);
	struct buf b = BUF_INIT;
	struct jiter it;
	struct jval k, e, m;
	size_t i, n;
	long long ll;
	int nulkey;

	switch (v.type) {
	case JT_NULL:
		check(t == json_type_null);
		break;
	case JT_TRUE:
	case JT_FALSE:
		check(t == json_type_boolean);
		check(json_object_get_boolean(o) == (v.type == JT_TRUE));
		break;
	case JT_NUMBER:
		check(t == json_type_int || t == json_type_double);
		if (jscan_int(v, &ll) == 0 && ll > -(1LL << 53) &&
		    ll < (1LL << 53) && t == json_type_int)
			check(json_object_get_int64(o) == ll);
		break;
	case JT_STRING:
		check(t == json_type_string);
		if (has_lone_surrogate_escape(v.p, v.n))
			break;
		jscan_unescape(v, &b);
		check((size_t)json_object_get_string_len(o) == b.len);
		check(b.len == 0 ||
		    memcmp(json_object_get_string(o), b.p, b.len) == 0);
		break;
	case JT_ARRAY:
		check(t == json_type_array);
		n = json_object_array_length(o);
		jscan_iter(v, &it);
		for (i = 0; jscan_next(&it, &k, &e); i++) {
			check(i < n);
			same(e, json_object_array_get_idx(o, i), depth + 1);
		}
		check(i == n);
		break;
	case JT_OBJECT:
		check(t == json_type_object);
		/* Each jscan key is a json-c key, and each json-c member is
		 * jscan's member of that name (unless a key holds a NUL,
		 * which json-c cuts short). */
		jscan_iter(v, &it);
		nulkey = 0;
		while (jscan_next(&it, &k, &e)) {
			buf_reset(&b);
			jscan_unescape(k, &b);
			if (b.len && memchr(b.p, '\0', b.len) != NULL) {
				nulkey = 1;
				continue;
			}
			if (has_lone_surrogate_escape(k.p, k.n))
				continue;
			check(json_object_object_get_ex(o, b.p ? b.p : "",
			    NULL));
		}
		if (nulkey)
			break;
		json_object_object_foreach(o, key, val) {
			check(jscan_member(v, key, &m) == 1);
			same(m, val, depth + 1);
		}
		break;
	default:
		abort();
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct json_tokener *tok;
	struct json_object *o;
	char *copy;
	struct jval top;
	struct jerr err;
	int ours, theirs;

	if (memchr(data, '\0', size) != NULL)
		return 0;
	ours = jscan_doc(s, size, &top, &err) == 0;

	tok = json_tokener_new_ex(JSCAN_MAXDEPTH);
	check(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	/* With its NUL: json-c takes it as the end of the input (else "1"
	 * waits for more digits). */
	copy = malloc(size + 1);
	check(copy != NULL);
	memcpy(copy, s, size);
	copy[size] = '\0';
	o = json_tokener_parse_ex(tok, copy, (int)size + 1);
	theirs = json_tokener_get_error(tok) == json_tokener_success &&
	    json_tokener_get_parse_end(tok) == size;
	json_tokener_free(tok);
	free(copy);

	if (!ours && theirs && jsonc_laxity(s, size, &err))
		goto out;
	check(ours == theirs);
	if (ours)
		same(top, o, 0);
out:
	json_object_put(o);
	return 0;
}
