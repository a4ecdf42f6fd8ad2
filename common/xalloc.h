/* Allocation that cannot return NULL: on failure the program reports
 * "out of memory" and exits 1 (atexit handlers, such as the removal of
 * temporary files in atomicfile.c, still run). */
#ifndef XALLOC_H
#define XALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
/* xrealloc: like realloc(3); count * size is checked for overflow. */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
