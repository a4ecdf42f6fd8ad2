/*
 * fuzz_api_answer: the HTTP layer's reading of what a server sends back,
 * on arbitrary bytes as the body:
 *   - parse_answer (a 2xx JSON answer, scanned strictly, then parsed by
 *     json-c into an object), then batchobj_parse and fileobj_parse on
 *     the object and on each element of its "data" array (a list page
 *     of batches or files);
 *   - set_http_error (the "HTTP 400: <error.message>" text made from an
 *     error body): one line, no control characters, never the API key.
 * The static functions are reached by compiling common/http.c into the
 * target (the library's copy is then not linked).
 */
#include "../../common/http.c"

#include <stdint.h>

#include "batchobj.h"
#include "fileobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEY "sk-fuzz-SECRET"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
batch(struct json_object *o)
{
	struct batchobj b;

	if (batchobj_parse(o, &b) == 0) {
		check(b.id != NULL && b.status != NULL);
		check(b.total >= 0 && b.completed >= 0 && b.failed >= 0);
		(void)batch_status_terminal(b.status);
	} else
		check(b.id == NULL && b.status == NULL);
	batchobj_free(&b);
}

/* A string member is there whole or not at all. */
static void
whole(const char *s, struct json_object *o, const char *key)
{
	struct json_object *v;

	if (s == NULL)
		return;
	check(json_object_object_get_ex(o, key, &v));
	check(strlen(s) == (size_t)json_object_get_string_len(v));
}

static void
file(struct json_object *o)
{
	struct fileobj f;

	if (fileobj_parse(o, &f) == 0) {
		whole(f.id, o, "id");
		whole(f.filename, o, "filename");
		whole(f.purpose, o, "purpose");
		whole(f.status, o, "status");
		check(f.has_bytes || f.bytes == 0);
	} else
		check(f.id == NULL && f.filename == NULL && !f.has_bytes);
	fileobj_free(&f);
}

static void
object(struct json_object *o)
{
	batch(o);
	file(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct oai_config cfg = { .key = KEY,
	    .base_url = "http://127.0.0.1:1/v1", .base_path = "/v1" };
	struct http h;
	struct json_object *o = NULL, *list;
	size_t i;

	memset(&h, 0, sizeof(h));
	cfg.prov = provider_by_name("openai");
	h.cfg = &cfg;
	h.fd = -1;
	if (size > 0)
		buf_add(&h.body, data, size);

	if (parse_answer(&h, &o) == 0) {
		check(json_object_is_type(o, json_type_object));
		object(o);
		if (json_object_object_get_ex(o, "data", &list) &&
		    json_object_is_type(list, json_type_array))
			for (i = 0; i < json_object_array_length(list); i++)
				object(json_object_array_get_idx(list, i));
		json_object_put(o);
	} else
		check(h.errmsg.len > 0);

	set_http_error(&h, 400);
	check(strncmp(h.errmsg.p, "HTTP 400", 8) == 0);
	check(strstr(h.errmsg.p, KEY) == NULL);
	for (i = 0; i < h.errmsg.len; i++)
		check((unsigned char)h.errmsg.p[i] >= 0x20 &&
		    h.errmsg.p[i] != 0x7f);
	buf_free(&h.body);
	buf_free(&h.errmsg);
	return 0;
}
