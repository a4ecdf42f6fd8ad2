/* A local file's requests, made into the body of Anthropic's create:
 * {"requests":[...]}, each line translated by anthropic_request.  The
 * file must still be what its id stands for (oai-upload named it by the
 * hash of its contents), or the batch found for the id later would not
 * be this file's. */
#include <sys/stat.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anthropic.h"
#include "anthropic_api.h"
#include "batch.h"
#include "buf.h"
#include "filehash.h"
#include "jscan.h"
#include "provider.h"
#include "regfile.h"
#include "reqline.h"

/* same_contents: 1 when the file on fd (at offset 0) hashes to local
 * id; else 0 after saying why (a read error is said too). */
static int
same_contents(int fd, const char *path, const char *id)
{
	struct buf want = BUF_INIT;
	char hex[65];
	off_t size;
	int same;

	if (filehash_sha256(fd, hex, &size) != 0) {
		warn("%s", path);
		return 0;
	}
	same = strcmp(local_id(&want, hex), id) == 0;
	buf_free(&want);
	if (!same)
		warnx("%s: changed since oai-upload named it %s: run "
		    "oai-upload again for the id of what it holds now",
		    path, id);
	if (lseek(fd, 0, SEEK_SET) != 0) {
		warn("%s", path);
		same = 0;
	}
	return same;
}

/* translate_all: every line of fp (path) as an entry of body's list.
 * Returns 0, or -1 after saying which line has no translation. */
static int
translate_all(const struct run *run, FILE *fp, const char *path,
    struct buf *body, long long *n)
{
	struct reqline req;
	struct buf idbuf = BUF_INIT, model = BUF_INIT;
	const char *why;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long long lineno = 0;
	int r = 0;

	while (r == 0 && (len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if ((why = reqline_check(line, (size_t)len, &req,
		    &idbuf)) == NULL) {
			if (*n > 0)
				buf_addc(body, ',');
			buf_reset(&model);
			if (jscan_unescape(req.model, &model) != 0)
				why = "body.model: not a string";
			else if (anthropic_request(&req, anthropic_default_max(
			    model.p != NULL ? model.p : "", model.len), body,
			    &why) == 0)
				why = NULL;
		}
		if (why != NULL) {
			warnx("%s:%lld: %s; no batch is made of it", path,
			    lineno, why);
			r = -1;
		}
		(*n)++;
	}
	if (r == 0 && ferror(fp)) {
		warn("%s", path);
		r = -1;
	}
	if (r == 0 && *n == 0) {
		warnx("%s: no requests", path);
		r = -1;
	}
	free(line);
	buf_free(&idbuf);
	buf_free(&model);
	return r;
}

int
inline_requests(const struct run *run, const char *id, const char *path,
    struct buf *body, long long *n)
{
	const struct provider *p = run->prov;
	struct stat st;
	FILE *fp;
	int fd, r = -1;

	*n = 0;
	buf_reset(body);
	if ((fd = regfile_open(path, &st)) < 0) {
		if (fd == -1)
			warn("%s", path);
		else
			warnx("%s: not a regular file", path);
		return -1;
	}
	if (!same_contents(fd, path, id) || (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	buf_adds(body, "{\"requests\":[");
	if (translate_all(run, fp, path, body, n) == 0) {
		buf_adds(body, "]}");
		if (*n > p->max_requests)
			warnx("%s: %lld requests; %s takes at most %lld in a "
			    "batch: split it smaller (jsonl-split)", path, *n,
			    p->name, p->max_requests);
		else if ((long long)body->len > p->max_bytes)
			warnx("%s: %zu bytes as %s's requests; it takes at "
			    "most %lld in a batch: split it smaller "
			    "(jsonl-split)", path, body->len, p->name,
			    p->max_bytes);
		else
			r = 0;
	}
	fclose(fp);
	return r;
}
