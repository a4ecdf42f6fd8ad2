/*
 * jsonl-merge's parts, private to the tool.
 *
 * Memory holds an index, not the lines: every custom_id once, with the
 * offset of its result line, and one number an item.  The results are
 * read first (join.c: a pipe is copied to an unlinked temporary file so
 * that the lines can be read back with pread(2), window.c); the items are
 * read twice, once to check every line and join it (join.c), then to
 * write it with its answer appended as text before the closing brace
 * (write.c: the item is never re-serialised).  So nothing is written
 * unless every input line is good.
 */
#ifndef MERGE_H
#define MERGE_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "idmap.h"
#include "jscan.h"
#include "result.h"
#include "spool.h"

/* What the index knows about each custom_id (idmap number). */
struct entry {
	uint64_t	 roff;		/* result line: offset, length, number */
	uint32_t	 rlen;
	uint32_t	 rline;		/* 0: no result */
	uint32_t	 iline;		/* first item with this key; 0: none */
};

/* A window of the results file (window.c). */
struct window {
	char		*p;
	size_t		 cap, len;
	uint64_t	 start;		/* file offset of p[0] */
	uint64_t	 last_end;	/* end of the line read last */
};

/* One run of the tool: its two inputs and the index that joins them. */
struct merge {
	struct spool_input	 items, results;
	struct idmap		 index;		/* custom_id → entry number */
	struct entry		*entries;	/* by entry number */
	size_t			 entries_cap;
	struct window		 win;
	struct buf		 suggested;	/* join_items' -k suggestion */
};

/* How an item writes its separators, for the text added to it: a space
 * after its colons, after its commas (bits of a byte an item). */
#define SPACED_COLON	1
#define SPACED_COMMA	2

/* join.c */

/* index_results: reads every result line of m->results into the index;
 * of two results for one custom_id the good one wins, else the first
 * (the duplicate is reported).  Exits 1 on a bad line. */
void	index_results(struct merge *m);

/* join_items: pass one over the items: checks every line, finds its key
 * (the member at field path keyfield; NULL: the line number) and joins
 * it to the index.  Returns the entry number of each item, in order
 * (*nitems of them), and in *styles its SPACED_ bits; both are the
 * caller's to free.  When the key matches nothing, m->suggested may get
 * the field path of a member of the first item that does.  Exits 1 on a
 * bad line, a duplicate key or an item that already has field. */
uint32_t *join_items(struct merge *m, const char *keyfield,
	    const char *field, size_t *nitems, uint8_t **styles);

/* window.c */

/* read_result: the result line of en into b, NUL-terminated, scanned
 * again (an object); exits 1 when the file changed since it was
 * indexed. */
void	read_result(struct merge *m, const struct entry *en, struct buf *b);

/* result.c */

/* The members of a result line that this tool reads, each JT_NONE when
 * absent. */
enum {
	R_ERROR, R_STATUS, R_BODY,
	B_OBJECT, B_CHOICES, B_OUTPUT, B_DATA, B_USAGE, B_MODEL,
	B_RESULTS,		/* a moderation's results */
	B_CREATED,
	C_CONTENT,		/* choices[0].message.content */
	C_TEXT,			/* choices[0].text: a completion's */
	B_TYPE, B_CONTENT,	/* an Anthropic message: "type", "content" */
	R_N
};

struct parsed {
	struct jval	 m[R_N];
};

/* parse_result: one walk over line, a result line that jscan_doc
 * accepted, NUL-terminated, filling every slot of *r (pointing into
 * line).  A member named with escapes is not seen; a member on the path
 * that is repeated (response, body, choices[0], message) has its repeats
 * merged, the last of each slot winning. */
void	parse_result(const char *line, struct parsed *r);

/* outcome: success and failure as common/result decides them, from the
 * members parse_result found. */
void	outcome(const struct parsed *p, struct result *r);

/* succeeded: 1 when the validated, NUL-terminated result line
 * succeeded. */
int	succeeded(const char *line);

/* answer.c: the member added to an item. */

