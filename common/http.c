#include <sys/types.h>
#include <sys/statvfs.h>

#include <curl/curl.h>
#include <err.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "envnum.h"
#include "http.h"
#include "idset.h"
#include "jscan.h"
#include "monoclock.h"
#include "progress.h"
#include "scrub.h"
#include "writeall.h"
#include "xalloc.h"

#define ANSWER_MAX	((size_t)64 << 20)	/* a JSON answer, at most */
#define ERRBODY_MAX	((size_t)64 << 10)	/* an error body we keep */
#define HEADERS_MAX	((size_t)100 << 10)	/* an answer's headers, in all */
#define MESSAGE_MAX	1000	/* the API's error message, as shown */
#define LOCATION_MAX	300	/* a redirect's Location, as shown */
#define XFER_BUFSIZE	(512L << 10)
#define CONNECT_TIMEOUT_MS 30000L

extern const char *__progname;

struct http {
	const struct oai_config *cfg;
	CURL		*curl;
	struct curl_slist *hdrs;	/* auth, org, project, accept */
	struct curl_slist *json_hdrs;	/* the same + Content-Type */
	struct curl_slist *idem_hdrs;	/* json_hdrs + Idempotency-Key, or
					 * NULL */
	struct retry_policy policy;
	long		 stall_s;	/* BATCHPIPE_TIMEOUT */
	long		 min_rate;	/* BATCHPIPE_MIN_RATE, kB/s */
	long		 max_pages;	/* BATCHPIPE_MAX_PAGES */
	int		 verbose;
	char		*progress;	/* label, or NULL */
	double		 progress_last;
	struct progress	 bar;		/* the progress line */
	char		 curlerr[CURL_ERROR_SIZE];
	struct buf	 errmsg;

	/* One transfer's state, reset by begin(). */
	struct buf	 body;		/* a JSON answer or an error body */
	size_t		 body_max;
	int		 fd;		/* download: where a 2xx body goes */
	long long	 got;		/* download: bytes written */
	long long	 expect;	/* download: -1 unknown */
	int		 oversize;	/* download: more than expect came */
	int		 write_failed;	/* download: errno of a failed write */
	char		*after_ms;	/* retry-after-ms header value */
	char		*after;		/* Retry-After header value */
	size_t		 headers;	/* bytes of headers so far */
	int		 too_big;	/* a JSON answer over ANSWER_MAX */
	int		 too_many;	/* headers over HEADERS_MAX */
	double		 started;	/* download: when the try began */
	double		 limit_s;	/* download: its total limit, seconds */
	int		 too_slow;	/* download: over limit_s */
};

static struct curl_slist *
add_header(struct curl_slist *l, const char *fmt, const char *v)
{
	struct curl_slist *n;
	struct buf b = BUF_INIT;

	buf_printf(&b, fmt, v);
	n = curl_slist_append(l, b.p);
	explicit_bzero(b.p, b.len);
	buf_free(&b);
	if (n == NULL)
		errx(1, "out of memory");
	return n;
}

static struct curl_slist *
base_headers(const struct oai_config *c)
{
	struct curl_slist *l = NULL;

	switch (c->auth) {
	case AUTH_API_KEY:
		l = add_header(l, "api-key: %s", c->key);
		break;
	case AUTH_X_API_KEY:
		l = add_header(l, "x-api-key: %s", c->key);
		break;
	default:
		l = add_header(l, "Authorization: Bearer %s", c->key);
		break;
	}
	if (c->prov->version_header != NULL)
		l = add_header(l, "%s", c->prov->version_header);
	if (c->org != NULL)
		l = add_header(l, "OpenAI-Organization: %s", c->org);
	if (c->project != NULL)
		l = add_header(l, "OpenAI-Project: %s", c->project);
	return add_header(l, "Accept: %s", "application/json");
}

