/* The server's batch files, listed once and kept as a catalog, and the
 * upload that looks there first: a file already on the server is
 * reused, never uploaded twice. */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "fileobj.h"
#include "http.h"
#include "idsrc.h"
#include "retry.h"
#include "upload.h"
#include "xalloc.h"

static void
catalog_add(struct catalog *c, const char *name, long long bytes,
    const char *id)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n].name = xstrdup(name);
	c->v[c->n].bytes = bytes;
	c->v[c->n].id = xstrdup(id);
	c->n++;
}

static void
catalog_clear(struct catalog *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].id);
	}
	c->n = 0;
	c->loaded = 0;
}

void
catalog_free(struct catalog *c)
{
	catalog_clear(c);
	free(c->v);
	c->v = NULL;
	c->cap = 0;
}

/* 1 when name looks like "<anything>.<HASH_CHARS hex>.jsonl", or
 * "<anything>.<HASH_CHARS hex>.x<digits>.jsonl" (uploaded with -x). */
static int
hashed_name(const char *name)
{
	size_t n = strlen(name), i;
	const char *h;

	if (n < HASH_CHARS + 7 || strcmp(name + n - 6, ".jsonl") != 0)
		return 0;
	n -= 6;
	for (i = n; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
		;
	if (i < n && i >= 2 && name[i - 1] == 'x' && name[i - 2] == '.')
		n = i - 2;
	if (n < HASH_CHARS + 1)
		return 0;
	h = name + n - HASH_CHARS;
	if (h[-1] != '.')
		return 0;
	for (i = 0; i < HASH_CHARS; i++)
		if (strchr("0123456789abcdef", h[i]) == NULL || h[i] == '\0')
			return 0;
	return 1;
}

/* reusable: 1 when listed file f may stand for an upload: a batch file
 * (a server that ignored ?purpose=batch lists others too) of a usable
 * id, a hashed name and a size, not in error or deleted. */
static int
reusable(const struct fileobj *f)
{
	if (f->purpose != NULL && strcmp(f->purpose, "batch") != 0)
		return 0;
	if (f->id == NULL || f->filename == NULL || !f->has_bytes ||
	    !hashed_name(f->filename) || !idsrc_valid(f->id, strlen(f->id)))
		return 0;
	return f->status == NULL || (strcmp(f->status, "error") != 0 &&
	    strcmp(f->status, "deleted") != 0);
}

static int
collect(struct json_object *item, void *arg)
{
	struct catalog *c = arg;
	struct fileobj f;

	if (fileobj_parse(item, &f) == 0 && reusable(&f))
		catalog_add(c, f.filename, f.bytes, f.id);
	fileobj_free(&f);
	return 0;
}

static int
catalog_load(struct http *h, struct catalog *c)
{
	int rc;

	catalog_clear(c);
	c->loaded_at = time(NULL);
	rc = http_list(h, "/files?purpose=batch&limit=10000", collect, c);
	if (rc == HTTP_OK)
		c->loaded = 1;
	return rc;
}

static const char *
catalog_find(const struct catalog *c, const char *name, long long bytes)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].bytes == bytes && strcmp(c->v[i].name, name) == 0)
			return c->v[i].id;
	return NULL;
}

/* stored: the answer to an upload of path (size bytes) as name: its file
 * id, added to c, or NULL after reporting. */
static char *
stored(struct json_object *answer, const char *base, struct catalog *c,
    const char *path, const char *name, long long size)
{
	static int said_unsized;
	struct fileobj f;
	char *id = NULL;

	fileobj_parse(answer, &f);
	/* A size the server states must be the one sent; one it leaves
	 * out (a compatible server may) cannot be checked: said once. */
	if (f.id != NULL && idsrc_valid(f.id, strlen(f.id)) &&
	    !f.has_bytes && !said_unsized) {
		warnx("POST %s/files: the answers state no size (\"bytes\"): "
		    "the sizes stored are not verified", base);
		said_unsized = 1;
	}
	if (f.id == NULL || !idsrc_valid(f.id, strlen(f.id)))
		warnx("POST %s/files: %s: the answer has no file id",
		    base, path);
	else if (f.has_bytes && f.bytes != size)
		warnx("%s: the server stored %lld bytes of %lld (the file "
		    "changed during the upload?)", path, f.bytes, size);
	else {
		id = xstrdup(f.id);
		catalog_add(c, name, size, f.id);
	}
	fileobj_free(&f);
	return id;
}

int
upload(struct http *h, const char *base, struct catalog *c,
    const char *sendpath, const char *path, const char *name, long long size,
    long long expires_after, char **id)
{
	struct json_object *answer;
	const char *found;
	int rc, tries;

	for (tries = 1;; tries++) {
		if (!c->loaded && (rc = catalog_load(h, c)) != HTTP_OK) {
			c->broken = rc == HTTP_FAILED;
			return rc;
		}
		if ((found = catalog_find(c, name, size)) != NULL) {
			http_trace(h, "%s: the server has it already: %s",
			    path, found);
			*id = xstrdup(found);
			return HTTP_OK;
		}
		rc = http_upload(h, "/files", sendpath, name, "batch",
		    expires_after, HTTP_NORETRY, &answer);
		if (rc == HTTP_OK)
			break;
		if (rc != HTTP_LOST)
			return rc;
		if (tries >= http_max_tries(h)) {
			warnx("POST %s/files: %s: %s (gave up after %d tries)",
			    base, path, http_errmsg(h), tries);
			return HTTP_TEMPFAIL;
		}
		/* The upload may have arrived: look again before retrying. */
		retry_sleep_ms(http_backoff_ms(h, tries));
		c->loaded = 0;
	}
	*id = stored(answer, base, c, path, name, size);
	json_object_put(answer);
	return *id != NULL ? HTTP_OK : HTTP_FAILED;
}
