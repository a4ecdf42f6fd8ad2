/* oai-upload: uploads batch input files; prints file-ID<TAB>path.
 *
 * A re-run must not upload again what the server already has, so the name
 * each file is uploaded under carries the SHA-256 of its contents:
 * "part-0001.jsonl" becomes "part-0001.<32 hex digits>.jsonl".  Before
 * uploading, the server's batch files are listed once and a file with
 * exactly that name and size is reused; a different file that merely has
 * the same plain name has a different hash, so it is never mistaken for
 * this one.  An upload whose answer was lost is reconciled the same way
 * (list again, reuse what arrived) before it is tried again.
 *
 * Two processes of the same user uploading the same content to the same
 * server at once would both find nothing and both upload: each upload
 * takes a lock (runlock.h) keyed by the server and the name uploaded
 * under, so the second waits and then finds the first one's file (the
 * listing is read again when the lock says something was uploaded since
 * it was read).
 *
 * The operand "-" is the file on standard input: it is copied to an
 * unnamed temporary file first (the upload is sent with a length, and the
 * hash must be known before), uploaded as "stdin.<hash>.jsonl", and
 * printed as "-".  An unnamed file leaves nothing behind, whatever stops
 * the upload. */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "filehash.h"
#include "http.h"
#include "idsrc.h"
#include "outcheck.h"
#include "regfile.h"
#include "reqline.h"
#include "runlock.h"
#include "spool.h"
#include "usage.h"
#include "xalloc.h"

#define HASH_CHARS 32		/* 128 bits of SHA-256 in the name */
/* The first line is checked whole up to this length; a longer one (a
 * request with an image, say) only by its first byte. */
#define FIRST_LINE_MAX ((size_t)16 << 20)

/* The server's batch files that carry a content hash in their name. */
struct known {
	char		*name;
	long long	 bytes;
	char		*id;
};

struct catalog {
	struct known	*v;
	size_t		 n, cap;
	int		 loaded;
	time_t		 loaded_at;	/* when the listing was asked for */
	int		 broken;	/* the listing failed for good */
};

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "hqvV";
static const char help[] =
	"usage: oai-upload [-hqVv] [file ...]\n"
	"\n"
	"  -q  no progress line\n"
	"  -v  trace every HTTP request and answer header on stderr\n"
	"  -h  print this help and exit\n"
	"  -V  print the version and exit\n";

static void __attribute__((noreturn))
usage(FILE *fp)
{
	if (fp == stdout)
		usage_help(help);
	usage_error(help);
}

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

/* 1 when name looks like "<anything>.<HASH_CHARS hex>.jsonl". */
static int
hashed_name(const char *name)
{
	size_t n = strlen(name), i;
	const char *h;

	if (n < HASH_CHARS + 7 || strcmp(name + n - 6, ".jsonl") != 0)
		return 0;
	h = name + n - 6 - HASH_CHARS;
	if (h[-1] != '.')
		return 0;
	for (i = 0; i < HASH_CHARS; i++)
		if (strchr("0123456789abcdef", h[i]) == NULL || h[i] == '\0')
			return 0;
	return 1;
}

static const char *
string_member(struct json_object *o, const char *key)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	/* A NUL byte ("\u0000") would cut it short: as good as none. */
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

static int
int_member(struct json_object *o, const char *key, long long *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return 0;
}

