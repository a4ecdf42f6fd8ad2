/* batchobj: the few members of an API Batch object (openai-openapi.yaml,
 * schema Batch) that oai-batch and oai-wait act on. */
#ifndef BATCHOBJ_H
#define BATCHOBJ_H

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
 * status.  The strings are copies: batchobj_free frees them. */
int	batchobj_parse(struct json_object *o, struct batchobj *b);
void	batchobj_free(struct batchobj *b);

/* batch_status_terminal: 1 for completed, failed, expired, cancelled. */
int	batch_status_terminal(const char *status);

/* batch_status_dead: 1 for failed, expired, cancelled (and cancelling):
 * a batch that will never produce all its results, so not to be reused. */
int	batch_status_dead(const char *status);

#endif
