/*
 * jsonl-prompt: items JSONL in, one OpenAI Batch API request line out per
 * item.  The hot path never builds a JSON tree: each line is validated by
 * the strict scanner, the few values the template names are picked out of
 * it, and the request is assembled from text prepared once at start-up.
 *
 * Requests are written as they are made, so the next tool in the pipe
 * works at the same time, but the last two bytes made so far (the "}\n"
 * that ends every request) are always held back, and written only once
 * the whole input proved good.  Whenever this tool stops early (a bad
 * item, a write error, a signal, a crash), what the next tool got ends
 * inside a request, with no newline: jsonl-split rejects such input
 * whole, so a failed run never looks like a smaller complete job, even
 * to a shell without `set -o pipefail`.  On a pipe each write(2) or
 * vmsplice(2) ends away from a newline and is moved whole or not at all:
 * it is at most PIPE_BUF bytes, or, into an empty pipe, at most the
 * pipe's size, which the kernel takes without waiting.  A kill in the
 * middle of a write cannot leave the reader at the end of a line either.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "buf.h"
#include "capwarn.h"
#include "customid.h"
#include "idset.h"
#include "jscan.h"
#include "jsonl.h"
#include "outcheck.h"
#include "usage.h"
#include "xalloc.h"

/* Output is written in chunks of about this size. */
#define FLUSH_AT	(256 * 1024)
#define HELD_BACK	2	/* the "}\n" that ends the last request */
#define MAX_MEMBERS	64	/* taken while validating; more: walk */

enum endpoint { EP_CHAT, EP_EMBEDDINGS, EP_RESPONSES };

static const struct {
	const char	*url;
	enum endpoint	 ep;
} endpoints[] = {
	{ "/v1/chat/completions", EP_CHAT },
	{ "/v1/embeddings", EP_EMBEDDINGS },
	{ "/v1/responses", EP_RESPONSES },
};

/* A template is a list of segments: literal text, already JSON-escaped,
 * or a field path whose value is inserted. */
struct seg {
	int		 field;
	char		*text;	/* escaped literal, or the dotted path */
	size_t		 n;
	size_t		 key;	/* a field's first name, in the picker */
	const char	*rest;	/* the names after it, or NULL */
	char		*dflt;	/* {path:-text}: text, escaped; or NULL */
	size_t		 dflt_n;
};

/* The values a line needs, found in one walk over its members instead of
 * one walk per field: for field "a.b.c", member "a" is taken in the walk
 * and "b.c" looked up inside it afterwards. */
struct picker {
	char		**names;	/* distinct first names of the fields */
	size_t		 *lens;
	struct jval	 *vals;		/* per name, JT_NONE when absent */
	size_t		  n;
	uint64_t	  first[4];	/* bit set: a name starts with that
					 * byte (or it is '\\', for escapes) */
};

/* The requests made and not yet written (main's buffer); those of the
 * items known good take pending->p[0..out_whole).  Static for bad_line. */
static const struct buf	*pending;
static size_t		 out_whole;
static size_t		 out_piece;	/* see write_pieces */
static size_t		 pipe_size;	/* stdout's, when a pipe (or 0) */
static size_t		 page_size;
static int		 out_fd = STDOUT_FILENO;
static const char	*out_name;	/* -o's file, or NULL for stdout */
static struct afile	 out_file;	/* -o's, when written atomically */
static int		 out_atomic;

/* With -i, the id of the last request made, added to the set only once
 * the next item was read and checked (idset_hold).  Static for bad_line
 * and the reader's error hook, which check it first: a duplicate is
 * reported at its own line, before anything wrong with the next one. */
static struct idset		*ids;		/* NULL without -i */
static struct idset_held	 last = IDSET_HELD_INIT;
static size_t			 last_end;	/* where its request ends in
						 * *pending */
