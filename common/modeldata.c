/*
 * modeldata: the three model tables, each read once into an idmap (a hash
 * of the model names) and arrays indexed by its numbers.  A lookup hashes
 * the name, and the names it falls back to; the last lookup of each table
 * is remembered, since a job's lines name the same model again and again.
 */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "jsonl.h"
#include "modeldata.h"
#include "sharefile.h"
#include "xalloc.h"

#define NTIERS		5
#define MAXFIELDS	9	/* one more than any table has */

struct price_row {
	struct model_price	 base;
	long long		 long_above;	/* -1: no long-context tier */
	struct model_price	 lng;
};

struct model_row {
	char		*encoding;
	long long	 window, max_output;	/* -1: unknown */
};

struct limit_row {
	long long	 limit[NTIERS];		/* -1: unknown */
};

enum kind { K_PRICES, K_MODELS, K_LIMITS };

struct table {
	char		*path;		/* NULL: none loaded */
	struct idmap	 names;
	void		*rows;		/* by idmap number */
	size_t		 cap;
	unsigned long	*lineno;	/* where each name was first seen */
	char		*last;		/* the last lookup and its answer */
	size_t		 lastlen;
	size_t		 lastrow;
};

static struct table	 tables[3];
static const size_t	 rowsize[3] = { sizeof(struct price_row),
    sizeof(struct model_row), sizeof(struct limit_row) };

static void
table_free(enum kind k, struct table *t)
{
	size_t i;

	if (k == K_MODELS)
		for (i = 0; i < t->names.count; i++)
			free(((struct model_row *)t->rows)[i].encoding);
	if (t->path != NULL)
		idmap_free(&t->names);
	free(t->path);
	free(t->rows);
	free(t->lineno);
	free(t->last);
	memset(t, 0, sizeof(*t));
}

/* The row for model name[0..n), new or not; *fresh is 1 when new (it is
 * then zeroed). */
static void *
table_row(enum kind k, struct table *t, const char *name, size_t n,
    unsigned long lineno, int *fresh)
{
	size_t i = idmap_add(&t->names, name, n, fresh);

	if (i >= t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->rows = xreallocarray(t->rows, t->cap, rowsize[k]);
		t->lineno = xreallocarray(t->lineno, t->cap,
		    sizeof(*t->lineno));
	}
	if (*fresh) {
		memset((char *)t->rows + i * rowsize[k], 0, rowsize[k]);
		t->lineno[i] = lineno;
	}
	return (char *)t->rows + i * rowsize[k];
}

/* A price: a finite number >= 0.  Returns 0 or -1. */
static int
price_field(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return end == s || *end != '\0' || errno != 0 || !isfinite(*v) ||
	    *v < 0 ? -1 : 0;
}

/* A count: digits only, at most LLONG_MAX.  Returns 0 or -1. */
static int
count_field(const char *s, long long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return *end != '\0' || errno != 0 ? -1 : 0;
}

/* Parses the fields f[0..n) of a price line into r; returns NULL or why
 * not (written into why). */
static const char *
price_line(char **f, int n, struct price_row *r, char *why, size_t size)
{
	static const char *names[] = { "model", "input", "cached_input",
	    "output", "long_above", "long_input", "long_cached_input",
	    "long_output" };
	double v[8];
	int i, col;

	/* Three fields: the format of earlier versions, model, input and
	 * output, without a cached price. */
	if (n != 3 && n != 4 && n != 8) {
		snprintf(why, size, "%d field%s: expected model, input, "
		    "cached_input and output (4 fields, or 8 with a "
		    "long-context tier)", n, n == 1 ? "" : "s");
		return why;
	}
	r->long_above = -1;
	for (i = 1; i < n; i++) {
		col = n == 3 && i == 2 ? 3 : i;
		if (col == 4) {
			if (count_field(f[i], &r->long_above) < 0)
				goto bad;
			continue;
		}
		if (strcmp(f[i], "-") == 0 && (col == 2 || col == 6)) {
			v[col] = -1;
			continue;
		}
		if (price_field(f[i], &v[col]) < 0)
			goto bad;
	}
	r->base.in = v[1];
	r->base.cached_in = n == 3 || v[2] < 0 ? v[1] : v[2];
	r->base.out = v[3];
	if (n == 8) {
		r->lng.in = v[5];
		r->lng.cached_in = v[6] < 0 ? v[5] : v[6];
		r->lng.out = v[7];
	}
	return NULL;
bad:
	snprintf(why, size, "field %d (%s): \"%.40s\" is not %s", i + 1,
	    names[col], f[i], col == 4 ? "a number of tokens" :
	    (col == 2 || col == 6) ? "a price or \"-\"" : "a price");
	return why;
}