void
http_easy_defaults(CURL *cu, const struct oai_config *c, long stall_s)
{
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(cu, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		curl_easy_setopt(cu, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(cu, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(cu, CURLOPT_LOW_SPEED_TIME, stall_s);
	curl_easy_setopt(cu, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(cu, CURLOPT_USERAGENT, "batchpipe/" BATCHPIPE_VERSION);
}

int
http_untrusted(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CACERT_BADFILE;
}

void
http_idempotency_key(struct http *h, const char *key)
{
	curl_slist_free_all(h->idem_hdrs);
	h->idem_hdrs = NULL;
	if (key != NULL)
		h->idem_hdrs = add_header(http_json_headers(h->cfg),
		    "Idempotency-Key: %s", key);
}

struct curl_slist *
http_json_headers(const struct oai_config *c)
{
	return add_header(base_headers(c), "Content-Type: %s",
	    "application/json");
}

/* Prints s[0..n) to stderr scrubbed: the key masked wherever it
 * appears, control characters made spaces. */
static void
put_masked(const struct http *h, const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	scrub(&b, s, n, h->cfg->key, 0);
	fwrite(b.p, 1, b.len, stderr);
	buf_free(&b);
}

/* Traces header lines (one or many, "\r\n"-ended) with a prefix. */
static void
trace_lines(const struct http *h, const char *prefix, const char *s, size_t n)
{
	const char *nl;
	size_t len;

	while (n > 0) {
		nl = memchr(s, '\n', n);
		len = nl != NULL ? (size_t)(nl - s) + 1 : n;
		{
			size_t l = len;

			while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == '\r'))
				l--;
			if (l > 0) {
				fputs(prefix, stderr);
				if (l >= 14 && strncasecmp(s, "authorization:",
				    14) == 0)
					fputs("Authorization: Bearer " SCRUB_MASK,
					    stderr);
				else
					put_masked(h, s, l);
				fputc('\n', stderr);
			}
		}
		s += len;
		n -= len;
	}
}

static int
on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct http *h = arg;

	switch (type) {
	case CURLINFO_TEXT:
		trace_lines(h, "* ", data, size);
		break;
	case CURLINFO_HEADER_OUT:
		trace_lines(h, "> ", data, size);
		break;
	case CURLINFO_HEADER_IN:
		trace_lines(h, "< ", data, size);
		break;
	default:	/* bodies are not traced: they can be 200 MB */
		break;
	}
	return 0;
}

void
http_trace(const struct http *h, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int n;

	if (!h->verbose)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(&b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b.p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b.len = (size_t)n;
	fputs("* ", stderr);
	put_masked(h, b.p, b.len);
	fputc('\n', stderr);
	buf_free(&b);
}

static void
human(char *out, size_t n, double bytes)
{
	if (bytes >= 1e9)
		snprintf(out, n, "%.2f GB", bytes / 1e9);
	else
		snprintf(out, n, "%.1f MB", bytes / 1e6);
}

/* download_limit: the seconds a download of size bytes may take in all:
 * five stall timeouts (what a JSON call gets), plus the size at
 * BATCHPIPE_MIN_RATE.  A server that drips a byte a second stays under
 * the stall timeout for ever; this bounds it. */
static double
download_limit(const struct http *h, double size)
{
	return 5.0 * (double)h->stall_s + size / (1000.0 * (double)h->min_rate);
}

/* Called by libcurl at least once a second during a transfer: enforces a
 * download's total limit, and draws the progress line when asked to. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct http *h = arg;
	double now, done, total;
	char a[32], b[32];

	now = mono_now();
	if (h->fd >= 0) {
		/* The size the file object gave, else the Content-Length
		 * once it is known. */
		if (h->expect < 0 && dltotal > 0)
			h->limit_s = download_limit(h, (double)dltotal);
		if (now - h->started > h->limit_s) {
			h->too_slow = 1;
			return 1;	/* aborts the transfer */
		}
	}
	if (h->progress == NULL)
		return 0;
	/* Before the first byte curl knows no total yet: a line drawn
	 * then would hold the throttle and could be the only one. */
	if (ultotal <= 0 && dltotal <= 0 && ulnow <= 0 && dlnow <= 0)
		return 0;
	if (now - h->progress_last < 0.2)
		return 0;
	h->progress_last = now;
	done = ultotal > 0 ? (double)ulnow : (double)dlnow;
	total = ultotal > 0 ? (double)ultotal : (double)dltotal;
	if (h->expect >= 0 && ultotal <= 0)
		total = (double)h->expect;
	human(a, sizeof(a), done);
	if (total > 0) {
		human(b, sizeof(b), total);
		progress_line(&h->bar, "%s: %s of %s (%d%%)", h->progress, a,
		    b, (int)(done * 100 / total));
	} else
		progress_line(&h->bar, "%s: %s", h->progress, a);
	return 0;
}

