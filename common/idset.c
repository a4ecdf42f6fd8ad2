#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "xalloc.h"

/* A slot holds (arena offset + 1) << TAGBITS | the top TAGBITS of the
 * key's hash; 0 is an empty slot.  The tag skips most full compares on a
 * collision; 40 bits of offset allow a terabyte of keys.  A key's home
 * slot comes from the top bits of its hash too, so up to 2^TAGBITS slots
 * the tag alone places a key when the table grows: no key is read again,
 * and the old table is read and the new one written almost in order. */
#define TAGBITS		24
#define TAGMASK		((UINT64_C(1) << TAGBITS) - 1)
#define MAXOFF		((UINT64_C(1) << (64 - TAGBITS)) - 2)

struct idset {
	uint64_t	*slot;
	size_t		 mask;		/* slots - 1; slots a power of two */
	int		 bits;		/* log2(slots) */
	size_t		 count;
	unsigned char	*arena;		/* varint length, then the key */
	size_t		 alen, acap;
};

/* A 64-bit multiply-xorshift hash (splitmix64's mixer over 8-byte words):
 * ids are short, so a cheap per-word step matters more than anything. */
static uint64_t
hash(const unsigned char *p, size_t n)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t)n *
	    UINT64_C(0xff51afd7ed558ccd)), w;
	size_t len = n;

	for (; n > 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
		h ^= h >> 31;
	}
	/* The last 1 to 8 bytes: a fixed-size read (overlapping bytes
	 * already hashed when the key is longer) is cheaper than a
	 * memcpy of variable length. */
	if (n == 8 || (n > 0 && len >= 8))
		memcpy(&w, p + n - 8, 8);
	else
		for (w = 0; n > 0; n--)
			w = w << 8 | p[n - 1];
	h = (h ^ w) * UINT64_C(0x94d049bb133111eb);
	h ^= h >> 29;
	h *= UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 32;
	return h;
}

/* The key stored at arena offset off; its length in *n. */
static const unsigned char *
key_at(const struct idset *s, uint64_t off, size_t *n)
{
	const unsigned char *p = s->arena + off;
	size_t len = 0;
	int shift = 0;

	do {
		len |= (size_t)(*p & 0x7f) << shift;
		shift += 7;
	} while (*p++ & 0x80);
	*n = len;
	return p;
}

/* The slot for key: the one that holds it, or the empty one where it
 * belongs. */
static size_t
find(const struct idset *s, const unsigned char *key, size_t n, uint64_t h)
{
	uint64_t tag = h >> (64 - TAGBITS), v;
	size_t i = (size_t)(h >> (64 - s->bits)), kn;
	const unsigned char *k;

	for (;; i = (i + 1) & s->mask) {
		v = s->slot[i];
		if (v == 0)
			return i;
		if ((v & TAGMASK) != tag)
			continue;
		k = key_at(s, (v >> TAGBITS) - 1, &kn);
		if (kn == n && memcmp(k, key, n) == 0)
			return i;
	}
}

static void
grow(struct idset *s)
{
	uint64_t *old = s->slot, v, h;
	size_t oldn = s->mask + 1, i, j, kn;
	const unsigned char *k;

	s->bits++;
	s->mask = oldn * 2 - 1;
	s->slot = xcalloc(oldn * 2, sizeof(*s->slot));
	for (i = 0; i < oldn; i++) {
		if ((v = old[i]) == 0)
			continue;
		if (s->bits <= TAGBITS)
			j = (size_t)((v & TAGMASK) >> (TAGBITS - s->bits));
		else {
			k = key_at(s, (v >> TAGBITS) - 1, &kn);
			h = hash(k, kn);
			j = (size_t)(h >> (64 - s->bits));
		}
		/* Every key is distinct: the first free slot is its. */
		while (s->slot[j] != 0)
			j = (j + 1) & s->mask;
		s->slot[j] = v;
	}
	free(old);
}

struct idset *
idset_new(void)
{
	struct idset *s = xcalloc(1, sizeof(*s));

	s->bits = 10;
	s->mask = ((size_t)1 << s->bits) - 1;
	s->slot = xcalloc(s->mask + 1, sizeof(*s->slot));
	return s;
}

int
idset_add(struct idset *s, const void *key, size_t n)
{
	return idset_add_hashed(s, key, n, hash(key, n));
}

int
idset_add_hashed(struct idset *s, const void *key, size_t n, uint64_t h)
{
	size_t i = find(s, key, n, h), len;

	if (s->slot[i] != 0)
		return 0;
	if (s->alen + n + 10 > s->acap) {
		s->acap = s->acap ? s->acap : 1 << 16;
		while (s->alen + n + 10 > s->acap)
			s->acap *= 2;
		s->arena = xreallocarray(s->arena, s->acap, 1);
	}
	if (s->alen > MAXOFF)
		abort();	/* a terabyte of ids: not reachable in practice */
	s->slot[i] = ((uint64_t)s->alen + 1) << TAGBITS | h >> (64 - TAGBITS);
	for (len = n; len >= 0x80; len >>= 7)
		s->arena[s->alen++] = (unsigned char)(len | 0x80);
	s->arena[s->alen++] = (unsigned char)len;
	if (n)
		memcpy(s->arena + s->alen, key, n);
	s->alen += n;
	/* Keep the load under 70%: linear probing slows down past that. */
	if (++s->count * 10 > (s->mask + 1) * 7)
		grow(s);
	return 1;
}

uint64_t
idset_prefetch(const struct idset *s, const void *key, size_t n)
{
	uint64_t h = hash(key, n);

	__builtin_prefetch(&s->slot[h >> (64 - s->bits)]);
	return h;
}

int
idset_contains(const struct idset *s, const void *key, size_t n)
{
	return s->slot[find(s, key, n, hash(key, n))] != 0;
}

size_t
idset_count(const struct idset *s)
{
	return s->count;
}

void
idset_hold(struct idset_held *h, const void *key, size_t n, uint64_t hash,
    unsigned long lineno)
{
	buf_reset(&h->id);
	buf_add(&h->id, key, n);
	h->hash = hash;
	h->lineno = lineno;
	h->waiting = 1;
}

int
idset_settle(struct idset *s, struct idset_held *h)
{
	if (!h->waiting)
		return 0;
	h->waiting = 0;
	return idset_add_hashed(s, h->id.p, h->id.len, h->hash) ? 1 : -1;
}

void
idset_free(struct idset *s)
{
	if (s == NULL)
		return;
	free(s->slot);
	free(s->arena);
	free(s);
}
