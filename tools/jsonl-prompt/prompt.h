/* jsonl-prompt's parts, seen by each other and by the fuzz target of the
 * template (tests/fuzz/fuzz_prompt_template.c), never by another tool.
 *
 *   main.c     the options, then one pass over the items
 *   template.c the {field} template: parsed once, each item's values
 *              picked out of its line in one walk, the user text made
 *   request.c  the text every request shares, made once, and one request
 *              an item: its custom_id, the duplicate check, the message of
 *              a bad item
 *   pipeout.c  the requests written as they are made, the "}\n" that ends
 *              the last one held back until the whole input proved good
 */
#ifndef PROMPT_H
#define PROMPT_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "atomicfile.h"
#include "buf.h"
#include "capwarn.h"
#include "idset.h"
#include "jscan.h"
#include "jsonl.h"

#define FLUSH_AT	(256 * 1024)	/* requests are written in chunks of
					 * about this size */
#define HELD_BACK	2	/* the "}\n" that ends the last request */
#define MAX_MEMBERS	64	/* taken while validating; more: walk */

enum endpoint { EP_CHAT, EP_EMBEDDINGS, EP_RESPONSES, EP_COMPLETIONS,
	EP_MODERATIONS };

/* The command line, checked. */
struct opts {
	const char	*model;		/* NULL: the API's (moderations) */
	const char	*url;		/* -e */
	enum endpoint	 ep;
	const char	*system_path;	/* -s, or NULL */
	const char	*template;	/* -t, or NULL */
	const char	*template_path;	/* -f, or NULL */
	const char	*idfield;	/* -i, or NULL: the line number */
	const char	*out_path;	/* -o, or NULL */
	const char	*body_json;	/* -b, "{}" without it */
	const char	*input;		/* the operand, "-" without it */
	long		 max_tokens;	/* -T, or 0 */
	int		 skip_unfilled;	/* -S */
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
	unsigned char	 *plain;	/* per name, 1 when it holds no '\\' */
	size_t		  n;
	uint64_t	  first[4];	/* bit set: a name starts with that
					 * byte (or it is '\\', for escapes) */
};

/* The template of a run and the fields it reads from every item. */
struct template {
	struct seg	*segs;	/* NULL: the whole item is the user text */
	size_t		 nsegs;
	struct picker	 pk;
	size_t		 idkey;	/* -i's field in pk */
	const char	*idrest;
	char		*text;	/* -f's file, or NULL */
};

/* The output: the requests made and not yet written, and where they go. */
struct pipeout {
	struct buf	 out;	/* the requests made and not yet written */
	size_t		 whole;	/* out.p[0..whole): those of items known
				 * good */
	struct buf	 spare;	/* swapped with out by pipeout_flush; the
				 * pipe may still hold its pages: never
				 * freed, as freeing could write into them */
	size_t		 piece;	/* see write_pieces */
	size_t		 pipe_size;	/* the output's, when a pipe (or 0) */
	size_t		 page_size;
	int		 fd;
	const char	*name;	/* -o's file, or NULL for stdout */
	struct afile	 file;	/* -o's */
	int		 atomic;	/* -o's file is renamed into place */
};

/* One run: what main.c sets up, and what the items change. */
struct prompt {
	const struct opts *o;
	struct template	 t;
	struct buf	 head;	/* a request after its custom_id, up to the
				 * user text */
	struct buf	 tail;	/* a request after the user text */
	struct pipeout	 po;
	const char	*input_name;
	/* With -i, the id of the last request made, added to the set only
	 * once the next item was read and checked (idset_hold): a duplicate
	 * is reported at its own line, before anything wrong with the next
	 * one. */
	struct idset	*ids;		/* NULL without -i */
	struct idset_held last;
	size_t		 last_end;	/* where its request ends in po.out */
	struct buf	 idtext;	/* an id unescaped, or an integer id */
	struct capwarn	 skipped;	/* items skipped by -S */
	struct buf	 show;		/* an id as messages show it */
};

/* add: buf_add with its common case, room enough, inline: the hot loop
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

/* picker_get: the value of a registered field after picker_walk, into
 * *out; 1 found, 0 absent.  Inline: the hot loop asks for every field of
 * every item. */
static inline int
picker_get(const struct picker *pk, size_t key, const char *rest,
    struct jval *out)
{
	*out = pk->vals[key];
	if (out->type == JT_NONE)
		return 0;
	return rest == NULL || jscan_path(*out, rest, out);
}

