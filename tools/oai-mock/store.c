/* The state and batch lifecycle of oai-mock(1); see mock_store.h. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jscan.h"
#include "mock_answer.h"
#include "mock_store.h"
#include "xalloc.h"

const char *const mock_bstatus_name[] = {
	"validating", "failed", "in_progress", "finalizing", "completed",
	"expired", "cancelling", "cancelled"
};

static long long
wall(void)
{
	return (long long)time(NULL);
}


static uint64_t
idset_hash(const char *p, size_t n)
{
	return mock_mix(mock_hash(p, n, MOCK_HASH_INIT));
}

/* idset_add: 1 when p[0..n) was added, 0 when it was already there. */
static int
idset_add(struct mock_idset *s, const char *p, size_t n)
{
	uint64_t h = idset_hash(p, n);
	struct mock_idkey *old = s->k;
	size_t i, oldcap = s->cap;

	if ((s->n + 1) * 10 >= s->cap * 7) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->k = xcalloc(s->cap, sizeof *s->k);
		for (i = 0; i < oldcap; i++) {
			size_t j = old[i].h & (s->cap - 1);

			if (old[i].p == NULL)
				continue;
			while (s->k[j].p != NULL)
				j = (j + 1) & (s->cap - 1);
			s->k[j] = old[i];
		}
		free(old);
	}
	for (i = h & (s->cap - 1); s->k[i].p != NULL; i = (i + 1) & (s->cap - 1))
		if (s->k[i].h == h && s->k[i].n == n &&
		    memcmp(s->k[i].p, p, n) == 0)
			return 0;
	s->k[i].p = s->owned ? xstrndup(p, n) : p;
	s->k[i].n = n;
	s->k[i].h = h;
	s->n++;
	return 1;
}

static void
idset_free(struct mock_idset *s)
{
	size_t i;

	if (s->owned)
		for (i = 0; i < s->cap; i++)
			free((char *)(uintptr_t)s->k[i].p);
	free(s->k);
	s->k = NULL;
	s->cap = s->n = 0;
}

/* ---- ids and lookups (callers hold the lock) ---- */

void
mock_new_id(struct mock_store *st, char *out, size_t size, const char *prefix,
    int hexdigits)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t a = mock_mix(st->idseed ^ ++st->idcount), b = mock_mix(a);
	size_t n = strlen(prefix), i;

	snprintf(out, size, "%s", prefix);
	if (hexdigits) {
		snprintf(out + n, size - n, "%016llx%016llx",
		    (unsigned long long)a, (unsigned long long)b);
		return;
	}
	for (i = 0; i < 22 && n + i + 1 < size; i++) {
		uint64_t *w = i < 11 ? &a : &b;

		out[n + i] = alnum[*w % 62];
		*w /= 62;
	}
	out[n + i] = '\0';
}

struct mock_file *
mock_file_find(struct mock_store *st, const char *id, size_t *index)
{
	size_t i;

	for (i = 0; i < st->nfiles; i++)
		if (strcmp(st->files[i]->id, id) == 0) {
			if (index != NULL)
				*index = i;
			return st->files[i];
		}
	return NULL;
}

struct mock_batch *
mock_batch_find(struct mock_store *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->nbatches; i++)
		if (strcmp(st->batches[i]->id, id) == 0)
			return st->batches[i];
	return NULL;
}

struct mock_file *
mock_file_add(struct mock_store *st, const char *id, const char *filename,
    const char *purpose, const char *path, long long bytes)
{
	struct mock_file *f = xcalloc(1, sizeof *f);

	snprintf(f->id, sizeof f->id, "%s", id);
	f->filename = xstrdup(filename);
	f->purpose = xstrdup(purpose);
	f->path = xstrdup(path);
	f->bytes = bytes;
	f->created_at = wall();
	st->files = xreallocarray(st->files, st->nfiles + 1, sizeof *st->files);
	st->files[st->nfiles++] = f;
	return f;
}

static void
free_file(struct mock_file *f)
{
	free(f->filename);
	free(f->purpose);
	free(f->path);
	free(f);
}

char *
mock_store_path(struct mock_store *st, const char *name)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s", st->dir, name);
	return b.p;
}

/* ---- JSON of the objects ---- */

