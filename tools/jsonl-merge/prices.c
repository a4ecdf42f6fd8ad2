/*
 * prices: the tokens of every response and their cost, by each model's
 * prices in the table (common/modeldata) at the batch discount, or with
 * -L at the list price of live calls.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "merge.h"
#include "modeldata.h"

/* The members of a usage object that hold token counts: OpenAI's chat
 * (prompt_*, completion_tokens), Responses' (input_*, output_tokens) and
 * Anthropic's (input_tokens, output_tokens, cache_*). */
enum usage_key {
	U_PROMPT, U_INPUT, U_COMPLETION, U_OUTPUT, U_CACHE_READ, U_CACHE_WRITE,
	U_PROMPT_DETAILS, U_INPUT_DETAILS, U_N
};
static const struct {
	const char	*name;
	size_t		 len;
} usage_names[U_N] = {
#define NAME(s)	{ s, sizeof(s) - 1 }
	NAME("prompt_tokens"), NAME("input_tokens"),
	NAME("completion_tokens"), NAME("output_tokens"),
	NAME("cache_read_input_tokens"), NAME("cache_creation_input_tokens"),
	NAME("prompt_tokens_details"), NAME("input_tokens_details")
#undef NAME
};

/* Which usage_names entry key k (raw, with quotes) is, or -1.  A key is
 * compared as raw bytes unless it holds an escape: the scan for one is
 * made once a key, not once a name. */
static int
usage_key_of(struct jval k)
{
	int escaped = memchr(k.p, '\\', k.n) != NULL, i;

	for (i = 0; i < U_N; i++)
		if (escaped ? jscan_streq(k, usage_names[i].name) :
		    k.n == usage_names[i].len + 2 &&
		    memcmp(k.p + 1, usage_names[i].name, usage_names[i].len) == 0)
			return i;
	return -1;
}

/* v as a token count: a positive integer, else 0. */
static unsigned long long
tokens_of(struct jval v)
{
	long long x;

	return jscan_int(v, &x) == 0 && x > 0 ? (unsigned long long)x : 0;
}

/* The first of a and b that usage has, as a count.  (One member present
 * but not a count is 0: the other is not looked at.) */
static unsigned long long
first_count(const struct jval *m, enum usage_key a, enum usage_key b)
{
	return tokens_of(m[a].type != JT_NONE ? m[a] : m[b]);
}

/* The cached input tokens: prompt_tokens_details.cached_tokens, else
 * input_tokens_details.cached_tokens. */
static unsigned long long
cached_count(const struct jval *m)
{
	struct jval v;

	if (jscan_member(m[U_PROMPT_DETAILS], "cached_tokens", &v) ||
	    jscan_member(m[U_INPUT_DETAILS], "cached_tokens", &v))
		return tokens_of(v);
	return 0;
}

/* Fills m[] with usage's members of usage_names (JT_NONE when absent; the
 * last one when a name repeats, as jscan_member), in one walk: a result
 * line's usage is read once, however many names a provider may use. */
static void
usage_members(struct jval usage, struct jval *m)
{
	struct jiter it;
	struct jval k, v;
	int i;

	for (i = 0; i < U_N; i++)
		m[i].type = JT_NONE;
	jscan_iter(usage, &it);
	while (jscan_next(&it, &k, &v))
		if ((i = usage_key_of(k)) >= 0)
			m[i] = v;
}

/* Whether the list "a, b, c" has name as one of its items (not merely
 * as a part of one: "gpt-4o" is not in "gpt-4o-mini"). */
static int
listed(const struct buf *list, const char *name)
{
	const char *p = list->p;
	size_t n = strlen(name);

	while (p != NULL && (p = strstr(p, name)) != NULL) {
		if ((p == list->p || (p - list->p >= 2 && p[-1] == ' ' &&
		    p[-2] == ',')) && (p[n] == '\0' || p[n] == ','))
			return 1;
		if (*p++ == '\0')
			break;
	}
	return 0;
}

/* Adds a response body's usage to the totals and its cost, by its
 * model's prices (common/modeldata): cached input tokens at the cached
 * price, the rest of the input at the input price, a long-context tier
 * when the request's input passes it. */
