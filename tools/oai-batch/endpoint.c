/* The endpoint of a file's batch is its requests' own (jsonl-split
 * writes one url a file), read from the first request of the file that
 * oai-upload's line names. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "buf.h"
#include "jscan.h"
#include "reqline.h"
#include "xalloc.h"

/* file_first: the url of the first request of the file at path, copied
 * to out (size bytes), and its model, to model (MAX_MODEL bytes; "" when
 * too long).  Returns 0, or -1 after saying why not (a read error, an
 * empty file, a line that is not a request, a url that is not a
 * path). */
static int
file_first(const char *path, char *out, size_t size, char *model)
{
	struct reqline req;
	struct buf idbuf = { 0 }, url = { 0 }, name = { 0 };
	const char *why;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *fp;
	int r = -1;

	if ((fp = fopen(path, "r")) == NULL) {
		warn("%s", path);
		return -1;
	}
	if ((len = getline(&line, &cap, fp)) == -1) {
		if (ferror(fp))
			warn("%s", path);
		else
			warnx("%s: no requests", path);
		goto out;
	}
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if ((why = reqline_check(line, (size_t)len, &req, &idbuf)) != NULL) {
		warnx("%s:1: %s", path, why);
		goto out;
	}
	if (jscan_unescape(req.url, &url) == -1 || url.len == 0 ||
	    url.len >= size || url.p[0] != '/' ||
	    memchr(url.p, '\0', url.len) != NULL) {
		warnx("%s:1: url %.*s: not an endpoint path such as "
		    "/v1/chat/completions", path, (int)(req.url.n > 80 ? 80 :
		    req.url.n), req.url.p);
		goto out;
	}
	memcpy(out, url.p, url.len);
	out[url.len] = '\0';
	model[0] = '\0';
	if (jscan_unescape(req.model, &name) == 0 && name.len < MAX_MODEL &&
	    memchr(name.p, '\0', name.len) == NULL) {
		memcpy(model, name.p, name.len);
		model[name.len] = '\0';
	}
	r = 0;
out:
	buf_free(&name);
	buf_free(&url);
	buf_free(&idbuf);
	free(line);
	fclose(fp);
	return r;
}

/* -e, when given, must agree with the requests' url.  A file uploaded
 * from standard input ("-") has no path to read. */
const char *
endpoint(const struct run *run, const char *file_id, const char *rest,
    char *url, size_t size, char *first_model)
{
	char *path;
	int r;

	first_model[0] = '\0';
	if (rest == NULL || rest[0] == '\t' || rest[0] == '\0' ||
	    (rest[0] == '-' && strcspn(rest, "\t") == 1))
		return run->endpoint != NULL ? run->endpoint :
		    "/v1/chat/completions";
	path = xstrndup(rest, strcspn(rest, "\t"));
	r = file_first(path, url, size, first_model);
	if (r == 0 && run->endpoint != NULL &&
	    strcmp(url, run->endpoint) != 0) {
		warnx("%s: %s: its requests are for %s, not %s (-e)", path,
		    file_id, url, run->endpoint);
		r = -1;
	}
	free(path);
	return r == 0 ? url : NULL;
}
