#include <stdio.h>
#include <string.h>

#include "idsrc.h"

int
idsrc_open(struct idsrc *s, int argc, char **argv)
{
	/* A lone "-" is standard input, as for every filter; no id can
	 * be "-" (idsrc_valid). */
	if (argc == 1 && strcmp(argv[0], "-") == 0)
		argc = 0;
	return idsrc_open_paths(s, argc, argv);
}

int
idsrc_open_paths(struct idsrc *s, int argc, char **argv)
{
	memset(s, 0, sizeof(*s));
	if (argc > 0) {
		s->argv = argv;
		s->argc = argc;
		return 0;
	}
	return jsonl_open(&s->in, "-", 4096);
}

int
idsrc_next(struct idsrc *s, const char **id)
{
	char *line, *p;
	size_t len;
	size_t n;
	int r;

	if (s->argv != NULL) {
		if (s->next >= s->argc)
			return 0;
		snprintf(s->where, sizeof(s->where), "argument %d", s->next + 1);
		*id = s->argv[s->next++];
		s->len = strlen(*id);
		s->rest = NULL;
		return 1;
	}
	for (;;) {
		if ((r = jsonl_next(&s->in, &line, &len)) <= 0)
			return r;
		/* By the length, not strcspn: a NUL byte must not end
		 * the id early (idsrc_valid refuses it by s->len). */
		n = (p = memchr(line, '\t', len)) != NULL ?
		    (size_t)(p - line) : len;
		s->rest = p != NULL ? p + 1 : NULL;
		line[n] = '\0';
		if (n == 0)
			continue;
		s->len = n;
		snprintf(s->where, sizeof(s->where), "%s:%lu", s->in.name,
		    s->in.lineno);
		*id = line;
		return 1;
	}
}

int
idsrc_valid(const char *id, size_t len)
{
	size_t i;

	if (len == 0 || len > 255 || id[0] == '-' || id[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f ||
		    id[i] == '/')
			return 0;
	return 1;
}

const char *
idsrc_shown(const char *id, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		c = (unsigned char)id[i];
		/* Room for this byte's form, and for "..." after it. */
		if (o + 4 + 4 > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

int
idsrc_ready(const struct idsrc *s)
{
	if (s->argv != NULL || s->in.eof)
		return 1;
	return memchr(s->in.buf + s->in.start, '\n',
	    s->in.end - s->in.start) != NULL;
}

int
idsrc_fd(const struct idsrc *s)
{
	return s->argv != NULL ? -1 : s->in.fd;
}

void
idsrc_close(struct idsrc *s)
{
	if (s->argv == NULL)
		jsonl_close(&s->in);
}
