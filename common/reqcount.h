/*
 * reqcount: the input tokens of Batch API request lines, as the API
 * counts them: each line checked as jsonl-split checks it (reqline.h),
 * its model's encoding found in models.tsv (modeldata.h: call
 * models_load first) and the request counted by the rules of
 * reqtokens.h.  jsonl-tokens(1) counts line by line with it; oai-batch(1)
 * -Q counts whole files.  The tokenizers are opened when first needed and
 * kept; the model of the line before is kept too (most lines share it).
 */
#ifndef REQCOUNT_H
#define REQCOUNT_H
#include <stddef.h>

#include "buf.h"
#include "reqline.h"
#include "reqtokens.h"

#define REQCOUNT_NENC	2		/* o200k_base, cl100k_base */

/* Start it zeroed ({ 0 } or memset); reqcount_free frees it. */
struct reqcount {
	const char		*encoding;	/* every model's when set (-E) */
	const char		*hint;		/* ends the unknown-model reason */
	struct reqtokens	 rt;
	struct tokenizer	*toks[REQCOUNT_NENC];
	struct buf		 model;		/* the last line's, decoded */
	int			 have_model;
	struct tokenizer	*tok;		/* its tokenizer */
	long long		 max_output;	/* its largest output, -1 */
	const char		*url;		/* the last line's, decoded */
	size_t			 url_len;
	struct buf		 id, urlbuf, scratch;
	char			 why[512];	/* see reqcount_line */
};

/* reqcount_encoding_known: 1 when encoding is one reqcount can use. */
int		 reqcount_encoding_known(const char *encoding);

/* reqcount_line: checks and counts request line[0..len) (no newline):
 * *req as reqline_check fills it, *input its input tokens, *cap its cap
 * on output tokens or -1 (see reqtokens_input); rc->model then names its
 * model (decoded), rc->max_output that model's largest output (-1
 * unknown) and rc->url[0..url_len) its url, decoded.  Returns 0; 1 when the line is not a request (the reason in
 * rc->why, as reqline_check says it); 2 when it cannot be counted (the
 * reason in rc->why: an endpoint not counted, "unknown model \"m\": no
 * encoding known (give one with -E)", reqtokens_input's reasons); -1
 * when a tokenizer could not be opened (tokenizer_open reported why).
 * Nothing else is reported. */
int		 reqcount_line(struct reqcount *rc, const char *line,
		    size_t len, struct reqline *req, long long *input,
		    long long *cap);

/* reqcount_request: reqcount_line for a request that reqline_check has
 * already accepted: returns 0, 2 or -1 as reqcount_line does. */
int		 reqcount_request(struct reqcount *rc, const struct reqline *req,
		    long long *input, long long *cap);

/* reqcount_file: the input tokens of every request of the file at path,
 * all of one model, whose name (decoded) it copies to model (size bytes;
 * "" for an empty file).  *requests gets the number of lines.  Returns
 * the sum, or -1 after reporting "prog: path:line: reason" (a line
 * reqcount_line refuses, "requests for two models, m1 and m2 (one a
 * file: see jsonl-split)", a model name of size bytes or more, a read
 * error).  Memory does not grow with the file. */
long long	 reqcount_file(struct reqcount *rc, const char *path,
		    char *model, size_t size, unsigned long long *requests);

void		 reqcount_free(struct reqcount *rc);

#endif