/* template.c */

/* read_prompt: the whole file at path less one final newline (LF or
 * CR LF), as a text editor leaves one there, NUL-terminated, its length
 * in *len; the caller frees it.  Exits 1 if it cannot be read. */
char	*read_prompt(const char *path, size_t *len);

/* escaped_arg: s[0..n), a command-line text, as the inside of a JSON
 * string, which the caller frees.  Exits 2, naming what, if it is not
 * valid UTF-8. */
char	*escaped_arg(const char *what, const char *s, size_t n);

/* add_escaped: appends s[0..n) JSON-escaped, without quotes. */
void	 add_escaped(struct buf *b, const char *s, size_t n);

/* parse_template: template t parsed into the *nsegs segments of *segs,
 * which the caller frees (each text and dflt, then the array; NULL when
 * there are none).  "{a.b}" is a field, "{a.b:-text}" one with a
 * default, "{{" and "}}" are literal braces.  A lone brace, an empty
 * field name, a brace inside a field or its default, or text that is not
 * UTF-8 exits 2, naming what; the segments made so far are in *segs
 * then. */
void	 parse_template(const char *what, const char *t, struct seg **segs,
	    size_t *nsegs);

/* picker_want: registers field path in pk; returns the index of its
 * first name and sets *rest to what follows the first dot (or NULL). */
size_t	 picker_want(struct picker *pk, const char *path, const char **rest);

/* picker_walk: takes the wanted members of object top (the last one of a
 * repeated name, as jscan_member), from the count members that
 * jscan_doc_members took, or from a walk when there were more than
 * MAX_MEMBERS. */
void	 picker_walk(struct picker *pk, struct jval top,
	    const struct jmember *m, size_t count);


/* template_load: o's template (-t, or -f's file) parsed into t, its
 * fields and -i's registered; warns of a template without a field.  Exits
 * as read_prompt and parse_template do, and 2 on a NUL byte in -f's
 * file. */
void	 template_load(struct template *t, const struct opts *o);

/* template_render: appends to out the user text of item top, whose
 * members t->pk holds (picker_walk), JSON-escaped; without a template,
 * the whole item.  Returns NULL, or the field it could not fill (missing
 * or null, without a default), with *is_null set; out may then hold part
 * of the text. */
const struct seg *template_render(struct buf *out, const struct template *t,
	    struct jval top, int *is_null);

/* template_free: frees what template_load made. */
void	 template_free(struct template *t);

/* request.c */

/* request_prepare: the text every request shares, p->head and p->tail,
 * from p->o.  Exits 2 on a bad -m or -b, 1 if -s cannot be read. */
void	 request_prepare(struct prompt *p);

/* request_items: a request for each item that in reads, appended to
 * p->po.out; the requests before an item are known good once it is read,
 * and go out when enough were made.  A bad item is reported and stops the
 * run (pipeout_give_up); with -S an item missing a field is reported
 * among the first few and skipped.  Returns 0 at the end of the input, or
 * -1 after the reader reported an error (its before_error hook having
 * checked the last id). */
int	 request_items(struct prompt *p, struct jsonl *in);

/* check_last_id: for the jsonl reader's before_error hook (arg is the
 * struct prompt), and after the last item: adds the last request's id to
 * the set; a duplicate is reported and gives up, otherwise that request
 * is known good. */
void	 check_last_id(void *arg);

/* pipeout.c */

/* pipeout_open: the output: -o's path (through atomicfile: a regular file
 * or a new one is renamed into place by pipeout_finish; a device or a
 * FIFO is written as the shell's > would), or stdout when path is NULL or
 * "-".  A pipe is enlarged where Linux allows it.  Exits 1 on an error. */
void	 pipeout_open(struct pipeout *po, const char *path);

/* pipeout_flush: writes all of po->out but its held-back bytes. */
void	 pipeout_flush(struct pipeout *po);

/* pipeout_give_up: stops after an error in the input (reported already):
 * the requests of po->out[0..whole) go out but their held-back bytes, so
 * the next tool sees input that ends inside a request; a -o file is not
 * written at all.  Exits 1. */
void	 pipeout_give_up(const struct pipeout *po) __attribute__((noreturn));

/* pipeout_finish: once the whole input proved good, writes the rest of
 * po->out, held-back bytes and all, and gives a -o file its name.  Exits
 * 1 on an error; frees po->out. */
void	 pipeout_finish(struct pipeout *po);

#endif
