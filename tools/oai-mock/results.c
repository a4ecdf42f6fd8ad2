/*
 * A batch's results files: its answers written line by line as the
 * lifecycle moves, then published as file objects; see mock.h.  Callers
 * hold the lock.
 */
#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock.h"
#include "xalloc.h"

/* echoed: appends message to m; under the echo-key fault with
 * " (key TEXT)" after it, as a server that echoes what it was sent
 * would write it. */
static void
echoed(const struct mock_store *st, struct buf *m, const char *message)
{
	size_t i;

	buf_adds(m, message);
	for (i = 0; i < st->nfaults; i++)
		if (st->faults[i].kind == MF_ECHO_KEY &&
		    st->faults[i].text != NULL) {
			buf_adds(m, " (key ");
			buf_add(m, st->faults[i].text, st->faults[i].textlen);
			buf_addc(m, ')');
		}
}

/* add_message: message, echoed, as a JSON string. */
static void
add_message(const struct mock_store *st, struct buf *b, const char *message)
{
	struct buf m = BUF_INIT;

	echoed(st, &m, message);
	buf_add_json_string(b, m.p, m.len);
	buf_free(&m);
}

void
batch_error(struct mock_batch *b, const char *code, long line,
    const char *message, const char *param)
{
	if (b->nerrors++ >= MOCK_MAX_BATCH_ERRORS)
		return;
	if (b->errors.len > 0)
		buf_addc(&b->errors, ',');
	buf_adds(&b->errors, "{\"code\":");
	add_str(&b->errors, code);
	if (line > 0)
		buf_printf(&b->errors, ",\"line\":%ld", line);
	else
		buf_adds(&b->errors, ",\"line\":null");
	buf_adds(&b->errors, ",\"message\":");
	add_message(b->st, &b->errors, message);
	buf_adds(&b->errors, ",\"param\":");
	add_str(&b->errors, param);
	buf_addc(&b->errors, '}');
}

int
open_results(struct mock_batch *b)
{
	struct mock_store *st = b->st;
	struct buf name = BUF_INIT;

	buf_printf(&name, "%s.output.part", b->id);
	b->out_path = mock_store_path(st, name.p);
	buf_reset(&name);
	buf_printf(&name, "%s.error.part", b->id);
	b->err_path = mock_store_path(st, name.p);
	buf_free(&name);
	if ((b->out = fopen(b->out_path, "w")) == NULL ||
	    (b->err = fopen(b->err_path, "w")) == NULL) {
		warn("%s", b->out == NULL ? b->out_path : b->err_path);
		return -1;
	}
	return 0;
}

static void
result_id(struct mock_store *st, struct buf *line, const char *key,
    const char *prefix)
{
	char id[80];

	mock_new_id(st, id, sizeof id, prefix, 1);
	buf_printf(line, "\"%s\":\"%s\"", key, id);
}

/* Answers the next request of b into its output or error file. */
void
process_one(struct mock_batch *b)
{
	struct mock_store *st = b->st;
	struct mock_span s = b->lines[b->done++];
	const char *p = b->map + s.off;
	struct jval top, cid, body;
	struct jerr e;
	struct buf line = BUF_INIT, ans = BUF_INIT, msg = BUF_INIT;
	struct mock_usage u = { 0 };
	struct mock_fault *fail = NULL, *fail_status = NULL;
	FILE *to;
	size_t i;
	int status;

	/* validate() accepted this line: these cannot fail. */
	jscan_doc(p, s.len, &top, &e);
	jscan_member(top, "custom_id", &cid);
	jscan_member(top, "body", &body);
	for (i = 0; i < st->nfaults; i++) {
		if (st->faults[i].kind == MF_FAIL_REQUESTS)
			fail = &st->faults[i];
		if (st->faults[i].kind == MF_FAIL_STATUS)
			fail_status = &st->faults[i];
	}
	buf_addc(&line, '{');
	result_id(st, &line, "id", "batch_req_");
	buf_adds(&line, ",\"custom_id\":");
	buf_add(&line, cid.p, cid.n);
	/* fail-requests: a fixed share of custom_ids, each failed only the
	 * first time this server sees it, so a retry round succeeds. */
	if (fail != NULL && (double)(mock_mix(mock_hash(cid.p, cid.n,
	    MOCK_HASH_INIT)) % 1000000) <
	    fail->value * 1e6 && idset_add(st->failed_once, cid.p, cid.n)) {
		b->failed++;
		if (fail_status != NULL) {
			buf_printf(&line, ",\"response\":{\"status_code\":%d,",
			    (int)fail_status->value);
			result_id(st, &line, "request_id", "req_");
			buf_adds(&line, ",\"body\":");
			echoed(st, &msg, "The server had an error while "
			    "processing your request. Sorry about that!");
			mock_error_body(&line, msg.p, "server_error", NULL,
			    NULL);
			buf_adds(&line, "},\"error\":null}\n");
			to = b->out;
			b->out_lines++;
		} else {
			buf_adds(&line, ",\"response\":null,\"error\":{\"code\":"
			    "\"server_error\",\"message\":");
			add_message(st, &line, "The server had an error while "
			    "processing this request.");
			buf_adds(&line, "}}\n");
			to = b->err;
			b->err_lines++;
		}
	} else {
		status = (mock_media_endpoint(b->endpoint) ?
		    mock_answer_media : mock_answer)(b->endpoint, body,
		    mock_hash(p, s.len, MOCK_HASH_INIT), mock_wall(), &ans,
		    &u);
		buf_printf(&line, ",\"response\":{\"status_code\":%d,", status);
		result_id(st, &line, "request_id", "req_");
		buf_adds(&line, ",\"body\":");
		buf_add(&line, ans.p, ans.len);
		buf_adds(&line, "},\"error\":null}\n");
		if (status == 200) {
			b->completed++;
			b->in_tokens += u.input_tokens;
			b->out_tokens += u.output_tokens;
			to = b->out;
			b->out_lines++;
		} else {
			b->failed++;
			to = b->err;
			b->err_lines++;
		}
	}
	if (fwrite(line.p, 1, line.len, to) != line.len)
		warn("%s", to == b->out ? b->out_path : b->err_path);
	buf_free(&line);
	buf_free(&ans);
	buf_free(&msg);
}

