#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "anthropic.h"
#include "anthropic_api.h"
#include "apipath.h"
#include "batchobj.h"
#include "buf.h"
#include "http.h"
#include "provider.h"
#include "tmpfile.h"
#include "writeall.h"

int
batch_anthropic(const struct http *h)
{
	return http_provider(h)->dialect == DIALECT_ANTHROPIC;
}

const char *
batch_path(const struct http *h, struct buf *b, const char *id,
    const char *suffix)
{
	return api_path(b, batch_anthropic(h) ? "/messages/batches/" :
	    "/batches/", id, suffix);
}

const char *
batch_list_path(const struct http *h)
{
	return batch_anthropic(h) ? "/messages/batches?limit=100" :
	    "/batches?limit=100";
}

int
batch_parse(const struct http *h, struct json_object *o, struct batchobj *b)
{
	return batch_anthropic(h) ? anthropic_batch(o, b) :
	    batchobj_parse(o, b);
}

/* rfc3339: s as seconds since the epoch, or 0 when it does not read as
 * YYYY-MM-DDTHH:MM:SS, a fraction, then Z or +HH:MM / -HH:MM. */
static long long
rfc3339(const char *s)
{
	struct tm tm;
	const char *p;
	int oh, om, sign;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return 0;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		oh = om = sign = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    strspn(p + 1, "0123456789") == 2 && p[3] == ':' &&
	    strspn(p + 4, "0123456789") == 2) {
		oh = (p[1] - '0') * 10 + (p[2] - '0');
		om = (p[4] - '0') * 10 + (p[5] - '0');
		sign = *p == '+' ? 1 : -1;
	}
	else
		return 0;
	if ((t = timegm(&tm)) == (time_t)-1)
		return 0;
	return (long long)t - sign * (oh * 3600LL + om * 60LL);
}

