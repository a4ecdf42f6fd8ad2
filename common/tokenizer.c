/*
 * tokenizer: tiktoken's o200k_base and cl100k_base, token for token.
 *
 * Encoding is tiktoken's two steps.  The text is cut into pieces by the
 * encoding's regular expression; each piece that is a token is that
 * token, and any other piece is merged from its bytes, always merging the
 * adjacent pair of lowest rank, the leftmost of equals.
 *
 * Why the pieces are cut by hand-written code and not by a regex library:
 * the patterns use \p{L}, \p{N}, \p{M} and their subclasses, a negative
 * lookahead and case-insensitive contractions, and their meaning hangs on
 * the regex engine's Unicode tables.  tiktoken's engine (Rust's regex)
 * takes \s as the White_Space property and has Unicode 16.0 tables.
 * PCRE2, the one Debian library with all of these, takes \s otherwise
 * (without U+0085) and has the Unicode version of its own build, so it
 * would be right only most of the time; it would also cost a dependency
 * and most of the speed.  Each alternative of the two patterns is instead
 * written below as the backtracking matcher would run it, over a table of
 * classes generated from the Unicode 16.0 database (uniclass.c), and the
 * tests hold the result to tiktoken's own on a varied corpus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <err.h>

#include "sharefile.h"
#include "tokenizer.h"
#include "uniclass.h"
#include "xalloc.h"

#ifndef BATCHPIPE_SHAREDIR
#define BATCHPIPE_SHAREDIR	"/usr/local/share/batchpipe"
#endif

#define NO_RANK		UINT32_MAX
#define END		8	/* past the text: in no class */
#define BIT(c)		(1u << (c))

/* The patterns' classes, as masks of enum uniclass. */
#define IS_P	(BIT(UC_OTHER) | BIT(UC_MARK) | BIT(UC_SPACE))	/* [^\r\n\p{L}\p{N}] */
#define IS_U	(BIT(UC_UPPER) | BIT(UC_LETTER) | BIT(UC_MARK))	/* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
#define IS_W	(BIT(UC_LOWER) | BIT(UC_LETTER) | BIT(UC_MARK))	/* [\p{Ll}\p{Lm}\p{Lo}\p{M}] */
#define IS_L	(BIT(UC_UPPER) | BIT(UC_LOWER) | BIT(UC_LETTER))	/* \p{L} */
#define IS_Q	(BIT(UC_OTHER) | BIT(UC_MARK))			/* [^\s\p{L}\p{N}] */
#define IS_S	(BIT(UC_SPACE) | BIT(UC_NEWLINE))		/* \s */

#define IN(mask, c)	(((mask) >> (c)) & 1u)

enum pattern { O200K, CL100K };

struct slot {
	uint32_t	 hash;		/* 0: empty */
	uint32_t	 rank;
};

struct part {
	uint32_t	 start;		/* of the part in the piece */
	uint32_t	 rank;		/* of this part merged with the next */
};

struct tokenizer {
	char		*name;
	enum pattern	 pattern;
	unsigned char	*bytes;		/* every token's bytes, by rank */
	uint32_t	*off;		/* token r is bytes[off[r]..off[r + 1]) */
	uint32_t	 nranks;
	struct slot	*table;		/* bytes -> rank, open addressing */
	size_t		 mask;
	uint32_t	 byte_rank[256];
	uint32_t	*pair_rank;	/* [a << 8 | b]: the two-byte tokens */
	struct part	*parts;		/* scratch of merge() */
	size_t		 partcap;
};

static const unsigned char ascii_class[128] = {
	['\t'] = UC_SPACE, ['\n'] = UC_NEWLINE, ['\v'] = UC_SPACE,
	['\f'] = UC_SPACE, ['\r'] = UC_NEWLINE, [' '] = UC_SPACE,
	['0'] = UC_NUM, UC_NUM, UC_NUM, UC_NUM, UC_NUM, UC_NUM, UC_NUM,
	UC_NUM, UC_NUM, UC_NUM,
	['A'] = UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER,
	UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER,
	UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER,
	UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER, UC_UPPER,
	['a'] = UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER,
	UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER,
	UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER,
	UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER, UC_LOWER,
};