static size_t
on_header(char *data, size_t size, size_t nitems, void *arg)
{
	struct http *h = arg;
	size_t n = size * nitems, l;
	char **slot = NULL;
	const char *v;

	/* A new header block (after a 100 Continue) counts afresh. */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		h->headers = 0;
	if ((h->headers += n) > HEADERS_MAX) {
		h->too_many = 1;
		return 0;
	}
	if (n > 15 && strncasecmp(data, "retry-after-ms:", 15) == 0) {
		slot = &h->after_ms;
		v = data + 15;
	} else if (n > 12 && strncasecmp(data, "retry-after:", 12) == 0) {
		slot = &h->after;
		v = data + 12;
	} else
		return n;
	l = n - (size_t)(v - data);
	while (l > 0 && (*v == ' ' || *v == '\t'))
		v++, l--;
	while (l > 0 && (v[l - 1] == '\r' || v[l - 1] == '\n' ||
	    v[l - 1] == ' '))
		l--;
	free(*slot);
	*slot = xstrndup(v, l);
	return n;
}

static long
response_code(struct http *h)
{
	long code = 0;

	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* Keeps a JSON answer, or an error body, in memory up to a cap; the 2xx
 * body of a download goes to the file instead. */
static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http *h = arg;
	size_t n = size * nmemb;
	long code;

	code = response_code(h);
	if (h->fd >= 0 && code >= 200 && code <= 299) {
		if (h->expect >= 0 && h->got + (long long)n > h->expect) {
			h->oversize = 1;
			return 0;
		}
		if (write_all(h->fd, data, n) < 0) {
			h->write_failed = errno;
			return 0;
		}
		h->got += (long long)n;
		return n;
	}
	if (h->body.len + n > h->body_max) {
		if (code >= 200 && code <= 299) {
			h->too_big = 1;
			return 0;	/* an answer this big is not ours */
		}
		n = h->body_max - h->body.len;	/* keep what fits */
		buf_add(&h->body, data, n);
		return size * nmemb;
	}
	buf_add(&h->body, data, n);
	return n;
}

struct http *
http_open(const struct oai_config *c, int verbose)
{
	struct http *h;
	CURL *cu;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		errx(1, "cannot initialise libcurl");
	h = xcalloc(1, sizeof(*h));
	h->cfg = c;
	progress_init(&h->bar);
	h->verbose = verbose;
	h->fd = -1;
	retry_policy_env(&h->policy);
	h->stall_s = envnum_whole("BATCHPIPE_TIMEOUT", 60, 1, 86400, "seconds");
	h->min_rate = envnum_whole("BATCHPIPE_MIN_RATE", HTTP_MIN_RATE, 1,
	    1000000, "kB/s");
	h->max_pages = envnum_whole("BATCHPIPE_MAX_PAGES", HTTP_MAX_PAGES, 1,
	    100000000, "pages");
	h->hdrs = base_headers(c);
	h->json_hdrs = http_json_headers(c);
	if ((cu = h->curl = curl_easy_init()) == NULL)
		errx(1, "cannot initialise libcurl");
	http_easy_defaults(cu, c, h->stall_s);
	curl_easy_setopt(cu, CURLOPT_BUFFERSIZE, XFER_BUFSIZE);
	curl_easy_setopt(cu, CURLOPT_UPLOAD_BUFFERSIZE, XFER_BUFSIZE);
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, h->curlerr);
	curl_easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cu, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(cu, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(cu, CURLOPT_XFERINFODATA, h);
	if (verbose && (c->prov_inferred || strcmp(c->prov->name, "openai")))
		warnx("provider %s%s", c->prov->name, c->prov_inferred ?
		    " (read off the base URL's host; set BATCHPIPE_PROVIDER "
		    "to choose another)" : "");
	if (verbose) {
		curl_easy_setopt(cu, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(cu, CURLOPT_DEBUGDATA, h);
		curl_easy_setopt(cu, CURLOPT_VERBOSE, 1L);
	}
	return h;
}

void
http_close(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->hdrs);
	curl_slist_free_all(h->json_hdrs);
	curl_slist_free_all(h->idem_hdrs);
	free(h->progress);
	progress_free(&h->bar);
	free(h->after_ms);
	free(h->after);
	buf_free(&h->body);
	buf_free(&h->errmsg);
	free(h);
	curl_global_cleanup();
}

void
http_progress(struct http *h, const char *label)
{
	free(h->progress);
	h->progress = label != NULL ? xstrdup(label) : NULL;
}

const char *
http_errmsg(const struct http *h)
{
	return h->errmsg.p != NULL ? h->errmsg.p : "no error";
}

