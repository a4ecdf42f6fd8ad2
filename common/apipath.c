#include <string.h>

#include "apipath.h"
#include "buf.h"

const char *
api_path(struct buf *b, const char *prefix, const char *id,
    const char *suffix)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	buf_reset(b);
	buf_adds(b, prefix);
	for (; *id != '\0'; id++) {
		c = (unsigned char)*id;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			buf_addc(b, (char)c);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
	if (suffix != NULL)
		buf_adds(b, suffix);
	return b->p;
}
