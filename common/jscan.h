/*
 * jscan: a strict, allocation-free JSON scanner for one JSONL line.
 *
 * Hand-written on purpose: the tools touch millions of lines, and building
 * a json-c tree per line costs about nine times a plain copy of the bytes
 * (measured on the items benchmark); the tools only need to validate a
 * line and pick out a few members, and pass the rest through byte for byte.
 * It follows RFC 8259 to the letter (unlike json-c 0.16, which accepts NaN,
 * Infinity and single-quoted strings): UTF-8 is validated, control
 * characters in strings are refused, nesting is limited to JSCAN_MAXDEPTH.
 *
 * A struct jval points into the caller's text; it lives as long as that.
 */
#ifndef JSCAN_H
#define JSCAN_H
#include <stddef.h>

#include "buf.h"

#define JSCAN_MAXDEPTH 512

enum jtype {
	JT_NONE = 0,	/* absent: a member that is not there */
	JT_NULL, JT_FALSE, JT_TRUE, JT_NUMBER, JT_STRING, JT_ARRAY, JT_OBJECT
};

struct jval {
	enum jtype	 type;
	const char	*p;	/* the value's raw text; strings include quotes */
	size_t		 n;
};

struct jerr {
	const char	*msg;	/* static text, e.g. "invalid UTF-8 in string" */
	size_t		 off;	/* byte offset of the fault in the text */
};

/* jscan_doc: s[0..n) must be exactly one JSON value with optional white
 * space around it.  Returns 0 and fills *top, or -1 and fills *e. */
int	jscan_doc(const char *s, size_t n, struct jval *top, struct jerr *e);

/* A member of an object: depth 1 for the top object's own members, 2 for
 * the members of an object that is the value of one of them. */
struct jmember {
	struct jval	 key;
	struct jval	 val;
	int		 depth;
};

/* jscan_doc_members: jscan_doc, and in the same pass the members of depth
 * 1 and 2, each taken when its value ends: in the order they are written,
 * except that an object's members come before the member that holds it
 * (tell them apart by depth, and by whether val.p lies inside it).  The
 * first max go to m[]; *count is how many there are (more than max when
 * m[] was too small: use jscan_member or jscan_iter then). */
int	jscan_doc_members(const char *s, size_t n, struct jval *top,
	    struct jmember *m, size_t max, size_t *count, struct jerr *e);

/* jscan_doc_member: jscan_doc that also picks the top-level member named
 * key (the last one if it repeats, as jscan_member) from the same scan:
 * *member gets it, or type JT_NONE when top is not an object or has no
 * such member.  One pass instead of two over lines whose key comes early
 * but whose bulk follows it. */
int	jscan_doc_member(const char *s, size_t n, struct jval *top,
	    const char *key, struct jval *member, struct jerr *e);

/* The functions below take values that jscan_doc accepted (or parts of
 * one); they do not validate again. */

/* jscan_member: the member named key of object obj.  Returns 1 and fills
 * *out, or 0 with out->type JT_NONE when obj has no such member or is not
 * an object.  A key that appears twice yields the last one, as json-c. */
int	jscan_member(struct jval obj, const char *key, struct jval *out);

/* A field path, as the tools take one (jsonl-prompt's -i and {field},
 * jsonl-merge's -k): names separated by dots, "a.b.c" for member c of
 * member b of member a.  A name cannot hold a dot.
 * jscan_path_head: the length of path's first name; *rest gets the names
 * after it, or NULL when there is only the one. */
size_t	jscan_path_head(const char *path, const char **rest);

/* jscan_path: the member of v that the field path dotted names, as
 * jscan_member through nested objects; 1 found, 0 not (out->type
 * JT_NONE). */
int	jscan_path(struct jval v, const char *dotted, struct jval *out);

/* jscan_index: element i (0-based) of array arr; 1 found, 0 not. */
int	jscan_index(struct jval arr, size_t i, struct jval *out);

/* Iteration over an object's members or an array's elements:
 *	struct jiter it; struct jval k, v;
 *	jscan_iter(obj, &it); while (jscan_next(&it, &k, &v)) ...
 * For arrays k is left JT_NONE. */
struct jiter {
	const char	*p;
	const char	*end;
	int		 object;
};
void	jscan_iter(struct jval container, struct jiter *it);
int	jscan_next(struct jiter *it, struct jval *key, struct jval *val);

/* jscan_unescape: appends the decoded bytes of string str to out (no
 * quotes, escapes resolved, a lone surrogate as U+FFFD).  Returns 0, or -1
 * if str is not a string. */
int	jscan_unescape(struct jval str, struct buf *out);

/* jscan_streq: 1 when string str decodes to exactly lit. */
int	jscan_streq(struct jval str, const char *lit);

/* jscan_int: 0 and *out when v is an integer (no fraction or exponent)
 * that fits a long long; else -1. */
int	jscan_int(struct jval v, long long *out);

/* jscan_double: 0 and *out for any number; else -1. */
int	jscan_double(struct jval v, double *out);

/* jscan_type: the type of the value whose first byte is c (a value that
 * the scanner, or the caller, has already found to be valid JSON). */
enum jtype jscan_type(char c);

/* jscan_typename: "string", "object", ... for messages. */
const char *jscan_typename(enum jtype t);

/* jscan_a_typename: the same with its article, "a string", "an object",
 * for messages such as "custom_id is a number, not a string". */
const char *jscan_a_typename(enum jtype t);

#endif