void
count_usage(struct jval usage, struct jval model, struct tally *t,
    struct buf *scratch)
{
	unsigned long long in, cached, read, out;
	struct model_price p;
	struct jval m[U_N];
	int priced = 0;

	if (usage.type != JT_OBJECT)
		return;
	usage_members(usage, m);
	in = first_count(m, U_PROMPT, U_INPUT);
	cached = cached_count(m);
	/* Anthropic's input_tokens leave out the input read from the cache
	 * and the input written to it (@anthropic-ai/sdk's Usage); both are
	 * input, the writes at the input price (the table has no price of
	 * a cache write). */
	read = tokens_of(m[U_CACHE_READ]);
	cached += read;
	in += read + tokens_of(m[U_CACHE_WRITE]);
	if (cached > in)
		cached = in;
	out = first_count(m, U_COMPLETION, U_OUTPUT);
	t->intok += in;
	t->cachedtok += cached;
	t->outtok += out;
	buf_reset(scratch);
	if (model.type == JT_STRING) {
		jscan_unescape(model, scratch);
		priced = price_of_request(scratch->p, scratch->len, in,
		    &p) == 0;
	} else
		buf_adds(scratch, "(none)");
	if (priced) {
		t->cost += ((double)(in - cached) * p.in +
		    (double)cached * p.cached_in + (double)out * p.out) / 1e6;
		return;
	}
	t->unknown_in += in;
	t->unknown_out += out;
	if (scratch->len == 0)
		buf_adds(scratch, "\"\"");	/* "model": "" */
	if (prices_path() != NULL && (in > 0 || out > 0) &&
	    t->unknown_models.len < 200 &&
	    !listed(&t->unknown_models, scratch->p)) {
		if (t->unknown_models.len > 0)
			buf_adds(&t->unknown_models, ", ");
		buf_add(&t->unknown_models, scratch->p, strlen(scratch->p));
	}
}

void
media_warn(const struct tally *t, const char *field)
{
	static const char *const endpoints[MEDIA_N] = { NULL,
	    "/v1/images/generations or /v1/images/edits", "/v1/videos" };
	int k;

	for (k = MEDIA_NONE + 1; k < MEDIA_N; k++)
		if (t->media[k] > 0)
			warnx("%zu results of %s: no text answer added (%s "
			    "holds the response body); their cost is not "
			    "counted", t->media[k], endpoints[k], field);
}

void
summary(size_t nitems, int as_json, int live, const struct tally *t)
{
	double cost = t->cost * (live ? 1 : BATCH_PRICE_FACTOR);
	char price[64];

	if (as_json)
		warnx("%zu items: %zu answered, %zu failed, %zu missing, %zu "
		    "answers not JSON", nitems, t->answered, t->failed,
		    t->missing, t->not_json);
	else
		warnx("%zu items: %zu answered, %zu failed, %zu missing",
		    nitems, t->answered, t->failed, t->missing);
	if (t->cachedtok > 0)
		warnx("tokens: %llu prompt (%llu of them cached, priced as "
		    "cached input), %llu completion", t->intok, t->cachedtok,
		    t->outtok);
	else
		warnx("tokens: %llu prompt, %llu completion", t->intok,
		    t->outtok);
	if (prices_path() == NULL) {
		warnx("cost: unknown (no price table: see -P)");
		return;
	}
	if (live)
		snprintf(price, sizeof(price), "at the list price (live calls)");
	else
		snprintf(price, sizeof(price), "at the batch discount (%.0f%%)",
		    (1 - BATCH_PRICE_FACTOR) * 100);
	if (t->unknown_in == 0 && t->unknown_out == 0)
		warnx("cost: $%.6f %s", cost, price);
	else
		warnx("cost: $%.6f %s, and unknown "
		    "for %llu prompt and %llu completion tokens of models "
		    "not in %s: %s", cost, price, t->unknown_in, t->unknown_out,
		    prices_path(), t->unknown_models.len ?
		    t->unknown_models.p : "(none)");
}
