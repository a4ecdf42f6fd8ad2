/* modeldata: what batchpipe knows of each model, from the tables it
 * ships under share/ (each names its source package, version and date;
 * scripts/update-model-data makes them): prices.tsv (list prices),
 * models.tsv (encoding, context window, largest output) and limits.tsv
 * (the Batch API's enqueued-token limit per usage tier).  A model is
 * looked up by its exact name, then without a dated snapshot suffix
 * ("gpt-4o-mini-2024-07-18" as "gpt-4o-mini"; Anthropic's "-20250514"
 * too), then, for a fine-tuned model ("ft:gpt-4o-mini-2024-07-18:org::id"),
 * as "ft:" and its base (a fine-tuned model's own price, when the table
 * has one: "ft:gpt-4o-mini"), then as its base ("gpt-4o-mini"), each
 * with and without the date.  The last lookup of each table is kept, so
 * a lookup a line costs about a memcmp when the lines share a model; that
 * makes every lookup a write: threads must serialise them. */
#ifndef MODELDATA_H
#define MODELDATA_H
#include <stddef.h>

/* The Batch API's price is this fraction of the list price: 50% at OpenAI
 * and at Anthropic (Message Batches "reducing costs by 50%":
 * https://platform.claude.com/docs/en/build-with-claude/batch-processing).
 * The one place the discount is written. */
#define BATCH_PRICE_FACTOR	0.5

struct model_price {
	double	in;		/* USD per 1M input tokens, list price */
	double	cached_in;	/* USD per 1M cached input tokens; in when
				 * the table gives none */
	double	out;		/* USD per 1M output tokens */
};

/* prices_load: reads the price table: path when not NULL (-P), else
 * sharefile_path("prices.tsv", "BATCHPIPE_PRICES").  Returns 0; 1 when
 * path is NULL and no table is found (every model is then unpriced; not
 * an error); -1 after reporting "prog: file:line: reason" (a table that
 * cannot be read or is malformed: "3 fields: expected ...", "field 2
 * (input): \"x\" is not a price", "duplicate model m (first at line 4)").
 * A table replaces the one loaded before; after -1 that one stays.  Lines:
 * model, input, cached_input ("-": the input price), output, and, for a
 * long-context tier, long_above (input tokens), long_input,
 * long_cached_input, long_output; three fields (model, input, output) are
 * the format of earlier versions, still read. */
int		 prices_load(const char *path);

/* prices_path: the table prices_load read, or NULL. */
const char	*prices_path(void);

/* price_of_model: model[0..len)'s prices in *p (the base tier of a
 * model with a long-context tier).  Returns 0, or -1 when the table has
 * none (or none was loaded). */
int		 price_of_model(const char *model, size_t len,
		    struct model_price *p);

/* price_of_request: as price_of_model, for one request of input_tokens
 * input tokens: a model with a long-context tier (gpt-5.4 above 271,999
 * input tokens) has the whole request priced at that tier's prices. */
int		 price_of_request(const char *model, size_t len,
		    unsigned long long input_tokens, struct model_price *p);

/* models_load, limits_load: as prices_load, for models.tsv
 * (BATCHPIPE_MODELS) and limits.tsv (BATCHPIPE_LIMITS). */
int		 models_load(const char *path);
int		 limits_load(const char *path);

/* model_encoding: the tokenizer encoding of model[0..len)
 * ("o200k_base"), or NULL when models.tsv does not know it. */
const char	*model_encoding(const char *model, size_t len);

/* model_max_output: the most output tokens the model can give, or -1
 * when unknown. */
long long	 model_max_output(const char *model, size_t len);

/* model_queue_limit: the enqueued input tokens the Batch API allows the
 * model at usage tier 1 to 5, or -1 when unknown. */
long long	 model_queue_limit(const char *model, size_t len, int tier);

#endif
