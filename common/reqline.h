/*
 * reqline: the checks on one Batch API request line (jsonl-split's
 * input), in one scan of the line, with the members they find.
 */
#ifndef REQLINE_H
#define REQLINE_H
#include <stddef.h>

#include "buf.h"
#include "jscan.h"

struct reqline {
	struct jval	 custom_id;	/* the raw members, pointing into */
	struct jval	 method;	/* the line (strings with quotes) */
	struct jval	 url;
	struct jval	 body;
	struct jval	 model;		/* body.model, or the default */
	const char	*id;		/* custom_id decoded: into the line */
	size_t		 idlen;		/* or into the caller's idbuf */
	char		 why[80];	/* room for a reason built from the line */
};

/*
 * reqline_check: line[0..len) (no newline) must be one JSON object
 * (jscan_doc's rules) with a string custom_id that decodes to at least
 * one byte, a method that is the string "POST", a string url, an object
 * body, and a string body.model, which a request to an endpoint whose API
 * has a default model may leave out (/v1/moderations:
 * omni-moderation-latest; r->model is then that name as a JSON string in
 * static memory, so the request goes with those that name it); none of the four top-level keys
 * custom_id, method, url and body may appear twice, however written
 * ("custom\u005fid" is custom_id): tools and the server could read
 * different members.  Other repeated keys, body.model among them, count
 * by their last occurrence, as with jscan_member.  Checked in that order
 * (the repeated keys first), and the line is scanned once.
 *
 * Returns NULL on a good line and fills *r: the five members (each with
 * the right type), and id/idlen, the decoded custom_id: a pointer into
 * the line when it holds no escape, else into idbuf (reset and
 * overwritten), so valid as long as both.
 *
 * On a bad line returns the reason, one line of text without the line
 * number ("blank line", a jscan error such as "invalid UTF-8 in string",
 * "an array, not an object", "repeated key \"url\"" (the key's name
 * decoded), "no custom_id", "custom_id is a number, not a string", "no
 * method", "method is \"GET\", not \"POST\"" (at most 40 bytes of the
 * value), "no url", "url is null, not a string", "no body", "body is a
 * string, not an object", "no body.model", "body.model is an array, not a
 * string", "empty custom_id"): static text, or for a reason that names a
 * type or a repeated key or quotes the method, text in r->why.  The
 * members in *r are then unspecified.
 */
const char	*reqline_check(const char *line, size_t len, struct reqline *r,
		    struct buf *idbuf);

/*
 * reqline_fail: reports bad line lineno of the input called name and
 * exits 1: "prog: name:lineno: why", or, for a line the input ended in
 * without its newline, "prog: name:lineno: incomplete last line (the
 * writer stopped early?): why": that is what a writer that stopped in the
 * middle leaves (jsonl-prompt holds back the end of its last request
 * until it has read all its input).  atexit(3) handlers run.
 */
void		 reqline_fail(const char *name, unsigned long lineno,
		    int unterminated, const char *why)
		    __attribute__((noreturn));

#endif
