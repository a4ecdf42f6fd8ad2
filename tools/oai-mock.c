/*
 * oai-mock: a local, stateful stand-in for the OpenAI Files and Batches API
 * (and live chat completions, embeddings and responses), with deterministic
 * answers and faults on demand.  See oai-mock(1).
 *
 * State lives in memory behind one lock; file bodies live in the storage
 * directory.  libmicrohttpd runs a thread per connection (so a slow fault
 * delays only its own call), and a ticker thread moves every batch through
 * its lifecycle in real time.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "jscan.h"
#include "mock_answer.h"
#include "mock_fault.h"
#include "xalloc.h"

#define MAX_BATCH_REQUESTS	50000
#define MAX_BATCH_BYTES		200000000LL	/* 200 MB, as OpenAI counts */
#define MAX_UPLOAD_BYTES	512000000LL	/* OpenAI's per-file limit */
#define MAX_JSON_BODY		(32 << 20)	/* a JSON request body */
#define MAX_BATCH_ERRORS	100		/* errors.data[] kept */
#define TICK_NS			20000000L	/* the lifecycle's clock: 20 ms */

enum bstatus {
	B_VALIDATING, B_FAILED, B_IN_PROGRESS, B_FINALIZING, B_COMPLETED,
	B_EXPIRED, B_CANCELLING, B_CANCELLED
};
static const char *const bstatus_name[] = {
	"validating", "failed", "in_progress", "finalizing", "completed",
	"expired", "cancelling", "cancelled"
};

struct mfile {
	char		 id[40];
	char		*filename;
	char		*purpose;
	char		*path;
	long long	 bytes;
	long long	 created_at;
};

struct span {
	size_t		 off;
	size_t		 len;
};

struct batch {
	char		 id[48];
	char		*endpoint;
	char		*input_file_id;
	char		*window;
	char		*metadata;	/* raw JSON object, or NULL */
	char		*model;		/* known once validated */
	enum bstatus	 status;
	double		 t_phase;	/* monotonic start of this phase */
	long long	 created_at, in_progress_at, expires_at, finalizing_at,
			 completed_at, failed_at, expired_at, cancelling_at,
			 cancelled_at;
	struct buf	 errors;	/* errors.data[] items, comma separated */
	size_t		 nerrors;
	size_t		 total, done, completed, failed;
	long long	 in_tokens, out_tokens, est_tokens;
	char		*map;		/* the input file, while processing */
	size_t		 map_len;
	struct span	*lines;		/* its requests, in answer order */
	size_t		 stop_at;	/* expire/cancel fault: stop after */
	enum bstatus	 stop_as;	/* B_EXPIRED or B_CANCELLING */
	FILE		*out, *err;
	char		*out_path, *err_path;
	size_t		 out_lines, err_lines;
	char		*output_file_id, *error_file_id;
};

/* A set of strings (custom_ids), by hash; keys point into their owner's
 * memory unless the set owns them. */
struct idkey {
	const char	*p;
	size_t		 n;
	uint64_t	 h;
};
struct idset {
	struct idkey	*k;
	size_t		 cap, n;
	int		 owned;
};