static void
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
mock_file_json(struct buf *b, const struct mock_file *f)
{
	buf_adds(b, "{\"object\":\"file\",\"id\":");
	add_str(b, f->id);
	buf_adds(b, ",\"purpose\":");
	add_str(b, f->purpose);
	buf_adds(b, ",\"filename\":");
	add_str(b, f->filename);
	buf_printf(b, ",\"bytes\":%lld,\"created_at\":%lld,\"expires_at\":null,"
	    "\"status\":\"processed\",\"status_details\":null}", f->bytes,
	    f->created_at);
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

/* ---- the batch lifecycle (callers hold the lock) ---- */

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

static void
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

static void
release_input(struct mock_batch *b)
{
	if (b->map != NULL && b->map != MAP_FAILED)
		munmap(b->map, b->map_len);
	b->map = NULL;
	free(b->lines);
	b->lines = NULL;
}

/* Checks one request line as OpenAI does; 0 when it is fine, with its
 * custom_id and body. */
static int
check_line(struct mock_batch *b, long lineno, const char *p, size_t n,
    struct mock_idset *ids, struct jval *model0, struct jval *cid,
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
	if (!jscan_member(*body, "model", &model) || model.type != JT_STRING) {
		batch_error(b, "missing_required_parameter", lineno,
		    "Missing required parameter: 'body.model'.", "body.model");
		return -1;
	}
	if (model0->type == JT_NONE)
		*model0 = model;
	else if (model.n != model0->n || memcmp(model.p, model0->p, model.n)) {
		batch_error(b, "mismatched_model", lineno, "All requests in a "
		    "batch must use the same model.", "body.model");
		return -1;
	}
	return 0;
}

/* Reads and checks the input file; on success the batch holds its
 * requests in answer order.  Returns 0, or -1 with errors recorded. */
static int
validate(struct mock_batch *b)
{
	struct mock_store *st = b->st;
	struct mock_file *f = mock_file_find(st, b->input_file_id, NULL);
	struct mock_idset ids = { NULL, 0, 0, 0 };
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
	if (f->bytes > MOCK_MAX_BATCH_BYTES) {
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
	for (pos = 0; pos < b->map_len; pos = end + 1) {
		const char *nl = memchr(b->map + pos, '\n', b->map_len - pos);

		end = nl ? (size_t)(nl - b->map) : b->map_len;
		n = end - pos;
		if (n > 0 && b->map[pos + n - 1] == '\r')
			n--;
		if (++lineno > MOCK_MAX_BATCH_REQUESTS) {
			batch_error(b, "too_many_requests", lineno, "The input "
			    "file has more than 50,000 requests, the maximum "
			    "for one batch.", NULL);
			break;
		}
		if (check_line(b, lineno, b->map + pos, n, &ids, &model0, &cid,
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
	idset_free(&ids);
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

static long long
enqueued_tokens(struct mock_store *st)
{
	long long sum = 0;
	size_t i;

	for (i = 0; i < st->nbatches; i++)
		if (st->batches[i]->status == MB_IN_PROGRESS ||
		    st->batches[i]->status == MB_FINALIZING)
			sum += st->batches[i]->est_tokens;
	return sum;
}

static int
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

/* grouped: v, a whole number, with thousands commas in out, as OpenAI
 * writes the limit in its token_limit_exceeded message ("2,000,000"). */
static const char *
grouped(char *out, size_t n, double v)
{
	char digits[64];
	size_t i, j, len;

	snprintf(digits, sizeof digits, "%.0f", v);
	len = strlen(digits);
	for (i = j = 0; i < len && j + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = digits[i];
	}
	out[j] = '\0';
	return out;
}

static void
start_processing(struct mock_batch *b, double now)
{
	struct mock_store *st = b->st;
	char msg[512], num[96];
	size_t i;

	if (validate(b) != 0)
		goto failed;
	for (i = 0; i < st->nfaults; i++) {
		struct mock_fault *f = &st->faults[i];

		if (f->kind != MF_FAIL_BATCH || (f->limit > 0 &&
		    f->seen >= (unsigned long long)f->limit))
			continue;
		f->seen++;
		batch_error(b, "invalid_request", 0, "The batch was refused "
		    "(a fault oai-mock was told to inject).", NULL);
		b->total = 0;
		release_input(b);
		goto failed;
	}
	for (i = 0; i < st->nfaults; i++) {
		struct mock_fault *f = &st->faults[i];

		if (f->kind == MF_TOKEN_LIMIT &&
		    (double)(enqueued_tokens(st) + b->est_tokens) > f->value) {
			snprintf(msg, sizeof msg, "Enqueued token limit reached "
			    "for %s in organization org-mock. Limit: %s "
			    "enqueued tokens. Please try submitting fewer tasks "
			    "or wait until other batches have completed.",
			    b->model, grouped(num, sizeof num, f->value));
			batch_error(b, "token_limit_exceeded", 0, msg, NULL);
			b->total = 0;
			release_input(b);
			goto failed;
		}
	}
	if (open_results(b) != 0) {
		batch_error(b, "server_error", 0, "The server could not store "
		    "the results.", NULL);
		b->total = 0;
		release_input(b);
		goto failed;
	}
	b->stop_at = b->total;
	for (i = 0; i < st->nfaults; i++) {
		struct mock_fault *f = &st->faults[i];

		if ((f->kind != MF_EXPIRE && f->kind != MF_CANCEL) ||
		    b->stop_at < b->total)
			continue;
		if (f->limit > 0 && f->seen >= (unsigned long long)f->limit)
			continue;
		f->seen++;
		b->stop_at = (size_t)floor(f->value * (double)b->total);
		b->stop_as = f->kind == MF_EXPIRE ? MB_EXPIRED : MB_CANCELLING;
	}
	b->status = MB_IN_PROGRESS;
	b->in_progress_at = wall();
	b->t_phase = now;
	return;
failed:
	b->status = MB_FAILED;
	b->failed_at = wall();
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
static void
process_one(struct mock_batch *b)
{
	struct mock_store *st = b->st;
	struct mock_span s = b->lines[b->done++];
	const char *p = b->map + s.off;
	struct jval top, cid, body;
	struct jerr e;
	struct buf line = BUF_INIT, ans = BUF_INIT, msg = BUF_INIT;
	struct mock_usage u;
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
	if (fail != NULL && (double)(idset_hash(cid.p, cid.n) % 1000000) <
	    fail->value * 1e6 && idset_add(&st->failed_once, cid.p, cid.n)) {
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
		status = mock_answer(b->endpoint, body, mock_hash(p, s.len,
		    MOCK_HASH_INIT), wall(), &ans, &u);
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
static void
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
			mock_file_add(st, shown.p, name, "batch_output", dest,
			    (long long)sb.st_size);
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

static void
finish(struct mock_batch *b, enum mock_bstatus final)
{
	long long now = wall();

	add_extra_results(b);
	b->output_file_id = publish(b, &b->out, &b->out_path, b->out_lines,
	    "output");
	b->error_file_id = publish(b, &b->err, &b->err_path, b->err_lines,
	    "error");
	release_input(b);
	b->status = final;
	if (final == MB_COMPLETED)
		b->completed_at = now;
	else if (final == MB_EXPIRED)
		b->expired_at = now;
	else
		b->cancelled_at = now;
}

static void
begin_cancel(struct mock_batch *b, double now)
{
	b->status = MB_CANCELLING;
	b->cancelling_at = wall();
	b->t_phase = now;
}

/* Moves b as far along its lifecycle as the clock says. */
static void
advance(struct mock_batch *b, double now)
{
	struct mock_store *st = b->st;
	size_t target;

	for (;;) {
		switch (b->status) {
		case MB_VALIDATING:
			if (now < b->t_phase + st->t_validating)
				return;
			start_processing(b, now);
			break;
		case MB_IN_PROGRESS:
			if (st->t_in_progress <= 0 ||
			    now >= b->t_phase + st->t_in_progress)
				target = b->total;
			else
				target = (size_t)ceil((double)b->total *
				    (now - b->t_phase) / st->t_in_progress);
			if (target > b->stop_at)
				target = b->stop_at;
			/* A bounded share a tick: the caller holds the lock that
			 * every HTTP request waits for. */
			if (target > b->done + MOCK_ANSWERS_PER_TICK)
				target = b->done + MOCK_ANSWERS_PER_TICK;
			while (b->done < target)
				process_one(b);
			if (b->done == b->stop_at && b->stop_at < b->total) {
				if (b->stop_as == MB_EXPIRED) {
					abandon_rest(b, "batch_expired", "This "
					    "request could not be executed before "
					    "the completion window expired.");
					finish(b, MB_EXPIRED);
				} else
					begin_cancel(b, now);
				break;
			}
			if (b->done < b->total)
				return;
			b->status = MB_FINALIZING;
			b->finalizing_at = wall();
			b->t_phase = now;
			break;
		case MB_FINALIZING:
			if (now < b->t_phase + st->t_finalizing)
				return;
			finish(b, MB_COMPLETED);
			break;
		case MB_CANCELLING:
			if (now < b->t_phase + st->t_finalizing)
				return;
			abandon_rest(b, "batch_cancelled", "This request was not "
			    "executed because the batch was cancelled.");
			finish(b, MB_CANCELLED);
			break;
		default:
			return;
		}
	}
}


static void
free_batch(struct mock_batch *b)
{
	if (b->out != NULL)
		fclose(b->out);
	if (b->err != NULL)
		fclose(b->err);
	if (b->out_path != NULL)
		unlink(b->out_path);
	if (b->err_path != NULL)
		unlink(b->err_path);
	free(b->out_path);
	free(b->err_path);
	release_input(b);
	free(b->endpoint);
	free(b->input_file_id);
	free(b->window);
	free(b->metadata);
	free(b->model);
	free(b->output_file_id);
	free(b->error_file_id);
	buf_free(&b->errors);
	free(b);
}

void
mock_store_init(struct mock_store *st, const char *dir, uint64_t seed)
{
	memset(st, 0, sizeof *st);
	st->dir = xstrdup(dir);
	st->idseed = seed;
	st->failed_once.owned = 1;
	st->t_validating = 0.3;
	st->t_in_progress = 1;
	st->t_finalizing = 0.3;
}

void
mock_store_free(struct mock_store *st)
{
	size_t i;

	for (i = 0; i < st->nbatches; i++)
		free_batch(st->batches[i]);
	free(st->batches);
	for (i = 0; i < st->nfiles; i++)
		free_file(st->files[i]);
	free(st->files);
	idset_free(&st->failed_once);
	free(st->dir);
	memset(st, 0, sizeof *st);
}

void
mock_file_delete(struct mock_store *st, size_t index)
{
	struct mock_file *f = st->files[index];

	memmove(st->files + index, st->files + index + 1,
	    (st->nfiles - index - 1) * sizeof *st->files);
	st->nfiles--;
	if (unlink(f->path) == -1)
		warn("%s", f->path);
	free_file(f);
}

struct mock_batch *
mock_batch_create(struct mock_store *st, char *endpoint, char *input_file_id,
    char *window, char *metadata, double now)
{
	struct mock_batch *x = xcalloc(1, sizeof *x);

	x->st = st;
	mock_new_id(st, x->id, sizeof x->id, "batch_", 1);
	x->endpoint = endpoint;
	x->input_file_id = input_file_id;
	x->window = window;
	x->metadata = metadata;
	x->status = MB_VALIDATING;
	x->created_at = wall();
	x->expires_at = x->created_at + 24 * 3600;
	x->t_phase = now;
	st->batches = xreallocarray(st->batches, st->nbatches + 1,
	    sizeof *st->batches);
	st->batches[st->nbatches++] = x;
	return x;
}

void
mock_batch_add_old(struct mock_store *st, size_t n)
{
	struct mock_batch *x;
	char id[48];
	size_t i;
	long long t0 = wall() - 3 * 24 * 3600 - (long long)n * 60;

	for (i = 0; i < n; i++) {
		mock_new_id(st, id, sizeof id, "file-", 0);
		x = mock_batch_create(st, xstrdup("/v1/chat/completions"),
		    xstrdup(id), xstrdup("24h"), NULL, 0);
		x->model = xstrdup("gpt-4o-mini");
		x->status = MB_COMPLETED;
		x->created_at = t0 + (long long)i * 60;
		x->expires_at = x->created_at + 24 * 3600;
		x->in_progress_at = x->created_at + 10;
		x->finalizing_at = x->created_at + 70;
		x->completed_at = x->created_at + 80;
		x->total = x->completed = 1;
	}
}

int
mock_batch_cancel(struct mock_batch *b, double now)
{
	switch (b->status) {
	case MB_VALIDATING:
	case MB_IN_PROGRESS:
	case MB_FINALIZING:
		begin_cancel(b, now);
		return 0;
	case MB_CANCELLING:
	case MB_CANCELLED:
		return 0;
	default:
		return -1;
	}
}

void
mock_store_tick(struct mock_store *st, double now)
{
	size_t i;

	for (i = 0; i < st->nbatches; i++)
		advance(st->batches[i], now);
}