/* The bytes' hash: a multiply-and-shift mix of 8 bytes at a time.  Never
 * 0, which marks an empty slot. */
static inline uint32_t
hash_bytes(const unsigned char *p, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * 0x94d049bb133111ebULL;
	}
	h ^= h >> 32;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return (uint32_t)h | 1;
}

/* The rank of the token whose bytes are p[0..n), or NO_RANK. */
static inline uint32_t
rank_of(const struct tokenizer *t, const unsigned char *p, size_t n)
{
	uint32_t h, r;
	size_t i;

	if (n == 1)
		return t->byte_rank[p[0]];
	if (n == 2)
		return t->pair_rank[(unsigned)p[0] << 8 | p[1]];
	h = hash_bytes(p, n);
	for (i = h & t->mask; t->table[i].hash != 0; i = (i + 1) & t->mask) {
		if (t->table[i].hash != h)
			continue;
		r = t->table[i].rank;
		if (t->off[r + 1] - t->off[r] == n &&
		    memcmp(t->bytes + t->off[r], p, n) == 0)
			return r;
	}
	return NO_RANK;
}

/* Appends rank r to the caller's ids, when it wants them. */
static inline void
emit(uint32_t r, uint32_t **ids, size_t *cap, long long *n)
{
	if (ids != NULL) {
		if ((size_t)*n >= *cap) {
			*cap = *cap < 64 ? 64 : *cap * 2;
			*ids = xreallocarray(*ids, *cap, sizeof(**ids));
		}
		(*ids)[*n] = r;
	}
	(*n)++;
}

/* The merged parts of a piece, in t->parts[0..nparts): each part runs to
 * the next one's start; the last entry only marks the piece's end.
 * tiktoken's byte_pair_merge: the lowest-ranked adjacent pair is merged
 * (the leftmost of equals) until no pair is a token.  O(n^2), for the
 * short pieces that are nearly all of any text. */
static size_t
merge(struct tokenizer *t, const unsigned char *p, size_t n)
{
	struct part *parts;
	size_t i, k, nparts = n + 1, best;
	uint32_t min;

	if (t->partcap < n + 1) {
		t->partcap = n + 1 < 64 ? 64 : n + 1;
		t->parts = xreallocarray(t->parts, t->partcap,
		    sizeof(*t->parts));
	}
	parts = t->parts;
	for (i = 0; i + 1 < n; i++) {
		parts[i].start = i;
		parts[i].rank = t->pair_rank[(unsigned)p[i] << 8 | p[i + 1]];
	}
	parts[n - 1].start = n - 1;
	parts[n - 1].rank = NO_RANK;
	parts[n].start = n;
	parts[n].rank = NO_RANK;
	for (;;) {
		min = NO_RANK;
		best = 0;
		for (k = 0; k + 1 < nparts; k++)
			if (parts[k].rank < min) {
				min = parts[k].rank;
				best = k;
			}
		if (min == NO_RANK)
			break;
		i = best;
		/* Parts i and i + 1 become one: the ranks of it with its
		 * neighbours are those of the spans up to the part after. */
		if (i > 0)
			parts[i - 1].rank = i + 2 < nparts ? rank_of(t, p + parts[i - 1].start,
			    parts[i + 2].start - parts[i - 1].start) : NO_RANK;
		parts[i].rank = i + 3 < nparts ? rank_of(t, p +
		    parts[i].start, parts[i + 3].start - parts[i].start) :
		    NO_RANK;
		memmove(&parts[i + 1], &parts[i + 2],
		    (nparts - i - 2) * sizeof(*parts));
		nparts--;
	}
	return nparts;
}

/*
 * merge_long: the same result for a long piece (a run of thousands of
 * letters or symbols) in O(n log n): the parts are a linked list and the
 * candidate merges a heap ordered by rank, then start, so the pair taken
 * is the one merge() would take.  A heap entry that a merge made stale is
 * passed over when it comes up.
 */