static struct {
	pthread_mutex_t	 lock;
	struct mfile	**files;
	size_t		 nfiles;
	struct batch	**batches;
	size_t		 nbatches;
	struct mock_fault *faults;
	size_t		 nfaults;
	struct idset	 failed_once;	/* custom_ids fail-requests hit */
	char		*dir;
	const char	*key;
	double		 t_validating, t_in_progress, t_finalizing;
	long		 latency_ms;
	int		 quiet;
	uint64_t	 idseed, idcount;
	int		 stop;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* One HTTP request while it is read. */
struct req {
	char		*method, *path;
	int		 fault;		/* the HTTP fault that hit, or -1 */
	double		 slow_ms;
	unsigned	 status;	/* for the log: 0 connection dropped */
	struct buf	 body;
	int		 body_too_big;
	struct MHD_PostProcessor *pp;
	int		 upfd;
	char		*uppath;
	long long	 upbytes;
	char		*filename;
	int		 nfiles;
	struct buf	 purpose;
	int		 upload_error;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: oai-mock [-hqV] [-a addr] [-d dir] [-F fault] "
	    "[-k key] [-L latency-ms]\n"
	    "                [-p port] [-t validating,in_progress,finalizing]\n");
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long
wall(void)
{
	return (long long)time(NULL);
}

static void
sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- string sets ---- */

static uint64_t
idset_hash(const char *p, size_t n)
{
	return mock_mix(mock_hash(p, n, MOCK_HASH_INIT));
}

/* idset_add: 1 when p[0..n) was added, 0 when it was already there. */
static int
idset_add(struct idset *s, const char *p, size_t n)
{
	uint64_t h = idset_hash(p, n);
	struct idkey *old = s->k;
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
idset_free(struct idset *s)
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

static void
new_id(char *out, size_t size, const char *prefix, int hexdigits)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t a = mock_mix(S.idseed ^ ++S.idcount), b = mock_mix(a);
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

static struct mfile *
find_file(const char *id, size_t *index)
{
	size_t i;

	for (i = 0; i < S.nfiles; i++)
		if (strcmp(S.files[i]->id, id) == 0) {
			if (index != NULL)
				*index = i;
			return S.files[i];
		}
	return NULL;
}

static struct batch *
find_batch(const char *id)
{
	size_t i;

	for (i = 0; i < S.nbatches; i++)
		if (strcmp(S.batches[i]->id, id) == 0)
			return S.batches[i];
	return NULL;
}

static struct mfile *
add_file(const char *id, const char *filename, const char *purpose,
    const char *path, long long bytes)
{
	struct mfile *f = xcalloc(1, sizeof *f);

	snprintf(f->id, sizeof f->id, "%s", id);
	f->filename = xstrdup(filename);
	f->purpose = xstrdup(purpose);
	f->path = xstrdup(path);
	f->bytes = bytes;
	f->created_at = wall();
	S.files = xreallocarray(S.files, S.nfiles + 1, sizeof *S.files);
	S.files[S.nfiles++] = f;
	return f;
}

static void
free_file(struct mfile *f)
{
	free(f->filename);
	free(f->purpose);
	free(f->path);
	free(f);
}

static char *
store_path(const char *name)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s", S.dir, name);
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

static void
file_json(struct buf *b, const struct mfile *f)
{
	buf_printf(b, "{\"object\":\"file\",\"id\":\"%s\",\"purpose\":", f->id);
	add_str(b, f->purpose);
	buf_adds(b, ",\"filename\":");
	add_str(b, f->filename);
	buf_printf(b, ",\"bytes\":%lld,\"created_at\":%lld,\"expires_at\":null,"
	    "\"status\":\"processed\",\"status_details\":null}", f->bytes,
	    f->created_at);
}

static void
batch_json(struct buf *b, const struct batch *x)
{
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
	    bstatus_name[x->status]);
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

static void
batch_error(struct batch *b, const char *code, long line, const char *message,
    const char *param)
{
	if (b->nerrors++ >= MAX_BATCH_ERRORS)
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
	add_str(&b->errors, message);
	buf_adds(&b->errors, ",\"param\":");
	add_str(&b->errors, param);
	buf_addc(&b->errors, '}');
}

static void
release_input(struct batch *b)
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
check_line(struct batch *b, long lineno, const char *p, size_t n,
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
validate(struct batch *b)
{
	struct mfile *f = find_file(b->input_file_id, NULL);
	struct idset ids = { NULL, 0, 0, 0 };
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
	if (f->bytes > MAX_BATCH_BYTES) {
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
		if (++lineno > MAX_BATCH_REQUESTS) {
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
		struct span t = b->lines[i - 1];

		b->lines[i - 1] = b->lines[j];
		b->lines[j] = t;
	}
	return 0;
}

static long long
enqueued_tokens(void)
{
	long long sum = 0;
	size_t i;

	for (i = 0; i < S.nbatches; i++)
		if (S.batches[i]->status == B_IN_PROGRESS ||
		    S.batches[i]->status == B_FINALIZING)
			sum += S.batches[i]->est_tokens;
	return sum;
}

static int
open_results(struct batch *b)
{
	struct buf name = BUF_INIT;

	buf_printf(&name, "%s.output.part", b->id);
	b->out_path = store_path(name.p);
	buf_reset(&name);
	buf_printf(&name, "%s.error.part", b->id);
	b->err_path = store_path(name.p);
	buf_free(&name);
	if ((b->out = fopen(b->out_path, "w")) == NULL ||
	    (b->err = fopen(b->err_path, "w")) == NULL) {
		warn("%s", b->out == NULL ? b->out_path : b->err_path);
		return -1;
	}
	return 0;
}

static void
start_processing(struct batch *b, double now)
{
	char msg[512];
	size_t i;

	if (validate(b) != 0)
		goto failed;
	for (i = 0; i < S.nfaults; i++) {
		struct mock_fault *f = &S.faults[i];

		if (f->kind == MF_TOKEN_LIMIT &&
		    (double)(enqueued_tokens() + b->est_tokens) > f->value) {
			snprintf(msg, sizeof msg, "Enqueued token limit reached "
			    "for %s in organization org-mock. Limit: %.0f "
			    "enqueued tokens. Please try submitting fewer tasks "
			    "or wait until other batches have completed.",
			    b->model, f->value);
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
	for (i = 0; i < S.nfaults; i++) {
		struct mock_fault *f = &S.faults[i];

		if ((f->kind != MF_EXPIRE && f->kind != MF_CANCEL) ||
		    b->stop_at < b->total)
			continue;
		if (f->limit > 0 && f->seen >= (unsigned long long)f->limit)
			continue;
		f->seen++;
		b->stop_at = (size_t)floor(f->value * (double)b->total);
		b->stop_as = f->kind == MF_EXPIRE ? B_EXPIRED : B_CANCELLING;
	}
	b->status = B_IN_PROGRESS;
	b->in_progress_at = wall();
	b->t_phase = now;
	return;
failed:
	b->status = B_FAILED;
	b->failed_at = wall();
}

static void
result_id(struct buf *line, const char *key, const char *prefix)
{
	char id[80];

	new_id(id, sizeof id, prefix, 1);
	buf_printf(line, "\"%s\":\"%s\"", key, id);
}

/* Answers the next request of b into its output or error file. */
static void
process_one(struct batch *b)
{
	struct span s = b->lines[b->done++];
	const char *p = b->map + s.off;
	struct jval top, cid, body;
	struct jerr e;
	struct buf line = BUF_INIT, ans = BUF_INIT;
	struct mock_usage u;
	struct mock_fault *fail = NULL, *fail_status = NULL;
	FILE *to;
	size_t i;
	int status;

	/* validate() accepted this line: these cannot fail. */
	jscan_doc(p, s.len, &top, &e);
	jscan_member(top, "custom_id", &cid);
	jscan_member(top, "body", &body);
	for (i = 0; i < S.nfaults; i++) {
		if (S.faults[i].kind == MF_FAIL_REQUESTS)
			fail = &S.faults[i];
		if (S.faults[i].kind == MF_FAIL_STATUS)
			fail_status = &S.faults[i];
	}
	buf_addc(&line, '{');
	result_id(&line, "id", "batch_req_");
	buf_adds(&line, ",\"custom_id\":");
	buf_add(&line, cid.p, cid.n);
	/* fail-requests: a fixed share of custom_ids, each failed only the
	 * first time this server sees it, so a retry round succeeds. */
	if (fail != NULL && (double)(idset_hash(cid.p, cid.n) % 1000000) <
	    fail->value * 1e6 && idset_add(&S.failed_once, cid.p, cid.n)) {
		b->failed++;
		if (fail_status != NULL) {
			buf_printf(&line, ",\"response\":{\"status_code\":%d,",
			    (int)fail_status->value);
			result_id(&line, "request_id", "req_");
			buf_adds(&line, ",\"body\":");
			mock_error_body(&line, "The server had an error while "
			    "processing your request. Sorry about that!",
			    "server_error", NULL, NULL);
			buf_adds(&line, "},\"error\":null}\n");
			to = b->out;
			b->out_lines++;
		} else {
			buf_adds(&line, ",\"response\":null,\"error\":{\"code\":"
			    "\"server_error\",\"message\":\"The server had an "
			    "error while processing this request.\"}}\n");
			to = b->err;
			b->err_lines++;
		}
	} else {
		status = mock_answer(b->endpoint, body, mock_hash(p, s.len,
		    MOCK_HASH_INIT), wall(), &ans, &u);
		buf_printf(&line, ",\"response\":{\"status_code\":%d,", status);
		result_id(&line, "request_id", "req_");
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
}

/* Writes every request not answered as an error line with code. */
static void
abandon_rest(struct batch *b, const char *code, const char *message)
{
	struct buf line = BUF_INIT;
	struct jval top, cid;
	struct jerr e;

	while (b->lines != NULL && b->done < b->total) {
		struct span s = b->lines[b->done++];

		jscan_doc(b->map + s.off, s.len, &top, &e);
		jscan_member(top, "custom_id", &cid);
		buf_reset(&line);
		buf_addc(&line, '{');
		result_id(&line, "id", "batch_req_");
		buf_adds(&line, ",\"custom_id\":");
		buf_add(&line, cid.p, cid.n);
		buf_printf(&line, ",\"response\":null,\"error\":{\"code\":\"%s\","
		    "\"message\":\"%s\"}}\n", code, message);
		if (fwrite(line.p, 1, line.len, b->err) != line.len)
			warn("%s", b->err_path);
		b->err_lines++;
	}
	buf_free(&line);
}

/* Closes a results file and, when it has lines, makes it a file object
 * of purpose batch_output.  Returns its id (allocated) or NULL. */
static char *
publish(struct batch *b, FILE **fp, char **path, size_t lines,
    const char *kind)
{
	char id[40], name[96], *dest, *ret = NULL;
	struct stat st;
	int bad = 0;

	if (*fp == NULL)
		return NULL;
	if (fclose(*fp) != 0) {
		warn("%s", *path);
		bad = 1;
	}
	*fp = NULL;
	if (lines > 0 && !bad && stat(*path, &st) == 0) {
		new_id(id, sizeof id, "file-", 0);
		dest = store_path(id);
		if (rename(*path, dest) == 0) {
			snprintf(name, sizeof name, "%s_%s.jsonl", b->id, kind);
			add_file(id, name, "batch_output", dest,
			    (long long)st.st_size);
			ret = xstrdup(id);
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

static void
finish(struct batch *b, enum bstatus final)
{
	long long now = wall();

	b->output_file_id = publish(b, &b->out, &b->out_path, b->out_lines,
	    "output");
	b->error_file_id = publish(b, &b->err, &b->err_path, b->err_lines,
	    "error");
	release_input(b);
	b->status = final;
	if (final == B_COMPLETED)
		b->completed_at = now;
	else if (final == B_EXPIRED)
		b->expired_at = now;
	else
		b->cancelled_at = now;
}

static void
begin_cancel(struct batch *b, double now)
{
	b->status = B_CANCELLING;
	b->cancelling_at = wall();
	b->t_phase = now;
}

/* Moves b as far along its lifecycle as the clock says. */
static void
advance(struct batch *b, double now)
{
	size_t target;

	for (;;) {
		switch (b->status) {
		case B_VALIDATING:
			if (now < b->t_phase + S.t_validating)
				return;
			start_processing(b, now);
			break;
		case B_IN_PROGRESS:
			if (S.t_in_progress <= 0 ||
			    now >= b->t_phase + S.t_in_progress)
				target = b->total;
			else
				target = (size_t)ceil((double)b->total *
				    (now - b->t_phase) / S.t_in_progress);
			if (target > b->stop_at)
				target = b->stop_at;
			while (b->done < target)
				process_one(b);
			if (b->done == b->stop_at && b->stop_at < b->total) {
				if (b->stop_as == B_EXPIRED) {
					abandon_rest(b, "batch_expired", "This "
					    "request could not be executed before "
					    "the completion window expired.");
					finish(b, B_EXPIRED);
				} else
					begin_cancel(b, now);
				break;
			}
			if (b->done < b->total)
				return;
			b->status = B_FINALIZING;
			b->finalizing_at = wall();
			b->t_phase = now;
			break;
		case B_FINALIZING:
			if (now < b->t_phase + S.t_finalizing)
				return;
			finish(b, B_COMPLETED);
			break;
		case B_CANCELLING:
			if (now < b->t_phase + S.t_finalizing)
				return;
			abandon_rest(b, "batch_cancelled", "This request was not "
			    "executed because the batch was cancelled.");
			finish(b, B_CANCELLED);
			break;
		default:
			return;
		}
	}
}

static void *
ticker(void *arg)
{
	struct timespec ts = { 0, TICK_NS };
	size_t i;
	int stop;

	for (;;) {
		pthread_mutex_lock(&S.lock);
		for (i = 0; i < S.nbatches; i++)
			advance(S.batches[i], mono());
		stop = S.stop;
		pthread_mutex_unlock(&S.lock);
		if (stop)
			return NULL;
		nanosleep(&ts, NULL);
	}
}

static void
free_batch(struct batch *b)
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

/* ---- HTTP ---- */

static enum MHD_Result
send_body(struct MHD_Connection *c, struct req *r, unsigned status,
    const char *type, const char *body, size_t n)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char rid[80];

	resp = MHD_create_response_from_buffer(n, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	pthread_mutex_lock(&S.lock);
	new_id(rid, sizeof rid, "req_", 1);
	pthread_mutex_unlock(&S.lock);
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "x-request-id", rid);
	MHD_add_response_header(resp, "openai-version", "2020-10-01");
	if (status == 429) {
		double s = 0.1;
		char v[32];
		size_t i;

		for (i = 0; i < S.nfaults; i++)
			if (S.faults[i].kind == MF_RETRY_AFTER)
				s = S.faults[i].value;
		/* By default Retry-After says 1 s and retry-after-ms 100 ms,
		 * as OpenAI often does: a client must prefer the finer one. */
		snprintf(v, sizeof v, "%.0f", s == 0.1 ? 1 : ceil(s));
		MHD_add_response_header(resp, "Retry-After", v);
		snprintf(v, sizeof v, "%.0f", s * 1000);
		MHD_add_response_header(resp, "retry-after-ms", v);
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	return ret;
}

static enum MHD_Result
send_json(struct MHD_Connection *c, struct req *r, unsigned status,
    struct buf *b)
{
	enum MHD_Result ret;

	ret = send_body(c, r, status, "application/json", b->p ? b->p : "",
	    b->len);
	buf_free(b);
	return ret;
}

static enum MHD_Result
send_error(struct MHD_Connection *c, struct req *r, unsigned status,
    const char *message, const char *param, const char *code)
{
	struct buf b = BUF_INIT;

	mock_error_body(&b, message, status < 500 ? "invalid_request_error" : "server_error", param, code);
	return send_json(c, r, status, &b);
}

static enum MHD_Result
send_fault(struct MHD_Connection *c, struct req *r)
{
	struct buf b = BUF_INIT;
	static const char gateway[] = "<html>\r\n<head><title>502 Bad Gateway"
	    "</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
	    "</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n"
	    "</html>\r\n";

	switch (r->fault) {
	case MF_HTTP429:
		mock_error_body(&b, "Rate limit reached for requests. Please "
		    "try again in 1s.", "requests", NULL, "rate_limit_exceeded");
		return send_json(c, r, 429, &b);
	case MF_HTTP500:
		mock_error_body(&b, "The server had an error while processing "
		    "your request. Sorry about that!", "server_error", NULL,
		    NULL);
		return send_json(c, r, 500, &b);
	case MF_HTTP502:
		/* A gateway's page, not JSON: clients meet those too. */
		return send_body(c, r, 502, "text/html", gateway,
		    sizeof gateway - 1);
	default:
		mock_error_body(&b, "The engine is currently overloaded, please "
		    "try again later.", "server_error", NULL, NULL);
		return send_json(c, r, 503, &b);
	}
}

static int
authorized(struct MHD_Connection *c, struct req *r, enum MHD_Result *ret)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	const char *given;
	char msg[256];
	size_t n;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		*ret = send_error(c, r, 401, "You didn't provide an API key. You "
		    "need to provide your API key in an Authorization header "
		    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
		    NULL, NULL);
		return 0;
	}
	given = h + 7;
	if (S.key != NULL && strcmp(given, S.key) != 0) {
		/* Like OpenAI, show only the ends of the wrong key. */
		n = strlen(given);
		if (n > 8)
			snprintf(msg, sizeof msg, "Incorrect API key provided: "
			    "%.3s***%s. You can find your API key at "
			    "https://platform.openai.com/account/api-keys.",
			    given, given + n - 4);
		else
			snprintf(msg, sizeof msg, "Incorrect API key provided: "
			    "***. You can find your API key at "
			    "https://platform.openai.com/account/api-keys.");
		*ret = send_error(c, r, 401, msg, NULL, "invalid_api_key");
		return 0;
	}
	return 1;
}

/* The list parameters: limit (1..max, default dflt), after, order. */
static int
list_params(struct MHD_Connection *c, struct req *r, long dflt, long max,
    long *limit, const char **after, int *asc, enum MHD_Result *ret)
{
	const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "limit");
	const char *o = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "order");
	char *end, msg[160];

	*after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
	*limit = dflt;
	*asc = 0;
	if (l != NULL) {
		errno = 0;
		*limit = strtol(l, &end, 10);
		if (*l == '\0' || *end != '\0' || errno || *limit < 1 ||
		    *limit > max) {
			snprintf(msg, sizeof msg, "Invalid 'limit': expected an "
			    "integer between 1 and %ld.", max);
			*ret = send_error(c, r, 400, msg, "limit", "invalid_value");
			return 0;
		}
	}
	if (o != NULL) {
		if (strcmp(o, "asc") != 0 && strcmp(o, "desc") != 0) {
			*ret = send_error(c, r, 400, "Invalid 'order': expected "
			    "'asc' or 'desc'.", "order", "invalid_value");
			return 0;
		}
		*asc = strcmp(o, "asc") == 0;
	}
	return 1;
}

static enum MHD_Result
list_files(struct MHD_Connection *c, struct req *r)
{
	const char *purpose = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "purpose");
	const char *after, *first = NULL, *last = NULL;
	struct buf b = BUF_INIT;
	enum MHD_Result ret;
	long limit, count = 0;
	size_t k;
	int asc, skipping, more = 0;

	if (!list_params(c, r, 10000, 10000, &limit, &after, &asc, &ret))
		return ret;
	skipping = after != NULL;
	buf_adds(&b, "{\"object\":\"list\",\"data\":[");
	pthread_mutex_lock(&S.lock);
	for (k = 0; k < S.nfiles; k++) {
		struct mfile *f = S.files[asc ? k : S.nfiles - 1 - k];

		if (skipping) {
			skipping = strcmp(f->id, after) != 0;
			continue;
		}
		if (purpose != NULL && strcmp(f->purpose, purpose) != 0)
			continue;
		if (count == limit) {
			more = 1;
			break;
		}
		if (count++ > 0)
			buf_addc(&b, ',');
		file_json(&b, f);
		if (first == NULL)
			first = f->id;
		last = f->id;
	}
	buf_adds(&b, "],\"first_id\":");
	add_str(&b, first);
	buf_adds(&b, ",\"last_id\":");
	add_str(&b, last);
	pthread_mutex_unlock(&S.lock);
	buf_printf(&b, ",\"has_more\":%s}", more ? "true" : "false");
	return send_json(c, r, 200, &b);
}

static enum MHD_Result
no_such_file(struct MHD_Connection *c, struct req *r, const char *id,
    const char *param)
{
	char msg[256];

	snprintf(msg, sizeof msg, "No such File object: %s", id);
	return send_error(c, r, 404, msg, param, NULL);
}

static enum MHD_Result
get_file(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct buf b = BUF_INIT;
	struct mfile *f;

	pthread_mutex_lock(&S.lock);
	if ((f = find_file(id, NULL)) != NULL)
		file_json(&b, f);
	pthread_mutex_unlock(&S.lock);
	if (f == NULL)
		return no_such_file(c, r, id, "id");
	return send_json(c, r, 200, &b);
}

static enum MHD_Result
delete_file(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct buf b = BUF_INIT;
	struct mfile *f;
	size_t i;

	pthread_mutex_lock(&S.lock);
	if ((f = find_file(id, &i)) != NULL) {
		memmove(S.files + i, S.files + i + 1,
		    (S.nfiles - i - 1) * sizeof *S.files);
		S.nfiles--;
		if (unlink(f->path) == -1)
			warn("%s", f->path);
		free_file(f);
	}
	pthread_mutex_unlock(&S.lock);
	if (f == NULL)
		return no_such_file(c, r, id, "id");
	buf_adds(&b, "{\"id\":");
	add_str(&b, id);
	buf_adds(&b, ",\"object\":\"file\",\"deleted\":true}");
	return send_json(c, r, 200, &b);
}

/* The cut fault: the body stops halfway, after full headers. */
struct cut {
	int		 fd;
	uint64_t	 stop;
};

static ssize_t
cut_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct cut *k = cls;
	ssize_t n;

	if (pos >= k->stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (max > k->stop - pos)
		max = (size_t)(k->stop - pos);
	n = pread(k->fd, out, max, (off_t)pos);
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void
cut_free(void *cls)
{
	struct cut *k = cls;

	close(k->fd);
	free(k);
}

static enum MHD_Result
file_content(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct mfile *f;
	struct stat st;
	int fd = -1;

	pthread_mutex_lock(&S.lock);
	if ((f = find_file(id, NULL)) != NULL &&
	    (fd = open(f->path, O_RDONLY)) == -1)
		warn("%s", f->path);
	pthread_mutex_unlock(&S.lock);
	if (f == NULL)
		return no_such_file(c, r, id, "id");
	if (fd == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return send_error(c, r, 500, "The file could not be read.",
		    NULL, NULL);
	}
	if (r->fault == MF_CUT) {
		struct cut *k = xmalloc(sizeof *k);

		k->fd = fd;
		k->stop = (uint64_t)st.st_size / 2;
		resp = MHD_create_response_from_callback((uint64_t)st.st_size,
		    64 * 1024, cut_read, k, cut_free);
		if (resp == NULL)
			cut_free(k);
	} else {
		resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
		if (resp == NULL)
			close(fd);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
	    "application/octet-stream");
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	r->status = r->fault == MF_CUT ? 0 : 200;
	return ret;
}

static enum MHD_Result
post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off,
    size_t size)
{
	struct req *r = cls;
	ssize_t w;

	if (strcmp(key, "purpose") == 0) {
		if (r->purpose.len + size < 256)
			buf_add(&r->purpose, data, size);
		return MHD_YES;
	}
	if (strcmp(key, "file") != 0 || r->upload_error)
		return MHD_YES;
	if (off == 0 && r->upfd == -1) {
		if (r->nfiles++ > 0) {
			r->upload_error = 1;
			return MHD_YES;
		}
		r->filename = xstrdup(filename ? filename : "upload");
		r->uppath = store_path("upload.XXXXXX");
		if ((r->upfd = mkstemp(r->uppath)) == -1) {
			warn("%s", r->uppath);
			free(r->uppath);
			r->uppath = NULL;
			r->upload_error = 1;
			return MHD_YES;
		}
	}
	if (r->upfd == -1)
		return MHD_YES;
	r->upbytes += (long long)size;
	while (size > 0) {
		if ((w = write(r->upfd, data, size)) == -1) {
			if (errno == EINTR)
				continue;
			warn("%s", r->uppath);
			r->upload_error = 1;
			return MHD_YES;
		}
		data += w;
		size -= (size_t)w;
	}
	return MHD_YES;
}

static int
purpose_ok(const char *p)
{
	static const char *const ok[] = {
		"assistants", "batch", "fine-tune", "vision", "user_data",
		"evals", NULL
	};
	size_t i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(p, ok[i]) == 0)
			return 1;
	return 0;
}

static enum MHD_Result
upload_file(struct MHD_Connection *c, struct req *r)
{
	struct buf b = BUF_INIT;
	char id[40], msg[256], *dest;
	struct mfile *f = NULL;

	if (r->pp == NULL)
		return send_error(c, r, 400, "Invalid Content-Type header, "
		    "expected multipart/form-data.", NULL, NULL);
	if (r->upload_error)
		return send_error(c, r, 400, "The multipart body could not be "
		    "read (one 'file' part is expected).", "file", NULL);
	if (r->upfd == -1)
		return send_error(c, r, 400, "Missing required parameter: "
		    "'file'.", "file", "missing_required_parameter");
	if (r->purpose.len == 0)
		return send_error(c, r, 400, "Missing required parameter: "
		    "'purpose'.", "purpose", "missing_required_parameter");
	if (!purpose_ok(r->purpose.p)) {
		snprintf(msg, sizeof msg, "'%.64s' is not one of ['assistants', "
		    "'batch', 'fine-tune', 'vision', 'user_data', 'evals'] - "
		    "'purpose'", r->purpose.p);
		return send_error(c, r, 400, msg, "purpose", "invalid_value");
	}
	if (r->upbytes > MAX_UPLOAD_BYTES)
		return send_error(c, r, 400, "File is too large: the maximum is "
		    "512 MB.", "file", NULL);
	if (close(r->upfd) == -1) {
		r->upfd = -1;
		return send_error(c, r, 500, "The upload could not be stored.",
		    NULL, NULL);
	}
	r->upfd = -1;
	pthread_mutex_lock(&S.lock);
	new_id(id, sizeof id, "file-", 0);
	dest = store_path(id);
	if (rename(r->uppath, dest) == 0) {
		free(r->uppath);
		r->uppath = NULL;
		f = add_file(id, r->filename, r->purpose.p, dest, r->upbytes);
		file_json(&b, f);
	} else
		warn("rename %s", r->uppath);
	pthread_mutex_unlock(&S.lock);
	free(dest);
	if (f == NULL)
		return send_error(c, r, 500, "The upload could not be stored.",
		    NULL, NULL);
	return send_json(c, r, 200, &b);
}

/* Parses the JSON request body into *top; 0, or -1 after answering. */
static int
json_body(struct MHD_Connection *c, struct req *r, struct jval *top,
    enum MHD_Result *ret)
{
	struct jerr e;

	if (r->body_too_big) {
		*ret = send_error(c, r, 413, "The request body is too large.",
		    NULL, NULL);
		return -1;
	}
	if (jscan_doc(r->body.p ? r->body.p : "", r->body.len, top, &e) != 0 ||
	    top->type != JT_OBJECT) {
		*ret = send_error(c, r, 400, "We could not parse the JSON body of "
		    "your request. (HINT: This likely means you aren't using "
		    "your HTTP library correctly. The OpenAI API expects a JSON "
		    "payload, but what was sent was not valid JSON.)", NULL,
		    NULL);
		return -1;
	}
	return 0;
}

/* A required string member: its decoded value (allocated) or NULL. */
static char *
str_member(struct jval obj, const char *name)
{
	struct buf b = BUF_INIT;
	struct jval v;

	if (!jscan_member(obj, name, &v) || v.type != JT_STRING)
		return NULL;
	jscan_unescape(v, &b);
	return b.p ? b.p : xstrdup("");
}

static enum MHD_Result
create_batch(struct MHD_Connection *c, struct req *r)
{
	static const char *const endpoints[] = {
		"/v1/responses", "/v1/chat/completions", "/v1/embeddings",
		"/v1/completions", "/v1/moderations", "/v1/images/generations",
		"/v1/images/edits", "/v1/videos", NULL
	};
	struct jval top, meta, k, v;
	struct jiter it;
	struct buf b = BUF_INIT;
	struct batch *x;
	char *input, *endpoint, *window, msg[256];
	enum MHD_Result ret;
	size_t i, nkeys = 0;
	int found;

	if (json_body(c, r, &top, &ret) != 0)
		return ret;
	input = str_member(top, "input_file_id");
	endpoint = str_member(top, "endpoint");
	window = str_member(top, "completion_window");
	ret = MHD_NO;
	if (input == NULL) {
		ret = send_error(c, r, 400, "Missing required parameter: "
		    "'input_file_id'.", "input_file_id",
		    "missing_required_parameter");
		goto out;
	}
	if (endpoint == NULL) {
		ret = send_error(c, r, 400, "Missing required parameter: "
		    "'endpoint'.", "endpoint", "missing_required_parameter");
		goto out;
	}
	for (i = 0; endpoints[i] != NULL; i++)
		if (strcmp(endpoint, endpoints[i]) == 0)
			break;
	if (endpoints[i] == NULL || !mock_endpoint_ok(endpoint)) {
		snprintf(msg, sizeof msg, "Invalid value for 'endpoint': '%.64s'"
		    "%s.", endpoint, endpoints[i] == NULL ? "" :
		    " is not served by oai-mock");
		ret = send_error(c, r, 400, msg, "endpoint", "invalid_value");
		goto out;
	}
	if (window == NULL) {
		ret = send_error(c, r, 400, "Missing required parameter: "
		    "'completion_window'.", "completion_window",
		    "missing_required_parameter");
		goto out;
	}
	if (strcmp(window, "24h") != 0) {
		ret = send_error(c, r, 400, "Invalid value for "
		    "'completion_window': expected '24h'.", "completion_window",
		    "invalid_value");
		goto out;
	}
	if (jscan_member(top, "metadata", &meta) && meta.type != JT_NULL) {
		found = meta.type == JT_OBJECT;
		if (found) {
			jscan_iter(meta, &it);
			while (jscan_next(&it, &k, &v))
				if (v.type != JT_STRING || k.n > 66 ||
				    v.n > 514 || ++nkeys > 16)
					found = 0;
		}
		if (!found) {
			ret = send_error(c, r, 400, "Invalid 'metadata': at most "
			    "16 pairs of string keys (64 characters) and "
			    "string values (512 characters).", "metadata",
			    "invalid_value");
			goto out;
		}
	}
	pthread_mutex_lock(&S.lock);
	if (find_file(input, NULL) == NULL) {
		pthread_mutex_unlock(&S.lock);
		ret = no_such_file(c, r, input, "input_file_id");
		goto out;
	}
	x = xcalloc(1, sizeof *x);
	new_id(x->id, sizeof x->id, "batch_", 1);
	x->endpoint = endpoint;
	x->input_file_id = input;
	x->window = window;
	endpoint = input = window = NULL;
	if (meta.type == JT_OBJECT)
		x->metadata = xstrndup(meta.p, meta.n);
	x->status = B_VALIDATING;
	x->created_at = wall();
	x->expires_at = x->created_at + 24 * 3600;
	x->t_phase = mono();
	S.batches = xreallocarray(S.batches, S.nbatches + 1,
	    sizeof *S.batches);
	S.batches[S.nbatches++] = x;
	batch_json(&b, x);
	pthread_mutex_unlock(&S.lock);
	if (r->fault == MF_LOSE_CREATE) {
		/* The batch exists; the client never hears of it. */
		buf_free(&b);
		r->status = 0;
		ret = MHD_NO;
	} else
		ret = send_json(c, r, 200, &b);
out:
	free(input);
	free(endpoint);
	free(window);
	return ret;
}

static enum MHD_Result
list_batches(struct MHD_Connection *c, struct req *r)
{
	const char *after, *first = NULL, *last = NULL;
	struct buf b = BUF_INIT;
	enum MHD_Result ret;
	long limit, count = 0;
	size_t k;
	int asc, skipping, more = 0;

	if (!list_params(c, r, 20, 100, &limit, &after, &asc, &ret))
		return ret;
	skipping = after != NULL;
	buf_adds(&b, "{\"object\":\"list\",\"data\":[");
	pthread_mutex_lock(&S.lock);
	for (k = 0; k < S.nbatches; k++) {
		struct batch *x = S.batches[S.nbatches - 1 - k];

		if (skipping) {
			skipping = strcmp(x->id, after) != 0;
			continue;
		}
		if (count == limit) {
			more = 1;
			break;
		}
		if (count++ > 0)
			buf_addc(&b, ',');
		batch_json(&b, x);
		if (first == NULL)
			first = x->id;
		last = x->id;
	}
	buf_adds(&b, "],\"first_id\":");
	add_str(&b, first);
	buf_adds(&b, ",\"last_id\":");
	add_str(&b, last);
	pthread_mutex_unlock(&S.lock);
	buf_printf(&b, ",\"has_more\":%s}", more ? "true" : "false");
	return send_json(c, r, 200, &b);
}

static enum MHD_Result
get_batch(struct MHD_Connection *c, struct req *r, const char *id,
    int cancel)
{
	struct buf b = BUF_INIT;
	struct batch *x;
	char msg[256];
	int refused = 0;

	pthread_mutex_lock(&S.lock);
	if ((x = find_batch(id)) != NULL) {
		if (cancel) {
			switch (x->status) {
			case B_VALIDATING:
			case B_IN_PROGRESS:
			case B_FINALIZING:
				begin_cancel(x, mono());
				break;
			case B_CANCELLING:
			case B_CANCELLED:
				break;
			default:
				refused = 1;
				snprintf(msg, sizeof msg, "Cannot cancel a batch "
				    "with status '%s'.", bstatus_name[x->status]);
			}
		}
		if (!refused)
			batch_json(&b, x);
	}
	pthread_mutex_unlock(&S.lock);
	if (x == NULL) {
		snprintf(msg, sizeof msg, "No batch found with id '%s'.", id);
		return send_error(c, r, 404, msg, "batch_id", NULL);
	}
	if (refused)
		return send_error(c, r, 409, msg, NULL, NULL);
	return send_json(c, r, 200, &b);
}

static enum MHD_Result
answer_live(struct MHD_Connection *c, struct req *r, const char *endpoint)
{
	struct buf b = BUF_INIT;
	struct mock_usage u;
	struct jval top;
	enum MHD_Result ret;
	int status;

	if (json_body(c, r, &top, &ret) != 0)
		return ret;
	status = mock_answer(endpoint, top, mock_hash(r->body.p, r->body.len,
	    MOCK_HASH_INIT), wall(), &b, &u);
	sleep_ms((double)S.latency_ms);
	return send_json(c, r, (unsigned)status, &b);
}

/* Splits "/v1/{coll}/{id}/{verb}": returns the number of parts after
 * /v1 (1..3), with id and verb (pointers into the copy), or 0. */
static int
route(char *path, char **coll, char **id, char **verb)
{
	char *p;

	*coll = *id = *verb = NULL;
	if (strncmp(path, "/v1/", 4) != 0)
		return 0;
	*coll = path + 4;
	if ((p = strchr(*coll, '/')) == NULL)
		return 1;
	*p++ = '\0';
	*id = p;
	if ((p = strchr(*id, '/')) == NULL)
		return **id ? 2 : 0;
	*p++ = '\0';
	*verb = p;
	return **id && **verb && strchr(p, '/') == NULL ? 3 : 0;
}

static enum MHD_Result
respond(struct MHD_Connection *c, struct req *r)
{
	char *copy = xstrdup(r->path), *coll, *id, *verb, msg[300];
	const char *m = r->method;
	enum MHD_Result ret;
	int parts;

	sleep_ms(r->slow_ms);
	if (r->fault >= 0 && r->fault <= MF_HTTP503) {
		ret = send_fault(c, r);
		goto out;
	}
	if (!authorized(c, r, &ret))
		goto out;
	parts = route(copy, &coll, &id, &verb);
	if (parts == 1 && strcmp(coll, "files") == 0 && !strcmp(m, "GET"))
		ret = list_files(c, r);
	else if (parts == 1 && strcmp(coll, "files") == 0 && !strcmp(m, "POST"))
		ret = upload_file(c, r);
	else if (parts == 2 && strcmp(coll, "files") == 0 && !strcmp(m, "GET"))
		ret = get_file(c, r, id);
	else if (parts == 2 && strcmp(coll, "files") == 0 &&
	    !strcmp(m, "DELETE"))
		ret = delete_file(c, r, id);
	else if (parts == 3 && strcmp(coll, "files") == 0 &&
	    !strcmp(verb, "content") && !strcmp(m, "GET"))
		ret = file_content(c, r, id);
	else if (parts == 1 && strcmp(coll, "batches") == 0 &&
	    !strcmp(m, "POST"))
		ret = create_batch(c, r);
	else if (parts == 1 && strcmp(coll, "batches") == 0 &&
	    !strcmp(m, "GET"))
		ret = list_batches(c, r);
	else if (parts == 2 && strcmp(coll, "batches") == 0 &&
	    !strcmp(m, "GET"))
		ret = get_batch(c, r, id, 0);
	else if (parts == 3 && strcmp(coll, "batches") == 0 &&
	    !strcmp(verb, "cancel") && !strcmp(m, "POST"))
		ret = get_batch(c, r, id, 1);
	else if (!strcmp(m, "POST") && (!strcmp(r->path, "/v1/chat/completions")
	    || !strcmp(r->path, "/v1/embeddings") ||
	    !strcmp(r->path, "/v1/responses")))
		ret = answer_live(c, r, r->path);
	else {
		snprintf(msg, sizeof msg, "Invalid URL (%s %.200s)", m, r->path);
		ret = send_error(c, r, 404, msg, NULL, NULL);
	}
out:
	free(copy);
	return ret;
}

/* Which fault hits this call: the first given that fires decides; the
 * ones after it do not count the call. */
static void
pick_faults(struct req *r)
{
	int content = strncmp(r->path, "/v1/files/", 10) == 0 &&
	    strcmp(r->method, "GET") == 0 && strlen(r->path) > 18 &&
	    strcmp(r->path + strlen(r->path) - 8, "/content") == 0;
	int create = strcmp(r->path, "/v1/batches") == 0 &&
	    strcmp(r->method, "POST") == 0;
	size_t i;

	r->fault = -1;
	for (i = 0; i < S.nfaults; i++) {
		struct mock_fault *f = &S.faults[i];

		if (!mock_fault_matches(f, r->path))
			continue;
		if (f->kind == MF_SLOW) {
			r->slow_ms = f->value;
			continue;
		}
		if (f->kind > MF_LOSE_CREATE || r->fault >= 0 ||
		    (f->kind == MF_CUT && !content) ||
		    (f->kind == MF_LOSE_CREATE && !create))
			continue;
		if (mock_fault_fire(f))
			r->fault = (int)f->kind;
	}
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct req *r = *con_cls;
	const char *ct;

	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		r->upfd = -1;
		r->method = xstrdup(method);
		r->path = xstrdup(url);
		*con_cls = r;
		pthread_mutex_lock(&S.lock);
		pick_faults(r);
		pthread_mutex_unlock(&S.lock);
		if (r->fault == MF_CLOSE)
			return MHD_NO;
		ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_TYPE);
		if (strcmp(method, "POST") == 0 &&
		    strcmp(url, "/v1/files") == 0 && ct != NULL &&
		    strncasecmp(ct, "multipart/form-data", 19) == 0)
			r->pp = MHD_create_post_processor(c, 64 * 1024,
			    post_iter, r);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (r->pp != NULL) {
			if (MHD_post_process(r->pp, upload_data,
			    *upload_data_size) != MHD_YES)
				r->upload_error = 1;
		} else if (r->body.len + *upload_data_size > MAX_JSON_BODY)
			r->body_too_big = 1;
		else
			buf_add(&r->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return respond(c, r);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	if (r == NULL)
		return;
	if (!S.quiet) {
		if (r->fault >= 0)
			fprintf(stderr, "oai-mock: %s %s %u (fault %s)\n",
			    r->method, r->path, r->status,
			    mock_fault_name((enum mock_fault_kind)r->fault));
		else
			fprintf(stderr, "oai-mock: %s %s %u\n", r->method,
			    r->path, r->status);
	}
	if (r->pp != NULL)
		MHD_destroy_post_processor(r->pp);
	if (r->upfd != -1)
		close(r->upfd);
	if (r->uppath != NULL)
		unlink(r->uppath);
	free(r->uppath);
	free(r->filename);
	free(r->method);
	free(r->path);
	buf_free(&r->body);
	buf_free(&r->purpose);
	free(r);
	*con_cls = NULL;
}

/* ---- start and stop ---- */

static int
parse_times(const char *s)
{
	double t[3];
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		errno = 0;
		t[i] = strtod(s, &end);
		if (end == s || errno || !isfinite(t[i]) || t[i] < 0)
			return -1;
		if (i < 2 && *end != ',')
			return -1;
		s = end + 1;
	}
	if (*end != '\0')
		return -1;
	S.t_validating = t[0];
	S.t_in_progress = t[1];
	S.t_finalizing = t[2];
	return 0;
}

static void
remove_dir(const char *dir)
{
	struct dirent *e;
	DIR *d;
	char *p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = store_path(e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	if (rmdir(dir) == -1)
		warn("%s", dir);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const char *addr = "127.0.0.1", *why;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	pthread_t tick;
	sigset_t sigs;
	char *end, *tmpl = NULL;
	unsigned flags;
	long port = 8080;
	size_t i;
	int ch, sig, v6 = 0, private_dir = 0;

	S.t_validating = 0.3;
	S.t_in_progress = 1;
	S.t_finalizing = 0.3;
	S.failed_once.owned = 1;
	while ((ch = getopt(argc, argv, "a:d:F:hk:L:p:qt:V")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'd':
			S.dir = xstrdup(optarg);
			break;
		case 'F':
			S.faults = xreallocarray(S.faults, S.nfaults + 1,
			    sizeof *S.faults);
			if (mock_fault_parse(optarg, &S.faults[S.nfaults],
			    &why) != 0) {
				warnx("-F %s: %s", optarg, why);
				usage(stderr);
				return 2;
			}
			S.nfaults++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'k':
			S.key = optarg;
			break;
		case 'L':
			errno = 0;
			S.latency_ms = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || errno || S.latency_ms < 0) {
				warnx("-L %s: not a number of milliseconds",
				    optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'p':
			errno = 0;
			port = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || errno || port < 0 ||
			    port > 65535) {
				warnx("-p %s: not a port number", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'q':
			S.quiet = 1;
			break;
		case 't':
			if (parse_times(optarg) != 0) {
				warnx("-t %s: expected three durations in "
				    "seconds, e.g. 0.3,1,0.3", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'V':
			puts("oai-mock batchpipe " BATCHPIPE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		v6 = 1;
	} else {
		warnx("-a %s: not a numeric IPv4 or IPv6 address", addr);
		usage(stderr);
		return 2;
	}

	if (S.dir == NULL) {
		const char *t = getenv("TMPDIR");
		struct buf b = BUF_INIT;

		buf_printf(&b, "%s/oai-mock.XXXXXX", t && *t ? t : "/tmp");
		tmpl = b.p;
		if (mkdtemp(tmpl) == NULL)
			err(1, "%s", tmpl);
		S.dir = xstrdup(tmpl);
		free(tmpl);
		private_dir = 1;
	} else if (mkdir(S.dir, 0700) == -1 && errno != EEXIST)
		err(1, "%s", S.dir);
	S.idseed = mock_mix((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));

	/* Every thread inherits this mask: only main() takes the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	if (!S.quiet)
		flags |= MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_END);
	if (d == NULL) {
		warnx("cannot listen on %s port %ld", addr, port);
		if (private_dir)
			remove_dir(S.dir);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (pthread_create(&tick, NULL, ticker, NULL) != 0)
		errx(1, "cannot start the lifecycle thread");
	if (v6)
		printf("http://[%s]:%u/v1\n", addr, info->port);
	else
		printf("http://%s:%u/v1\n", addr, info->port);
	if (fflush(stdout) == EOF)
		warn("stdout");

	sigwait(&sigs, &sig);

	pthread_mutex_lock(&S.lock);
	S.stop = 1;
	pthread_mutex_unlock(&S.lock);
	pthread_join(tick, NULL);
	MHD_stop_daemon(d);
	for (i = 0; i < S.nbatches; i++)
		free_batch(S.batches[i]);
	free(S.batches);
	for (i = 0; i < S.nfiles; i++)
		free_file(S.files[i]);
	free(S.files);
	for (i = 0; i < S.nfaults; i++)
		free(S.faults[i].prefix);
	free(S.faults);
	idset_free(&S.failed_once);
	if (private_dir)
		remove_dir(S.dir);
	free(S.dir);
	return 0;
}
