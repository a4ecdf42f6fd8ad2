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
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mapfile.h"
#include "sharefile.h"
#include "tokenizer.h"
#include "uniclass.h"
#include "utf8.h"
#include "xalloc.h"

#ifndef BATCHPIPE_SHAREDIR
#define BATCHPIPE_SHAREDIR	"/usr/local/share/batchpipe"
#endif

#define NO_RANK		UINT32_MAX
#define LONG_PIECE	256	/* bytes: from here merge_long() is faster */
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
	uint32_t	 rank : 24;
	uint32_t	 len : 8;	/* of the token's bytes, capped */
};

struct part {
	uint32_t	 start;		/* of the part in the piece */
	uint32_t	 rank;		/* of this part merged with the next */
};

/*
 * The piece cache: the tokens of pieces that had to be merged, by their
 * bytes.  Text repeats its words, and a merge costs tens of lookups where
 * the cache costs one (a CJK or Thai sentence is one piece of 50 to 100
 * bytes with no token for the whole).  When full it is emptied at once:
 * simpler than LRU, and the pieces worth keeping come back quickly.
 */
#define CACHE_SLOTS	(1u << 16)
#define CACHE_BYTES	(1u << 21)	/* of piece bytes, and as many ids */
#define CACHE_MAXLEN	LONG_PIECE