struct lpart {
	uint32_t	 start, next, prev, rank;
	int		 alive;
};

/* The heap holds entry numbers; entry e is (rank rk[e], part of[e]). */
struct lheap {
	uint32_t	*e;
	size_t		 n, cap;
	uint32_t	*rk, *of;
	size_t		 nent, entcap;
};

static void
lheap_push(struct lheap *h, const struct lpart *lp, uint32_t part,
    uint32_t rank)
{
	size_t i, up;
	uint32_t e, tmp;

	if (h->nent == h->entcap) {
		h->entcap = h->entcap ? h->entcap * 2 : 256;
		h->rk = xreallocarray(h->rk, h->entcap, sizeof(*h->rk));
		h->of = xreallocarray(h->of, h->entcap, sizeof(*h->of));
	}
	e = (uint32_t)h->nent++;
	h->rk[e] = rank;
	h->of[e] = part;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->e = xreallocarray(h->e, h->cap, sizeof(*h->e));
	}
	i = h->n++;
	h->e[i] = e;
	while (i > 0) {
		up = (i - 1) / 2;
		if (h->rk[h->e[i]] < h->rk[h->e[up]] ||
		    (h->rk[h->e[i]] == h->rk[h->e[up]] &&
		    lp[h->of[h->e[i]]].start < lp[h->of[h->e[up]]].start)) {
			tmp = h->e[i];
			h->e[i] = h->e[up];
			h->e[up] = tmp;
			i = up;
		} else
			break;
	}
}

static uint32_t
lheap_pop(struct lheap *h, const struct lpart *lp)
{
	uint32_t top = h->e[0], tmp;
	size_t i = 0, l, r, m;

	h->e[0] = h->e[--h->n];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < h->n && (h->rk[h->e[l]] < h->rk[h->e[m]] ||
		    (h->rk[h->e[l]] == h->rk[h->e[m]] &&
		    lp[h->of[h->e[l]]].start < lp[h->of[h->e[m]]].start)))
			m = l;
		if (r < h->n && (h->rk[h->e[r]] < h->rk[h->e[m]] ||
		    (h->rk[h->e[r]] == h->rk[h->e[m]] &&
		    lp[h->of[h->e[r]]].start < lp[h->of[h->e[m]]].start)))
			m = r;
		if (m == i)
			break;
		tmp = h->e[i];
		h->e[i] = h->e[m];
		h->e[m] = tmp;
		i = m;
	}
	return top;
}

/* The rank of part i merged with the part after it, or NO_RANK. */
static uint32_t
lrank(const struct tokenizer *t, const unsigned char *p, size_t n,
    const struct lpart *lp, uint32_t i)
{
	uint32_t j = lp[i].next, end;

	if (j == UINT32_MAX)
		return NO_RANK;
	end = lp[j].next == UINT32_MAX ? (uint32_t)n : lp[lp[j].next].start;
	return rank_of(t, p + lp[i].start, end - lp[i].start);
}

