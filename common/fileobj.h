/* fileobj: the few members of an API File object (openai-openapi.yaml,
 * schema OpenAIFile) that oai-upload, oai-fetch and oai-batch act on. */
#ifndef FILEOBJ_H
#define FILEOBJ_H

struct json_object;

struct fileobj {
	char		*id;		/* NULL when absent (see below) */
	char		*filename;	/* likewise */
	char		*purpose;	/* likewise */
	char		*status;	/* likewise */
	long long	 bytes;		/* the size, when has_bytes */
	int		 has_bytes;	/* "bytes" is an integer */
	long long	 created_at;	/* 0 when absent or not an integer */
};

/* fileobj_parse: fills *f from a parsed File object: one answer of
 * http_request or one item of http_list, whose JSON was scanned strictly
 * before json-c parsed it (json-c 0.16 alone accepts NaN and single
 * quotes, and answers NULL with json_tokener_success when out of memory:
 * http.c checks both), so o is the server's text as RFC 8259 reads it.
 * Returns 0, or -1 (and *f empty) when o is not an object.  Every member
 * is optional, as each caller needs a different few: a string member is
 * NULL when absent, not a string, or holding a NUL byte ("\u0000": it
 * would be read cut short), and kept when empty.  bytes is as the server
 * wrote it, negative included (json-c gives INT64_MAX for a larger
 * integer).  The strings are copies: fileobj_free frees them. */
int	fileobj_parse(struct json_object *o, struct fileobj *f);
void	fileobj_free(struct fileobj *f);

#endif
