/* idset: a set of byte strings (ids) for duplicate detection over millions
 * of lines.  Open addressing over 64-bit hashes; each slot is one 64-bit
 * word (the key's offset in an arena and a few bits of its hash), and the
 * key itself is kept once in the arena behind a length prefix, so the set
 * costs 12 to 24 bytes per id (the load stays between 35% and 70%) plus
 * the key's length.  A hit is confirmed by comparing the whole key: equal
 * hashes never make two ids equal.  Growth failure exits through xalloc
 * ("out of memory", exit 1). */
#ifndef IDSET_H
#define IDSET_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct idset;

/* idset_new: an empty set.  Free it with idset_free. */
struct idset *idset_new(void);

/* idset_add: adds key[0..n) (any bytes, NUL included).  Returns 1 when
 * it was added, 0 when the set already held it. */
int	idset_add(struct idset *s, const void *key, size_t n);

/* idset_prefetch: a hint that key[0..n) is about to be added: starts
 * loading its slot, so other work can hide the cache miss.  Returns the
 * key's hash, to pass to idset_add_hashed with the same key. */
uint64_t idset_prefetch(const struct idset *s, const void *key, size_t n);

/* idset_add_hashed: idset_add with the hash idset_prefetch returned for
 * key[0..n) (the set may have grown since: the hash stays good). */
int	idset_add_hashed(struct idset *s, const void *key, size_t n,
	    uint64_t h);

/* idset_contains: 1 when the set holds key[0..n), else 0. */
int	idset_contains(const struct idset *s, const void *key, size_t n);

/* idset_count: how many ids the set holds. */
size_t	idset_count(const struct idset *s);

/* An id whose adding waits one step: a tool that adds each line's id
 * only after it has read and checked the next line hides the cache miss
 * on the id's slot behind that work.  The id is copied: the caller's
 * buffer may move meanwhile. */
struct idset_held {
	struct buf	 id;
	uint64_t	 hash;
	unsigned long	 lineno;	/* the caller's, for its message */
	int		 waiting;
};

#define IDSET_HELD_INIT	{ BUF_INIT, 0, 0, 0 }

/* idset_hold: holds key[0..n) with the hash idset_prefetch returned for
 * it and the caller's line number.  The id held before must have been
 * settled. */
void	idset_hold(struct idset_held *h, const void *key, size_t n,
	    uint64_t hash, unsigned long lineno);

/* idset_settle: adds the held id to s, if one waits.  Returns 0 when none
 * waited, 1 when it was added, -1 when s held it already (a duplicate:
 * h->id and h->lineno say which). */
int	idset_settle(struct idset *s, struct idset_held *h);

/* idset_free: frees the set and its keys; NULL is fine. */
void	idset_free(struct idset *s);

#endif