static void
merge_long(struct tokenizer *t, const unsigned char *p, size_t n,
    uint32_t **ids, size_t *cap, long long *count)
{
	struct lpart *lp = xreallocarray(NULL, n, sizeof(*lp));
	struct lheap h = { 0 };
	uint32_t i, j, e, end;

	for (i = 0; i < n; i++) {
		lp[i].start = i;
		lp[i].prev = i == 0 ? UINT32_MAX : i - 1;
		lp[i].next = i + 1 == n ? UINT32_MAX : i + 1;
		lp[i].alive = 1;
	}
	for (i = 0; i < n; i++)
		if ((lp[i].rank = lrank(t, p, n, lp, i)) != NO_RANK)
			lheap_push(&h, lp, i, lp[i].rank);
	while (h.n > 0) {
		e = lheap_pop(&h, lp);
		i = h.of[e];
		if (!lp[i].alive || lp[i].rank != h.rk[e] ||
		    lp[i].rank == NO_RANK)
			continue;
		j = lp[i].next;
		lp[i].next = lp[j].next;
		if (lp[j].next != UINT32_MAX)
			lp[lp[j].next].prev = i;
		lp[j].alive = 0;
		if ((lp[i].rank = lrank(t, p, n, lp, i)) != NO_RANK)
			lheap_push(&h, lp, i, lp[i].rank);
		if (lp[i].prev != UINT32_MAX) {
			j = lp[i].prev;
			if ((lp[j].rank = lrank(t, p, n, lp, j)) != NO_RANK)
				lheap_push(&h, lp, j, lp[j].rank);
		}
	}
	for (i = 0; i != UINT32_MAX; i = lp[i].next) {
		end = lp[i].next == UINT32_MAX ? (uint32_t)n :
		    lp[lp[i].next].start;
		emit(ids == NULL ? 0 : rank_of(t, p + lp[i].start,
		    end - lp[i].start), ids, cap, count);
	}
	free(h.e);
	free(h.rk);
	free(h.of);
	free(lp);
}

#define LONG_PIECE	256	/* bytes: from here merge_long() is faster */

/* One piece p[0..n) encoded. */
static void
encode_piece(struct tokenizer *t, const unsigned char *p, size_t n,
    uint32_t **ids, size_t *cap, long long *count)
{
	uint32_t r;
	size_t k, nparts;

	if ((r = rank_of(t, p, n)) != NO_RANK) {
		emit(r, ids, cap, count);
		return;
	}
	if (n >= LONG_PIECE) {
		merge_long(t, p, n, ids, cap, count);
		return;
	}
	nparts = merge(t, p, n);
	for (k = 0; k + 1 < nparts; k++)
		emit(ids == NULL ? 0 : rank_of(t, p + t->parts[k].start,
		    t->parts[k + 1].start - t->parts[k].start), ids, cap,
		    count);
}

/* The class of the character at s[i] (END past the text); *next is set
 * to the byte after it.  The text is valid UTF-8. */
static inline unsigned
class_at(const unsigned char *s, size_t i, size_t n, size_t *next)
{
	uint32_t cp;
	unsigned c;

	if (i >= n) {
		*next = n;
		return END;
	}
	c = s[i];
	if (c < 0x80) {
		*next = i + 1;
		return ascii_class[c];
	}
	if (c < 0xe0) {
		cp = (c & 0x1f) << 6 | (s[i + 1] & 0x3f);
		*next = i + 2;
	} else if (c < 0xf0) {
		cp = (c & 0x0f) << 12 | (s[i + 1] & 0x3f) << 6 |
		    (s[i + 2] & 0x3f);
		*next = i + 3;
	} else {
		cp = (c & 0x07) << 18 | (s[i + 1] & 0x3f) << 12 |
		    (s[i + 2] & 0x3f) << 6 | (s[i + 3] & 0x3f);
		*next = i + 4;
	}
	return uniclass(cp);
}

/* The end of the run of characters in mask from i. */
static inline size_t
run_of(const unsigned char *s, size_t i, size_t n, unsigned mask)
{
	size_t next;

	while (IN(mask, class_at(s, i, n, &next)))
		i = next;
	return i;
}