static int
collect(struct json_object *item, void *arg)
{
	struct catalog *c = arg;
	const char *id, *name, *status, *purpose;
	long long bytes;

	id = string_member(item, "id");
	name = string_member(item, "filename");
	status = string_member(item, "status");
	purpose = string_member(item, "purpose");
	if (purpose != NULL && strcmp(purpose, "batch") != 0)
		return 0;	/* a server that ignored ?purpose=batch */
	if (id == NULL || name == NULL || int_member(item, "bytes",
	    &bytes) != 0 || !hashed_name(name) || !idsrc_valid(id, strlen(id)))
		return 0;
	if (status != NULL && (strcmp(status, "error") == 0 ||
	    strcmp(status, "deleted") == 0))
		return 0;
	catalog_add(c, name, bytes, id);
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

/* The name to upload path under: its base name, the ".jsonl" taken off
 * and any byte outside [A-Za-z0-9._-] made '_' (so the multipart header
 * carries it unchanged), then ".<hash>.jsonl". */
static void
remote_name(struct buf *b, const char *path, const char *hex)
{
	char *copy, *base, *s;
	size_t n;

	copy = xstrdup(path);
	base = basename(copy);
	n = strlen(base);
	if (n > 6 && strcmp(base + n - 6, ".jsonl") == 0)
		base[n -= 6] = '\0';
	if (n > 160)
		base[160] = '\0';
	for (s = base; *s != '\0'; s++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._-", *s) == NULL)
			*s = '_';
	buf_reset(b);
	buf_printf(b, "%s.%.*s.jsonl", *base != '\0' ? base : "input",
	    HASH_CHARS, hex);
	free(copy);
}

/* stdin_spool: all of standard input copied into an unnamed temporary
 * file (spool_tmpfile), whatever stdin is (a file is copied too, from
 * where it stands, as a pipe would be).  Returns the copy's descriptor at
 * offset 0, or -1 after reporting. */
static int
stdin_spool(void)
{
	char chunk[1 << 16];
	ssize_t n, w, off;
	int fd;

	if ((fd = spool_tmpfile()) < 0)
		return -1;
	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("stdin");
			break;
		}
		if (n == 0) {
			if (lseek(fd, 0, SEEK_SET) == 0)
				return fd;
			warn("stdin: temporary file");
			break;
		}
		for (off = 0; off < n; off += w > 0 ? w : 0)
			if ((w = write(fd, chunk + off, (size_t)(n - off))) < 0 &&
			    errno != EINTR)
				break;
		if (off < n) {
			warn("stdin: temporary file");
			break;
		}
	}
	close(fd);
	return -1;
}

/* request_fault: NULL when the file on fd (size bytes) starts with a
 * Batch API request line, as jsonl-split checks one (reqline_check); else
 * why not.  A cheap check before anything is sent, so that an empty file
 * or one of something else is refused at once rather than by the batch
 * later: only the first line is read (pread: fd's offset stays), and one
 * longer than FIRST_LINE_MAX only by its first byte. */