long
http_backoff_ms(const struct http *h, int attempt)
{
	return retry_backoff_ms(&h->policy, attempt);
}

int
http_max_tries(const struct http *h)
{
	return h->policy.max_tries;
}

/* "GET /v1/files": the method and the path as the user would write it,
 * without the query (which can be long and says little). */
static void
describe(struct buf *b, const struct http *h, const char *method,
    const char *path)
{
	buf_reset(b);
	buf_printf(b, "%s %s%.*s", method, h->cfg->base_path,
	    (int)strcspn(path, "?"), path);
}

/* errmsg = "HTTP 400: <error.message>" from an error body, scrubbed (the
 * text comes from the network: servers have echoed keys back, and sent
 * terminal escapes), the key masked before the message is cut. */
static void
set_http_error(struct http *h, long code)
{
	struct json_object *o = NULL, *e, *m;
	struct jval top;
	struct jerr je;
	const char *msg = NULL;

	buf_reset(&h->errmsg);
	buf_printf(&h->errmsg, "HTTP %ld", code);
	if (code >= 300 && code <= 399) {
		char *loc = NULL;

		curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &loc);
		buf_adds(&h->errmsg, ": redirected to ");
		if (loc != NULL)
			scrubs(&h->errmsg, loc, h->cfg->key, LOCATION_MAX);
		else
			buf_adds(&h->errmsg, "another place");
		buf_adds(&h->errmsg, "; redirects are not followed (check "
		    "OPENAI_BASE_URL)");
		return;
	}
	if (h->body.len > 0 && jscan_doc(h->body.p, h->body.len, &top,
	    &je) == 0)
		o = json_tokener_parse(h->body.p);
	if (o != NULL && json_object_object_get_ex(o, "error", &e) &&
	    json_object_object_get_ex(e, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		msg = json_object_get_string(m);
	if (msg != NULL && *msg != '\0') {
		buf_adds(&h->errmsg, ": ");
		scrub(&h->errmsg, msg, (size_t)json_object_get_string_len(m),
		    h->cfg->key, MESSAGE_MAX);
	}
	json_object_put(o);
}

enum outcome { DONE, RETRY, LOST, FAIL };

/* 1 when the last try failed before any byte of the request went out
 * (name not resolved, connection refused or timed out): then even a call
 * that is not idempotent can be tried again. */
static int
nothing_sent(struct http *h)
{
	long sent = 0;

	curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &sent);
	return sent == 0;
}

/* Classifies a finished transfer. */
static enum outcome
judge(struct http *h, CURLcode rc, long code, int flags)
{
	if (rc == CURLE_WRITE_ERROR && h->oversize) {
		buf_reset(&h->errmsg);
		buf_printf(&h->errmsg, "the server sent more than the %lld "
		    "bytes expected", h->expect);
		return RETRY;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK && h->too_slow) {
		buf_reset(&h->errmsg);
		buf_printf(&h->errmsg, "slower than %ld kB/s on average "
		    "(BATCHPIPE_MIN_RATE): %lld ", h->min_rate, h->got);
		if (h->expect >= 0)
			buf_printf(&h->errmsg, "of %lld ", h->expect);
		buf_printf(&h->errmsg, "bytes in %.0f s", h->limit_s);
		return RETRY;
	}
	if (rc == CURLE_WRITE_ERROR && h->write_failed) {
		buf_reset(&h->errmsg);
		buf_printf(&h->errmsg, "write: %s", strerror(h->write_failed));
		return FAIL;
	}
	if (rc == CURLE_WRITE_ERROR && h->too_big) {
		buf_reset(&h->errmsg);
		buf_printf(&h->errmsg, "answer larger than %zu MB",
		    ANSWER_MAX >> 20);
		return FAIL;
	}
	/* Too many header bytes: our cap (a write error) or libcurl's on
	 * one header line, which it reports as "out of memory" (after the
	 * status line was read: libcurl ran out of nothing else there), or
	 * since 8.6 as CURLE_TOO_LARGE. */
	if ((rc == CURLE_WRITE_ERROR && h->too_many) ||
	    (rc == CURLE_OUT_OF_MEMORY && (response_code(h) != 0 ||
	    strstr(h->curlerr, "header") != NULL))
#if LIBCURL_VERSION_NUM >= 0x080600
	    || rc == CURLE_TOO_LARGE
#endif
	    ) {
		buf_reset(&h->errmsg);
		buf_printf(&h->errmsg, "header too large (more than %zu kB)",
		    HEADERS_MAX >> 10);
		return FAIL;
	}
	if (rc != CURLE_OK) {
		buf_reset(&h->errmsg);
		scrubs(&h->errmsg, h->curlerr[0] != '\0' ? h->curlerr :
		    curl_easy_strerror(rc), h->cfg->key, MESSAGE_MAX);
		if (http_untrusted(rc)) {
			buf_adds(&h->errmsg, HTTP_CA_HINT);
			return FAIL;
		}
		if (nothing_sent(h))
			return RETRY;
		switch (rc) {
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_SEND_ERROR:
		case CURLE_RECV_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_PARTIAL_FILE:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_WEIRD_SERVER_REPLY:
			return flags & HTTP_NORETRY ? LOST : RETRY;
		default:
			return FAIL;
		}
	}
	if (code >= 200 && code <= 299) {
		if (h->fd >= 0 && h->expect >= 0 && h->got != h->expect) {
			buf_reset(&h->errmsg);
			buf_printf(&h->errmsg, "short answer: %lld of %lld "
			    "bytes", h->got, h->expect);
			return RETRY;
		}
		return DONE;
	}
	set_http_error(h, code);
	if (code == 408 || code == 409 || code == 429)
		return RETRY;		/* the server says it did not act */
	if (retry_status(code))
		return flags & HTTP_NORETRY ? LOST : RETRY;
	return FAIL;
}

