#include <stdio.h>
#include <string.h>

#include "idsrc.h"

int
idsrc_open(struct idsrc *s, int argc, char **argv)
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
	char *line;
	size_t len;
	size_t n;
	int r;

	if (s->argv != NULL) {
		if (s->next >= s->argc)
			return 0;
		snprintf(s->where, sizeof(s->where), "argument %d", s->next + 1);
		*id = s->argv[s->next++];
		s->rest = NULL;
		return 1;
	}
	for (;;) {
		if ((r = jsonl_next(&s->in, &line, &len)) <= 0)
			return r;
		n = strcspn(line, "\t");
		s->rest = line[n] == '\t' ? line + n + 1 : NULL;
		line[n] = '\0';
		if (line[0] == '\0')
			continue;
		snprintf(s->where, sizeof(s->where), "%s:%lu", s->in.name,
		    s->in.lineno);
		*id = line;
		return 1;
	}
}

int
idsrc_valid(const char *id)
{
	size_t n;

	n = strspn(id, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
	return n > 0 && n < 256 && id[n] == '\0';
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