static const char		*input_name;

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "b:e:f:hi:m:o:s:St:T:V";
static const char help[] =
	"usage: jsonl-prompt [-hSV] -m model [-e endpoint] [-s system-file]\n"
	"                    [-t template | -f template-file] [-i id-field]\n"
	"                    [-T max-tokens] [-b body-json] [-o file] [file]\n"
	"\n"
	"  -m model        the model of every request (required)\n"
	"  -e endpoint     /v1/chat/completions (default), /v1/embeddings\n"
	"                  or /v1/responses\n"
	"  -s system-file  the system prompt, read from this file\n"
	"  -t template     the user message, with {field} or {field:-default}\n"
	"  -f template-file  the template, read from this file\n"
	"  -i id-field     the custom_id: this field, not the line number\n"
	"  -T max-tokens   the most tokens the model may write\n"
	"  -b body-json    a JSON object whose members go into every body\n"
	"  -o file         write to file, whole or not at all\n"
	"  -S              skip items missing a field of the template (exit 3)\n"
	"  -h              print this help and exit\n"
	"  -V              print the version and exit\n";

static void __attribute__((noreturn))
usage(int status)
{
	if (status == 0)
		usage_help(help);
	usage_error(help);
}

/* "a string", "an object", ... for messages. */
/* Appends s[0..n) JSON-escaped, without quotes. */
static void
add_escaped(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;

	buf_add_json_string(b, s, n);
	memmove(b->p + start, b->p + start + 1, b->len - start - 2);
	b->len -= 2;
	b->p[b->len] = '\0';
}

/* A command-line text as the inside of a JSON string; exits 2 if it is
 * not valid UTF-8 (the scanner checks the escaped result). */
static char *
escaped_arg(const char *what, const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	struct jval v;
	struct jerr e;

	buf_add_json_string(&b, s, n);
	if (jscan_doc(b.p, b.len, &v, &e) < 0)
		errx(2, "%s: %s", what, e.msg);
	memmove(b.p, b.p + 1, b.len - 2);
	b.p[b.len - 2] = '\0';
	return b.p;
}

/* The template parsed once: "{a.b}" is a field, "{a.b:-text}" one with a
 * default, "{{" and "}}" are literal braces; a lone brace is a usage
 * error.  what names the template in messages. */
static struct seg *
parse_template(const char *what, const char *t, size_t *nsegs)
{
	struct seg *segs = NULL, *sg;
	struct buf lit = BUF_INIT;
	const char *p = t, *close, *dash;
	size_t n = 0;

	for (;;) {
		if (*p == '\0' || (*p == '{' && p[1] != '{')) {
			if (lit.len > 0) {
				segs = xreallocarray(segs, n + 1, sizeof(*segs));
				sg = &segs[n++];
				memset(sg, 0, sizeof(*sg));
				sg->text = escaped_arg(what, lit.p, lit.len);
				sg->n = strlen(sg->text);
				buf_reset(&lit);
			}
			if (*p == '\0')
				break;
			close = strchr(p, '}');
			if (close == NULL)
				errx(2, "%s: '{' without '}' "
				    "(write '{{' for a literal brace)", what);
			if (memchr(p + 1, '{', (size_t)(close - p - 1)) != NULL)
				errx(2, "%s: '{' inside \"%.*s\" (a field "
				    "or its default cannot hold a brace)",
				    what, (int)(close - p + 1), p);
			for (dash = p + 1; dash < close; dash++)
				if (dash[0] == ':' && dash[1] == '-')
					break;
			if (dash == p + 1)
				errx(2, "%s: bad field name \"%.*s\"", what,
				    (int)(close - p + 1), p);
			segs = xreallocarray(segs, n + 1, sizeof(*segs));
			sg = &segs[n++];
			memset(sg, 0, sizeof(*sg));
			sg->field = 1;
			sg->text = xstrndup(p + 1, (size_t)(dash - p - 1));
			sg->n = (size_t)(dash - p - 1);
			if (dash < close) {
				sg->dflt = escaped_arg(what, dash + 2,
				    (size_t)(close - dash - 2));
				sg->dflt_n = strlen(sg->dflt);
			}
			p = close + 1;
		} else if (*p == '{' || (*p == '}' && p[1] == '}')) {
			buf_addc(&lit, *p);
			p += 2;
		} else if (*p == '}') {
			errx(2, "%s: '}' without '{' "
			    "(write '}}' for a literal brace)", what);
		} else
			buf_addc(&lit, *p++);
	}
	buf_free(&lit);
	*nsegs = n;
	return segs;
}

/* Copies JSON text without the white space between tokens, so a -b
 * object written over several lines cannot break a JSONL line. */
static void
add_compact(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int in_string = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_string) {
			buf_addc(b, c);
			if (c == '\\')
				buf_addc(b, s[++i]);
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
			buf_addc(b, c);
		} else if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			buf_addc(b, c);
	}
}

