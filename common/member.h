/* member: the members of an API object (a json-c object: an answer of
 * http_request or an item of http_list) read as the tools read them. */
#ifndef MEMBER_H
#define MEMBER_H

struct json_object;

/* member_text: o's string member key, o's own (valid while o is); NULL
 * when o has none or it is not a string.  With nul not NULL, a string
 * that holds a NUL byte ("\u0000", which a C string would read cut
 * short) is NULL too, and sets *nul to 1. */
const char	*member_text(struct json_object *o, const char *key, int *nul);

/* member_copy: member_text's string as a fresh copy (free(3) it); an
 * empty string is NULL unless keep_empty (the API writes "" as well as
 * null for "none"). */
char		*member_copy(struct json_object *o, const char *key, int *nul,
		    int keep_empty);

#endif