/* Writes every request not answered as an error line with code. */
void
abandon_rest(struct mock_batch *b, const char *code, const char *message)
{
	struct mock_store *st = b->st;
	struct buf line = BUF_INIT;
	struct jval top, cid;
	struct jerr e;

	while (b->lines != NULL && b->done < b->total) {
		struct mock_span s = b->lines[b->done++];

		jscan_doc(b->map + s.off, s.len, &top, &e);
		jscan_member(top, "custom_id", &cid);
		buf_reset(&line);
		buf_addc(&line, '{');
		result_id(st, &line, "id", "batch_req_");
		buf_adds(&line, ",\"custom_id\":");
		buf_add(&line, cid.p, cid.n);
		buf_printf(&line, ",\"response\":null,\"error\":{\"code\":\"%s\","
		    "\"message\":", code);
		add_message(st, &line, message);
		buf_adds(&line, "}}\n");
		if (fwrite(line.p, 1, line.len, b->err) != line.len)
			warn("%s", b->err_path);
		b->err_lines++;
	}
	buf_free(&line);
}

/* Closes a results file and, when it has lines, makes it a file object
 * of purpose batch_output.  Returns its id (allocated) or NULL. */
static char *
publish(struct mock_batch *b, FILE **fp, char **path, size_t lines,
    const char *kind)
{
	struct mock_store *st = b->st;
	struct mock_fault *odd = NULL;
	struct mock_file *f;
	char id[40], name[96], *dest, *ret = NULL;
	struct buf shown = BUF_INIT;
	struct stat sb;
	size_t i;
	int bad = 0;

	if (*fp == NULL)
		return NULL;
	if (fclose(*fp) != 0) {
		warn("%s", *path);
		bad = 1;
	}
	*fp = NULL;
	if (lines > 0 && !bad && stat(*path, &sb) == 0) {
		mock_new_id(st, id, sizeof id, "file-", 0);
		dest = mock_store_path(st, id);
		if (rename(*path, dest) == 0) {
			snprintf(name, sizeof name, "%s_%s.jsonl", b->id, kind);
			/* odd-file-id: an output file is known by the text
			 * followed by its own id (unique, and still a file
			 * that can be fetched), but for a text with a NUL
			 * byte, which mock_batch_json shows instead. */
			for (i = 0; i < st->nfaults; i++)
				if (st->faults[i].kind == MF_ODD_FILE_ID)
					odd = &st->faults[i];
			if (odd != NULL && strcmp(kind, "output") == 0 &&
			    memchr(odd->text, '\0', odd->textlen) == NULL)
				buf_adds(&shown, odd->text);
			buf_adds(&shown, id);
			if (shown.len >= sizeof(((struct mock_file *)0)->id))
				errx(1, "odd-file-id: the id is too long");
			f = mock_file_add(st, shown.p, name, "batch_output",
			    dest, (long long)sb.st_size);
			/* output_expires_after counts from the file's
			 * creation, not the batch's. */
			if (b->output_expires > 0)
				f->expires_at = f->created_at +
				    b->output_expires;
			ret = xstrdup(shown.p);
			buf_free(&shown);
		} else
			warn("rename %s", *path);
		free(dest);
	}
	if (ret == NULL)
		unlink(*path);
	free(*path);
	*path = NULL;
	return ret;
}

/* extra-result: a result line for a custom_id no request had,
 * "mock-unsent-N" (N counts over the server's life), added to the output
 * file of the batches the fault hits, as a server in error could. */
static void
add_extra_results(struct mock_batch *b)
{
	struct mock_store *st = b->st;
	struct buf line = BUF_INIT;
	size_t i;

	for (i = 0; i < st->nfaults && b->out != NULL; i++) {
		struct mock_fault *f = &st->faults[i];

		if (f->kind != MF_EXTRA_RESULT ||
		    (f->limit > 0 && f->seen >= (unsigned long long)f->limit))
			continue;
		f->seen++;
		buf_reset(&line);
		buf_addc(&line, '{');
		result_id(st, &line, "id", "batch_req_");
		buf_printf(&line, ",\"custom_id\":\"mock-unsent-%llu\","
		    "\"response\":{\"status_code\":200,", f->seen);
		result_id(st, &line, "request_id", "req_");
		buf_adds(&line, ",\"body\":{\"object\":\"chat.completion\","
		    "\"choices\":[{\"index\":0,\"message\":{\"role\":"
		    "\"assistant\",\"content\":\"an answer to no request\"},"
		    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":"
		    "1,\"completion_tokens\":1,\"total_tokens\":2}}},"
		    "\"error\":null}\n");
		if (fwrite(line.p, 1, line.len, b->out) != line.len)
			warn("%s", b->out_path);
		b->out_lines++;
	}
	buf_free(&line);
}

void
close_results(struct mock_batch *b)
{
	add_extra_results(b);
	b->output_file_id = publish(b, &b->out, &b->out_path, b->out_lines,
	    "output");
	b->error_file_id = publish(b, &b->err, &b->err_path, b->err_lines,
	    "error");
}
