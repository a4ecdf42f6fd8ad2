/*
 * http: the one HTTP client of the oai- tools, on a single libcurl easy
 * handle (so the connection is kept alive between calls).
 *
 * Every call takes a path relative to the base URL ("/files",
 * "/batches?limit=100") and reports its errors itself as
 *	prog: POST /v1/batches: HTTP 400: <the API's error.message>
 * (the path shown with the base URL's path prefix, without the query).
 *
 * Retries: connection errors, timeouts, cut-off answers, 408, 409, 429
 * and 5xx are tried again, up to BATCHPIPE_MAX_TRIES tries, after the wait
 * the server asks for (retry-after-ms, then Retry-After) or else after an
 * exponential backoff with full jitter (retry.h).  Other statuses (400,
 * 401, 403, 404, 413, 422, ...) are permanent.  Redirects are not
 * followed: a 3xx is a permanent error.  TLS is always verified; every
 * transfer has a connect timeout and a stall timeout (BATCHPIPE_TIMEOUT
 * seconds without progress); a JSON call also a total limit of five stall
 * timeouts, a download five stall timeouts plus its size at
 * BATCHPIPE_MIN_RATE kB/s (a server dripping bytes is retried like a
 * stalled one).
 *
 * With verbose on, requests and answer headers are traced to stderr as
 * "> " and "< " lines, the Authorization header shown as
 * "Bearer [redacted]"; retries are announced.  The key is never printed:
 * it is also masked in any message the server sends back.
 *
 * Return values of every call (enum http_rc):
 *	HTTP_OK		a 2xx answer
 *	HTTP_FAILED	a permanent failure, reported (exit 1)
 *	HTTP_TEMPFAIL	the retries ran out, reported (exit 75: safe to
 *			re-run)
 *	HTTP_LOST	only with HTTP_NORETRY: the request may or may not
 *			have taken effect (connection dropped or timed out
 *			after sending, or a 5xx); not reported, http_errmsg
 *			says what happened.  The caller reconciles (looks
 *			for what the request would have created), waits
 *			http_backoff_ms and tries again.
 */
#ifndef HTTP_H
#define HTTP_H
#include <sys/types.h>
#include <curl/curl.h>

#include "config.h"
#include "retry.h"

struct json_object;
struct http;

enum http_rc {
	HTTP_OK = 0,
	HTTP_FAILED = 1,
	HTTP_TEMPFAIL = 2,
	HTTP_LOST = 3
};

/* Added to the message of a server certificate that could not be
 * verified: where the CA of a proxy or a private server is given. */
#define HTTP_CA_HINT	"; to trust a CA of your own, name its file in " \
			"CURL_CA_BUNDLE"

/* The default cap on the pages of one http_list walk: a million batches
 * at 100 a page, far more files at 10,000. */
#define HTTP_MAX_PAGES	10000

/* The default of BATCHPIPE_MIN_RATE, in kB/s: a download of N bytes may
 * take five stall timeouts plus N at this rate in all.  Low enough for a
 * slow link (800 kbit/s); a hostile server is bounded all the same. */
#define HTTP_MIN_RATE	100

/* Flags of a call. */
#define HTTP_NORETRY	0x1	/* not idempotent (batch creation, upload):
				 * only retried when the server certainly
				 * did not act (connect failed, 408, 409,
				 * 429); else HTTP_LOST */
#define HTTP_QUIET404	0x2	/* a 404 is HTTP_FAILED with *status 404,
				 * not reported */
#define HTTP_QUIET	0x4	/* report nothing; see http_errmsg */

/* http_open: a client for configuration c (which must outlive it).
 * Reads the retry policy, BATCHPIPE_TIMEOUT, BATCHPIPE_MIN_RATE and
 * BATCHPIPE_MAX_PAGES from
 * the environment (exits 2 on a bad value).  Never fails but for memory (exit 1). */
struct http *http_open(const struct oai_config *c, int verbose);
void	http_close(struct http *h);

/* http_progress: with label non-NULL, uploads and downloads draw a byte
 * progress line "label: 12.0 MB of 200.0 MB (6%)" on stderr (a line in
 * place, common/progress.h), erased when done.  The caller decides
 * (stderr a tty and no -q).  label is copied. */
void	http_progress(struct http *h, const char *label);

/* http_request: method ("GET", "POST", "DELETE") on path, with body (a
 * JSON object sent as application/json) or NULL.  On HTTP_OK, when answer
 * is non-NULL, *answer is the parsed answer, always a JSON object (a 2xx
 * answer that is not one is HTTP_FAILED); the caller json_object_put()s
 * it.  *status (if status is non-NULL) is the last HTTP status, 0 when
 * there was no answer.  */