static void
report(struct http *h, const char *method, const char *path, int flags,
    long code, int tries, int temporary)
{
	struct buf what = BUF_INIT;

	if ((flags & HTTP_QUIET) || (code == 404 && (flags & HTTP_QUIET404)))
		return;
	describe(&what, h, method, path);
	if (temporary)
		warnx("%s: %s (gave up after %d %s)", what.p, h->errmsg.p,
		    tries, tries == 1 ? "try" : "tries");
	else
		warnx("%s: %s", what.p, h->errmsg.p);
	buf_free(&what);
}

/* Parses a 2xx JSON answer strictly (jscan first: json-c 0.16 accepts
 * NaN and single quotes) into an object. */
static int
parse_answer(struct http *h, struct json_object **answer)
{
	struct json_tokener *tok;
	struct json_object *o;
	struct jval top;
	struct jerr je;

	buf_reset(&h->errmsg);
	if (h->body.p == NULL || jscan_doc(h->body.p, h->body.len, &top,
	    &je) != 0) {
		buf_printf(&h->errmsg, "the answer is not valid JSON (%s)",
		    h->body.p == NULL ? "empty" : je.msg);
		return -1;
	}
	if (top.type != JT_OBJECT) {
		buf_printf(&h->errmsg, "the answer is a JSON %s, not an "
		    "object", jscan_typename(top.type));
		return -1;
	}
	/* As deep as jscan lets through (json-c's default is 32). */
	if ((tok = json_tokener_new_ex(JSCAN_MAXDEPTH + 1)) == NULL)
		errx(1, "out of memory");
	o = json_tokener_parse_ex(tok, h->body.p, (int)h->body.len);
	json_tokener_free(tok);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		errx(1, "out of memory");	/* jscan accepted it */
	}
	*answer = o;
	return 0;
}

/* The shared retry loop.  setup() prepares the handle for one try. */
struct call {
	const char	*method;
	const char	*path;
	int		 flags;
	long		*status;
	struct json_object **answer;
	const char	*body;		/* JSON text, or NULL */
	size_t		 bodylen;
	curl_mime	*(*mime)(struct http *, const void *);
	const void	*mime_arg;
	int		 fd;
	off_t		 start;
	long long	 expect;
};

static void
begin(struct http *h, const struct call *c)
{
	buf_reset(&h->body);
	h->body_max = c->fd >= 0 ? ERRBODY_MAX : ANSWER_MAX;
	h->fd = c->fd;
	h->got = 0;
	h->expect = c->fd >= 0 ? c->expect : -1;
	h->oversize = h->write_failed = 0;
	h->headers = 0;
	h->too_big = h->too_many = 0;
	free(h->after_ms);
	free(h->after);
	h->after_ms = h->after = NULL;
	h->curlerr[0] = '\0';
	h->progress_last = 0;
	h->too_slow = 0;
	h->started = mono_now();
	h->limit_s = download_limit(h, h->expect >= 0 ? (double)h->expect :
	    0.0);
}