static inline int
lower_is(unsigned char c, char want)
{
	return (c | 0x20) == want;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at s[i]: the end of the match, or i.
 * Case-insensitive as Rust's regex is: "s" also matches U+017F, the long
 * s, which folds to it. */
static size_t
contraction(const unsigned char *s, size_t i, size_t n)
{
	if (i + 1 >= n || s[i] != '\'')
		return i;
	switch (s[i + 1] | 0x20) {
	case 's':
	case 't':
	case 'm':
	case 'd':
		return i + 2;
	case 'r':
	case 'v':
		return i + 2 < n && lower_is(s[i + 2], 'e') ? i + 3 : i;
	case 'l':
		return i + 2 < n && lower_is(s[i + 2], 'l') ? i + 3 : i;
	default:
		break;
	}
	if (s[i + 1] == 0xc5 && i + 2 < n && s[i + 2] == 0xbf)
		return i + 3;
	return i;
}

/* o200k's first alternative after its optional [^\r\n\p{L}\p{N}], from
 * j: [U]*[W]+ and a contraction.  U* takes all it can, then gives back
 * characters until W+ can start: W+ starts either at the character after
 * the U run (if it is Ll: W less U) or at the last W character inside the
 * run, where it ends at once.  Returns the end, or 0 when it fails. */
static size_t
o200k_lower(const unsigned char *s, size_t j, size_t n)
{
	size_t k = j, next, last_w = 0;
	unsigned c;

	while (IN(IS_U, c = class_at(s, k, n, &next))) {
		if (IN(IS_W, c))
			last_w = next;
		k = next;
	}
	if (c == UC_LOWER)
		return contraction(s, run_of(s, k, n, IS_W), n);
	if (last_w != 0)
		return contraction(s, last_w, n);
	return 0;
}

/* The second alternative's [U]+[W]* and a contraction, from j: the end,
 * or 0 when it fails. */
static size_t
o200k_upper(const unsigned char *s, size_t j, size_t n)
{
	size_t k = run_of(s, j, n, IS_U);

	if (k == j)
		return 0;
	return contraction(s, run_of(s, k, n, IS_W), n);
}

/* \s*[\r\n]+ | \s+(?!\S) | \s+ at i, where a space is: the end. */
static size_t
spaces(const unsigned char *s, size_t i, size_t n)
{
	size_t k = i, next, last_nl = 0, last_start = i;
	unsigned c;

	while (IN(IS_S, c = class_at(s, k, n, &next))) {
		if (c == UC_NEWLINE)
			last_nl = next;
		last_start = k;
		k = next;
	}
	if (last_nl != 0)
		return last_nl;
	if (k == n || last_start == i)
		return k;
	return last_start;	/* leave one space for the next piece */
}

/* ` ?[^\s\p{L}\p{N}]+` then [\r\n/]* (o200k) or [\r\n]* (cl100k), at i:
 * the end, or 0. */
static size_t
symbols(const unsigned char *s, size_t i, size_t n, unsigned c0, int slash)
{
	size_t k = i, next;

	if (s[i] == ' ' && IN(IS_Q, class_at(s, i + 1, n, &next)))
		k = i + 1;
	else if (!IN(IS_Q, c0))
		return 0;
	k = run_of(s, k, n, IS_Q);
	while (k < n && (s[k] == '\r' || s[k] == '\n' ||
	    (slash && s[k] == '/')))
		k++;
	return k;
}

/* \p{N}{1,3} at i, where a number is. */
static size_t
digits(const unsigned char *s, size_t i, size_t n)
{
	size_t next;
	int k;

	for (k = 0; k < 3 && class_at(s, i, n, &next) == UC_NUM; k++)
		i = next;
	return i;
}

/* The end of the piece that starts at i (< n), by o200k's pattern:
 *   [^\r\n\p{L}\p{N}]?[U]*[W]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *   |[^\r\n\p{L}\p{N}]?[U]+[W]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 *   |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * with U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}], W = [\p{Ll}\p{Lm}\p{Lo}\p{M}].
 * Each alternative is tried with its optional first character taken,
 * then without, as the regex backtracks. */
static size_t
o200k_piece(const unsigned char *s, size_t i, size_t n)
{
	size_t i1, k;
	unsigned c0 = class_at(s, i, n, &i1);
	int p = IN(IS_P, c0);

	if ((p && (k = o200k_lower(s, i1, n)) != 0) ||
	    (k = o200k_lower(s, i, n)) != 0 ||
	    (p && (k = o200k_upper(s, i1, n)) != 0) ||
	    (k = o200k_upper(s, i, n)) != 0)
		return k;
	if (c0 == UC_NUM)
		return digits(s, i, n);
	if ((k = symbols(s, i, n, c0, 1)) != 0)
		return k;
	return spaces(s, i, n);
}

/* The end of the piece that starts at i (< n), by cl100k's pattern:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
static size_t
cl100k_piece(const unsigned char *s, size_t i, size_t n)
{
	size_t i1, next, k;
	unsigned c0 = class_at(s, i, n, &i1);

	if ((k = contraction(s, i, n)) != i)
		return k;
	if (IN(IS_P, c0) && IN(IS_L, class_at(s, i1, n, &next)))
		return run_of(s, i1, n, IS_L);
	if (IN(IS_L, c0))
		return run_of(s, i, n, IS_L);
	if (c0 == UC_NUM)
		return digits(s, i, n);
	if ((k = symbols(s, i, n, c0, 0)) != 0)
		return k;
	return spaces(s, i, n);
}

/* Whether s[0..n) is valid UTF-8: no stray continuation byte, no
 * overlong form, no surrogate, nothing past U+10FFFF. */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	unsigned c;

	while (i < n) {
		c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			if (i + 1 >= n || (s[i + 1] & 0xc0) != 0x80)
				return 0;
			i += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (i + 2 >= n || (s[i + 1] & 0xc0) != 0x80 ||
			    (s[i + 2] & 0xc0) != 0x80 ||
			    (c == 0xe0 && s[i + 1] < 0xa0) ||
			    (c == 0xed && s[i + 1] >= 0xa0))
				return 0;
			i += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (i + 3 >= n || (s[i + 1] & 0xc0) != 0x80 ||
			    (s[i + 2] & 0xc0) != 0x80 ||
			    (s[i + 3] & 0xc0) != 0x80 ||
			    (c == 0xf0 && s[i + 1] < 0x90) ||
			    (c == 0xf4 && s[i + 1] >= 0x90))
				return 0;
			i += 4;
		} else
			return 0;
	}
	return 1;
}

