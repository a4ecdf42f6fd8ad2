/* idmap: numbers distinct byte-string ids 0, 1, 2, ... in the order they
 * are first added, and finds an id's number again.  The ids are copied
 * into one arena (a few bytes of overhead an id, no allocation an id), so
 * a tool can remember millions of ids and keep whatever else it needs
 * about each one in arrays indexed by the number.  Ids may contain any
 * byte, NUL included.  Growth failure exits through xalloc. */
#ifndef IDMAP_H
#define IDMAP_H
#include <stddef.h>
#include <stdint.h>

#define IDMAP_NONE	((size_t)-1)

struct idmap {
	struct idslot	*slots;		/* open addressing, a power of two */
	size_t		 mask;
	size_t		 count;		/* ids added */
	uint64_t	*pos;		/* per id: offset in arena */
	uint32_t	*len;		/* per id: length */
	size_t		 idcap;
	char		*arena;
	size_t		 alen, acap;
};

void	idmap_init(struct idmap *m);

/* idmap_add: the number of id[0..n); *added is 1 when the id was not there
 * before (it then gets the number count - 1), else 0. */
size_t	idmap_add(struct idmap *m, const char *id, size_t n, int *added);

/* idmap_find: the number of id[0..n), or IDMAP_NONE. */
size_t	idmap_find(const struct idmap *m, const char *id, size_t n);

/* idmap_id: the bytes of id number i (not NUL-terminated), valid until
 * the next idmap_add; *n gets its length. */
const char *idmap_id(const struct idmap *m, size_t i, size_t *n);

void	idmap_free(struct idmap *m);

#endif
