/*
 * The order: each record gets a 64-bit key made from its id, which
 * decides most comparisons alone; the keys are sorted by radix, two
 * halves of the index in two threads, and the halves merged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sortid.h"
#include "xalloc.h"

/* A run of the index that one thread keys and sorts. */
struct sortrun {
	const struct sortid *s;
	struct skey	*order, *tmp;
	size_t		 from, n;	/* records from .. from + n - 1 */
};

/* Numeric order compares the digits after the leading zeros: first their
 * count, then the digits.  Any length works; nothing can overflow. */
static void
strip_zeros(const char **p, size_t *n)
{
	while (*n > 0 && **p == '0') {
		(*p)++;
		(*n)--;
	}
}

static uint64_t
sort_key(const struct sortid *s, const struct rec *r)
{
	const char *p = id_of(s, r);
	size_t n = r->idlen, i;
	uint64_t k = 0;

	if (s->numeric) {
		strip_zeros(&p, &n);
		if (n > 19)
			return UINT64_MAX;	/* past 10^19 - 1: compare in full */
		for (i = 0; i < n; i++)
			k = k * 10 + (uint64_t)(p[i] - '0');
		return k;
	}
	/* The first eight bytes, big-endian, zero-padded: their order is the
	 * byte order of the ids' first eight bytes. */
	for (i = 0; i < 8; i++)
		k = k << 8 | (i < n ? (unsigned char)p[i] : 0);
	return k;
}

static int
bytecmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

/* The full order: numeric value (in numeric mode), then the id's bytes,
 * then input order, so that equal ids stay in the order they were read. */
static int
compare_recs(const struct sortid *s, size_t i, size_t j)
{
	const struct rec *a = rec_at(s, i), *b = rec_at(s, j);
	const char *as = id_of(s, a), *bs = id_of(s, b);
	size_t an = a->idlen, bn = b->idlen;
	int c;

	if (s->numeric) {
		strip_zeros(&as, &an);
		strip_zeros(&bs, &bn);
		if (an != bn)
			return an < bn ? -1 : 1;
		if ((c = memcmp(as, bs, an)) != 0)
			return c;
	}
	if ((c = bytecmp(id_of(s, a), a->idlen, id_of(s, b), b->idlen)) != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* A qsort_r comparison; arg is the struct sortid. */
static int
compare_keys(const void *pa, const void *pb, void *arg)
{
	const struct skey *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return compare_recs(arg, a->rec, b->rec);
}

/* Sorts order[0..n) by key, then ties by compare_recs, with tmp[0..n) as
 * scratch.  An LSD radix sort on the keys, a byte a pass (passes where
 * every key has the same byte are skipped), is stable, so equal keys stay
 * in index order; only runs of equal keys, rare, are then sorted with
 * qsort_r. */
static void
sort_order(const struct sortid *s, struct skey *order, struct skey *tmp,
    size_t n)
{
	size_t count[8][256];
	struct skey *from = order, *to = tmp, *t;
	size_t i, j, d, sum, c;

	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		for (d = 0; d < 8; d++)
			count[d][(order[i].key >> (8 * d)) & 0xff]++;
	for (d = 0; d < 8; d++) {
		if (n == 0 || count[d][(order[0].key >> (8 * d)) & 0xff] == n)
			continue;
		for (sum = 0, j = 0; j < 256; j++) {
			c = count[d][j];
			count[d][j] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[d][(from[i].key >> (8 * d)) & 0xff]++] = from[i];
		t = from;
		from = to;
		to = t;
	}
	if (from != order)
		memcpy(order, from, n * sizeof(*order));
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && order[j].key == order[i].key; j++)
			;
		if (j - i > 1)
			qsort_r(order + i, j - i, sizeof(*order), compare_keys,
			    (void *)s);
	}
}

static void *
sort_run(void *arg)
{
	struct sortrun *run = arg;
	const struct rec *r;
	size_t i;

	for (i = 0; i < run->n; i++) {
		r = rec_at(run->s, run->from + i);
		run->order[i].key = sort_key(run->s, r);
		run->order[i].rec = (uint32_t)(run->from + i);
		run->order[i].len = r->len;
	}
	sort_order(run->s, run->order, run->tmp, run->n);
	return NULL;
}

/* The sort sits between the two passes that keep both cores busy, so
 * halving it shortens the run. */
struct skey *
sort_index(const struct sortid *s)
{
	struct skey *order, *tmp, *a, *b, *aend, *bend, *to;
	struct sortrun run[2];
	size_t nrecs = s->nrecs, half = nrecs / 2;

	order = xreallocarray(NULL, nrecs ? nrecs : 1, sizeof(*order));
	tmp = xreallocarray(NULL, nrecs ? nrecs : 1, sizeof(*tmp));
	run[0] = (struct sortrun){ s, order, tmp, 0, half };
	run[1] = (struct sortrun){ s, order + half, tmp + half, half,
	    nrecs - half };
	run_both(sort_run, &run[0], &run[1], half >= 4096);

	/* Ties go to the first half: its records come first in input
	 * order, as compare_recs has it. */
	a = order;
	aend = b = order + half;
	bend = order + nrecs;
	for (to = tmp; a < aend && b < bend; )
		*to++ = compare_keys(b, a, (void *)s) < 0 ? *b++ : *a++;
	memcpy(to, a, (size_t)(aend - a) * sizeof(*a));
	to += aend - a;
	memcpy(to, b, (size_t)(bend - b) * sizeof(*b));
	free(order);
	return tmp;
}
