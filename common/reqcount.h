/*
 * reqcount: the input tokens of a Batch API request line that
 * reqline_check accepted, counted as jsonl-tokens(1) counts them: its
 * url decoded, its model's encoding looked up in models.tsv (the lookup
 * kept while the lines share a model), the tokenizer of that encoding
 * opened the first time it is needed, then reqtokens_input.  The one
 * place jsonl-tokens and jsonl-split -t count a request.
 */
#ifndef REQCOUNT_H
#define REQCOUNT_H
#include <stddef.h>

#include "buf.h"
#include "reqline.h"
#include "reqtokens.h"
#include "tokenizer.h"

#define REQCOUNT_NENC	2	/* the encodings known: see below */

/* One caller's state: start it zeroed ({ 0 } or memset), then set
 * encoding (every model's encoding, or NULL: each model's own) and hint
 * (appended to the unknown-model reason, or NULL); reqcount_free frees
 * it.  After a successful reqcount_input, url/urllen are the request's
 * decoded url, model its decoded model (NUL-terminated) and max_output
 * the model's largest output (-1 unknown); valid until the next call. */
struct reqcount {
	const char		*encoding;
	const char		*hint;
	const char		*url;
	size_t			 urllen;
	struct buf		 model;
	long long		 max_output;
	char			 why[256];	/* see reqcount_input */
	/* Private. */
	int			 model_valid;
	struct tokenizer	*tok;		/* the model's */
	struct tokenizer	*toks[REQCOUNT_NENC];
	struct buf		 urlbuf, scratch;
	struct reqtokens	 rt;
};

/* reqcount_encoding_known: 1 when name is an encoding reqcount counts
 * with ("o200k_base", "cl100k_base"), else 0. */
int		 reqcount_encoding_known(const char *name);

/* reqcount_input: the input tokens of request r (a line reqline_check
 * accepted; its members point into the line), and in *cap, when cap is
 * not NULL, its cap on output tokens as reqtokens_input gives it.  The
 * model table must be loaded (models_load) unless rc->encoding is set.
 * Returns the tokens; -1 with the reason in rc->why, one line without
 * the line number, for a request that cannot be counted (the url's
 * reason first: reqtokens_uncounted's; then "unknown model \"x\": no
 * encoding known" followed by rc->hint, "model \"x\": encoding e is not
 * one batchpipe counts", or reqtokens_input's reason); nothing is
 * reported.  Returns -2 after reporting "prog: reason" when a
 * tokenizer's vocabulary cannot be read (tokenizer_open). */
long long	 reqcount_input(struct reqcount *rc, const struct reqline *r,
		    long long *cap);

/* reqcount_free: frees what rc holds (tokenizers included); rc can be
 * used again (zeroed, encoding and hint kept). */
void		 reqcount_free(struct reqcount *rc);

#endif
