/*
 * oai-run's output: result lines in the Batch API's output format, each
 * written whole.  With -o the file is the run's record: what it holds as
 * a success is never sent again.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "jscan.h"
#include "jsonl.h"
#include "monoclock.h"
#include "result.h"
#include "run.h"
#include "scrub.h"
#include "writeall.h"

/* How often -o is made durable while lines are written, in seconds. */
#define SYNC_EVERY	2.0
/* Lines are written when this much is held, or at each turn of the loop
 * that finished a request. */
#define PENDING_MAX	((size_t)256 << 10)

/* The custom_id of a result line that succeeded, decoded into id; 0 when
 * the line is not one. */
static int
success_id(const char *line, size_t len, struct buf *id)
{
	struct jval top, cid;
	struct jerr e;
	struct result res;

	if (jscan_doc(line, len, &top, &e) != 0 || top.type != JT_OBJECT)
		return 0;
	result_of(top, &res);
	if (!res.ok || !jscan_member(top, "custom_id", &cid) ||
	    cid.type != JT_STRING)
		return 0;
	buf_reset(id);
	return jscan_unescape(cid, id) == 0 && id->len > 0;
}

/* scan_results: reads the results of an earlier run in path: the id of
 * each success seen first goes into r->done and, with copy non-NULL, its
 * line into copy.  Returns how many lines were left out (failures, a
 * second success for an id, a line cut off by a crash), or -1 after
 * reporting a read error. */
static long
scan_results(struct run *r, const char *path, struct afile *copy)
{
	struct jsonl in;
	struct buf id = BUF_INIT;
	char *line;
	size_t len;
	long dropped = 0;
	int rc;

	if (jsonl_open(&in, path, 0) != 0)
		return -1;
	while ((rc = jsonl_next(&in, &line, &len)) == 1) {
		if (in.unterminated || !success_id(line, len, &id) ||
		    !idset_add(r->done, id.p, id.len)) {
			dropped++;
			continue;
		}
		if (copy != NULL) {
			fwrite(line, 1, len, copy->fp);
			putc('\n', copy->fp);
		}
	}
	jsonl_close(&in);
	buf_free(&id);
	return rc < 0 ? -1 : dropped;
}

/* keep_successes: r->done from path; when path holds anything but
 * successes, it is written again (atomically) with them alone, so that a
 * re-run appends one line for each request it sends. */
static int
keep_successes(struct run *r, const char *path)
{
	struct afile a;
	long dropped;

	if ((dropped = scan_results(r, path, NULL)) <= 0)
		return (int)dropped;
	idset_free(r->done);
	r->done = idset_new();
	if (afile_open(&a, path) != 0)
		return -1;
	if (scan_results(r, path, &a) < 0) {
		afile_abort(&a);
		return -1;
	}
	return afile_commit(&a);
}

int
out_open(struct run *r, const char *path)
{
	struct stat st;

	r->done = idset_new();
	if (path == NULL) {
		r->outfd = STDOUT_FILENO;
		r->outname = "standard output";
		return 0;
	}
	r->outname = path;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    keep_successes(r, path) != 0)
		return -1;
	if ((r->outfd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0666)) < 0) {
		warn("%s", path);
		return -1;
	}
	r->synced = mono_now();
	return 0;
}

/* The answer as the line's response.body: the JSON the server sent, on
 * one line, or, when it sent something else (an error page), that text
 * as a string, scrubbed. */
static void
add_body(struct buf *b, struct xfer *x, const char *key)
{
	struct jval top;
	struct jerr e;
	struct buf text = BUF_INIT;
	size_t i, start;

	if (x->answer.len > 0 &&
	    jscan_doc(x->answer.p, x->answer.len, &top, &e) == 0) {
		/* Raw newlines in valid JSON are only whitespace. */
		start = b->len;
		buf_add(b, x->answer.p, x->answer.len);
		for (i = start; i < b->len; i++)
			if (b->p[i] == '\n' || b->p[i] == '\r')
				b->p[i] = ' ';
		return;
	}
	scrub(&text, x->answer.p ? x->answer.p : "", x->answer.len, key, 4096);
	for (i = 0; i < text.len; i++)
		if ((unsigned char)text.p[i] >= 0x80)
			text.p[i] = '?';
	buf_add_json_string(b, text.p ? text.p : "", text.len);
	buf_free(&text);
}

/* used_tokens: what an answer says it used (usage.total_tokens, as chat,
 * embeddings and responses give it), 0 when it does not say. */
static long long
used_tokens(const struct xfer *x)
{
	struct jval top, v;
	struct jerr e;
	long long n;

	if (jscan_doc(x->answer.p, x->answer.len, &top, &e) != 0 ||
	    !jscan_path(top, "usage.total_tokens", &v) || jscan_int(v, &n) != 0 ||
	    n < 0)
		return 0;
	return n;
}

void
out_result(struct run *r, struct xfer *x, long status, const char *code,
    const char *message)
{
	struct buf *b = &r->pending;
	unsigned char rnd[12];
	size_t i;

	arc4random_buf(rnd, sizeof(rnd));
	buf_adds(b, "{\"id\":\"batch_req_");
	for (i = 0; i < sizeof(rnd); i++)
		buf_printf(b, "%02x", rnd[i]);
	buf_adds(b, "\",\"custom_id\":");
	buf_add(b, x->id.p, x->id.len);
	if (status > 0) {
		buf_printf(b, ",\"response\":{\"status_code\":%ld,"
		    "\"request_id\":", status);
		buf_add_json_string(b, x->request_id, strlen(x->request_id));
		buf_adds(b, ",\"body\":");
		add_body(b, x, r->cfg.key);
		buf_adds(b, "},\"error\":null}\n");
	} else {
		buf_adds(b, ",\"response\":null,\"error\":{\"code\":");
		buf_add_json_string(b, code, strlen(code));
		buf_adds(b, ",\"message\":");
		buf_printf(&r->scratch, "gave up after %d tries: ", x->tries);
		scrubs(&r->scratch, message, r->cfg.key, 512);
		buf_add_json_string(b, r->scratch.p, r->scratch.len);
		buf_reset(&r->scratch);
		buf_adds(b, "}}\n");
	}
	r->answered++;
	if (status == 200)
		r->tokens += used_tokens(x);
	if (status != 200)
		r->failed++;
	if (b->len >= PENDING_MAX)
		(void)out_flush(r, 0);
}

int
out_flush(struct run *r, int force)
{
	double t;

	if (r->pending.len > 0 &&
	    write_all(r->outfd, r->pending.p, r->pending.len) != 0) {
		warn("%s", r->outname);
		return -1;
	}
	buf_reset(&r->pending);
	if (r->outfd == STDOUT_FILENO)
		return 0;
	t = mono_now();
	if ((force || t - r->synced >= SYNC_EVERY) && fsync(r->outfd) != 0 &&
	    errno != EINVAL) {
		warn("%s", r->outname);
		return -1;
	}
	if (force || t - r->synced >= SYNC_EVERY)
		r->synced = t;
	return 0;
}
