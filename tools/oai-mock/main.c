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
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
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
#include "mock_store.h"
#include "outcheck.h"
#include "usage.h"
#include "xalloc.h"

#define MAX_UPLOAD_BYTES	512000000LL	/* OpenAI's per-file limit */
#define MAX_JSON_BODY		(32 << 20)	/* a JSON request body */
#define TICK_NS			20000000L	/* the lifecycle's clock: 20 ms */
#define CONNECTION_MEMORY	(1 << 20)	/* libmicrohttpd's read buffer */
#define POST_BUFFER		(512 << 10)	/* the multipart parser's */

static struct mock_store S;	/* everything under G.lock */

static struct {
	pthread_mutex_t	 lock;
	const char	*key;		/* -k */
	long		 latency_ms;	/* -L */
	int		 quiet;		/* -q */
	int		 stop;		/* the ticker ends */
} G = { .lock = PTHREAD_MUTEX_INITIALIZER };

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

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "a:d:F:hk:L:O:p:qt:V";
static const char help[] =
	"usage: oai-mock [-hqV] [-a addr] [-d dir] [-F fault] [-k key]\n"
	"                [-L latency-ms] [-O old-batches] [-p port]\n"
	"                [-t validating,in_progress,finalizing]\n"
	"\n"
	"  -a addr         listen on this address (default 127.0.0.1)\n"
	"  -d dir          keep file contents in dir, left in place at exit\n"
	"  -F fault        inject a fault (repeatable; see oai-mock(1))\n"
	"  -k key          accept only this API key\n"
	"  -L latency-ms   delay the answers of the live endpoints\n"
	"  -O old-batches  start with this many old completed batches\n"
	"  -p port         listen on port; 0 picks a free one (default 8080)\n"
	"  -q              no request log\n"
	"  -t v,i,f        the seconds of the three working phases of a batch\n"
	"                  (default 0.3,1,0.3)\n"
	"  -h              print this help and exit\n"
	"  -V              print the version and exit\n";

