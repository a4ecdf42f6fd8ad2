/*
 * A batch's input file checked as OpenAI checks it, before the batch
 * runs; see mock.h.  Callers hold the lock.
 */
#include <sys/mman.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock.h"
#include "xalloc.h"

static const struct jval none = { JT_NONE, NULL, 0 };
static const struct jval default_model = { JT_STRING,
	"\"" MOCK_MODERATION_MODEL "\"", sizeof(MOCK_MODERATION_MODEL) + 1 };

/* Checks one request line as OpenAI does; 0 when it is fine, with its
 * custom_id and body. */
static int
check_line(struct mock_batch *b, long lineno, const char *p, size_t n,
    struct idset *ids, struct jval *model0, struct jval *cid,
    struct jval *body)
{
	struct jval top, v, model;
	struct jerr e;
	char msg[512];

	if (jscan_doc(p, n, &top, &e) != 0 || top.type != JT_OBJECT) {
		batch_error(b, "invalid_json_line", lineno, "This line is not "
		    "parseable as valid JSON.", NULL);
		return -1;
	}
	if (!jscan_member(top, "custom_id", cid)) {
		batch_error(b, "missing_required_parameter", lineno,
		    "Missing required parameter: 'custom_id'.", "custom_id");
		return -1;
	}
	if (cid->type != JT_STRING || cid->n <= 2) {
		batch_error(b, "invalid_value", lineno, "The custom_id must be "
		    "a non-empty string.", "custom_id");
		return -1;
	}
	if (!idset_add(ids, cid->p, cid->n)) {
		batch_error(b, "duplicate_custom_id", lineno, "The custom_id for "
		    "this request is a duplicate of another request. The "
		    "custom_id parameter must be unique for each individual "
		    "request in a batch.", "custom_id");
		return -1;
	}
	if (!jscan_member(top, "method", &v)) {
		batch_error(b, "missing_required_parameter", lineno,
		    "Missing required parameter: 'method'.", "method");
		return -1;
	}
	if (!jscan_streq(v, "POST")) {
		batch_error(b, "invalid_value", lineno, "The method of this "
		    "request must be POST.", "method");
		return -1;
	}
	if (!jscan_member(top, "url", &v)) {
		batch_error(b, "missing_required_parameter", lineno,
		    "Missing required parameter: 'url'.", "url");
		return -1;
	}
	if (!jscan_streq(v, b->endpoint)) {
		snprintf(msg, sizeof msg, "The url of this request does not "
		    "match the batch's endpoint (%s).", b->endpoint);
		batch_error(b, "mismatched_endpoint", lineno, msg, "url");
		return -1;
	}
	if (!jscan_member(top, "body", body) || body->type != JT_OBJECT) {
		batch_error(b, "missing_required_parameter", lineno,
		    "Missing required parameter: 'body' (an object).", "body");
		return -1;
	}
	/* A moderation without a model is one for the API's default. */
	if (!jscan_member(*body, "model", &model))
		model = strcmp(b->endpoint, "/v1/moderations") == 0 ?
		    default_model : none;
	if (model.type != JT_STRING) {
		batch_error(b, "missing_required_parameter", lineno,
		    "Missing required parameter: 'body.model'.", "body.model");
		return -1;
	}
	/* A Message Batch may mix models. */
	if (model0->type == JT_NONE)
		*model0 = model;
	else if (b->inline_requests == 0 && (model.n != model0->n ||
	    memcmp(model.p, model0->p, model.n))) {
		batch_error(b, "mismatched_model", lineno, "All requests in a "
		    "batch must use the same model.", "body.model");
		return -1;
	}
	return 0;
}

/* Reads and checks the input file; on success the batch holds its
 * requests in answer order.  Returns 0, or -1 with errors recorded. */
int
validate(struct mock_batch *b)
{
	struct mock_store *st = b->st;
	struct mock_file *f = mock_file_find(st, b->input_file_id, NULL);
	struct idset *ids;
	struct jval model0 = { JT_NONE, NULL, 0 }, cid, body;
	struct buf tmp = BUF_INIT;
	size_t pos, end, n, cap = 0, i;
	long lineno = 0;
	uint64_t r;
	int fd;

	if (f == NULL) {
		batch_error(b, "file_not_found", 0, "The input file was deleted "
		    "before the batch could be validated.", "input_file_id");
		return -1;
	}
	if (strcmp(f->purpose, "batch") != 0) {
		batch_error(b, "invalid_file_purpose", 0, "The input file must "
		    "be uploaded with purpose 'batch'.", "input_file_id");
		return -1;
	}
	/* A Message Batch's requests were counted when it was created,
	 * by Anthropic's limits. */
	if (f->bytes > MOCK_MAX_BATCH_BYTES && b->inline_requests == 0) {
		batch_error(b, "file_too_large", 0, "The input file is larger "
		    "than the 200 MB maximum for batches.", "input_file_id");
		return -1;
	}
	if (f->bytes == 0) {
		batch_error(b, "empty_file", 0, "The input file is empty.",
		    "input_file_id");
		return -1;
	}
	if ((fd = open(f->path, O_RDONLY)) == -1) {
		warn("%s", f->path);
		batch_error(b, "server_error", 0, "The input file could not be "
		    "read.", "input_file_id");
		return -1;
	}
	b->map_len = (size_t)f->bytes;
	b->map = mmap(NULL, b->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		warn("mmap %s", f->path);
		batch_error(b, "server_error", 0, "The input file could not be "
		    "read.", "input_file_id");
		return -1;
	}
	ids = idset_new();
	for (pos = 0; pos < b->map_len; pos = end + 1) {
		const char *nl = memchr(b->map + pos, '\n', b->map_len - pos);

		end = nl ? (size_t)(nl - b->map) : b->map_len;
		n = end - pos;
		if (n > 0 && b->map[pos + n - 1] == '\r')
			n--;
		if (++lineno > MOCK_MAX_BATCH_REQUESTS &&
		    b->inline_requests == 0) {
			batch_error(b, "too_many_requests", lineno, "The input "
			    "file has more than 50,000 requests, the maximum "
			    "for one batch.", NULL);
			break;
		}
		if (check_line(b, lineno, b->map + pos, n, ids, &model0, &cid,
		    &body) != 0)
			continue;
		b->est_tokens += mock_prompt_tokens(b->endpoint, body);
		if (b->total == cap) {
			cap = cap ? cap * 2 : 256;
			b->lines = xreallocarray(b->lines, cap, sizeof *b->lines);
		}
		b->lines[b->total].off = pos;
		b->lines[b->total++].len = n;
	}
	idset_free(ids);
	if (b->nerrors > 0) {
		b->total = 0;
		release_input(b);
		return -1;
	}
	jscan_unescape(model0, &tmp);
	b->model = xstrdup(tmp.p ? tmp.p : "");
	buf_free(&tmp);
	/* Answers come back in a shuffled order, as OpenAI's do; seeded by
	 * the count so that two runs over one input agree. */
	r = mock_mix(b->total);
	for (i = b->total; i > 1; i--) {
		size_t j = (size_t)((r = mock_mix(r)) % i);
		struct mock_span t = b->lines[i - 1];

		b->lines[i - 1] = b->lines[j];
		b->lines[j] = t;
	}
	return 0;
}
