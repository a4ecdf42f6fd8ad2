#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

void
buf_reserve(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap;

	if (need <= b->cap && b->p != NULL)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap * 2 > cap ? cap * 2 : need;
	b->p = xreallocarray(b->p, cap, 1);
	b->cap = cap;
	/* The first allocation too: the buffer is a string from the start. */
	b->p[b->len] = '\0';
}

void
buf_add(struct buf *b, const void *data, size_t n)
{
	buf_reserve(b, n);
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_addc(struct buf *b, char c)
{
	buf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_add_json_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;

	/* Worst case every byte becomes \u00XX. */
	buf_reserve(b, n * 6 + 2);
	b->p[b->len++] = '"';
	for (i = 0; i < n; i += run) {
		unsigned char c;

		/* Copy the longest run that needs no escaping in one go. */
		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		memcpy(b->p + b->len, s + i, run);
		b->len += run;
		if (i + run == n)
			break;
		c = (unsigned char)s[i + run];
		b->p[b->len++] = '\\';
		switch (c) {
		case '"':  b->p[b->len++] = '"'; break;
		case '\\': b->p[b->len++] = '\\'; break;
		case '\n': b->p[b->len++] = 'n'; break;
		case '\r': b->p[b->len++] = 'r'; break;
		case '\t': b->p[b->len++] = 't'; break;
		case '\b': b->p[b->len++] = 'b'; break;
		case '\f': b->p[b->len++] = 'f'; break;
		default:
			memcpy(b->p + b->len, "u00", 3);
			b->len += 3;
			b->p[b->len++] = hex[c >> 4];
			b->p[b->len++] = hex[c & 15];
		}
		run++;
	}
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