struct centry {
	uint32_t	 hash;		/* 0: empty */
	uint32_t	 off;		/* bytes at cbytes + off */
	uint32_t	 ids;		/* ids at cids + ids */
	uint16_t	 len, nids;
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
	struct centry	*cache;		/* the piece cache */
	unsigned char	*cbytes;
	uint32_t	*cids;
	uint32_t	 cused, cbused, cidused;
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

/* The rank of the token whose bytes are p[0..n) (n > 2), of hash h, or
 * NO_RANK. */
static inline uint32_t
rank_hashed(const struct tokenizer *t, const unsigned char *p, size_t n,
    uint32_t h)
{
	const struct slot *e;
	size_t i;

	for (i = h & t->mask; (e = &t->table[i])->hash != 0;
	    i = (i + 1) & t->mask)
		if (e->hash == h && e->len == n &&
		    memcmp(t->bytes + t->off[e->rank], p, n) == 0)
			return e->rank;
	return NO_RANK;
}

/* The rank of the token whose bytes are p[0..n), or NO_RANK. */
static inline uint32_t
rank_of(const struct tokenizer *t, const unsigned char *p, size_t n)
{
	if (n == 1)
		return t->byte_rank[p[0]];
	if (n == 2)
		return t->pair_rank[(unsigned)p[0] << 8 | p[1]];
	return rank_hashed(t, p, n, hash_bytes(p, n));
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
 * candidate merges a heap of (rank, start) keys, so the pair taken is the
 * one merge() would take: the lowest rank, the leftmost of equals.  A
 * part is named by the byte it starts at, which never changes.  A key
 * that a merge made stale (its part gone, or ranked anew) is passed over
 * when it comes up.
 */
struct lpart {
	uint32_t	 next;		/* the next part's start; n at the end */
	uint32_t	 prev;		/* UINT32_MAX for the first */
	uint32_t	 rank;		/* of this part merged with the next */
	int		 alive;
};

#define KEY(rank, start)	((uint64_t)(rank) << 32 | (start))

static void
heap_push(uint64_t *heap, size_t *n, uint64_t key)
{
	size_t i = (*n)++, up;

	for (; i > 0 && heap[up = (i - 1) / 2] > key; i = up)
		heap[i] = heap[up];
	heap[i] = key;
}

static uint64_t
heap_pop(uint64_t *heap, size_t *n)
{
	uint64_t top = heap[0], last = heap[--*n];
	size_t i = 0, c;

	for (; (c = 2 * i + 1) < *n; i = c) {
		if (c + 1 < *n && heap[c + 1] < heap[c])
			c++;
		if (heap[c] >= last)
			break;
		heap[i] = heap[c];
	}
	heap[i] = last;
	return top;
}

/* The rank of part i merged with the part after it, or NO_RANK. */
static uint32_t
lrank(const struct tokenizer *t, const unsigned char *p, size_t n,
    const struct lpart *lp, uint32_t i)
{
	uint32_t j = lp[i].next;

	if (j == n)
		return NO_RANK;
	return rank_of(t, p + i, lp[j].next - i);
}

static void
merge_long(struct tokenizer *t, const unsigned char *p, size_t n,
    uint32_t **ids, size_t *cap, long long *count)
{
	struct lpart *lp = xreallocarray(NULL, n + 1, sizeof(*lp));
	uint64_t *heap, key;
	size_t nheap = 0;
	uint32_t i, j;

	/* n keys to start with, and each of the n - 1 merges at most two. */
	heap = xreallocarray(NULL, 3 * n, sizeof(*heap));
	for (i = 0; i < n; i++) {
		lp[i].prev = i == 0 ? UINT32_MAX : i - 1;
		lp[i].next = i + 1;
		lp[i].alive = 1;
	}
	lp[n].next = (uint32_t)n;	/* the end: a part of no bytes */
	for (i = 0; i < n; i++)
		if ((lp[i].rank = lrank(t, p, n, lp, i)) != NO_RANK)
			heap_push(heap, &nheap, KEY(lp[i].rank, i));
	while (nheap > 0) {
		key = heap_pop(heap, &nheap);
		i = (uint32_t)key;
		if (!lp[i].alive || lp[i].rank != key >> 32)
			continue;
		j = lp[i].next;
		lp[i].next = lp[j].next;
		if (lp[j].next != n)
			lp[lp[j].next].prev = i;
		lp[j].alive = 0;
		if ((lp[i].rank = lrank(t, p, n, lp, i)) != NO_RANK)
			heap_push(heap, &nheap, KEY(lp[i].rank, i));
		if ((j = lp[i].prev) != UINT32_MAX &&
		    (lp[j].rank = lrank(t, p, n, lp, j)) != NO_RANK)
			heap_push(heap, &nheap, KEY(lp[j].rank, j));
	}
	for (i = 0; i != n; i = lp[i].next)
		emit(ids == NULL ? 0 : rank_of(t, p + i, lp[i].next - i), ids,
		    cap, count);
	free(heap);
	free(lp);
}

/* The cache's entry for piece p[0..n) of hash h, or NULL. */
static const struct centry *
cache_find(const struct tokenizer *t, const unsigned char *p, size_t n,
    uint32_t h)
{
	const struct centry *e;
	uint32_t i;

	for (i = h & (CACHE_SLOTS - 1); (e = &t->cache[i])->hash != 0;
	    i = (i + 1) & (CACHE_SLOTS - 1))
		if (e->hash == h && e->len == n &&
		    memcmp(t->cbytes + e->off, p, n) == 0)
			return e;
	return NULL;
}

/* Keeps piece p[0..n) of hash h and its nids ids. */
static void
cache_add(struct tokenizer *t, const unsigned char *p, size_t n, uint32_t h,
    const uint32_t *ids, size_t nids)
{
	struct centry *e;
	uint32_t i;

	if (t->cache == NULL) {
		t->cache = xcalloc(CACHE_SLOTS, sizeof(*t->cache));
		t->cbytes = xmalloc(CACHE_BYTES);
		t->cids = xreallocarray(NULL, CACHE_BYTES, sizeof(*t->cids));
	}
	if (t->cused >= CACHE_SLOTS / 2 || t->cbused + n > CACHE_BYTES ||
	    t->cidused + nids > CACHE_BYTES) {
		memset(t->cache, 0, CACHE_SLOTS * sizeof(*t->cache));
		t->cused = t->cbused = t->cidused = 0;
	}
	for (i = h & (CACHE_SLOTS - 1); t->cache[i].hash != 0;
	    i = (i + 1) & (CACHE_SLOTS - 1))
		;
	e = &t->cache[i];
	e->hash = h;
	e->off = t->cbused;
	e->len = (uint16_t)n;
	e->ids = t->cidused;
	e->nids = (uint16_t)nids;
	memcpy(t->cbytes + t->cbused, p, n);
	memcpy(t->cids + t->cidused, ids, nids * sizeof(*ids));
	t->cbused += (uint32_t)n;
	t->cidused += (uint32_t)nids;
	t->cused++;
}

/* One piece p[0..n) encoded. */
static void
encode_piece(struct tokenizer *t, const unsigned char *p, size_t n,
    uint32_t h, uint32_t **ids, size_t *cap, long long *count)
{
	const struct centry *e;
	uint32_t r, got[CACHE_MAXLEN];
	size_t k, nparts;

	if ((r = n <= 2 ? rank_of(t, p, n) : rank_hashed(t, p, n, h)) !=
	    NO_RANK) {
		emit(r, ids, cap, count);
		return;
	}
	if (n >= CACHE_MAXLEN) {
		merge_long(t, p, n, ids, cap, count);
		return;
	}
	if (t->cache != NULL && (e = cache_find(t, p, n, h)) != NULL) {
		if (ids == NULL)
			*count += e->nids;
		else
			for (k = 0; k < e->nids; k++)
				emit(t->cids[e->ids + k], ids, cap, count);
		return;
	}
	nparts = merge(t, p, n);
	for (k = 0; k + 1 < nparts; k++) {
		got[k] = rank_of(t, p + t->parts[k].start,
		    t->parts[k + 1].start - t->parts[k].start);
		emit(got[k], ids, cap, count);
	}
	cache_add(t, p, n, h, got, nparts - 1);
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

/* The end of the piece from i, its hash in *h, and its slots in the
 * vocabulary and the cache on their way into the processor's cache. */
static inline size_t
piece_end(const struct tokenizer *t, const unsigned char *s, size_t i,
    size_t n, uint32_t *h)
{
	size_t k = t->pattern == O200K ? o200k_piece(s, i, n) :
	    cl100k_piece(s, i, n);

	if (k - i > 2) {
		*h = hash_bytes(s + i, k - i);
		__builtin_prefetch(&t->table[*h & t->mask]);
		if (t->cache != NULL)
			__builtin_prefetch(&t->cache[*h & (CACHE_SLOTS - 1)]);
	} else
		*h = 0;
	return k;
}

static long long
encode(struct tokenizer *t, const char *text, size_t len, uint32_t **ids,
    size_t *cap, long long start)
{
	const unsigned char *s = (const unsigned char *)text;
	long long count = start;
	size_t i = 0, k, next;
	uint32_t h = 0, hnext = 0;

	if (!utf8_valid(s, len))
		return -1;
	/* Each piece is found, and its slots in the tables fetched, one
	 * piece ahead of its encoding, so the fetch overlaps that work. */
	k = i < len ? piece_end(t, s, i, len, &h) : len;
	while (i < len) {
		next = k < len ? piece_end(t, s, k, len, &hnext) : len;
		encode_piece(t, s + i, k - i, h, ids, cap, &count);
		i = k;
		k = next;
		h = hnext;
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
	free(t->cache);
	free(t->cbytes);
	free(t->cids);
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

/* Parses the mapped rank file m: one "base64 rank" a line, rank n on
 * line n + 1.  Fills t->bytes, t->off and t->nranks.  Returns 0, or -1
 * after reporting. */
static int
parse_ranks(struct tokenizer *t, const struct mapfile *m)
{
	const char *p = m->p, *end = m->p + m->size, *nl, *sp, *d;
	size_t lineno = 0, used = 0, offcap = 1 << 16;
	unsigned long rank;
	long n;

	/* Decoded, a token is shorter than its base64: the file's size
	 * bounds the bytes. */
	t->bytes = xmalloc(m->size + 1);
	t->off = xreallocarray(NULL, offcap, sizeof(*t->off));
	t->off[0] = 0;
	for (; p < end; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		rank = 0;
		if ((sp = memchr(p, ' ', (size_t)(nl - p))) == NULL ||
		    sp + 1 == nl)
			goto bad;
		for (d = sp + 1; d < nl; d++) {
			if (*d < '0' || *d > '9' || rank > 1UL << 24)
				goto bad;
			rank = rank * 10 + (unsigned long)(*d - '0');
		}
		if (rank != lineno - 1 || rank >= 1UL << 24 ||
		    (n = b64_decode(p, (size_t)(sp - p), t->bytes + used)) <= 0
		    || n > 255)
			goto bad;
		if (lineno + 1 > offcap) {
			offcap *= 2;
			t->off = xreallocarray(t->off, offcap, sizeof(*t->off));
		}
		used += (size_t)n;
		t->off[lineno] = (uint32_t)used;
	}
	if (lineno < 256) {
		warnx("%s: too few ranks for a byte-pair encoding", m->name);
		return -1;
	}
	t->nranks = (uint32_t)lineno;
	return 0;
bad:
	warnx("%s:%zu: expected a base64 token of at most 255 bytes and its "
	    "rank %zu", m->name, lineno, lineno - 1);
	return -1;
}

/* Reads the rank file at path and indexes its tokens.  Returns 0, or -1
 * after reporting. */
static int
load_ranks(struct tokenizer *t, const char *path)
{
	struct mapfile m;
	uint32_t r, h;
	size_t i;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("%s", path);
		return -1;
	}
	rc = mapfile_open(&m, fd, path);
	close(fd);
	if (rc != 0)
		return -1;
	rc = parse_ranks(t, &m);
	mapfile_close(&m);
	if (rc != 0)
		return -1;

	for (t->mask = 1; t->mask < (size_t)t->nranks * 2; t->mask <<= 1)
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
			t->table[i].len = (uint32_t)plen;
		}
	}
	for (i = 0; i < 256; i++)
		if (t->byte_rank[i] == NO_RANK) {
			warnx("%s: byte %zu has no token", path, i);
			return -1;
		}
	return 0;
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