/* The -b object's members as ",k:v,k:v" text for the end of every body.
 * Exits 2 on bad JSON, a key given twice, or a key the body already has. */
static char *
extra_members(const char *json, const char *const *generated)
{
	struct buf out = BUF_INIT, key = BUF_INIT;
	struct idset *keys = idset_new();
	struct jval top, k, v;
	struct jerr e;
	struct jiter it;
	size_t i;

	if (jscan_doc(json, strlen(json), &top, &e) < 0)
		errx(2, "-b: %s at byte %zu", e.msg, e.off + 1);
	if (top.type != JT_OBJECT)
		errx(2, "-b: %s, not an object", jscan_a_typename(top.type));
	jscan_iter(top, &it);
	while (jscan_next(&it, &k, &v)) {
		buf_reset(&key);
		jscan_unescape(k, &key);
		for (i = 0; generated[i] != NULL; i++)
			if (strcmp(key.p, generated[i]) == 0)
				errx(2, "-b: \"%s\" is already set by the "
				    "other options", key.p);
		if (!idset_add(keys, key.p, key.len))
			errx(2, "-b: \"%s\" is given twice", key.p);
		buf_addc(&out, ',');
		add_compact(&out, k.p, k.n);
		buf_addc(&out, ':');
		add_compact(&out, v.p, v.n);
	}
	idset_free(keys);
	buf_free(&key);
	if (out.p == NULL)
		buf_adds(&out, "");
	return out.p;
}

/* The whole file at path (exits 1 if it cannot be read), NUL-terminated,
 * its length in *len. */
