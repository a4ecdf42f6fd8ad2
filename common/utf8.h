/* utf8: the one check of UTF-8 well-formedness, for the JSON scanner and
 * the tokenizer.  Inline: the scanner calls it for every byte >= 0x80 of
 * every string. */
#ifndef UTF8_H
#define UTF8_H
#include <stddef.h>

/* utf8_len: the length of the valid UTF-8 sequence at p (p[0] >= 0x80,
 * p < end), or 0 if it is invalid: overlong forms, surrogates and code
 * points past U+10FFFF included. */
static inline size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* utf8_valid: whether s[0..n) is all valid UTF-8. */
static inline int
utf8_valid(const unsigned char *s, size_t n)
{
	const unsigned char *end = s + n;
	size_t k;

	while (s < end) {
		if (*s < 0x80)
			s++;
		else if ((k = utf8_len(s, end)) == 0)
			return 0;
		else
			s += k;
	}
	return 1;
}

#endif
