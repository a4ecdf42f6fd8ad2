/*
 * The {field} template: parsed once at start-up into literal text, already
 * JSON-escaped, and fields; for each item the values its fields name are
 * picked out of the line in one walk over its members, and the user text
 * is put together from the two.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "jscan.h"
#include "xalloc.h"
#include "prompt.h"

void
add_escaped(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;

	buf_add_json_string(b, s, n);
	memmove(b->p + start, b->p + start + 1, b->len - start - 2);
	b->len -= 2;
	b->p[b->len] = '\0';
}

/* The scanner checks the escaped result: it refuses what is not UTF-8. */
char *
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

/* A new zeroed segment at the end of *segs.  The array is the caller's
 * at every step: a bad template exits in the middle of the parse, and
 * what was made must stay reachable. */
static struct seg *
new_seg(struct seg **segs, size_t *n)
{
	struct seg *sg;

	*segs = xreallocarray(*segs, *n + 1, sizeof(**segs));
	sg = &(*segs)[(*n)++];
	memset(sg, 0, sizeof(*sg));
	return sg;
}

void
parse_template(const char *what, const char *t, struct seg **segs,
    size_t *nsegs)
{
	struct seg *sg;
	struct buf lit = BUF_INIT;
	const char *p = t, *close, *dash;

	*segs = NULL;
	*nsegs = 0;
	for (;;) {
		if (*p == '\0' || (*p == '{' && p[1] != '{')) {
			if (lit.len > 0) {
				sg = new_seg(segs, nsegs);
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
			sg = new_seg(segs, nsegs);
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
}

size_t
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
	pk->plain = xreallocarray(pk->plain, pk->n + 1, sizeof(*pk->plain));
	pk->names[pk->n] = xstrndup(path, len);
	pk->lens[pk->n] = len;
	pk->plain[pk->n] = memchr(path, '\\', len) == NULL;
	c = len > 0 ? (unsigned char)path[0] : '"';
	pk->first[c >> 6] |= UINT64_C(1) << (c & 63);
	pk->first['\\' >> 6] |= UINT64_C(1) << ('\\' & 63);
	return pk->n++;
}

/* picker_take: takes v for each wanted name that key k decodes to.  A key
 * never decodes to longer text than it is written in, and to shorter
 * text exactly when it holds an escape; its text starts with its first
 * byte unless that is a backslash.  So a name as long as the key's raw
 * text matches only when both are the same bytes without a backslash
 * (the name's, known beforehand, since the bytes are the same), a longer
 * name never, and only for a shorter one that starts right is the key
 * decoded, when it holds a backslash: most keys are looked at for a byte
 * or two. */
static void
picker_take(struct picker *pk, struct jval k, struct jval v)
{
	const char *raw = k.p + 1, *name;
	size_t n = k.n - 2, i, count = pk->n;
	int escaped = -1;	/* not looked at yet */

	for (i = 0; i < count; i++) {
		name = pk->names[i];
		if (pk->lens[i] == n) {
			if (pk->plain[i] && (n == 0 || raw[0] == name[0]) &&
			    memcmp(raw, name, n) == 0)
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

void
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

char *
read_prompt(const char *path, size_t *len)
{
	char *text = read_file(path, len);

	if (*len > 0 && text[*len - 1] == '\n')
		text[--*len] = '\0';
	if (*len > 0 && text[*len - 1] == '\r')
		text[--*len] = '\0';
	return text;
}

void
template_load(struct template *t, const struct opts *o)
{
	const char *text = o->template;
	const char *what = o->template_path ? o->template_path : "template";
	size_t len, i, nfields = 0;

	if (o->template_path != NULL) {
		text = t->text = read_prompt(o->template_path, &len);
		if (strlen(text) != len)
			errx(2, "%s: NUL byte in the template",
			    o->template_path);
	}
	if (text != NULL)
		parse_template(what, text, &t->segs, &t->nsegs);
	for (i = 0; i < t->nsegs; i++)
		if (t->segs[i].field) {
			t->segs[i].key = picker_want(&t->pk, t->segs[i].text,
			    &t->segs[i].rest);
			nfields++;
		}
	/* Such as -t 0.2 where -T or a temperature in -b was meant. */
	if (text != NULL && nfields == 0)
		warnx("%s: no {field} placeholder: every request gets the "
		    "same text", what);
	if (o->idfield != NULL)
		t->idkey = picker_want(&t->pk, o->idfield, &t->idrest);
}

const struct seg *
template_render(struct buf *out, const struct template *t, struct jval top,
    int *is_null)
{
	const struct seg *sg;
	struct jval v;
	size_t i;
	int found;

	if (t->segs == NULL) {
		add_escaped(out, top.p, top.n);
		return NULL;
	}
	for (i = 0; i < t->nsegs; i++) {
		sg = &t->segs[i];
		if (!sg->field) {
			add(out, sg->text, sg->n);
			continue;
		}
		/* The inside of a JSON string is already valid escaped
		 * text: copied as it is.  A default stands for a field
		 * missing, null or "", as ${x:-text} in the shell; without
		 * one, "" is inserted, and a null or missing field is not
		 * filled. */
		found = picker_get(&t->pk, sg->key, sg->rest, &v);
		if (found && v.type == JT_STRING &&
		    (v.n > 2 || sg->dflt == NULL))
			add(out, v.p + 1, v.n - 2);
		else if (found && v.type != JT_STRING && v.type != JT_NULL)
			add_escaped(out, v.p, v.n);
		else if (sg->dflt != NULL)
			add(out, sg->dflt, sg->dflt_n);
		else {
			*is_null = found;
			return sg;
		}
	}
	return NULL;
}

void
template_free(struct template *t)
{
	size_t i;

	for (i = 0; i < t->nsegs; i++) {
		free(t->segs[i].text);
		free(t->segs[i].dflt);
	}
	free(t->segs);
	free(t->text);
	for (i = 0; i < t->pk.n; i++)
		free(t->pk.names[i]);
	free(t->pk.names);
	free(t->pk.lens);
	free(t->pk.vals);
	free(t->pk.plain);
}