/* no_room: 1 when the filesystem of fd has fewer than size bytes free
 * (errmsg then says so): a file that cannot fit is refused before a byte
 * of it is fetched, not after hours.  A filesystem that reports no
 * size at all is given the benefit of the doubt. */
static int
no_room(struct http *h, int fd, long long size)
{
	struct statvfs st;
	double avail;
	char a[32], b[32];

	if (size <= 0 || fstatvfs(fd, &st) != 0 || st.f_blocks == 0)
		return 0;
	avail = (double)st.f_bavail * (double)st.f_frsize;
	if ((double)size <= avail)
		return 0;
	human(a, sizeof(a), (double)size);
	human(b, sizeof(b), avail);
	buf_reset(&h->errmsg);
	buf_printf(&h->errmsg, "%lld bytes announced (%s), more than the %s "
	    "free on the destination's filesystem", size, a, b);
	return 1;
}

static int
perform(struct http *h, const struct call *c)
{
	struct buf url = BUF_INIT;
	curl_mime *mime = NULL;
	CURL *cu = h->curl;
	CURLcode rc;
	enum outcome o;
	long code, wait;
	int tries, ret;

	config_url(h->cfg, &url, c->path, strlen(c->path));
	curl_easy_setopt(cu, CURLOPT_URL, url.p);
	for (tries = 1;; tries++) {
		begin(h, c);
		if (c->fd >= 0) {
			if (ftruncate(c->fd, c->start) != 0 ||
			    lseek(c->fd, c->start, SEEK_SET) < 0) {
				buf_reset(&h->errmsg);
				buf_printf(&h->errmsg, "%s", strerror(errno));
				code = 0;
				ret = HTTP_FAILED;
				report(h, c->method, c->path, c->flags, 0, tries,
				    0);
				break;
			}
			if (no_room(h, c->fd, c->expect)) {
				code = 0;
				ret = HTTP_FAILED;
				report(h, c->method, c->path, c->flags, 0, tries,
				    0);
				break;
			}
		}
		curl_easy_setopt(cu, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST,
		    strcmp(c->method, "GET") == 0 ||
		    strcmp(c->method, "POST") == 0 ? NULL : c->method);
		curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h->hdrs);
		if (c->mime != NULL) {
			mime = c->mime(h, c->mime_arg);
			curl_easy_setopt(cu, CURLOPT_MIMEPOST, mime);
		} else if (c->body != NULL) {
			curl_easy_setopt(cu, CURLOPT_HTTPHEADER,
			    h->idem_hdrs != NULL ? h->idem_hdrs : h->json_hdrs);
			curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)c->bodylen);
			curl_easy_setopt(cu, CURLOPT_POSTFIELDS, c->body);
		} else if (strcmp(c->method, "POST") == 0) {
			curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)0);
			curl_easy_setopt(cu, CURLOPT_POSTFIELDS, "");
		}
		/* A JSON call has a total limit too; a transfer of a big
		 * file only the stall limit. */
		curl_easy_setopt(cu, CURLOPT_TIMEOUT, c->fd < 0 &&
		    c->mime == NULL ? 5 * h->stall_s : 0L);
		/* A download's total limit is kept by on_progress. */
		curl_easy_setopt(cu, CURLOPT_NOPROGRESS, c->fd >= 0 ||
		    (h->progress != NULL && c->mime != NULL) ? 0L : 1L);
		/* On a reused connection that turns out dead, libcurl sends
		 * the request again by itself ("Connection died, retrying a
		 * fresh connect"), even a POST the server may have acted on:
		 * a call that must not be repeated gets a fresh connection. */
		curl_easy_setopt(cu, CURLOPT_FRESH_CONNECT,
		    c->flags & HTTP_NORETRY ? 1L : 0L);
		rc = curl_easy_perform(cu);
		progress_clear(&h->bar);
		if (mime != NULL) {
			curl_easy_setopt(cu, CURLOPT_MIMEPOST, NULL);
			curl_mime_free(mime);
			mime = NULL;
		}
		code = rc == CURLE_OK || rc == CURLE_WRITE_ERROR ||
		    rc == CURLE_PARTIAL_FILE ? response_code(h) : 0;
		o = judge(h, rc, code, c->flags);
		if (o == DONE && c->answer != NULL &&
		    parse_answer(h, c->answer) != 0)
			o = FAIL;
		if (o == DONE) {
			ret = HTTP_OK;
			break;
		}
		if (o == FAIL) {
			ret = HTTP_FAILED;
			report(h, c->method, c->path, c->flags, code, tries, 0);
			break;
		}
		if (o == LOST) {
			ret = HTTP_LOST;
			http_trace(h, "%s%s: %s: the answer was lost",
			    h->cfg->base_path, c->path, h->errmsg.p);
			break;
		}
		if (tries >= h->policy.max_tries) {
			ret = HTTP_TEMPFAIL;
			report(h, c->method, c->path, c->flags, code, tries, 1);
			break;
		}
		wait = retry_after_ms(h->after_ms, h->after, time(NULL),
		    h->policy.cap_ms);
		if (wait < 0)
			wait = retry_backoff_ms(&h->policy, tries);
		http_trace(h, "%s %s%.*s: %s; retrying in %ld ms (try %d of %d)",
		    c->method, h->cfg->base_path, (int)strcspn(c->path, "?"),
		    c->path, h->errmsg.p, wait, tries + 1, h->policy.max_tries);
		retry_sleep_ms(wait);
	}
	/* Leave the handle with no pointer into memory about to go. */
	curl_easy_setopt(cu, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(cu, CURLOPT_HTTPGET, 1L);
	h->fd = -1;
	if (c->status != NULL)
		*c->status = code;
	buf_free(&url);
	return ret;
}

