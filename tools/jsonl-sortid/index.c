/*
 * The index: the first pass reads the mapped inputs, validates each line
 * and keeps a record of it (its id, file, offset and length), never the
 * line itself.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "customid.h"
#include "jscan.h"
#include "jsonl.h"
#include "mapfile.h"
#include "sortid.h"
#include "xalloc.h"

/* Pages of an input are given back after about this many bytes read. */
#define DROP_EVERY	((size_t)16 << 20)

/* What one indexing thread gets: its part, and the inputs it reads. */
struct indexjob {
	const struct input	*inputs;
	struct part		*pt;
};

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* Walks one input's lines in its mapping, adding a record a line to pt
 * and giving back the pages passed.  Returns 0, or -1 after reporting a
 * bad line. */
static int
index_input(struct part *pt, const struct input *in, size_t fileno)
{
	const struct mapfile *m = &in->map;
	const char *p, *end, *nl, *id, *why;
	char refused[80];
	struct buf scratch = BUF_INIT;
	struct jval top;
	struct rec *rec;
	size_t len, idlen, dropped = 0, at;
	unsigned long lineno = 0;
	int status = 0;

	if (m->p == NULL)
		return 0;
	p = m->p + in->start;
	end = m->p + m->size;
	for (; p < end; p = nl != NULL ? nl + 1 : end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = (size_t)((nl != NULL ? nl : end) - p);
		lineno++;
		if ((why = jsonl_line_check(p, &len, lineno,
		    JSONL_MAXLINE_DEFAULT, refused, sizeof(refused))) != NULL ||
		    customid_get(p, len, &top, &scratch, &id, &idlen,
		    &why) < 0) {
			warnx("%s:%lu: %s", m->name, lineno, why);
			status = -1;
			break;
		}
		if (lineno > UINT32_MAX)
			errx(1, "%s: more than %lu lines", m->name,
			    (unsigned long)UINT32_MAX);
		if (pt->n == pt->cap) {
			pt->cap = pt->cap ? pt->cap * 2 : 4096;
			pt->recs = xreallocarray(pt->recs, pt->cap,
			    sizeof(*pt->recs));
		}
		at = (size_t)(p - m->p);
		rec = &pt->recs[pt->n++];
		rec->off = at;
		rec->len = (uint32_t)len;
		rec->idpos = pt->ids.len;
		rec->idlen = (uint32_t)idlen;
		rec->file = (uint32_t)fileno;
		rec->line = (uint32_t)lineno;
		buf_add(&pt->ids, id, idlen);
		if (pt->numeric && !all_digits(id, idlen))
			pt->numeric = 0;
		if (at - dropped >= DROP_EVERY) {
			mapfile_drop(m, dropped, at);
			dropped = at;
		}
	}
	mapfile_drop(m, dropped, m->size);
	buf_free(&scratch);
	return status;
}

/* The start of a line fails when its length is over the limit, or when
 * the JSON scanner finds a fault well before its end (where no later byte
 * can change it). */
const char *
spooled_line(void *arg, const char *p, size_t n, unsigned long lineno,
    int partial)
{
	static char refused[80];
	static struct buf scratch = BUF_INIT;
	struct jval top;
	struct jerr e;
	const char *id, *why;
	size_t idlen, i;

	(void)arg;
	if ((why = jsonl_line_check(p, &n, lineno, JSONL_MAXLINE_DEFAULT,
	    refused, sizeof(refused))) != NULL)
		return why;
	if (!partial) {
		why = NULL;
		customid_get(p, n, &top, &scratch, &id, &idlen, &why);
		return why;
	}
	/* Blanks alone are no fault yet: a value may follow. */
	for (i = 0; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r');
	    i++)
		;
	/* 16: the farthest a fault's cause can lie past where it is
	 * reported, a cut UTF-8 sequence or \u escape pair. */
	if (i + 16 < n && jscan_doc(p, n, &top, &e) < 0 && e.off + 16 < n)
		return e.msg;
	return NULL;
}

void
run_both(void *(*fn)(void *), void *first, void *second, int threaded)
{
	pthread_t thread;

	if (threaded && (errno = pthread_create(&thread, NULL, fn,
	    first)) != 0)
		err(1, "pthread_create");
	if (!threaded)
		fn(first);
	fn(second);
	if (threaded)
		pthread_join(thread, NULL);
}

static void *
index_part(void *arg)
{
	const struct indexjob *job = arg;
	struct part *pt = job->pt;
	size_t i;

	for (i = pt->from; i < pt->to; i++)
		if (!job->inputs[i].again &&
		    index_input(pt, &job->inputs[i], i) < 0) {
			pt->failed = 1;
			break;
		}
	return NULL;
}

/* The scan is CPU-bound (every line is validated), so two cores halve
 * it. */
int
index_inputs(struct sortid *s)
{
	struct part pt[2];
	struct indexjob job[2];
	struct stat st;
	off_t total = 0, half = 0, size[2];
	size_t i, split = 0;

	memset(pt, 0, sizeof(pt));
	for (i = 0; i < s->ninputs; i++)
		if (fstat(s->inputs[i].fd, &st) == 0 && !s->inputs[i].again)
			total += st.st_size;
	for (split = 0; split < s->ninputs && half * 2 < total; split++)
		if (fstat(s->inputs[split].fd, &st) == 0 &&
		    !s->inputs[split].again)
			half += st.st_size;
	pt[0].from = 0;
	pt[0].to = pt[1].from = s->part1_from = split;
	pt[1].to = s->ninputs;
	pt[0].numeric = pt[1].numeric = 1;
	size[0] = half;
	size[1] = total - half;
	for (i = 0; i < 2; i++)
		job[i] = (struct indexjob){ s->inputs, &pt[i] };
	run_both(index_part, &job[0], &job[1], size[0] > 0 && size[1] > 0);
	if (pt[0].failed || pt[1].failed) {
		for (i = 0; i < 2; i++) {
			free(pt[i].recs);
			buf_free(&pt[i].ids);
		}
		return -1;
	}

	/* The two parts stay where the threads built them: joining them
	 * would copy the second one. */
	s->parts[0] = pt[0];
	s->parts[1] = pt[1];
	s->nrecs = pt[0].n + pt[1].n;
	s->numeric = pt[0].numeric && pt[1].numeric;
	return 0;
}
