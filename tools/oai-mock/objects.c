/* The JSON of oai-mock's file and batch objects; see mock.h. */
#include <string.h>

#include "mock.h"

void
add_str(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		buf_add_json_string(b, s, strlen(s));
}

static void
add_time(struct buf *b, const char *key, long long t)
{
	if (t)
		buf_printf(b, ",\"%s\":%lld", key, t);
	else
		buf_printf(b, ",\"%s\":null", key);
}

void
mock_file_json(struct buf *b, const struct mock_store *st,
    const struct mock_file *f)
{
	size_t i;
	int sized = 1;

	for (i = 0; i < st->nfaults; i++)
		if (st->faults[i].kind == MF_NO_BYTES)
			sized = 0;
	buf_adds(b, "{\"object\":\"file\",\"id\":");
	add_str(b, f->id);
	buf_adds(b, ",\"purpose\":");
	add_str(b, f->purpose);
	buf_adds(b, ",\"filename\":");
	add_str(b, f->filename);
	/* A compatible server may leave the size out (groq-sdk's
	 * FileCreateResponse has bytes optional). */
	if (sized)
		buf_printf(b, ",\"bytes\":%lld", f->bytes);
	buf_printf(b, ",\"created_at\":%lld", f->created_at);
	add_time(b, "expires_at", f->expires_at);
	buf_adds(b, ",\"status\":\"processed\",\"status_details\":null}");
}

void
mock_batch_json(struct buf *b, const struct mock_batch *x)
{
	const struct mock_fault *odd = NULL;
	size_t i;

	buf_printf(b, "{\"id\":\"%s\",\"object\":\"batch\",\"endpoint\":",
	    x->id);
	add_str(b, x->endpoint);
	buf_adds(b, ",\"model\":");
	add_str(b, x->model);
	if (x->nerrors > 0) {
		buf_adds(b, ",\"errors\":{\"object\":\"list\",\"data\":[");
		buf_add(b, x->errors.p, x->errors.len);
		buf_adds(b, "]}");
	} else
		buf_adds(b, ",\"errors\":null");
	buf_adds(b, ",\"input_file_id\":");
	add_str(b, x->input_file_id);
	buf_adds(b, ",\"completion_window\":");
	add_str(b, x->window);
	buf_printf(b, ",\"status\":\"%s\",\"output_file_id\":",
	    mock_bstatus_name[x->status]);
	/* A text with a NUL byte cannot name a file here: it is shown
	 * before the real id (see publish). */
	for (i = 0; i < x->st->nfaults; i++)
		if (x->st->faults[i].kind == MF_ODD_FILE_ID)
			odd = &x->st->faults[i];
	if (odd != NULL && x->output_file_id != NULL &&
	    memchr(odd->text, '\0', odd->textlen) != NULL) {
		struct buf shown = BUF_INIT;

		buf_add(&shown, odd->text, odd->textlen);
		buf_adds(&shown, x->output_file_id);
		buf_add_json_string(b, shown.p, shown.len);
		buf_free(&shown);
	} else
		add_str(b, x->output_file_id);
	buf_adds(b, ",\"error_file_id\":");
	add_str(b, x->error_file_id);
	add_time(b, "created_at", x->created_at);
	add_time(b, "in_progress_at", x->in_progress_at);
	add_time(b, "expires_at", x->expires_at);
	add_time(b, "finalizing_at", x->finalizing_at);
	add_time(b, "completed_at", x->completed_at);
	add_time(b, "failed_at", x->failed_at);
	add_time(b, "expired_at", x->expired_at);
	add_time(b, "cancelling_at", x->cancelling_at);
	add_time(b, "cancelled_at", x->cancelled_at);
	buf_printf(b, ",\"request_counts\":{\"total\":%zu,\"completed\":%zu,"
	    "\"failed\":%zu}", x->total, x->completed, x->failed);
	buf_printf(b, ",\"usage\":{\"input_tokens\":%lld,\"input_tokens_details\":"
	    "{\"cached_tokens\":0},\"output_tokens\":%lld,"
	    "\"output_tokens_details\":{\"reasoning_tokens\":0},"
	    "\"total_tokens\":%lld}", x->in_tokens, x->out_tokens,
	    x->in_tokens + x->out_tokens);
	buf_printf(b, ",\"metadata\":%s}", x->metadata ? x->metadata : "null");
}