long long
batch_created_at(struct json_object *o)
{
	struct json_object *v;
	long long t;

	if (!json_object_object_get_ex(o, "created_at", &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return (t = rfc3339(json_object_get_string(v))) > 0 ? t : 0;
	return object_created_at(o);
}

/* openai_shape: a Batch object in OpenAI's shape for MessageBatch o,
 * or NULL when anthropic_batch refuses it. */
static struct json_object *
openai_shape(struct json_object *o)
{
	struct json_object *s, *counts, *v;
	struct batchobj b;
	const char *ended;

	if (anthropic_batch(o, &b) != 0)
		return NULL;
	s = json_object_new_object();
	json_object_object_add(s, "id", json_object_new_string(b.id));
	json_object_object_add(s, "object", json_object_new_string("batch"));
	json_object_object_add(s, "endpoint",
	    json_object_new_string("/v1/chat/completions"));
	json_object_object_add(s, "status", json_object_new_string(b.status));
	if (b.output_file_id != NULL)
		json_object_object_add(s, "output_file_id",
		    json_object_new_string(b.output_file_id));
	json_object_object_add(s, "created_at",
	    json_object_new_int64(batch_created_at(o)));
	ended = strcmp(b.status, "cancelled") == 0 ? "cancelled_at" :
	    strcmp(b.status, "expired") == 0 ? "expired_at" : "completed_at";
	if (json_object_object_get_ex(o, "ended_at", &v) &&
	    json_object_is_type(v, json_type_string) &&
	    rfc3339(json_object_get_string(v)) > 0)
		json_object_object_add(s, ended, json_object_new_int64(
		    rfc3339(json_object_get_string(v))));
	counts = json_object_new_object();
	json_object_object_add(counts, "total", json_object_new_int64(b.total));
	json_object_object_add(counts, "completed",
	    json_object_new_int64(b.completed));
	json_object_object_add(counts, "failed",
	    json_object_new_int64(b.failed));
	json_object_object_add(s, "request_counts", counts);
	batchobj_free(&b);
	return s;
}

struct shaping {
	int	(*each)(struct json_object *, void *);
	void	*arg;
};

/* shape_each: http_list callback handing on each batch reshaped. */
static int
shape_each(struct json_object *item, void *arg)
{
	struct shaping *sh = arg;
	struct json_object *s;
	int r;

	if ((s = openai_shape(item)) == NULL)
		return sh->each(item, sh->arg);
	r = sh->each(s, sh->arg);
	json_object_put(s);
	return r;
}

int
batch_list(struct http *h, int (*each)(struct json_object *item, void *arg),
    void *arg)
{
	struct shaping sh = { each, arg };

	if (!batch_anthropic(h))
		return http_list(h, batch_list_path(h), each, arg);
	return http_list(h, batch_list_path(h), shape_each, &sh);
}

const char *
local_id(struct buf *b, const char *hex)
{
	buf_reset(b);
	buf_printf(b, "%s%.*s", LOCAL_ID_PREFIX, LOCAL_ID_HEX, hex);
	return b->p;
}

int
local_id_is(const char *id)
{
	size_t n = strlen(LOCAL_ID_PREFIX);

	return strncmp(id, LOCAL_ID_PREFIX, n) == 0 &&
	    strlen(id + n) == LOCAL_ID_HEX &&
	    strspn(id + n, "0123456789abcdef") == LOCAL_ID_HEX;
}

/* translate: the results lines in raw (read from its start) to fd as
 * OpenAI output lines.  Returns 0, or -1 after saying why (what names
 * the download in messages). */
static int
translate(int raw, int fd, const char *what, long long *bytes,
    long long *lines)
{
	struct buf out = BUF_INIT;
	const char *why;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *fp;
	int r = 0, dupfd;

	if ((dupfd = dup(raw)) < 0 || (fp = fdopen(dupfd, "r")) == NULL) {
		warn("temporary file");
		if (dupfd >= 0)
			close(dupfd);
		return -1;
	}
	rewind(fp);
	while ((n = getline(&line, &cap, fp)) != -1) {
		if (line[n - 1] != '\n') {
			/* Every results line ends in a newline: one
			 * without is a body cut short. */
			warnx("%s: line %lld: cut short", what, *lines + 1);
			r = -1;
			break;
		}
		if (n == 1)
			continue;
		buf_reset(&out);
		if (anthropic_result(line, (size_t)n - 1, &out, &why) != 0) {
			warnx("%s: line %lld: %s", what, *lines + 1, why);
			r = -1;
			break;
		}
		if (write_all(fd, out.p, out.len) != 0) {
			warn("output");
			r = -1;
			break;
		}
		*bytes += (long long)out.len;
		(*lines)++;
	}
	if (r == 0 && ferror(fp)) {
		warn("temporary file");
		r = -1;
	}
	free(line);
	buf_free(&out);
	fclose(fp);
	return r;
}

/* expected: the requests of batch id, into *n, once it has ended.
 * Returns as http_request, having reported a failure (but a 404: *gone
 * 1, left to the caller). */
static int
expected(struct http *h, const char *id, long long *n, int *gone)
{
	struct json_object *o;
	struct batchobj b;
	struct buf path = BUF_INIT;
	long status = 0;
	int rc;

	rc = http_request(h, "GET", batch_path(h, &path, id, NULL), NULL,
	    HTTP_QUIET404, &status, &o);
	buf_free(&path);
	*gone = rc == HTTP_FAILED && status == 404;
	if (rc != HTTP_OK)
		return rc;
	if (batch_parse(h, o, &b) != 0) {
		warnx("%s: the answer is not a batch", id);
		rc = HTTP_FAILED;
	} else if (b.output_file_id == NULL) {
		warnx("%s: no results yet: the batch is %s", id, b.status);
		rc = HTTP_FAILED;
	} else
		*n = b.total;
	batchobj_free(&b);
	json_object_put(o);
	return rc;
}

int
anthropic_results(struct http *h, const char *id, int fd, off_t start,
    long long *bytes, int *gone)
{
	struct buf path = BUF_INIT, what = BUF_INIT;
	long long want = 0, lines = 0;
	int raw, rc;

	*bytes = 0;
	if ((rc = expected(h, id, &want, gone)) != HTTP_OK)
		return rc;
	if ((raw = tmpfile_fd()) < 0)
		return HTTP_FAILED;
	batch_path(h, &path, id, "/results");
	rc = http_download(h, path.p, raw, 0, -1, 0);
	if (rc == HTTP_OK) {
		buf_printf(&what, "GET %s", path.p);
		if (ftruncate(fd, start) != 0 || lseek(fd, start, SEEK_SET) < 0) {
			warn("output");
			rc = HTTP_FAILED;
		} else if (translate(raw, fd, what.p, bytes, &lines) != 0)
			rc = HTTP_FAILED;
		else if (lines != want) {
			warnx("%s: %lld results for the batch's %lld requests",
			    what.p, lines, want);
			rc = HTTP_FAILED;
		}
	}
	close(raw);
	buf_free(&path);
	buf_free(&what);
	return rc;
}
