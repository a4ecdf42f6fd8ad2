/* batchobj: the few members of an API Batch object (openai-openapi.yaml,
 * schema Batch) that oai-batch and oai-wait act on. */
#ifndef BATCHOBJ_H
#define BATCHOBJ_H

#include <stddef.h>

struct json_object;

struct batchobj {
	char		*id;
	char		*status;
	char		*input_file_id;		/* NULL when absent */
	char		*output_file_id;	/* NULL when absent, null or "" */
	char		*error_file_id;		/* likewise */
	long long	 total, completed, failed;	/* request_counts, or 0 */
};

/* batchobj_parse: fills *b from a parsed Batch object.  Returns 0, or -1
 * (and *b empty) when o is not an object with string members id and
 * status, or when one of id, status and the three file ids holds a NUL
 * byte (it would be read cut short).  The ids are not checked further:
 * that is idsrc_valid's, by strlen.  The strings are copies:
 * batchobj_free frees them. */
int	batchobj_parse(struct json_object *o, struct batchobj *b);
void	batchobj_free(struct batchobj *b);

/* batchobj_error: entry i (from 0) of Batch o's errors.data.  Returns 1
 * with *code and *message its strings (NULL when absent or not strings;
 * they belong to o, valid while it is; the server's text, unscrubbed) and
 * *line its line number (-1 when none); 0 past the end, or when o has no
 * errors.data. */
int	batchobj_error(struct json_object *o, size_t i, const char **code,
	    const char **message, long long *line);

/* object_created_at: the created_at member of API object o (a Batch or
 * a File), in seconds since the epoch; 0 when o has none, or not an
 * integer. */
long long	object_created_at(struct json_object *o);

/* batch_status_terminal: 1 for completed, failed, expired, cancelled. */
int	batch_status_terminal(const char *status);

#endif