static char *
read_file(const char *path, size_t *len)
{
	struct buf b = BUF_INIT;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		err(1, "%s", path);
	for (;;) {
		buf_reserve(&b, 65536);
		n = read(fd, b.p + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err(1, "%s", path);
		if (n == 0)
			break;
		b.len += (size_t)n;
		b.p[b.len] = '\0';
	}
	close(fd);
	if (b.p == NULL)
		buf_adds(&b, "");
	*len = b.len;
	return b.p;
}

/* A prompt from a file: the whole file less one final newline (LF or
 * CR LF), as a text editor leaves one there. */
static char *
read_prompt(const char *path, size_t *len)
{
	char *text = read_file(path, len);

	if (*len > 0 && text[*len - 1] == '\n')
		text[--*len] = '\0';
	if (*len > 0 && text[*len - 1] == '\r')
		text[--*len] = '\0';
	return text;
}

/* picker_want: registers field path; returns the index of its first
 * name and sets *rest to what follows the first dot (or NULL). */
static size_t
picker_want(struct picker *pk, const char *path, const char **rest)
{
	size_t len = jscan_path_head(path, rest), i;
	unsigned c;

	for (i = 0; i < pk->n; i++)
		if (pk->lens[i] == len && memcmp(pk->names[i], path, len) == 0)
			return i;
	pk->names = xreallocarray(pk->names, pk->n + 1, sizeof(*pk->names));
	pk->lens = xreallocarray(pk->lens, pk->n + 1, sizeof(*pk->lens));
	pk->vals = xreallocarray(pk->vals, pk->n + 1, sizeof(*pk->vals));
	pk->names[pk->n] = xstrndup(path, len);
	pk->lens[pk->n] = len;
	c = len > 0 ? (unsigned char)path[0] : '"';
	pk->first[c >> 6] |= UINT64_C(1) << (c & 63);
	pk->first['\\' >> 6] |= UINT64_C(1) << ('\\' & 63);
	return pk->n++;
}

/* picker_take: takes v for each wanted name that key k decodes to.  A key
 * never decodes to longer text than it is written in, and to shorter
 * text exactly when it holds an escape; its text starts with its first
 * byte unless that is a backslash.  So a name as long as the key's raw
 * text matches only when both are the same bytes without a backslash, a
 * longer name never, and only for a shorter one that starts right is the
 * key decoded, when it holds a backslash: most keys are looked at for a
 * byte or two. */
static void
picker_take(struct picker *pk, struct jval k, struct jval v)
{
	const char *raw = k.p + 1, *name;
	size_t n = k.n - 2, i, count = pk->n;
	int escaped = -1;	/* not looked at yet */

	for (i = 0; i < count; i++) {
		name = pk->names[i];
		if (pk->lens[i] == n) {
			if ((n == 0 || raw[0] == name[0]) &&
			    memcmp(raw, name, n) == 0 &&
			    memchr(raw, '\\', n) == NULL)
				pk->vals[i] = v;
		} else if (pk->lens[i] < n &&
		    (raw[0] == name[0] || raw[0] == '\\')) {
			if (escaped < 0)
				escaped = memchr(raw, '\\', n) != NULL;
			if (escaped && jscan_streq(k, name))
				pk->vals[i] = v;
		}
	}
}

/* picker_walk: takes the wanted members of object top (the last one of a
 * repeated name, as jscan_member), from the count members that
 * jscan_doc_members took, or from a walk when there were too many. */
static void
picker_walk(struct picker *pk, struct jval top, const struct jmember *m,
    size_t count)
{
	struct jiter it;
	struct jval k, v;
	size_t i;
	unsigned c;

	for (i = 0; i < pk->n; i++)
		pk->vals[i].type = JT_NONE;
	if (count <= MAX_MEMBERS) {
		/* Most members are no field of the template: their key's
		 * first byte (the one after the quote; the closing quote
		 * for "") tells, without a look at the names. */
		for (i = 0; i < count; i++) {
			c = (unsigned char)m[i].key.p[1];
			if (m[i].depth == 1 &&
			    (pk->first[c >> 6] >> (c & 63) & 1))
				picker_take(pk, m[i].key, m[i].val);
		}
		return;
	}
	jscan_iter(top, &it);
	while (jscan_next(&it, &k, &v))
		picker_take(pk, k, v);
}

/* picker_get: the value of a registered field after picker_walk; 1 found,
 * 0 absent. */
static int
picker_get(const struct picker *pk, size_t key, const char *rest,
    struct jval *out)
{
	*out = pk->vals[key];
	if (out->type == JT_NONE)
		return 0;
	return rest == NULL || jscan_path(*out, rest, out);
}

/* buf_add with its common case, room enough, inline: the hot loop
 * appends some eight pieces a request. */
static inline void
add(struct buf *b, const void *data, size_t n)
{
	if (b->p != NULL && b->len + n < b->cap) {
		memcpy(b->p + b->len, data, n);
		b->len += n;
		b->p[b->len] = '\0';
	} else
		buf_add(b, data, n);
}

/* Appends "n" (quoted decimal): printf costs more than the rest of a
 * short line. */
static void
add_quoted_number(struct buf *b, unsigned long n)
{
	char d[24], *p = d + sizeof(d);

	*--p = '"';
	do
		*--p = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	*--p = '"';
	buf_add(b, p, (size_t)(d + sizeof(d) - p));
}

/* Reports a failed write to the output (errno), as stdout_fail does for
 * stdout, and exits 1; a -o file's temporary goes with the exit. */
static void __attribute__((noreturn))
write_fail(void)
{
	if (out_name == NULL)
		stdout_fail();
	warn("%s", out_name);
	exit(1);
}

/* Writes p[0..n) to the output with write(2), in pieces of at most piece
 * bytes, or of pipe_size when stdout is a pipe with nothing in it (the
 * write then finds room for all it holds, so it never waits and is never
 * cut short); exits 1 on an error (quietly on EPIPE).  Unless at_end (this is
 * the end of the output), no piece ends just before or after a newline,
 * so the output as far as it went never ends with a whole line or with
 * a line missing only its newline; p[n] must then be readable (it is
 * part of the held-back bytes).  Request lines are far longer than two
 * bytes, so moving a piece's end back by one or two bytes is enough. */
static void
write_pieces(const char *p, size_t n, size_t piece, int at_end)
{
	size_t k, most;
	ssize_t w;
	int queued;

	while (n > 0) {
		most = piece;
		if (pipe_size > piece && ioctl(out_fd, FIONREAD,
		    &queued) == 0 && queued == 0)
			most = pipe_size;
		k = n < most ? n : most;
		if (k < n || !at_end)
			while (p[k - 1] == '\n' || p[k] == '\n')
				k--;
		w = write(out_fd, p, k);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			write_fail();
		p += w;
		n -= (size_t)w;
	}
}

/* The buffer out and flush_requests swap with, which may still lie in the
 * pipe: it is never freed, as freeing could write into it. */
static struct buf	 spare = BUF_INIT;

/* Sends out->p[0..len - HELD_BACK) to stdout, keeping the held-back bytes
 * in *out.  Into an empty pipe the bytes are spliced (vmsplice(2)), not
 * copied: a copy into the pipe took about 15% of the pipeline's CPU.  The
 * pipe then holds out's very pages until the reader takes them, so out
 * and spare change places; spare is written again only after a later
 * flush found the pipe empty, when no page of ours is left in it. */
static void
flush_requests(struct buf *out)
{
	size_t n = out->len - HELD_BACK;
	struct iovec iov;
	struct buf t;
	ssize_t w = 0;
	int queued;

	/* One slot of the pipe a page, and the first and last pages may be
	 * partly ours: then it has room for all, and no wait can cut the
	 * splice short. */
	if (n + 2 * page_size <= pipe_size && out->p[n - 1] != '\n' &&
	    out->p[n] != '\n' &&
	    ioctl(out_fd, FIONREAD, &queued) == 0 && queued == 0) {
		iov.iov_base = out->p;
		iov.iov_len = n;
		while ((w = vmsplice(out_fd, &iov, 1,
		    SPLICE_F_NONBLOCK)) < 0 &&
		    errno == EINTR)
			;
		if (w < 0 && errno == EPIPE)
			stdout_fail();
	}
	if (w <= 0) {
		write_pieces(out->p, n, out_piece, 0);
		memmove(out->p, out->p + n, HELD_BACK);
		out->len = HELD_BACK;
		return;
	}
	if ((size_t)w < n)	/* not seen, as the pipe had room */
		write_pieces(out->p + w, n - (size_t)w, out_piece, 0);
	buf_reset(&spare);
	buf_add(&spare, out->p + n, HELD_BACK);
	t = *out;
	*out = spare;
	spare = t;
}

/* Stops after an error in the input (reported already): the requests
 * made so far go out but their held-back bytes, so the next tool in the
 * pipe sees input that ends inside a request, not one that looks like a
 * smaller job (with a bad first item, nothing at all); exits 1.  A -o
 * file is not written at all: the exit removes its temporary. */
static void __attribute__((noreturn))
give_up(void)
{
	if (!out_atomic && out_whole > HELD_BACK)
		write_pieces(pending->p, out_whole - HELD_BACK, out_piece, 0);
	exit(1);
}

/* Adds the last request's id to the set: a duplicate is reported and
 * gives up; otherwise that request is known good. */
static void
check_last_id(void *unused)
{
	static struct buf show = BUF_INIT;

	switch (idset_settle(ids, &last)) {
	case -1:
		warnx("%s:%lu: duplicate id \"%.*s\"", input_name,
		    last.lineno, 200, customid_show(&show, last.id.p,
		    last.id.len));
		give_up();
	case 1:
		out_whole = last_end;
	}
}

/* With -S, the items skipped; the first few are reported as they come. */
static int		skip_unfilled;
static struct capwarn	skipped;

/* Reports a bad input line (after the last id's check) and gives up. */
static void __attribute__((noreturn, format(printf, 3, 4)))
bad_line(const char *name, unsigned long lineno, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	check_last_id(NULL);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("%s:%lu: %s", name, lineno, msg);
	give_up();
}

/* A field of the template that the item at lineno lacks, or has as null,
 * and that has no default: an error, or with -S a skipped item, reported
 * if among the first few (with its id, if idp is not NULL). */
static void
unfilled(unsigned long lineno, const char *field, int is_null,
    const char *idp, size_t idn)
{
	static struct buf show = BUF_INIT;
	const char *why = is_null ? "is null" : "is missing";

	if (!skip_unfilled) {
		if (is_null)
			bad_line(input_name, lineno, "field \"%s\" of the "
			    "template is null", field);
		bad_line(input_name, lineno, "no field \"%s\" for the "
		    "template", field);
	}
	if (!capwarn_show(&skipped))
		return;
	if (idp == NULL)
		warnx("%s:%lu: item skipped: field \"%s\" %s", input_name,
		    lineno, field, why);
	else {
		buf_reset(&show);
		warnx("%s:%lu: item \"%.*s\" skipped: field \"%s\" %s",
		    input_name, lineno, 200, customid_show(&show, idp, idn),
		    field, why);
	}
}

/* Opens -o's path through atomicfile: a regular file or a new one is
 * renamed into place at the end of a good run; a device or a FIFO is
 * written as the shell's > would (out_atomic stays 0).  Exits 1 on an
 * error. */
static void
open_output(const char *path)
{
	out_name = path;
	if (afile_open(&out_file, path) != 0)
		exit(1);
	out_fd = fileno(out_file.fp);
	out_atomic = !out_file.direct;
}

int
main(int argc, char *argv[])
{
	const char *model = NULL, *url = "/v1/chat/completions";
	const char *system_path = NULL, *template = NULL, *idfield = NULL;
	const char *template_path = NULL, *out_path = NULL;
	const char *body_json = "{}", *input;
	char *template_text = NULL;
	const char *generated[6];
	enum endpoint ep = EP_CHAT;
	struct buf head = BUF_INIT, tail = BUF_INIT, out = BUF_INIT;
	struct buf idtext = BUF_INIT;
	struct stat st;
	struct seg *segs = NULL;
	struct picker pk = { NULL, NULL, NULL, 0, { 0, 0, 0, 0 } };
	const char *idrest = NULL;
	size_t idkey = 0;
	struct jsonl in;
	struct jval top, v;
	struct jmember members[MAX_MEMBERS];
	struct jerr e;
	char *line, *text, *endp;
	const char *idp = NULL;
	size_t idn = 0;
	uint64_t idh = 0;
	int id_is_text = 0;
	size_t len, nsegs = 0, nfields, i, count, req_start;
	long max_tokens = 0;
	unsigned long nitems;
	long long id;
	int ch, n, known, pipe_fill, found, missing;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'b': body_json = optarg; break;
		case 'e': url = optarg; break;
		case 'f': template_path = optarg; break;
		case 'h': usage(0);
		case 'i': idfield = optarg; break;
		case 'm': model = optarg; break;
		case 'o': out_path = optarg; break;
		case 's': system_path = optarg; break;
		case 'S': skip_unfilled = 1; break;
		case 't': template = optarg; break;
		case 'T':
			errno = 0;
			max_tokens = strtol(optarg, &endp, 10);
			if (errno || *endp || endp == optarg || max_tokens <= 0)
				errx(2, "-T: not a positive integer: %s",
				    optarg);
			break;
		case 'V':
			usage_version();
		default: usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (model == NULL) {
		warnx("-m model is required");
		usage(2);
	}
	if (argc > 1) {
		warnx("%s: one input file at most", argv[1]);
		usage(2);
	}
	input = argc == 1 ? argv[0] : "-";
	if (*model == '\0')
		errx(2, "-m: empty model name");
	known = 0;
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strcmp(url, endpoints[i].url) == 0) {
			ep = endpoints[i].ep;
			known = 1;
		}
	if (!known)
		errx(2, "-e: unsupported endpoint %s (use /v1/chat/completions,"
		    " /v1/embeddings or /v1/responses)", url);
	if (ep == EP_EMBEDDINGS && (system_path || max_tokens))
		errx(2, "-s and -T do not apply to /v1/embeddings");
	if (template != NULL && template_path != NULL)
		errx(2, "-t and -f: one template at most");
	if (template_path != NULL) {
		template = template_text = read_prompt(template_path, &len);
		if (strlen(template) != len)
			errx(2, "%s: NUL byte in the template", template_path);
	}
	if (template != NULL)
		segs = parse_template(template_path ? template_path :
		    "template", template, &nsegs);
	nfields = 0;
	for (i = 0; i < nsegs; i++)
		if (segs[i].field) {
			segs[i].key = picker_want(&pk, segs[i].text,
			    &segs[i].rest);
			nfields++;
		}
	/* Such as -t 0.2 where -T or a temperature in -b was meant. */
	if (template != NULL && nfields == 0)
		warnx("%s: no {field} placeholder: every request gets the "
		    "same text", template_path ? template_path : "template");
	if (idfield != NULL)
		idkey = picker_want(&pk, idfield, &idrest);

	/* Everything of a request but its custom_id and user text is the
	 * same on every line: head goes before the user text, tail after. */
	text = escaped_arg("-m", model, strlen(model));
	buf_printf(&head, ",\"method\":\"POST\",\"url\":\"%s\",\"body\":"
	    "{\"model\":\"%s\",", url, text);
	free(text);
	n = 0;
	generated[n++] = "model";
	if (system_path != NULL) {
		char *sys = read_prompt(system_path, &len);

		if (ep == EP_CHAT)
			buf_adds(&head, "\"messages\":[{\"role\":\"system\","
			    "\"content\":\"");
		else
			buf_adds(&head, "\"instructions\":\"");
		text = escaped_arg(system_path, sys, len);
		buf_adds(&head, text);
		buf_adds(&head, ep == EP_CHAT ? "\"}," : "\",");
		free(text);
		free(sys);
	} else if (ep == EP_CHAT)
		buf_adds(&head, "\"messages\":[");
	switch (ep) {
	case EP_CHAT:
		buf_adds(&head, "{\"role\":\"user\",\"content\":\"");
		buf_adds(&tail, "\"}]");
		generated[n++] = "messages";
		/* max_tokens is deprecated for chat, and reasoning models
		 * refuse it.  A limit in -b under either name would be a
		 * second one: it is refused like any key written here. */
		if (max_tokens) {
			buf_printf(&tail, ",\"max_completion_tokens\":%ld",
			    max_tokens);
			generated[n++] = "max_completion_tokens";
			generated[n++] = "max_tokens";
		}
		break;
	case EP_EMBEDDINGS:
		buf_adds(&head, "\"input\":\"");
		buf_adds(&tail, "\"");
		generated[n++] = "input";
		break;
	case EP_RESPONSES:
		buf_adds(&head, "\"input\":\"");
		buf_adds(&tail, "\"");
		generated[n++] = "input";
		if (system_path)
			generated[n++] = "instructions";
		if (max_tokens) {
			buf_printf(&tail, ",\"max_output_tokens\":%ld",
			    max_tokens);
			generated[n++] = "max_output_tokens";
		}
		break;
	}
	generated[n] = NULL;
	text = extra_members(body_json, generated);
	buf_adds(&tail, text);
	buf_adds(&tail, "}}\n");
	free(text);
	if (idfield != NULL)
		ids = idset_new();
	if (jsonl_open(&in, input, 0) < 0)
		exit(1);
	in.before_error = check_last_id;
	input_name = in.name;
	if (out_path != NULL && strcmp(out_path, "-") != 0)
		open_output(out_path);
	/* A bigger pipe to the next filter: fewer switches between the two
	 * (Linux only; elsewhere, or when refused, the default stays). */
#ifdef F_SETPIPE_SZ
	if (fstat(out_fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		fcntl(out_fd, F_SETPIPE_SZ, 1 << 20);
		if ((pipe_fill = fcntl(out_fd, F_GETPIPE_SZ)) > 0)
			pipe_size = (size_t)pipe_fill;
	}
	page_size = (size_t)sysconf(_SC_PAGESIZE);
#endif
	/* To a pipe (or anything but a regular file), pieces a pipe takes
	 * whole or not at all (write_pieces, flush_requests).  A regular
	 * file is read by a later command, which can see how this one ended;
	 * it gets large writes, which a full disk or SIGKILL can still cut
	 * short. */
	pending = &out;
	out_piece = fstat(out_fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    SIZE_MAX : PIPE_BUF;

	while ((n = jsonl_next(&in, &line, &len)) == 1) {
		if (len == 0)
			bad_line(in.name, in.lineno, "blank line");
		if (jscan_doc_members(line, len, &top, members, MAX_MEMBERS,
		    &count, &e) < 0)
			bad_line(in.name, in.lineno, "%s", e.msg);
		if (top.type != JT_OBJECT)
			bad_line(in.name, in.lineno, "%s, not an object",
			    jscan_a_typename(top.type));

		if (pk.n > 0)
			picker_walk(&pk, top, members, count);
		if (idfield != NULL) {
			if (!picker_get(&pk, idkey, idrest, &v))
				bad_line(in.name, in.lineno, "no id field "
				    "\"%s\"", idfield);
			buf_reset(&idtext);
			id_is_text = v.type == JT_STRING;
			if (id_is_text) {
				if (memchr(v.p, '\\', v.n) == NULL) {
					idp = v.p + 1;
					idn = v.n - 2;
				} else {
					jscan_unescape(v, &idtext);
					idp = idtext.p;
					idn = idtext.len;
				}
			} else if (jscan_int(v, &id) == 0) {
				buf_printf(&idtext, "%lld", id);
				idp = idtext.p;
				idn = idtext.len;
			} else if (v.type == JT_NUMBER)
				bad_line(in.name, in.lineno, "id field \"%s\" "
				    "is not an integer: %.*s", idfield,
				    (int)(v.n > 40 ? 40 : v.n), v.p);
			else
				bad_line(in.name, in.lineno, "id field \"%s\" "
				    "is %s, not a string or an integer",
				    idfield, jscan_a_typename(v.type));
			if (idn == 0)
				bad_line(in.name, in.lineno, "empty id");
			idh = idset_prefetch(ids, idp, idn);
		}

		/* Every request made so far is good now: out is written
		 * when it has grown enough, all but its last two bytes. */
		check_last_id(NULL);
		if (out.len >= FLUSH_AT)
			flush_requests(&out);
		out_whole = req_start = out.len;

		add(&out, "{\"custom_id\":", sizeof("{\"custom_id\":") - 1);
		if (idfield == NULL)
			add_quoted_number(&out, in.lineno);
		else if (id_is_text)
			add(&out, v.p, v.n);
		else {
			buf_addc(&out, '"');
			buf_add(&out, idtext.p, idtext.len);
			buf_addc(&out, '"');
		}
		add(&out, head.p, head.len);
		if (segs == NULL)
			add_escaped(&out, top.p, top.n);
		missing = 0;
		for (i = 0; i < nsegs; i++) {
			if (!segs[i].field) {
				add(&out, segs[i].text, segs[i].n);
				continue;
			}
			/* The inside of a JSON string is already valid
			 * escaped text: copied as it is.  A default stands
			 * for a field missing, null or "", as ${x:-text}
			 * in the shell; without one, "" is inserted, a
			 * null or missing field is an error or, with -S,
			 * skips the item. */
			found = picker_get(&pk, segs[i].key, segs[i].rest, &v);
			if (found && v.type == JT_STRING &&
			    (v.n > 2 || segs[i].dflt == NULL))
				add(&out, v.p + 1, v.n - 2);
			else if (found && v.type != JT_STRING &&
			    v.type != JT_NULL)
				add_escaped(&out, v.p, v.n);
			else if (segs[i].dflt != NULL)
				add(&out, segs[i].dflt, segs[i].dflt_n);
			else {
				unfilled(in.lineno, segs[i].text, found,
				    idfield ? idp : NULL, idn);
				missing = 1;
				break;
			}
		}
		if (missing) {
			out.len = req_start;
			out.p[out.len] = '\0';
		} else
			add(&out, tail.p, tail.len);
		if (idfield == NULL)
			out_whole = out.len;
		else {
			idset_hold(&last, idp, idn, idh, in.lineno);
			last_end = out.len;
		}
	}
	if (n < 0) {
		/* The reader checked the last id before its message. */
		out_whole = out.len;
		give_up();
	}
	check_last_id(NULL);
	nitems = in.lineno;
	jsonl_close(&in);
	write_pieces(out.p, out.len, out_piece, 1);
	if (out_name != NULL && afile_commit(&out_file) != 0)
		exit(1);
	if (capwarn_hidden(&skipped) > 0)
		warnx("%zu of %lu items skipped: a field of the template "
		    "missing or null (the first %d are listed)",
		    skipped.count, nitems, CAPWARN_SHOWN);
	else if (skipped.count > 0)
		warnx("%zu of %lu items skipped: a field of the template "
		    "missing or null", skipped.count, nitems);
	buf_reset(&out);
	for (i = 0; i < nsegs; i++) {
		free(segs[i].text);
		free(segs[i].dflt);
	}
	free(segs);
	free(template_text);
	for (i = 0; i < pk.n; i++)
		free(pk.names[i]);
	free(pk.names);
	free(pk.lens);
	free(pk.vals);
	idset_free(ids);
	buf_free(&last.id);
	buf_free(&head);
	buf_free(&tail);
	buf_free(&out);
	buf_free(&idtext);
	if (stdout_close(0) != 0)
		return 1;
	return skipped.count > 0 ? 3 : 0;
}