int	http_request(struct http *h, const char *method, const char *path,
	    struct json_object *body, int flags, long *status,
	    struct json_object **answer);

/* http_idempotency_key: every later call with a JSON body carries the
 * header "Idempotency-Key: key" (key printable ASCII without spaces), so
 * that a server that honours it answers a repeated create with what the
 * first one made; NULL: no more.  For a create whose answer may be lost
 * (HTTP_NORETRY). */
void	http_idempotency_key(struct http *h, const char *key);

/* http_list: walks a list endpoint: GET path (which may carry a query:
 * "/files?purpose=batch"), then again with after=<last_id> (Anthropic's
 * after_id=) while has_more is true, calling each(item, arg) for every
 * element of "data" (always a JSON object; it is put after the call:
 * take a reference to keep it).
 * each returns 0 to go on, 1 to stop the walk (found), -1 to stop it after
 * reporting an error (http_list then returns HTTP_FAILED).  Returns HTTP_OK
 * when the walk ended or each stopped it, else as http_request.  A walk
 * that cannot end is HTTP_FAILED, reported: has_more with no cursor, a
 * cursor that an earlier page of this walk gave (the server's pagination
 * cycles), or more than BATCHPIPE_MAX_PAGES pages (default
 * HTTP_MAX_PAGES). */
int	http_list(struct http *h, const char *path,
	    int (*each)(struct json_object *item, void *arg), void *arg);

/* http_request_text: http_request with body[0..len) the JSON text to
 * send, already written (a request too big to hold twice as objects:
 * Anthropic's batch of inline requests). */
int	http_request_text(struct http *h, const char *method, const char *path,
	    const char *body, size_t len, int flags, long *status,
	    struct json_object **answer);

/* http_provider: the provider of h's configuration (its dialect). */
const struct provider *http_provider(const struct http *h);

/* http_upload: multipart POST of the file at filepath, streamed from disk
 * (memory does not grow with its size), as form field "file" named
 * remote_name, with form field "purpose" set to purpose and, when
 * expires_after > 0, the fields expires_after[anchor]=created_at and
 * expires_after[seconds]=expires_after (as the API's own curl example
 * sends the object; the caller checks the range).  Flags and
 * *answer as http_request (use HTTP_NORETRY and reconcile: an upload whose
 * answer was lost may have created the file). */
int	http_upload(struct http *h, const char *path, const char *filepath,
	    const char *remote_name, const char *purpose, long long expires_after,
	    int flags, struct json_object **answer);

/* http_download: GET path, writing the body to fd from offset start on;
 * every try first truncates fd to start, so a retry begins afresh.  With
 * expect >= 0 the body must be exactly expect bytes: a short or long body
 * is retried like a dropped connection.  The whole try must end within
 * the limit above, scaled to expect (or, when expect < 0, to the
 * Content-Length).  A body of expect bytes that cannot fit in the free
 * space of fd's filesystem is HTTP_FAILED at once, reported.  Memory
 * stays constant.  Returns as http_request; on failure fd holds garbage
 * past start. */
int	http_download(struct http *h, const char *path, int fd, off_t start,
	    long long expect, int flags);

/* http_errmsg: what went wrong in the last call that failed, e.g.
 * "HTTP 503: the engine is overloaded" or "Connection refused"; never
 * NULL, valid until the next call. */
const char *http_errmsg(const struct http *h);

/* http_backoff_ms: the full-jitter wait before try attempt + 1, for
 * callers that loop themselves (after HTTP_LOST); http_max_tries: the
 * bound on tries they should keep to. */
long	http_backoff_ms(const struct http *h, int attempt);
int	http_max_tries(const struct http *h);

/* http_easy_defaults: the settings every transfer of the oai- tools
 * has, on a libcurl easy handle: http and https only, no redirects, TLS
 * verified (against c->ca_file when set), the connect timeout, stall_s
 * seconds without progress a stall, TCP keep-alive, batchpipe's
 * User-Agent, no signals.  For a tool that drives its own handles
 * (oai-run); the http_ calls have them. */
void	http_easy_defaults(CURL *cu, const struct oai_config *c, long stall_s);

/* http_untrusted: whether a transfer failed on trust: the server's
 * certificate not verified, or the CA bundle unreadable.  That is settled
 * before a byte is sent, and no other try settles it differently: it is
 * final, and its message takes HTTP_CA_HINT. */
int	http_untrusted(CURLcode rc);

/* http_json_headers: the headers of a JSON call for configuration c:
 * the key as a Bearer token, the organization and project when set,
 * Accept and Content-Type application/json.  The caller frees the list
 * with curl_slist_free_all. */
struct curl_slist *http_json_headers(const struct oai_config *c);

/* http_trace: with verbose on, prints "* " fmt to stderr. */
void	http_trace(const struct http *h, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
