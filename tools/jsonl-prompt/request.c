/*
 * The requests: the text every request shares (method, url, model, system
 * prompt, the -b members), made once, and one request line an item, with
 * its custom_id and the user text from the template.  With -i, each id
 * goes through the duplicate check one item late (idset_hold), so the
 * check's cache miss hides behind the next item's work.
 */
#include <err.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "capwarn.h"
#include "customid.h"
#include "idset.h"
#include "jscan.h"
#include "jsonl.h"
#include "prompt.h"

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

void
request_prepare(struct prompt *p)
{
	const struct opts *o = p->o;
	const char *generated[6];
	struct idset_held none = IDSET_HELD_INIT;
	struct buf *head = &p->head, *tail = &p->tail;
	char *text, *sys;
	size_t len;
	int n = 0;

	/* Everything of a request but its custom_id and user text is the
	 * same on every line: head goes before the user text, tail after. */
	buf_printf(head, ",\"method\":\"POST\",\"url\":\"%s\",\"body\":{",
	    o->url);
	if (o->model != NULL) {
		text = escaped_arg("-m", o->model, strlen(o->model));
		buf_printf(head, "\"model\":\"%s\",", text);
		free(text);
		generated[n++] = "model";
	}
	if (o->system_path != NULL) {
		sys = read_prompt(o->system_path, &len);
		if (o->ep == EP_CHAT)
			buf_adds(head, "\"messages\":[{\"role\":\"system\","
			    "\"content\":\"");
		else
			buf_adds(head, "\"instructions\":\"");
		text = escaped_arg(o->system_path, sys, len);
		buf_adds(head, text);
		buf_adds(head, o->ep == EP_CHAT ? "\"}," : "\",");
		free(text);
		free(sys);
	} else if (o->ep == EP_CHAT)
		buf_adds(head, "\"messages\":[");
	switch (o->ep) {
	case EP_CHAT:
		buf_adds(head, "{\"role\":\"user\",\"content\":\"");
		buf_adds(tail, "\"}]");
		generated[n++] = "messages";
		/* max_tokens is deprecated for chat, and reasoning models
		 * refuse it.  A limit in -b under either name would be a
		 * second one: it is refused like any key written here. */
		if (o->max_tokens) {
			buf_printf(tail, ",\"max_completion_tokens\":%ld",
			    o->max_tokens);
			generated[n++] = "max_completion_tokens";
			generated[n++] = "max_tokens";
		}
		break;
	case EP_EMBEDDINGS:
	case EP_MODERATIONS:
		buf_adds(head, "\"input\":\"");
		buf_adds(tail, "\"");
		generated[n++] = "input";
		break;
	case EP_COMPLETIONS:
		buf_adds(head, "\"prompt\":\"");
		buf_adds(tail, "\"");
		generated[n++] = "prompt";
		if (o->max_tokens) {
			buf_printf(tail, ",\"max_tokens\":%ld",
			    o->max_tokens);
			generated[n++] = "max_tokens";
		}
		break;
	case EP_RESPONSES:
		buf_adds(head, "\"input\":\"");
		buf_adds(tail, "\"");
		generated[n++] = "input";
		if (o->system_path)
			generated[n++] = "instructions";
		if (o->max_tokens) {
			buf_printf(tail, ",\"max_output_tokens\":%ld",
			    o->max_tokens);
			generated[n++] = "max_output_tokens";
		}
		break;
	}
	generated[n] = NULL;
	text = extra_members(o->body_json, generated);
	buf_adds(tail, text);
	buf_adds(tail, "}}\n");
	free(text);
	p->last = none;
	if (o->idfield != NULL)
		p->ids = idset_new();
}

/* check_last_id, and inline in the hot loop. */
static inline void
settle_last(struct prompt *p)
{
	switch (idset_settle(p->ids, &p->last)) {
	case -1:
		buf_reset(&p->show);
		warnx("%s:%lu: duplicate id \"%.*s\"", p->input_name,
		    p->last.lineno, 200, customid_show(&p->show,
		    p->last.id.p, p->last.id.len));
		pipeout_give_up(&p->po);
	case 1:
		p->po.whole = p->last_end;
	}
}

void
check_last_id(void *arg)
{
	settle_last(arg);
}

/* Reports a bad input line (after the last id's check) and gives up. */
static void __attribute__((noreturn, format(printf, 3, 4)))
bad_line(struct prompt *p, unsigned long lineno, const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	check_last_id(p);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("%s:%lu: %s", p->input_name, lineno, msg);
	pipeout_give_up(&p->po);
}

/* A field of the template that the item at lineno lacks, or has as null,
 * and that has no default: an error, or with -S a skipped item, reported
 * if among the first few (with its id, if idp is not NULL). */
static void
unfilled(struct prompt *p, unsigned long lineno, const char *field,
    int is_null, const char *idp, size_t idn)
{
	const char *why = is_null ? "is null" : "is missing";

	if (!p->o->skip_unfilled) {
		if (is_null)
			bad_line(p, lineno, "field \"%s\" of the template "
			    "is null", field);
		bad_line(p, lineno, "no field \"%s\" for the template",
		    field);
	}
	if (!capwarn_show(&p->skipped))
		return;
	if (idp == NULL)
		warnx("%s:%lu: item skipped: field \"%s\" %s", p->input_name,
		    lineno, field, why);
	else {
		buf_reset(&p->show);
		warnx("%s:%lu: item \"%.*s\" skipped: field \"%s\" %s",
		    p->input_name, lineno, 200, customid_show(&p->show, idp,
		    idn), field, why);
	}
}

