#include <string.h>

#include "buf.h"
#include "scrub.h"

void
scrub(struct buf *out, const char *s, size_t n, const char *key,
    size_t max)
{
	struct buf m = BUF_INIT;
	const char *hit;
	size_t klen = key != NULL ? strlen(key) : 0, keep;

	/* The key first, over the whole text. */
	while (klen > 0 && (hit = memmem(s, n, key, klen)) != NULL) {
		buf_add(&m, s, (size_t)(hit - s));
		buf_adds(&m, SCRUB_MASK);
		n -= (size_t)(hit - s) + klen;
		s = hit + klen;
	}
	buf_add(&m, s, n);

	/* Then the control characters, in place. */
	m.len = scrub_controls(m.p, m.len, SCRUB_C1);

	/* Then the cut, back to the start of a UTF-8 sequence. */
	keep = m.len;
	if (max > 0 && m.len > max) {
		keep = max;
		while (keep > 0 && ((unsigned char)m.p[keep] & 0xc0) == 0x80)
			keep--;
	}
	buf_add(out, m.p != NULL ? m.p : "", keep);
	if (keep < m.len)
		buf_adds(out, "...");
	buf_free(&m);
}

void
scrubs(struct buf *out, const char *s, const char *key, size_t max)
{
	if (s != NULL)
		scrub(out, s, strlen(s), key, max);
}

size_t
scrub_controls(char *p, size_t n, int flags)
{
	size_t i, j;
	unsigned char c;
	int folding = 0;

	for (i = j = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if ((flags & SCRUB_FOLD) && (c == '\t' || c == '\r' ||
		    c == '\n' || c == '\0')) {
			if (!folding)
				p[j++] = ' ';
			folding = 1;
			continue;
		}
		folding = 0;
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		else if ((flags & SCRUB_C1) && c == 0xc2 && i + 1 < n &&
		    (unsigned char)p[i + 1] >= 0x80 &&
		    (unsigned char)p[i + 1] <= 0x9f) {
			c = ' ';
			i++;
		}
		p[j++] = (char)c;
	}
	return j;
}