static const char *
model_line(char **f, int n, struct model_row *r, char *why, size_t size)
{
	static const char *names[] = { "", "", "context_window",
	    "max_output_tokens" };
	long long *v[4] = { NULL, NULL, &r->window, &r->max_output };
	int i;

	if (n != 4) {
		snprintf(why, size, "%d field%s: expected model, encoding, "
		    "context_window and max_output_tokens", n,
		    n == 1 ? "" : "s");
		return why;
	}
	for (i = 2; i < 4; i++) {
		if (strcmp(f[i], "-") == 0)
			*v[i] = -1;
		else if (count_field(f[i], v[i]) < 0) {
			snprintf(why, size, "field %d (%s): \"%.40s\" is not "
			    "a number of tokens or \"-\"", i + 1, names[i],
			    f[i]);
			return why;
		}
	}
	r->encoding = xstrdup(f[1]);
	return NULL;
}

static const char *
limit_line(char **f, int n, long long *tier, long long *limit, char *why,
    size_t size)
{
	if (n != 3) {
		snprintf(why, size, "%d field%s: expected model, tier and "
		    "batch_queue_limit", n, n == 1 ? "" : "s");
		return why;
	}
	if (count_field(f[1], tier) < 0 || *tier < 1 || *tier > NTIERS) {
		snprintf(why, size, "field 2 (tier): \"%.40s\" is not a tier "
		    "from 1 to %d", f[1], NTIERS);
		return why;
	}
	if (count_field(f[2], limit) < 0) {
		snprintf(why, size, "field 3 (batch_queue_limit): \"%.40s\" "
		    "is not a number of tokens", f[2]);
		return why;
	}
	return NULL;
}

/* Reads table k from path (or the shipped one); see prices_load. */
static int
table_load(enum kind k, const char *path, const char *name,
    const char *env)
{
	struct table t, *old = &tables[k];
	struct jsonl r;
	struct model_row mr;
	struct price_row pr;
	struct limit_row *lr;
	long long tier = 0, limit = 0;
	char *line, *p, *f[MAXFIELDS], why[160];
	const char *bad;
	size_t len;
	int n, got, fresh, i;

	memset(&t, 0, sizeof(t));
	t.path = path != NULL ? xstrdup(path) : sharefile_path(name, env);
	if (t.path == NULL) {
		table_free(k, old);
		return 1;
	}
	if (jsonl_open(&r, t.path, 0) < 0) {
		free(t.path);
		return -1;
	}
	idmap_init(&t.names);
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		bad = NULL;
		p = line + strspn(line, " \t");
		if (*p == '#' || (*p == '\0' && p == line + len))
			continue;
		if (strlen(line) != len) {
			bad = "NUL byte";
			goto fail;
		}
		/* Fields past MAXFIELDS are counted, not kept: the line is
		 * refused for their number. */
		for (n = 0; *p != '\0'; n++) {
			if (n < MAXFIELDS)
				f[n] = p;
			p += strcspn(p, " \t");
			if (*p != '\0')
				*p++ = '\0';
			p += strspn(p, " \t");
		}
		if (k == K_PRICES)
			bad = price_line(f, n, &pr, why, sizeof(why));
		else if (k == K_MODELS)
			bad = model_line(f, n, &mr, why, sizeof(why));
		else
			bad = limit_line(f, n, &tier, &limit, why,
			    sizeof(why));
		if (bad != NULL)
			goto fail;
		p = table_row(k, &t, f[0], strlen(f[0]), r.lineno, &fresh);
		if (k == K_LIMITS) {
			lr = (struct limit_row *)(void *)p;
			if (fresh)
				for (i = 0; i < NTIERS; i++)
					lr->limit[i] = -1;
			if (lr->limit[tier - 1] >= 0) {
				snprintf(why, sizeof(why), "duplicate tier "
				    "%lld of model %.60s", tier, f[0]);
				bad = why;
				goto fail;
			}
			lr->limit[tier - 1] = limit;
			continue;
		}
		if (!fresh) {
			snprintf(why, sizeof(why), "duplicate model %.60s "
			    "(first at line %lu)", f[0], t.lineno[
			    idmap_find(&t.names, f[0], strlen(f[0]))]);
			if (k == K_MODELS)
				free(mr.encoding);
			bad = why;
			goto fail;
		}
		if (k == K_PRICES)
			memcpy(p, &pr, sizeof(pr));
		else
			memcpy(p, &mr, sizeof(mr));
	}
	jsonl_close(&r);
	if (got < 0) {
		table_free(k, &t);
		return -1;
	}
	table_free(k, old);
	*old = t;
	old->lastrow = IDMAP_NONE;
	return 0;
