/* Ids, hashes and the wall clock of oai-mock; see mock.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mock.h"

uint64_t
mock_hash(const void *p, size_t n, uint64_t h)
{
	const unsigned char *s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
mock_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

long long
mock_wall(void)
{
	return (long long)time(NULL);
}

/* Callers hold the lock. */
void
mock_new_id(struct mock_store *st, char *out, size_t size, const char *prefix,
    int hexdigits)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t a = mock_mix(st->idseed ^ ++st->idcount), b = mock_mix(a);
	size_t n = strlen(prefix), i;

	snprintf(out, size, "%s", prefix);
	if (hexdigits) {
		snprintf(out + n, size - n, "%016llx%016llx",
		    (unsigned long long)a, (unsigned long long)b);
		return;
	}
	for (i = 0; i < 22 && n + i + 1 < size; i++) {
		uint64_t *w = i < 11 ? &a : &b;

		out[n + i] = alnum[*w % 62];
		*w /= 62;
	}
	out[n + i] = '\0';
}