static const char *
request_fault(int fd, off_t size, struct buf *line)
{
	struct reqline req;
	struct buf idbuf = BUF_INIT;
	const char *why, *nl = NULL;
	char chunk[1 << 16];
	ssize_t n;

	if (size == 0)
		return "an empty file: no requests to upload";
	buf_reset(line);
	while (nl == NULL && line->len < FIRST_LINE_MAX) {
		n = pread(fd, chunk, sizeof(chunk), (off_t)line->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return strerror(errno);
		if (n == 0)
			break;
		nl = memchr(chunk, '\n', (size_t)n);
		buf_add(line, chunk, nl != NULL ? (size_t)(nl - chunk) :
		    (size_t)n);
	}
	if (nl == NULL && line->len >= FIRST_LINE_MAX)
		return line->p[0] == '{' ? NULL :
		    "line 1 is not a batch request (not a JSON object)";
	why = reqline_check(line->p != NULL ? line->p : "", line->len, &req,
	    &idbuf);
	buf_free(&idbuf);
	if (why == NULL)
		return NULL;
	buf_reset(line);
	buf_printf(line, "line 1 is not a batch request: %s", why);
	return line->p;
}

/* upload: puts the file at sendpath on the server as name, or finds it
 * there; path names it in messages.  Returns HTTP_OK with *id (to free), or HTTP_FAILED / HTTP_TEMPFAIL after
 * reporting. */
static int
upload(struct http *h, const char *base, struct catalog *cat,
    const char *sendpath, const char *path, const char *name, long long size,
    char **id)
{
	struct json_object *answer;
	const char *found;
	long long bytes;
	int rc, tries;

	for (tries = 1;; tries++) {
		if (!cat->loaded && (rc = catalog_load(h, cat)) != HTTP_OK) {
			cat->broken = rc == HTTP_FAILED;
			return rc;
		}
		if ((found = catalog_find(cat, name, size)) != NULL) {
			http_trace(h, "%s: the server has it already: %s",
			    path, found);
			*id = xstrdup(found);
			return HTTP_OK;
		}
		rc = http_upload(h, "/files", sendpath, name, "batch",
		    HTTP_NORETRY, &answer);
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
		cat->loaded = 0;
	}
	found = string_member(answer, "id");
	if (found == NULL || !idsrc_valid(found, strlen(found)) ||
	    int_member(answer, "bytes", &bytes) != 0) {
		warnx("POST %s/files: %s: the answer has no file id or size",
		    base, path);
		json_object_put(answer);
		return HTTP_FAILED;
	}
	if (bytes != size) {
		warnx("%s: the server stored %lld bytes of %lld (the file "
		    "changed during the upload?)", path, bytes, size);
		json_object_put(answer);
		return HTTP_FAILED;
	}
	*id = xstrdup(found);
	catalog_add(cat, name, size, found);
	json_object_put(answer);
	return HTTP_OK;
}

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct catalog cat = { NULL, 0, 0, 0, 0, 0 };
	struct runlock lock = RUNLOCK_NONE;
	struct http *h;
	struct idsrc in;
	struct buf name = BUF_INIT, line = BUF_INIT;
	struct stat st;
	const char *path, *shown, *sendpath, *why;
	char hex[65], *id, fdpath[64];
	off_t size;
	int ch, quiet = 0, verbose = 0, failed = 0, temporary = 0, more, fd;
	int from_stdin, stdin_used = 0;
	int rc;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1)
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			usage_version();
		default:
			usage(stderr);
			return 2;
		}
	argc -= optind;
	argv += optind;

	if (config_load(&cfg) != 0)
		return 1;
	if (idsrc_open_paths(&in, argc, argv) != 0)
		return 1;
	h = http_open(&cfg, verbose);

	while (!temporary && (more = idsrc_next(&in, &path)) == 1) {
		if (strpbrk(path, "\t\n") != NULL) {
			warnx("%s: a path with a TAB or newline cannot be "
			    "printed as a record", in.where);
			failed = 1;
			continue;
		}
		from_stdin = in.argv != NULL && strcmp(path, "-") == 0;
		shown = from_stdin ? "stdin" : path;
		if (from_stdin && stdin_used) {
			warnx("%s: standard input can be uploaded only once",
			    in.where);
			failed = 1;
			continue;
		}
		if (from_stdin) {
			stdin_used = 1;
			if ((fd = stdin_spool()) < 0) {
				failed = 1;
				continue;
			}
			/* curl reads the file by name: the unnamed copy's
			 * name in /proc. */
			snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d",
			    fd);
			sendpath = fdpath;
		} else if ((fd = regfile_open(path, &st)) < 0) {
			/* A FIFO would block the open until a writer came. */
			if (fd == -1)
				warn("%s", path);
			else
				warnx("%s: not a regular file", path);
			failed = 1;
			continue;
		} else
			sendpath = path;
		if (filehash_sha256(fd, hex, &size) != 0) {
			warn("%s", shown);
			close(fd);
			failed = 1;
			continue;
		}
		if ((why = request_fault(fd, size, &line)) != NULL) {
			warnx("%s: %s; not uploaded", shown, why);
			close(fd);
			failed = 1;
			continue;
		}
		remote_name(&name, from_stdin ? "stdin.jsonl" : path, hex);
		runlock_acquire(&lock, cfg.base_url, "upload", name.p, shown,
		    quiet);
		if (runlock_marked_since(&lock, cat.loaded_at))
			cat.loaded = 0;
		http_progress(h, !quiet && isatty(STDERR_FILENO) ? shown :
		    NULL);
		rc = upload(h, cfg.base_path, &cat, sendpath, shown, name.p,
		    (long long)size, &id);
		/* The copy of stdin lives as long as this descriptor. */
		close(fd);
		/* Whatever happened, the next holder lists again. */
		runlock_mark(&lock);
		runlock_release(&lock);
		if (rc == HTTP_TEMPFAIL)
			temporary = 1;
		else if (cat.broken) {
			/* Without the listing a re-run could upload twice:
			 * stop rather than upload blind. */
			failed = 1;
			break;
		}
		else if (rc != HTTP_OK)
			failed = 1;
		else {
			printf("%s\t%s\n", id, path);
			stdout_flush();
			free(id);
		}
	}
	if (more < 0)
		failed = 1;

	catalog_clear(&cat);
	free(cat.v);
	http_close(h);
	idsrc_close(&in);
	config_free(&cfg);
	buf_free(&name);
	buf_free(&line);
	if (stdout_close(0) != 0)
		failed = 1;
	if (temporary)
		return 75;
	return failed ? 1 : 0;
}