int
http_request(struct http *h, const char *method, const char *path,
    struct json_object *body, int flags, long *status,
    struct json_object **answer)
{
	const char *text = NULL;
	size_t len = 0;

	if (body != NULL &&
	    (text = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN, &len)) == NULL)
		errx(1, "out of memory");
	return http_request_text(h, method, path, text, len, flags, status,
	    answer);
}

int
http_request_text(struct http *h, const char *method, const char *path,
    const char *body, size_t len, int flags, long *status,
    struct json_object **answer)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	c.method = method;
	c.path = path;
	c.flags = flags;
	c.status = status;
	c.answer = answer;
	c.fd = -1;
	c.expect = -1;
	c.body = body;
	c.bodylen = len;
	if (answer != NULL)
		*answer = NULL;
	return perform(h, &c);
}

const struct provider *
http_provider(const struct http *h)
{
	return h->cfg->prov;
}

struct upload {
	const char	*filepath;
	const char	*remote_name;
	const char	*purpose;
	long long	 expires_after;	/* seconds, or 0 for the default */
};

/* expiry_parts: the form fields of the object expires_after. */
static void
expiry_parts(curl_mime *m, long long seconds)
{
	curl_mimepart *p;
	char num[32];

	snprintf(num, sizeof(num), "%lld", seconds);
	if ((p = curl_mime_addpart(m)) == NULL ||
	    curl_mime_name(p, "expires_after[anchor]") != CURLE_OK ||
	    curl_mime_data(p, "created_at", CURL_ZERO_TERMINATED) != CURLE_OK ||
	    (p = curl_mime_addpart(m)) == NULL ||
	    curl_mime_name(p, "expires_after[seconds]") != CURLE_OK ||
	    curl_mime_data(p, num, CURL_ZERO_TERMINATED) != CURLE_OK)
		errx(1, "out of memory");
}

static curl_mime *
upload_mime(struct http *h, const void *arg)
{
	const struct upload *u = arg;
	curl_mime *m;
	curl_mimepart *p;

	if ((m = curl_mime_init(h->curl)) == NULL)
		errx(1, "out of memory");
	if ((p = curl_mime_addpart(m)) == NULL ||
	    curl_mime_name(p, "purpose") != CURLE_OK ||
	    curl_mime_data(p, u->purpose, CURL_ZERO_TERMINATED) != CURLE_OK)
		errx(1, "out of memory");
	if (u->expires_after > 0)
		expiry_parts(m, u->expires_after);
	/* curl_mime_filedata opens and reads the file during the transfer,
	 * a buffer at a time: memory does not grow with the file. */
	if ((p = curl_mime_addpart(m)) == NULL ||
	    curl_mime_name(p, "file") != CURLE_OK ||
	    curl_mime_filedata(p, u->filepath) != CURLE_OK ||
	    curl_mime_filename(p, u->remote_name) != CURLE_OK ||
	    curl_mime_type(p, "application/jsonl") != CURLE_OK)
		errx(1, "out of memory");
	return m;
}