fail:
	warnx("%s:%lu: %s", t.path, r.lineno, bad);
	jsonl_close(&r);
	table_free(k, &t);
	return -1;
}

int
prices_load(const char *path)
{
	return table_load(K_PRICES, path, "prices.tsv", "BATCHPIPE_PRICES");
}

int
models_load(const char *path)
{
	return table_load(K_MODELS, path, "models.tsv", "BATCHPIPE_MODELS");
}

int
limits_load(const char *path)
{
	return table_load(K_LIMITS, path, "limits.tsv", "BATCHPIPE_LIMITS");
}

const char *
prices_path(void)
{
	return tables[K_PRICES].path;
}

/* The length of m[0..n) less a snapshot date at its end: "-YYYY-MM-DD"
 * (OpenAI) or "-YYYYMMDD" (Anthropic); n when there is none. */
static size_t
undated(const char *m, size_t n)
{
	static const char *forms[] = { "-dddd-dd-dd", "-dddddddd" };
	size_t f, d, k;

	for (f = 0; f < 2; f++) {
		k = strlen(forms[f]);
		if (n <= k)
			continue;
		for (d = 0; d < k; d++)
			if (forms[f][d] == 'd' ? m[n - k + d] < '0' ||
			    m[n - k + d] > '9' : m[n - k + d] != '-')
				break;
		if (d == k)
			return n - k;
	}
	return n;
}

/* The row number of m[0..n), or of the name without its date. */
static size_t
find_undated(const struct table *t, const char *m, size_t n)
{
	size_t i, u;

	if ((i = idmap_find(&t->names, m, n)) != IDMAP_NONE)
		return i;
	if ((u = undated(m, n)) != n)
		return idmap_find(&t->names, m, u);
	return IDMAP_NONE;
}

/* The row of model m[0..n) in table k, by the rules of modeldata.h:
 * the name, the name less its date, then for "ft:BASE:...", "ft:BASE"
 * (a fine-tuned model's own price), BASE, each less its date too. */
static size_t
lookup(enum kind k, const char *m, size_t n)
{
	struct table *t = &tables[k];
	const char *colon;
	size_t i, base;

	if (t->path == NULL)
		return IDMAP_NONE;
	if (t->last != NULL && n == t->lastlen && memcmp(m, t->last, n) == 0)
		return t->lastrow;
	i = find_undated(t, m, n);
	if (i == IDMAP_NONE && n > 3 && memcmp(m, "ft:", 3) == 0) {
		colon = memchr(m + 3, ':', n - 3);
		base = colon != NULL ? (size_t)(colon - m) : n;
		if ((i = find_undated(t, m, base)) == IDMAP_NONE)
			i = find_undated(t, m + 3, base - 3);
	}
	free(t->last);
	t->last = xmalloc(n + 1);
	memcpy(t->last, m, n);
	t->last[n] = '\0';
	t->lastlen = n;
	t->lastrow = i;
	return i;
}

int
price_of_model(const char *model, size_t len, struct model_price *p)
{
	size_t i = lookup(K_PRICES, model, len);

	if (i == IDMAP_NONE)
		return -1;
	*p = ((struct price_row *)tables[K_PRICES].rows)[i].base;
	return 0;
}

int
price_of_request(const char *model, size_t len,
    unsigned long long input_tokens, struct model_price *p)
{
	const struct price_row *r;
	size_t i = lookup(K_PRICES, model, len);

	if (i == IDMAP_NONE)
		return -1;
	r = &((struct price_row *)tables[K_PRICES].rows)[i];
	if (r->long_above >= 0 &&
	    input_tokens > (unsigned long long)r->long_above)
		*p = r->lng;
	else
		*p = r->base;
	return 0;
}

const char *
model_encoding(const char *model, size_t len)
{
	size_t i = lookup(K_MODELS, model, len);

	if (i == IDMAP_NONE)
		return NULL;
	return ((struct model_row *)tables[K_MODELS].rows)[i].encoding;
}

long long
model_max_output(const char *model, size_t len)
{
	size_t i = lookup(K_MODELS, model, len);

	if (i == IDMAP_NONE)
		return -1;
	return ((struct model_row *)tables[K_MODELS].rows)[i].max_output;
}

long long
model_queue_limit(const char *model, size_t len, int tier)
{
	size_t i;

	if (tier < 1 || tier > NTIERS)
		return -1;
	if ((i = lookup(K_LIMITS, model, len)) == IDMAP_NONE)
		return -1;
	return ((struct limit_row *)tables[K_LIMITS].rows)[i].limit[tier - 1];
}
