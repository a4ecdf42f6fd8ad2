/*
 * fuzz_split_request: jsonl-split's reading of a request line: the
 * members it validates (custom_id, method, url, body, body.model) picked
 * in one pass from jscan_doc_members (pick), and same_text, which
 * compares a url or model with the current file's.  Reached by compiling
 * tools/jsonl-split.c into the target with its main() renamed.
 * Differential: pick gives, by both of its paths (the members the scan
 * collected; a walk when a line has more than MAX_MEMBERS), exactly what
 * jscan_member finds; same_text is 1 exactly when the decoded string
 * equals the text.  The checks on those members (types, "POST", an empty
 * or repeated custom_id) are plain comparisons in main(), tested by
 * tests/test-jsonl-split.sh; moving them into a function would let this
 * target cover them too.
 */
#define main jsonl_split_main
#include "../../tools/jsonl-split.c"
#undef main

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int jsonl_split_main(int, char *[]);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
same(struct jval got, struct jval want)
{
	check(got.type == want.type);
	if (want.type != JT_NONE)
		check(got.p == want.p && got.n == want.n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmember members[MAX_MEMBERS];
	struct jval top, id, method, url, body, model, want;
	struct jerr e;
	struct buf cur = BUF_INIT, scratch = BUF_INIT;
	size_t count;
	int pass;

	if (jscan_doc_members((const char *)data, size, &top, members,
	    MAX_MEMBERS, &count, &e) != 0 || top.type != JT_OBJECT)
		return 0;
	for (pass = 0; pass < 2; pass++) {
		pick(top, members, pass == 0 ? count : MAX_MEMBERS + 1, &id,
		    &method, &url, &body, &model);
		jscan_member(top, "custom_id", &want);
		same(id, want);
		jscan_member(top, "method", &want);
		same(method, want);
		jscan_member(top, "url", &want);
		same(url, want);
		jscan_member(top, "body", &want);
		same(body, want);
		want.type = JT_NONE;
		if (body.type == JT_OBJECT)
			jscan_member(body, "model", &want);
		same(model, want);
	}
	if (url.type == JT_STRING) {
		jscan_unescape(url, &cur);
		check(same_text(url, &cur, &scratch) == 1);
		buf_addc(&cur, 'x');
		check(same_text(url, &cur, &scratch) == 0);
	}
	buf_free(&cur);
	buf_free(&scratch);
	return 0;
}