/* The separators of the text added to an item, spaced as the item's own
 * (SPACED_ bits). */
struct seps {
	const char	*comma;		/* ", " or "," */
	const char	*colon;		/* ": " or ":" */
};

struct seps seps_of(uint8_t style);

/* answer_text: the answer of a successful response when it is text (chat
 * content that is a string, the responses output text, a completion's
 * text, an Anthropic message's text blocks), decoded into text: 1; else
 * 0. */
int	answer_text(const struct parsed *r, struct buf *text);

/* add_answer: the answer of a successful response, as JSON text appended
 * to out with the separators s: chat: choices[0].message.content;
 * completions: choices[0].text; responses: the output text; an
 * Anthropic message (anthropic_result's body): its text blocks; embeddings:
 * data[0].embedding; moderations: {"flagged", "categories",
 * "category_scores"} of results[0], or an array of them in the order of
 * results[] when there are not exactly one; anything else (images and
 * videos too): the whole body.  scratch: a buffer for the work. */
void	add_answer(struct buf *out, const struct parsed *r, struct seps s,
	    struct buf *scratch);

/* The bodies that hold no text answer: their endpoints are named once
 * a run on stderr (media_warn). */
enum media { MEDIA_NONE, MEDIA_IMAGES, MEDIA_VIDEOS, MEDIA_N };

/* media_of: what the body of a successful response is: an
 * ImagesResponse (no object member, a created one, no results),
 * a video job (object "video"), else MEDIA_NONE. */
enum media media_of(const struct parsed *r);

/* add_json_text: -j: appends text, when it is one JSON value (RFC 8259,
 * as jscan reads it), to out without its white space: 0.  Else -1 and *e
 * says why. */
int	add_json_text(struct buf *out, const struct buf *text,
	    struct jerr *e);

/* add_error: {"code": ..., "message": ...} of a failed result, appended
 * to out with the separators s: the code and message common/result
 * finds, as written; without them "http_N" and "HTTP status N"; a line
 * with neither an error nor a status is a bad_result. */
void	add_error(struct buf *out, const struct parsed *p, struct seps s);

/* add_not_json: -j, an answer that is not JSON: the member errkey, code
 * invalid_json, a message saying why (e), and the answer's text, so that
 * nothing paid for is lost.  msg: a buffer for the message. */
void	add_not_json(struct buf *out, const struct buf *errkey,
	    struct seps s, const struct buf *text, const struct jerr *e,
	    struct buf *msg);

/* prices.c: tokens and cost. */

struct tally {
	size_t			 answered, failed, missing;
	size_t			 not_json;	/* -j: answers that are not */
	size_t			 media[MEDIA_N];	/* by enum media */
	unsigned long long	 intok, cachedtok, outtok;
	double			 cost;		/* USD, list price */
	unsigned long long	 unknown_in, unknown_out;	/* unpriced */
	struct buf		 unknown_models;		/* "a, b" */
};

/* count_usage: adds a response body's usage (an object, else nothing)
 * to t, and its cost by the prices of model (a string, else none).
 * scratch: a buffer for the work. */
void	count_usage(struct jval usage, struct jval model, struct tally *t,
	    struct buf *scratch);

/* media_warn: for each kind of t->media that there are, one line on
 * stderr naming its endpoints and saying that no text answer was added
 * (field holds the body) and that their cost is not counted. */
void	media_warn(const struct tally *t, const char *field);

/* summary: the counts, tokens and cost of t on stderr; the cost at the
 * Batch API's price, or with live at the list price live calls pay. */
void	summary(size_t nitems, int as_json, int live, const struct tally *t);

/* write.c */

/* write_items: pass two: every item again, in order, with its answer or
 * error, on stdout, counted in *t; with as_json, an answer that is text
 * is taken as JSON (-j).  refs, styles and nitems: from join_items. */
void	write_items(struct merge *m, const uint32_t *refs,
	    const uint8_t *styles, size_t nitems, const char *field,
	    int as_json, struct tally *t);

#endif
