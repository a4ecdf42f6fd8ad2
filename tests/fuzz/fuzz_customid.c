/*
 * fuzz_customid: the custom_id of a request or result line (customid_get,
 * used by jsonl-sortid and jsonl-merge to read result lines, and
 * customid_show, which puts an id in a message).  Checked on every line:
 * an accepted line is a JSON object whose custom_id member decodes to
 * exactly the id returned, which is not empty; a rejected line has a
 * reason; customid_show gives one line of text that, in quotes, is a JSON
 * string decoding to the id again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "customid.h"
#include "jscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf scratch = BUF_INIT, want = BUF_INIT, shown = BUF_INIT;
	struct buf quoted = BUF_INIT, back = BUF_INIT;
	struct jval top, v, q;
	struct jerr e;
	const char *id, *why = NULL, *s;
	size_t idlen;

	if (customid_get((const char *)data, size, &top, &scratch, &id,
	    &idlen, &why) != 0) {
		check(why != NULL && *why != '\0');
		goto out;
	}
	check(top.type == JT_OBJECT && idlen > 0);
	check(jscan_member(top, "custom_id", &v) == 1 && v.type == JT_STRING);
	jscan_unescape(v, &want);
	check(want.len == idlen && memcmp(want.p, id, idlen) == 0);

	s = customid_show(&shown, id, idlen);
	check(strchr(s, '\n') == NULL && strlen(s) == shown.len);
	buf_addc(&quoted, '"');
	buf_add(&quoted, s, shown.len);
	buf_addc(&quoted, '"');
	check(jscan_doc(quoted.p, quoted.len, &q, &e) == 0);
	jscan_unescape(q, &back);
	check(back.len == idlen && memcmp(back.p, id, idlen) == 0);
out:
	buf_free(&scratch);
	buf_free(&want);
	buf_free(&shown);
	buf_free(&quoted);
	buf_free(&back);
	return 0;
}