int
http_upload(struct http *h, const char *path, const char *filepath,
    const char *remote_name, const char *purpose, long long expires_after,
    int flags, struct json_object **answer)
{
	struct upload u = { filepath, remote_name, purpose, expires_after };
	struct call c;

	memset(&c, 0, sizeof(c));
	c.method = "POST";
	c.path = path;
	c.flags = flags;
	c.answer = answer;
	c.mime = upload_mime;
	c.mime_arg = &u;
	c.fd = -1;
	c.expect = -1;
	if (answer != NULL)
		*answer = NULL;
	return perform(h, &c);
}

int
http_download(struct http *h, const char *path, int fd, off_t start,
    long long expect, int flags)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	c.method = "GET";
	c.path = path;
	c.flags = flags;
	c.fd = fd;
	c.start = start;
	c.expect = expect;
	return perform(h, &c);
}

/* next_cursor: the cursor a page of n items hands on: its last_id, else
 * its last item's id; NULL when it has neither as a string. */
static const char *
next_cursor(struct json_object *page, struct json_object *data, size_t n)
{
	struct json_object *last;

	if ((!json_object_object_get_ex(page, "last_id", &last) ||
	    !json_object_is_type(last, json_type_string)) &&
	    (n == 0 || !json_object_object_get_ex(
	    json_object_array_get_idx(data, n - 1), "id", &last)))
		return NULL;
	return json_object_is_type(last, json_type_string) ?
	    json_object_get_string(last) : NULL;
}

int
http_list(struct http *h, const char *path,
    int (*each)(struct json_object *item, void *arg), void *arg)
{
	struct json_object *page, *data, *more, *item;
	struct buf p = BUF_INIT, what = BUF_INIT;
	struct idset *seen;
	const char *cur;
	char *after = NULL, *esc;
	size_t i, n;
	long pages = 0;
	int rc, r, done = 0;

	/* Every cursor of this walk: a server whose cursors cycle (A, B,
	 * A, ...) would otherwise be walked for ever. */
	seen = idset_new();
	while (!done) {
		if (pages == h->max_pages) {
			describe(&what, h, "GET", path);
			warnx("%s: more than %ld pages (BATCHPIPE_MAX_PAGES): "
			    "the listing does not end", what.p, h->max_pages);
			rc = HTTP_FAILED;
			break;
		}
		pages++;
		buf_reset(&p);
		buf_adds(&p, path);
		if (after != NULL) {
			if ((esc = curl_easy_escape(h->curl, after, 0)) == NULL)
				errx(1, "out of memory");
			/* Anthropic's lists take the cursor as after_id. */
			buf_printf(&p, "%c%s=%s", strchr(path, '?') != NULL ?
			    '&' : '?', h->cfg->prov->dialect ==
			    DIALECT_ANTHROPIC ? "after_id" : "after", esc);
			curl_free(esc);
		}
		if ((rc = http_request(h, "GET", p.p, NULL, 0, NULL, &page)) !=
		    HTTP_OK)
			break;
		if (!json_object_object_get_ex(page, "data", &data) ||
		    !json_object_is_type(data, json_type_array)) {
			describe(&what, h, "GET", path);
			warnx("%s: the answer has no \"data\" list", what.p);
			json_object_put(page);
			rc = HTTP_FAILED;
			break;
		}
		n = json_object_array_length(data);
		for (i = 0; i < n && !done; i++) {
			item = json_object_array_get_idx(data, i);
			if (!json_object_is_type(item, json_type_object))
				continue;
			if ((r = each(item, arg)) != 0) {
				done = 1;
				rc = r < 0 ? HTTP_FAILED : HTTP_OK;
			}
		}
		if (!done)
			done = !json_object_object_get_ex(page, "has_more",
			    &more) || !json_object_get_boolean(more) || n == 0;
		if (!done) {
			describe(&what, h, "GET", path);
			if ((cur = next_cursor(page, data, n)) == NULL) {
				warnx("%s: has_more without a last_id", what.p);
				rc = HTTP_FAILED;
				done = 1;
			} else if (!idset_add(seen, cur, strlen(cur))) {
				warnx("%s: page %ld hands on a cursor an earlier "
				    "page gave: the listing cycles", what.p,
				    pages);
				rc = HTTP_FAILED;
				done = 1;
			} else {
				free(after);
				after = xstrdup(cur);
			}
		}
		json_object_put(page);
	}
	idset_free(seen);
	free(after);
	buf_free(&p);
	buf_free(&what);
	return rc;
}
