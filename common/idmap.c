#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "xalloc.h"

struct idslot {
	uint32_t	hash;	/* low bits of the id's hash */
	uint32_t	num;	/* id number + 1; 0 marks an empty slot */
};

/* A word-at-a-time multiplicative hash: byte-at-a-time FNV costs several
 * times more on the 36-byte uuids of a typical job, and ids come from the
 * user's data, not from an attacker who would need a keyed hash. */
static uint64_t
hash_id(const char *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = 0x243f6a8885a308d3ULL ^ (n * k), w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, p, n);
		h = (h ^ w) * k;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

void
idmap_init(struct idmap *m)
{
	memset(m, 0, sizeof(*m));
	m->mask = 1023;
	m->slots = xcalloc(m->mask + 1, sizeof(*m->slots));
}

static int
same(const struct idmap *m, uint32_t num, const char *id, size_t n)
{
	return m->len[num] == n && memcmp(m->arena + m->pos[num], id, n) == 0;
}

static void
grow(struct idmap *m)
{
	size_t nslots = (m->mask + 1) * 2, i, j;
	struct idslot *s = xcalloc(nslots, sizeof(*s));

	for (i = 0; i <= m->mask; i++) {
		if (m->slots[i].num == 0)
			continue;
		/* The stored hash bits pick the new slot without rehashing;
		 * tables past 2^32 slots rehash from the id. */
		j = nslots - 1 <= UINT32_MAX ? m->slots[i].hash :
		    hash_id(m->arena + m->pos[m->slots[i].num - 1],
		    m->len[m->slots[i].num - 1]);
		for (j &= nslots - 1; s[j].num != 0; j = (j + 1) & (nslots - 1))
			;
		s[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = s;
	m->mask = nslots - 1;
}

size_t
idmap_find(const struct idmap *m, const char *id, size_t n)
{
	uint64_t h = hash_id(id, n);
	size_t i;

	for (i = h & m->mask; m->slots[i].num != 0; i = (i + 1) & m->mask)
		if (m->slots[i].hash == (uint32_t)h &&
		    same(m, m->slots[i].num - 1, id, n))
			return m->slots[i].num - 1;
	return IDMAP_NONE;
}

size_t
idmap_add(struct idmap *m, const char *id, size_t n, int *added)
{
	uint64_t h = hash_id(id, n);
	size_t i;

	for (i = h & m->mask; m->slots[i].num != 0; i = (i + 1) & m->mask)
		if (m->slots[i].hash == (uint32_t)h &&
		    same(m, m->slots[i].num - 1, id, n)) {
			*added = 0;
			return m->slots[i].num - 1;
		}
	if (m->count >= UINT32_MAX - 1 || n > UINT32_MAX)
		abort();	/* 4 billion ids: far past any batch job */
	if (m->count == m->idcap) {
		m->idcap = m->idcap ? m->idcap * 2 : 1024;
		m->pos = xreallocarray(m->pos, m->idcap, sizeof(*m->pos));
		m->len = xreallocarray(m->len, m->idcap, sizeof(*m->len));
	}
	if (m->acap - m->alen < n) {
		while (m->acap - m->alen < n)
			m->acap = m->acap ? m->acap * 2 : 65536;
		m->arena = xreallocarray(m->arena, m->acap, 1);
	}
	if (n > 0)
		memcpy(m->arena + m->alen, id, n);
	m->pos[m->count] = m->alen;
	m->len[m->count] = (uint32_t)n;
	m->alen += n;
	m->slots[i].hash = (uint32_t)h;
	m->slots[i].num = (uint32_t)(m->count + 1);
	*added = 1;
	if (++m->count * 2 > m->mask + 1)
		grow(m);
	return m->count - 1;
}

const char *
idmap_id(const struct idmap *m, size_t i, size_t *n)
{
	*n = m->len[i];
	return m->arena + m->pos[i];
}

void
idmap_free(struct idmap *m)
{
	free(m->slots);
	free(m->pos);
	free(m->len);
	free(m->arena);
	memset(m, 0, sizeof(*m));
}