static long long
encode(struct tokenizer *t, const char *text, size_t len, uint32_t **ids,
    size_t *cap, long long start)
{
	const unsigned char *s = (const unsigned char *)text;
	long long count = start;
	size_t i = 0, k;

	if (!valid_utf8(s, len))
		return -1;
	while (i < len) {
		k = t->pattern == O200K ? o200k_piece(s, i, len) :
		    cl100k_piece(s, i, len);
		encode_piece(t, s + i, k - i, ids, cap, &count);
		i = k;
	}
	return count - start;
}

long long
tokenizer_count(struct tokenizer *t, const char *text, size_t len)
{
	return encode(t, text, len, NULL, NULL, 0);
}

long long
tokenizer_encode(struct tokenizer *t, const char *text, size_t len,
    uint32_t **ids, size_t *cap)
{
	return encode(t, text, len, ids, cap, 0);
}

const char *
tokenizer_name(const struct tokenizer *t)
{
	return t->name;
}

void
tokenizer_free(struct tokenizer *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->bytes);
	free(t->off);
	free(t->table);
	free(t->pair_rank);
	free(t->parts);
	free(t);
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 p[0..n) into out (room for n * 3 / 4 bytes).  Returns
 * the length, or -1 when p is not base64. */
static long
b64_decode(const char *p, size_t n, unsigned char *out)
{
	uint32_t acc = 0;
	size_t i, pad = 0;
	long len = 0;
	int v, bits = 0;

	while (n > 0 && p[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if ((n + pad) % 4 != 0 || n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64_value((unsigned char)p[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[len++] = (unsigned char)(acc >> bits);
		}
	}
	return len;
}

/* Reads the rank file: one "base64 rank" a line, ranks 0 to n - 1 each
 * once.  Returns 0, or -1 after reporting. */
static int
load_ranks(struct tokenizer *t, const char *path)
{
	FILE *fp;
	char *line = NULL, *sp, *end;
	size_t linecap = 0, used = 0, size = 0, lineno = 0, i;
	ssize_t len;
	unsigned long rank;
	long n;
	uint32_t *lens = NULL, r, h;
	size_t lencap = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		warn("%s", path);
		return -1;
	}
	while ((len = getline(&line, &linecap, fp)) > 0) {
		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		errno = 0;
		if ((sp = strchr(line, ' ')) == NULL ||
		    (rank = strtoul(sp + 1, &end, 10), *end != '\0') ||
		    end == sp + 1 || errno != 0 || rank != lineno - 1)
			goto bad;
		while (used + (size_t)(sp - line) > size) {
			size = size ? size * 2 : 1 << 20;
			t->bytes = xreallocarray(t->bytes, size, 1);
		}
		if ((n = b64_decode(line, (size_t)(sp - line),
		    t->bytes + used)) <= 0)
			goto bad;
		if (lineno > lencap) {
			lencap = lencap ? lencap * 2 : 1 << 16;
			lens = xreallocarray(lens, lencap, sizeof(*lens));
		}
		lens[lineno - 1] = (uint32_t)n;
		used += (size_t)n;
	}
	if (ferror(fp) || lineno < 256) {
		warnx("%s: %s", path, ferror(fp) ? "read error" :
		    "too few ranks for a byte-pair encoding");
		goto fail;
	}
	fclose(fp);
	free(line);
	t->nranks = (uint32_t)lineno;
	t->off = xreallocarray(NULL, lineno + 1, sizeof(*t->off));
	t->off[0] = 0;
	for (i = 0; i < lineno; i++)
		t->off[i + 1] = t->off[i] + lens[i];
	free(lens);

	for (t->mask = 1; t->mask < lineno * 2; t->mask <<= 1)
		;
	t->table = xcalloc(t->mask, sizeof(*t->table));
	t->mask--;
	t->pair_rank = xreallocarray(NULL, 65536, sizeof(*t->pair_rank));
	memset(t->pair_rank, 0xff, 65536 * sizeof(*t->pair_rank));
	memset(t->byte_rank, 0xff, sizeof(t->byte_rank));
	for (r = 0; r < t->nranks; r++) {
		const unsigned char *p = t->bytes + t->off[r];
		size_t plen = t->off[r + 1] - t->off[r];

		if (rank_of(t, p, plen) != NO_RANK) {
			warnx("%s:%u: a token given twice", path, r + 1);
			return -1;
		}
		if (plen == 1)
			t->byte_rank[p[0]] = r;
		else if (plen == 2)
			t->pair_rank[(unsigned)p[0] << 8 | p[1]] = r;
		else {
			h = hash_bytes(p, plen);
			for (i = h & t->mask; t->table[i].hash != 0;
			    i = (i + 1) & t->mask)
				;
			t->table[i].hash = h;
			t->table[i].rank = r;
		}
	}
	for (i = 0; i < 256; i++)
		if (t->byte_rank[i] == NO_RANK) {
			warnx("%s: byte %zu has no token", path, i);
			return -1;
		}
	return 0;
bad:
	warnx("%s:%zu: expected a base64 token and its rank %zu", path,
	    lineno, lineno - 1);
fail:
	fclose(fp);
	free(line);
	free(lens);
	return -1;
}

struct tokenizer *
tokenizer_open(const char *encoding)
{
	struct tokenizer *t;
	char file[64], *path;
	enum pattern pattern;

	if (strcmp(encoding, "o200k_base") == 0)
		pattern = O200K;
	else if (strcmp(encoding, "cl100k_base") == 0)
		pattern = CL100K;
	else {
		warnx("unknown encoding \"%s\" (known: o200k_base, "
		    "cl100k_base)", encoding);
		return NULL;
	}
	snprintf(file, sizeof(file), "%s.tiktoken", encoding);
	if ((path = sharefile_path(file, NULL)) == NULL) {
		warnx("%s: not found (looked in $BATCHPIPE_SHARE, %s and "
		    "share/ beside the program)", file, BATCHPIPE_SHAREDIR);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->name = xstrdup(encoding);
	t->pattern = pattern;
	if (load_ranks(t, path) != 0) {
		free(path);
		tokenizer_free(t);
		return NULL;
	}
	free(path);
	return t;
}