static void __attribute__((noreturn))
usage(FILE *f)
{
	if (f == stdout)
		usage_help(help);
	usage_error(help);
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

static void
add_str(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		buf_add_json_string(b, s, strlen(s));
}

/* The lifecycle's clock. */
static void *
ticker(void *arg)
{
	struct timespec ts = { 0, TICK_NS };
	int stop;

	for (;;) {
		pthread_mutex_lock(&G.lock);
		mock_store_tick(&S, mono());
		stop = G.stop;
		pthread_mutex_unlock(&G.lock);
		if (stop)
			return NULL;
		nanosleep(&ts, NULL);
	}
}

/* ---- HTTP ---- */

/* The wait a 429 asks for.  By default Retry-After says 1 s and
 * retry-after-ms 100 ms, as OpenAI often does: a client must prefer the
 * finer one.  retry-after=date:S sends only Retry-After, as the HTTP date
 * S seconds (rounded up) from now, the other form RFC 9110 allows. */
static void
add_retry_after(struct MHD_Response *resp)
{
	const struct mock_fault *f = NULL;
	char v[64];
	struct tm tm;
	time_t when;
	size_t i;

	for (i = 0; i < S.nfaults; i++)
		if (S.faults[i].kind == MF_RETRY_AFTER)
			f = &S.faults[i];
	if (f != NULL && f->http_date) {
		when = time(NULL) + (time_t)fmin(ceil(f->value), 1e9);
		if (gmtime_r(&when, &tm) != NULL && strftime(v, sizeof v,
		    "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
			MHD_add_response_header(resp, "Retry-After", v);
		return;
	}
	snprintf(v, sizeof v, "%.0f", f == NULL ? 1 : ceil(f->value));
	MHD_add_response_header(resp, "Retry-After", v);
	snprintf(v, sizeof v, "%.0f", f == NULL ? 100 : f->value * 1000);
	MHD_add_response_header(resp, "retry-after-ms", v);
}

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
	pthread_mutex_lock(&G.lock);
	mock_new_id(&S, rid, sizeof rid, "req_", 1);
	pthread_mutex_unlock(&G.lock);
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "x-request-id", rid);
	MHD_add_response_header(resp, "openai-version", "2020-10-01");
	if (status == 429)
		add_retry_after(resp);
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

/* The redirect fault: 307 to the same path under /moved on this server,
 * so a client that followed it would show up in the request log there. */
static enum MHD_Result
send_redirect(struct MHD_Connection *c, struct req *r)
{
	static const char page[] = "<html>\r\n<head><title>307 Temporary "
	    "Redirect</title></head>\r\n<body>\r\n<center><h1>307 Temporary "
	    "Redirect</h1></center>\r\n</body>\r\n</html>\r\n";
	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_HOST);
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct buf loc = BUF_INIT;

	resp = MHD_create_response_from_buffer(sizeof page - 1,
	    (void *)(uintptr_t)page, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (host != NULL && *host != '\0' && strpbrk(host, "\r\n/") == NULL)
		buf_printf(&loc, "http://%s/moved%s", host, r->path);
	else
		buf_printf(&loc, "/moved%s", r->path);
	MHD_add_response_header(resp, "Content-Type", "text/html");
	MHD_add_response_header(resp, "Location", loc.p);
	ret = MHD_queue_response(c, 307, resp);
	MHD_destroy_response(resp);
	buf_free(&loc);
	r->status = 307;
	return ret;
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
	case MF_REDIRECT:
		return send_redirect(c, r);
	case MF_HTTP400:
		mock_error_body(&b, "Bad request (a fault oai-mock was told to "
		    "inject).", "invalid_request_error", NULL, NULL);
		return send_json(c, r, 400, &b);
	case MF_HTTP408:
		mock_error_body(&b, "Request timed out.", "timeout", NULL, NULL);
		return send_json(c, r, 408, &b);
	case MF_HTTP409:
		mock_error_body(&b, "The request conflicted with another request "
		    "in progress; please try again.", "invalid_request_error",
		    NULL, "conflict");
		return send_json(c, r, 409, &b);
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
	if (G.key != NULL && strcmp(given, G.key) != 0) {
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

/* One page of a list answer, in OpenAI's list shape: data, first_id,
 * last_id, has_more.  The ids point into the store: close the page while
 * the lock is still held. */
struct page {
	struct buf	 b;
	const char	*first, *last;
	const char	*cursor;	/* a cursor fault's last_id */
	long		 count, limit;
	int		 more;
};

static void
page_open(struct page *p, long limit)
{
	memset(p, 0, sizeof(*p));
	p->limit = limit;
	buf_adds(&p->b, "{\"object\":\"list\",\"data\":[");
}

/* page_room: 1 when one more object fits (its separator is written);
 * 0 when the page is full, which means has_more. */
static int
page_room(struct page *p)
{
	if (p->count == p->limit) {
		p->more = 1;
		return 0;
	}
	if (p->count++ > 0)
		buf_addc(&p->b, ',');
	return 1;
}

/* page_took: the object just written has this id. */
static void
page_took(struct page *p, const char *id)
{
	if (p->first == NULL)
		p->first = id;
	p->last = id;
}

/* The cursor faults: the one that applies to a listing of path (the
 * first given), or NULL. */
static const struct mock_fault *
cursor_fault(const char *path)
{
	size_t i;

	for (i = 0; i < S.nfaults; i++)
		if ((S.faults[i].kind == MF_CURSOR_CYCLE ||
		    S.faults[i].kind == MF_CURSOR_ENDLESS) &&
		    mock_fault_matches(&S.faults[i], path))
			return &S.faults[i];
	return NULL;
}

/* cursor_take: under cursor fault f (or none), a cursor "cursor_K" of
 * the fault's own is taken: *after becomes NULL (the listing starts
 * over) and p is set to close with has_more and the next made-up cursor
 * in cur: cursor_K+1, modulo the cycle for cursor-cycle.  Any other
 * cursor (or none) leads to cursor_0. */
static void
cursor_take(const struct mock_fault *f, const char **after, struct page *p,
    char *cur, size_t n)
{
	long long k = -1;
	char *end;

	if (f == NULL)
		return;
	if (*after != NULL && strncmp(*after, "cursor_", 7) == 0) {
		errno = 0;
		k = strtoll(*after + 7, &end, 10);
		if (errno != 0 || *end != '\0' || k < 0 || k == LLONG_MAX)
			k = -1;
		else
			*after = NULL;
	}
	k++;
	if (f->kind == MF_CURSOR_CYCLE)
		k %= (long long)f->value;
	snprintf(cur, n, "cursor_%lld", k);
	p->cursor = cur;
}

static void
page_close(struct page *p)
{
	if (p->cursor != NULL && p->count > 0) {
		p->last = p->cursor;
		p->more = 1;
	}
	buf_adds(&p->b, "],\"first_id\":");
	add_str(&p->b, p->first);
	buf_adds(&p->b, ",\"last_id\":");
	add_str(&p->b, p->last);
	buf_printf(&p->b, ",\"has_more\":%s}", p->more ? "true" : "false");
}

static enum MHD_Result
list_files(struct MHD_Connection *c, struct req *r)
{
	const char *purpose = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "purpose");
	const char *after;
	char cur[32];
	struct page p;
	enum MHD_Result ret;
	long limit;
	size_t k;
	int asc, skipping;

	if (!list_params(c, r, 10000, 10000, &limit, &after, &asc, &ret))
		return ret;
	page_open(&p, limit);
	pthread_mutex_lock(&G.lock);
	cursor_take(cursor_fault(r->path), &after, &p, cur, sizeof cur);
	skipping = after != NULL;
	for (k = 0; k < S.nfiles; k++) {
		struct mock_file *f = S.files[asc ? k : S.nfiles - 1 - k];

		if (skipping) {
			skipping = strcmp(f->id, after) != 0;
			continue;
		}
		if (purpose != NULL && strcmp(f->purpose, purpose) != 0)
			continue;
		if (!page_room(&p))
			break;
		mock_file_json(&p.b, f);
		page_took(&p, f->id);
	}
	page_close(&p);
	pthread_mutex_unlock(&G.lock);
	return send_json(c, r, 200, &p.b);
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
	struct mock_file *f;

	pthread_mutex_lock(&G.lock);
	if ((f = mock_file_find(&S, id, NULL)) != NULL)
		mock_file_json(&b, f);
	pthread_mutex_unlock(&G.lock);
	if (f == NULL)
		return no_such_file(c, r, id, "id");
	return send_json(c, r, 200, &b);
}

static enum MHD_Result
delete_file(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct buf b = BUF_INIT;
	size_t i;
	int found;

	pthread_mutex_lock(&G.lock);
	if ((found = mock_file_find(&S, id, &i) != NULL))
		mock_file_delete(&S, i);
	pthread_mutex_unlock(&G.lock);
	if (!found)
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
	struct mock_file *f;
	struct stat st;
	int fd = -1;

	pthread_mutex_lock(&G.lock);
	if ((f = mock_file_find(&S, id, NULL)) != NULL &&
	    (fd = open(f->path, O_RDONLY)) == -1)
		warn("%s", f->path);
	pthread_mutex_unlock(&G.lock);
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
		r->uppath = mock_store_path(&S, "upload.XXXXXX");
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
	struct mock_file *f = NULL;

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
	pthread_mutex_lock(&G.lock);
	mock_new_id(&S, id, sizeof id, "file-", 0);
	dest = mock_store_path(&S, id);
	if (rename(r->uppath, dest) == 0) {
		free(r->uppath);
		r->uppath = NULL;
		f = mock_file_add(&S, id, r->filename, r->purpose.p, dest, r->upbytes);
		mock_file_json(&b, f);
	} else
		warn("rename %s", r->uppath);
	pthread_mutex_unlock(&G.lock);
	free(dest);
	if (f == NULL)
		return send_error(c, r, 500, "The upload could not be stored.",
		    NULL, NULL);
	if (r->fault == MF_LOSE_UPLOAD) {
		/* The file is stored; the client never hears of it. */
		buf_free(&b);
		r->status = 0;
		return MHD_NO;
	}
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
	struct mock_batch *x;
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
	pthread_mutex_lock(&G.lock);
	if (mock_file_find(&S, input, NULL) == NULL) {
		pthread_mutex_unlock(&G.lock);
		ret = no_such_file(c, r, input, "input_file_id");
		goto out;
	}
	x = mock_batch_create(&S, endpoint, input, window,
	    meta.type == JT_OBJECT ? xstrndup(meta.p, meta.n) : NULL, mono());
	endpoint = input = window = NULL;
	mock_batch_json(&b, x);
	pthread_mutex_unlock(&G.lock);
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

/* unlisted: under the unlisted fault, the batch at index k of the store
 * (0 the oldest) is left out of listings. */
static int
unlisted(const char *path, size_t k)
{
	size_t i;

	for (i = 0; i < S.nfaults; i++)
		if (S.faults[i].kind == MF_UNLISTED &&
		    mock_fault_matches(&S.faults[i], path))
			return S.faults[i].limit <= 1 ||
			    (long long)(k + 1) % S.faults[i].limit == 0;
	return 0;
}

static enum MHD_Result
list_batches(struct MHD_Connection *c, struct req *r)
{
	const char *after;
	char cur[32];
	struct page p;
	enum MHD_Result ret;
	long limit;
	size_t k;
	int asc, skipping;

	if (!list_params(c, r, 20, 100, &limit, &after, &asc, &ret))
		return ret;
	page_open(&p, limit);
	pthread_mutex_lock(&G.lock);
	cursor_take(cursor_fault(r->path), &after, &p, cur, sizeof cur);
	skipping = after != NULL;
	for (k = 0; k < S.nbatches; k++) {
		struct mock_batch *x = S.batches[S.nbatches - 1 - k];

		if (skipping) {
			skipping = strcmp(x->id, after) != 0;
			continue;
		}
		if (unlisted(r->path, S.nbatches - 1 - k))
			continue;
		if (!page_room(&p))
			break;
		mock_batch_json(&p.b, x);
		page_took(&p, x->id);
	}
	page_close(&p);
	pthread_mutex_unlock(&G.lock);
	return send_json(c, r, 200, &p.b);
}

static enum MHD_Result
get_batch(struct MHD_Connection *c, struct req *r, const char *id,
    int cancel)
{
	struct buf b = BUF_INIT;
	struct mock_batch *x;
	char msg[256];
	int refused = 0;

	pthread_mutex_lock(&G.lock);
	if ((x = mock_batch_find(&S, id)) != NULL) {
		if (cancel && mock_batch_cancel(x, mono()) != 0) {
			refused = 1;
			snprintf(msg, sizeof msg, "Cannot cancel a batch with "
			    "status '%s'.", mock_bstatus_name[x->status]);
		}
		if (!refused)
			mock_batch_json(&b, x);
	}
	pthread_mutex_unlock(&G.lock);
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
	sleep_ms((double)G.latency_ms);
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
	if (r->fault >= 0 && r->fault <= MF_REDIRECT) {
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
	int upload = strcmp(r->path, "/v1/files") == 0 &&
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
		if (f->kind > MF_LOSE_UPLOAD || r->fault >= 0 ||
		    (f->kind == MF_CUT && !content) ||
		    (f->kind == MF_LOSE_CREATE && !create) ||
		    (f->kind == MF_LOSE_UPLOAD && !upload))
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
		pthread_mutex_lock(&G.lock);
		pick_faults(r);
		pthread_mutex_unlock(&G.lock);
		if (r->fault == MF_CLOSE)
			return MHD_NO;
		ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_TYPE);
		if (strcmp(method, "POST") == 0 &&
		    strcmp(url, "/v1/files") == 0 && ct != NULL &&
		    strncasecmp(ct, "multipart/form-data", 19) == 0)
			r->pp = MHD_create_post_processor(c, POST_BUFFER,
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
	if (!G.quiet) {
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

/* libmicrohttpd's messages, as ours.  Its complaint about a connection the
 * handler closed is left out: only the close, cut, lose-create and
 * lose-upload faults do that, and the request log names them already. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (strstr(msg, "Application reported internal error") != NULL)
		return;
	msg[strcspn(msg, "\n")] = '\0';
	fprintf(stderr, "oai-mock: %s\n", msg);
}

static int
parse_times(const char *s, double t[3])
{
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
	return *end == '\0' ? 0 : -1;
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
		p = mock_store_path(&S, e->d_name);
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
	/* static: still reachable, not a leak, when a usage error exits */
	static struct mock_fault *faults;
	const char *addr = "127.0.0.1", *why, *dir = NULL;
	double times[3] = { 0.3, 1, 0.3 };
	size_t nfaults = 0;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	pthread_t tick;
	sigset_t sigs;
	char *end, *tmpl = NULL;
	unsigned flags;
	long port = 8080, old = 0;
	size_t i;
	int ch, sig, v6 = 0, private_dir = 0;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'F':
			faults = xreallocarray(faults, nfaults + 1,
			    sizeof *faults);
			if (mock_fault_parse(optarg, &faults[nfaults],
			    &why) != 0) {
				warnx("-F %s: %s", optarg, why);
				usage(stderr);
				return 2;
			}
			nfaults++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'k':
			G.key = optarg;
			break;
		case 'L':
			errno = 0;
			G.latency_ms = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || errno || G.latency_ms < 0) {
				warnx("-L %s: not a number of milliseconds",
				    optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'O':
			errno = 0;
			old = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || errno || old < 0 ||
			    old > 1000000) {
				warnx("-O %s: not a number of batches (0 to "
				    "1000000)", optarg);
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
			G.quiet = 1;
			break;
		case 't':
			if (parse_times(optarg, times) != 0) {
				warnx("-t %s: expected three durations in "
				    "seconds, e.g. 0.3,1,0.3", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'V':
			usage_version();
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	/* echo-key without a text echoes the key the server checks. */
	for (i = 0; i < nfaults; i++) {
		if (faults[i].kind != MF_ECHO_KEY || faults[i].text != NULL)
			continue;
		if (G.key == NULL) {
			warnx("-F echo-key: no key to echo: give -k, or the "
			    "text as echo-key=TEXT");
			usage(stderr);
			return 2;
		}
		faults[i].text = xstrdup(G.key);
		faults[i].textlen = strlen(faults[i].text);
	}
	if (mock_answer_init() != 0)
		return 1;
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

	if (dir == NULL) {
		const char *t = getenv("TMPDIR");
		struct buf b = BUF_INIT;

		buf_printf(&b, "%s/oai-mock.XXXXXX", t && *t ? t : "/tmp");
		tmpl = b.p;
		if (mkdtemp(tmpl) == NULL)
			err(1, "%s", tmpl);
		dir = tmpl;
		private_dir = 1;
	} else if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		err(1, "%s", dir);
	mock_store_init(&S, dir, mock_mix((uint64_t)time(NULL) ^
	    ((uint64_t)getpid() << 32)));
	free(tmpl);
	S.t_validating = times[0];
	S.t_in_progress = times[1];
	S.t_finalizing = times[2];
	S.faults = faults;
	S.nfaults = nfaults;
	mock_batch_add_old(&S, (size_t)old);

	/* Every thread inherits this mask: only main() takes the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	if (!G.quiet)
		flags |= MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
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
	/* The wildcard address is not one to connect to: the URL printed
	 * is the loopback one, which the tools accept as it is. */
	if (v6 ? IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) :
	    sin->sin_addr.s_addr == htonl(INADDR_ANY))
		addr = v6 ? "::1" : "127.0.0.1";
	if (v6)
		printf("http://[%s]:%u/v1\n", addr, info->port);
	else
		printf("http://%s:%u/v1\n", addr, info->port);
	if (fflush(stdout) == EOF)
		warn("stdout");

	sigwait(&sigs, &sig);

	pthread_mutex_lock(&G.lock);
	G.stop = 1;
	pthread_mutex_unlock(&G.lock);
	pthread_join(tick, NULL);
	MHD_stop_daemon(d);
	if (private_dir)
		remove_dir(S.dir);
	mock_store_free(&S);
	for (i = 0; i < nfaults; i++) {
		free(faults[i].prefix);
		free(faults[i].text);
	}
	free(faults);
	return 0;
}
