#include <string.h>

#include "customid.h"

int
customid_get(const char *line, size_t n, struct jval *top,
    struct buf *scratch, const char **id, size_t *idlen, const char **why)
{
	struct jerr e = { NULL, 0 };
	struct jval v = { JT_NONE, NULL, 0 };
	size_t i;

	for (i = 0; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == n) {
		*why = "blank line";
		return -1;
	}
	/* One pass: validation and the member together. */
	if (jscan_doc_member(line, n, top, "custom_id", &v, &e) < 0) {
		*why = e.msg;
		return -1;
	}
	if (top->type != JT_OBJECT) {
		*why = top->type == JT_ARRAY ? "a JSON array, not an object" :
		    "not a JSON object";
		return -1;
	}
	if (v.type == JT_NONE) {
		*why = "no custom_id";
		return -1;
	}
	if (v.type != JT_STRING) {
		*why = v.type == JT_NUMBER ? "custom_id is a number, not a string" :
		    "custom_id is not a string";
		return -1;
	}
	if (v.n == 2) {
		*why = "empty custom_id";
		return -1;
	}
	if (memchr(v.p, '\\', v.n) == NULL) {
		*id = v.p + 1;
		*idlen = v.n - 2;
		return 0;
	}
	buf_reset(scratch);
	jscan_unescape(v, scratch);
	*id = scratch->p;
	*idlen = scratch->len;
	return 0;
}

const char *
customid_show(struct buf *b, const char *id, size_t n)
{
	size_t start;

	buf_reset(b);
	buf_add_json_string(b, id, n);
	/* Drop the quotes. */
	start = 1;
	memmove(b->p, b->p + start, b->len - 2);
	b->len -= 2;
	b->p[b->len] = '\0';
	return b->p;
}