/* The -i field of the item at lineno, whose members p->t.pk holds, into
 * *v; its text (unescaped, or an integer's digits) into *idp and *idn.
 * Returns 1 when it is a JSON string (*v is then the custom_id as it
 * goes into the request), 0 for an integer (p->idtext holds its digits).
 * Anything else is a bad item. */
static int
item_id(struct prompt *p, unsigned long lineno, struct jval *v,
    const char **idp, size_t *idn)
{
	const char *idfield = p->o->idfield;
	long long id;

	if (!picker_get(&p->t.pk, p->t.idkey, p->t.idrest, v))
		bad_line(p, lineno, "no id field \"%s\"", idfield);
	buf_reset(&p->idtext);
	if (v->type == JT_STRING) {
		if (memchr(v->p, '\\', v->n) == NULL) {
			*idp = v->p + 1;
			*idn = v->n - 2;
		} else {
			jscan_unescape(*v, &p->idtext);
			*idp = p->idtext.p;
			*idn = p->idtext.len;
		}
	} else if (jscan_int(*v, &id) == 0) {
		buf_printf(&p->idtext, "%lld", id);
		*idp = p->idtext.p;
		*idn = p->idtext.len;
	} else if (v->type == JT_NUMBER)
		bad_line(p, lineno, "id field \"%s\" is not an integer: "
		    "%.*s", idfield, (int)(v->n > 40 ? 40 : v->n), v->p);
	else
		bad_line(p, lineno, "id field \"%s\" is %s, not a string or "
		    "an integer", idfield, jscan_a_typename(v->type));
	if (*idn == 0)
		bad_line(p, lineno, "empty id");
	return v->type == JT_STRING;
}

/* For /v1/moderations, the input of an item whose template is one field
 * alone and whose value there is an array of strings: that array, into
 * *v (1), so that each string gets its result; else 0, and the template
 * makes one text. */
static int
input_array(const struct prompt *p, struct jval *v)
{
	const struct seg *sg = p->t.segs;
	struct jiter it;
	struct jval k, e;
	size_t n = 0;

	if (p->o->ep != EP_MODERATIONS || p->t.nsegs != 1 || !sg->field ||
	    !picker_get(&p->t.pk, sg->key, sg->rest, v) ||
	    v->type != JT_ARRAY)
		return 0;
	jscan_iter(*v, &it);
	for (; jscan_next(&it, &k, &e); n++)
		if (e.type != JT_STRING)
			return 0;
	return n > 0;
}

/* The loop over the items is here rather than in main.c, so that an
 * item's work costs no call of its own. */
int
request_items(struct prompt *p, struct jsonl *in)
{
	struct jmember members[MAX_MEMBERS];
	struct buf *out = &p->po.out;
	const struct seg *sg;
	struct jval top, v, arr;
	struct jerr e;
	const char *idp = NULL;
	char *line;
	size_t len, idn = 0, count, req_start;
	uint64_t idh = 0;
	int n, id_is_text = 0, is_null;

	while ((n = jsonl_next(in, &line, &len)) == 1) {
		if (len == 0)
			bad_line(p, in->lineno, "blank line");
		if (jscan_doc_members(line, len, &top, members, MAX_MEMBERS,
		    &count, &e) < 0)
			bad_line(p, in->lineno, "%s", e.msg);
		if (top.type != JT_OBJECT)
			bad_line(p, in->lineno, "%s, not an object",
			    jscan_a_typename(top.type));
		if (p->t.pk.n > 0)
			picker_walk(&p->t.pk, top, members, count);
		if (p->ids != NULL) {
			id_is_text = item_id(p, in->lineno, &v, &idp, &idn);
			idh = idset_prefetch(p->ids, idp, idn);
		}

		/* Every request made so far is good now: it is written
		 * when enough were made, all but the last two bytes. */
		settle_last(p);
		if (out->len >= FLUSH_AT)
			pipeout_flush(&p->po);
		p->po.whole = req_start = out->len;

		add(out, "{\"custom_id\":", sizeof("{\"custom_id\":") - 1);
		if (p->ids == NULL)
			add_quoted_number(out, in->lineno);
		else if (id_is_text)
			add(out, v.p, v.n);
		else {
			buf_addc(out, '"');
			buf_add(out, p->idtext.p, p->idtext.len);
			buf_addc(out, '"');
		}
		if (input_array(p, &arr)) {
			/* head ends and tail starts with the quotes of a
			 * string input. */
			add(out, p->head.p, p->head.len - 1);
			add(out, arr.p, arr.n);
			add(out, p->tail.p + 1, p->tail.len - 1);
			sg = NULL;
		} else {
			add(out, p->head.p, p->head.len);
			if ((sg = template_render(out, &p->t, top,
			    &is_null)) == NULL)
				add(out, p->tail.p, p->tail.len);
		}
		if (sg != NULL) {
			unfilled(p, in->lineno, sg->text, is_null, idp, idn);
			out->len = req_start;
			out->p[out->len] = '\0';
		}
		if (p->ids == NULL)
			p->po.whole = out->len;
		else {
			idset_hold(&p->last, idp, idn, idh, in->lineno);
			p->last_end = out->len;
		}
	}
	return n;
}
