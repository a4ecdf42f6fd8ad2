#include <err.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void *
checked(void *p)
{
	if (p == NULL)
		errx(1, "out of memory");
	return p;
}

void *
xmalloc(size_t n)
{
	return checked(malloc(n ? n : 1));
}

void *
xcalloc(size_t count, size_t size)
{
	return checked(calloc(count ? count : 1, size ? size : 1));
}

void *
xreallocarray(void *p, size_t count, size_t size)
{
	size_t n;

	if (size != 0 && count > SIZE_MAX / size)
		errx(1, "out of memory");
	n = count * size;

	return checked(realloc(p, n != 0 ? n : 1));
}

char *
xstrdup(const char *s)
{
	return checked(strdup(s));
}

char *
xstrndup(const char *s, size_t n)
{
	return checked(strndup(s, n));
}
