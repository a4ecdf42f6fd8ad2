/* What the server says of a file: its size, and whether it (and the
 * batch whose results it held) is still there. */
#include <err.h>
#include <json-c/json.h>
#include <string.h>

#include "anthropic_api.h"
#include "apipath.h"
#include "batchobj.h"
#include "buf.h"
#include "fileobj.h"
#include "idsrc.h"
#include "fetch.h"

int
file_size(struct http *h, const char *base, const char *id, long long *size,
    int *gone)
{
	static int said_unsized;
	struct json_object *answer;
	struct fileobj f;
	struct buf path = BUF_INIT;
	long status = 0;
	int rc;

	*gone = 0;
	api_path(&path, "/files/", id, NULL);
	rc = http_request(h, "GET", path.p, NULL, HTTP_QUIET404, &status,
	    &answer);
	if (rc != HTTP_OK) {
		if (rc == HTTP_FAILED && status == 404) {
			*gone = 1;
			warnx("GET %s%s: %s", base, path.p, http_errmsg(h));
		}
		buf_free(&path);
		return rc;
	}
	fileobj_parse(answer, &f);
	*size = -1;
	if (json_object_object_get_ex(answer, "bytes", NULL) &&
	    (!f.has_bytes || f.bytes < 0)) {
		warnx("GET %s%s: the answer's size (\"bytes\") is not a "
		    "number of bytes", base, path.p);
		rc = HTTP_FAILED;
	} else if (f.has_bytes)
		*size = f.bytes;
	else if (!said_unsized) {
		warnx("GET %s%s: the server states no size (\"bytes\"): "
		    "downloads are checked against their Content-Length only",
		    base, path.p);
		said_unsized = 1;
	}
	fileobj_free(&f);
	buf_free(&path);
	json_object_put(answer);
	return rc;
}

/* exists: 1 when the server has the object at path (freed), 0 when it
 * says it has not (404), -1 when it could not be asked (reported
 * quietly: this is only for a hint). */
static int
exists(struct http *h, struct buf *path, struct json_object **answer)
{
	long status = 0;
	int rc;

	rc = http_request(h, "GET", path->p, NULL, HTTP_QUIET, &status,
	    answer);
	buf_free(path);
	if (rc == HTTP_OK)
		return 1;
	return rc == HTTP_FAILED && status == 404 ? 0 : -1;
}

void
explain_gone(struct http *h, const char *id, const char *rest)
{
	struct json_object *answer = NULL;
	struct batchobj b;
	struct buf path = BUF_INIT;
	char kind[8], bid[256], *t;
	const char *in;
	size_t n;

	if (rest == NULL || (strncmp(rest, "output\t", 7) != 0 &&
	    strncmp(rest, "error\t", 6) != 0))
		return;
	n = (size_t)(strchr(rest, '\t') - rest);
	memcpy(kind, rest, n);
	kind[n] = '\0';
	rest += n + 1;
	n = (t = strchr(rest, '\t')) != NULL ? (size_t)(t - rest) :
	    strlen(rest);
	if (n >= sizeof(bid) || !idsrc_valid(rest, n))
		return;
	memcpy(bid, rest, n);
	bid[n] = '\0';
	warnx("%s: the %s file of %s is gone from the server (expired or "
	    "deleted?); the requests it ran were paid for", id, kind, bid);
	in = NULL;
	if (exists(h, (batch_path(h, &path, bid, NULL), &path), &answer) == 1
	    && batch_parse(h, answer, &b) == 0) {
		in = b.input_file_id;
		if (in != NULL && !idsrc_valid(in, strlen(in)))
			in = NULL;
	} else
		memset(&b, 0, sizeof(b));
	if (in == NULL)
		warnx("%s: to pay for them again, start a new batch of its "
		    "input file: oai-batch -f INPUT-FILE-ID | oai-wait | "
		    "oai-fetch", id);
	else if (exists(h, (api_path(&path, "/files/", in, NULL), &path),
	    NULL) == 0)
		warnx("%s: its input file %s is gone from the server too: "
		    "to pay for them again, upload the requests again "
		    "(oai-upload) and start a batch of the new file", id, in);
	else
		warnx("%s: to pay for them again, start a new batch of its "
		    "input file: oai-batch -f %s | oai-wait | oai-fetch",
		    id, in);
	batchobj_free(&b);
	if (answer != NULL)
		json_object_put(answer);
}
