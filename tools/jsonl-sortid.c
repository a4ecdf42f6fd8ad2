/*
 * jsonl-sortid: Batch API result lines, ordered by custom_id.
 *
 * The lines themselves are never held in memory: the first pass validates
 * each line and keeps an index entry (its id, file, offset and length);
 * the index is sorted; the second pass reads the inputs again in large
 * blocks and puts each line in its place (see write_sorted).  Standard input (and any other input that cannot seek)
 * is first copied to an unlinked temporary file.  Nothing is written until
 * every line has been read and found good.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "customid.h"
#include "idmap.h"
#include "jsonl.h"
#include "outcheck.h"
#include "spool.h"
#include "xalloc.h"

struct input {
	const char	*name;		/* as in messages: the path or "stdin" */
	int		 fd;		/* seekable */
	int		 again;		/* stdin named twice: nothing left */
};

/* One result line. */
struct rec {
	uint64_t	 off;		/* of the line in its file */
	uint64_t	 idpos;		/* of the decoded id in ids */
	uint32_t	 len;		/* of the line, without its line end */
	uint32_t	 idlen;
	uint32_t	 file;		/* index in inputs */
	uint32_t	 line;		/* line number, for messages */
};

/* What qsort moves: a 64-bit key that decides most comparisons alone. */
struct skey {
	uint64_t	 key;
	size_t		 rec;
};

/* The index of a run of inputs, built by one thread. */
struct part {
	struct rec	*recs;
	size_t		 n, cap;
	struct buf	 ids;		/* the decoded ids, end to end */
	int		 numeric;	/* every id so far is all digits */
	size_t		 from, to;	/* inputs[from .. to) */
	int		 failed;	/* a bad line was reported */
};

static struct input	*inputs;
static size_t		 ninputs;
static struct rec	*recs;
static size_t		 nrecs;
static struct buf	 ids = BUF_INIT;
static int		 numeric;	/* every id is all digits */

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: jsonl-sortid [-r requests-file | -n count] "
	    "[-S size] [file ...]\n");
	exit(fp == stdout ? 0 : 2);
}

/* A size as sort(1) takes it: a number of KiB, or with the suffix b, K, M
 * or G.  Returns 0 for anything else. */
static size_t
parse_size(const char *s)
{
	unsigned long long v, unit = 1024;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return 0;
	if (*end != '\0') {
		switch (*end) {
		case 'b': unit = 1; break;
		case 'K': case 'k': unit = 1024; break;
		case 'M': case 'm': unit = 1024ULL << 10; break;
		case 'G': case 'g': unit = 1024ULL << 20; break;
		default: return 0;
		}
		if (end[1] != '\0')
			return 0;
	}
	if (v > SIZE_MAX / unit)
		return 0;
	return (size_t)(v * unit);
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

static const char *
id_of(const struct rec *r)
{
	return ids.p + r->idpos;
}

/* Reads one input to its end, adding an index entry a line to pt.
 * Returns 0, or -1 after reporting a bad line or a read error. */
static int
index_input(struct part *pt, size_t fileno)
{
	struct input *in = &inputs[fileno];
	struct buf scratch = BUF_INIT;
	struct jsonl r;
	struct jval top;
	struct rec *rec;
	const char *id, *why;
	char *line;
	size_t len, idlen;
	off_t off;
	int got;

	off = lseek(in->fd, 0, SEEK_CUR);
	if (off < 0) {
		warn("%s", in->name);
		return -1;
	}
	jsonl_fdopen(&r, in->fd, in->name, 0);
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		if (customid_get(line, len, &top, &scratch, &id, &idlen,
		    &why) < 0) {
			warnx("%s:%lu: %s", in->name, r.lineno, why);
			got = -1;
			break;
		}
		if (r.lineno > UINT32_MAX)
			errx(1, "%s: more than %lu lines", in->name,
			    (unsigned long)UINT32_MAX);
		if (pt->n == pt->cap) {
			pt->cap = pt->cap ? pt->cap * 2 : 4096;
			pt->recs = xreallocarray(pt->recs, pt->cap,
			    sizeof(*pt->recs));
		}
		rec = &pt->recs[pt->n++];
		rec->off = (uint64_t)off;
		rec->len = (uint32_t)len;
		rec->idpos = pt->ids.len;
		rec->idlen = (uint32_t)idlen;
		rec->file = (uint32_t)fileno;
		rec->line = (uint32_t)r.lineno;
		buf_add(&pt->ids, id, idlen);
		if (pt->numeric && !all_digits(id, idlen))
			pt->numeric = 0;
		off += (off_t)jsonl_consumed(&r, line);
	}
	jsonl_close(&r);
	buf_free(&scratch);
	return got < 0 ? -1 : 0;
}

static void *
index_part(void *arg)
{
	struct part *pt = arg;
	size_t i;

	for (i = pt->from; i < pt->to; i++)
		if (!inputs[i].again && index_input(pt, i) < 0) {
			pt->failed = 1;
			break;
		}
	return NULL;
}

/* Indexes every input: the first ones (about half the bytes) in a second
 * thread, the rest here, then joins the two indexes in input order.  The
 * scan is CPU-bound (every line is validated), so two cores halve it.
 * Returns 0, or -1 after a bad line was reported. */
static int
index_inputs(void)
{
	struct part pt[2];
	struct stat st;
	pthread_t thread;
	off_t total = 0, half = 0, size[2];
	size_t i, split = 0;
	int threaded = 0;

	memset(pt, 0, sizeof(pt));
	for (i = 0; i < ninputs; i++)
		if (fstat(inputs[i].fd, &st) == 0 && !inputs[i].again)
			total += st.st_size;
	for (split = 0; split < ninputs && half * 2 < total; split++)
		if (fstat(inputs[split].fd, &st) == 0 && !inputs[split].again)
			half += st.st_size;
	pt[0].from = 0;
	pt[0].to = pt[1].from = split;
	pt[1].to = ninputs;
	pt[0].numeric = pt[1].numeric = 1;
	size[0] = half;
	size[1] = total - half;
	if (size[0] > 0 && size[1] > 0) {
		if ((errno = pthread_create(&thread, NULL, index_part,
		    &pt[0])) != 0)
			err(1, "pthread_create");
		threaded = 1;
	} else
		index_part(&pt[0]);
	index_part(&pt[1]);
	if (threaded)
		pthread_join(thread, NULL);
	if (pt[0].failed || pt[1].failed) {
		for (i = 0; i < 2; i++) {
			free(pt[i].recs);
			buf_free(&pt[i].ids);
		}
		return -1;
	}

	/* pt[0] becomes the index; pt[1] is appended to it. */
	recs = pt[0].recs;
	nrecs = pt[0].n;
	if (pt[1].n > 0) {
		recs = xreallocarray(recs, nrecs + pt[1].n, sizeof(*recs));
		for (i = 0; i < pt[1].n; i++) {
			recs[nrecs + i] = pt[1].recs[i];
			recs[nrecs + i].idpos += pt[0].ids.len;
		}
		nrecs += pt[1].n;
	}
	free(pt[1].recs);
	ids = pt[0].ids;
	buf_add(&ids, pt[1].ids.p ? pt[1].ids.p : "", pt[1].ids.len);
	buf_free(&pt[1].ids);
	numeric = pt[0].numeric && pt[1].numeric;
	return 0;
}

/* Numeric order compares the digits after the leading zeros: first their
 * count, then the digits.  Any length works; nothing can overflow. */
static void
strip_zeros(const char **s, size_t *n)
{
	while (*n > 0 && **s == '0') {
		(*s)++;
		(*n)--;
	}
}

static uint64_t
sort_key(const struct rec *r)
{
	const char *s = id_of(r);
	size_t n = r->idlen, i;
	uint64_t k = 0;

	if (numeric) {
		strip_zeros(&s, &n);
		if (n > 19)
			return UINT64_MAX;	/* past 10^19 - 1: compare in full */
		for (i = 0; i < n; i++)
			k = k * 10 + (uint64_t)(s[i] - '0');
		return k;
	}
	/* The first eight bytes, big-endian, zero-padded: their order is the
	 * byte order of the ids' first eight bytes. */
	for (i = 0; i < 8; i++)
		k = k << 8 | (i < n ? (unsigned char)s[i] : 0);
	return k;
}

static int
bytecmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn;
}

/* The full order: numeric value (in numeric mode), then the id's bytes,
 * then input order, so that equal ids stay in the order they were read. */
static int
compare_recs(size_t i, size_t j)
{
	const struct rec *a = &recs[i], *b = &recs[j];
	const char *as = id_of(a), *bs = id_of(b);
	size_t an = a->idlen, bn = b->idlen;
	int c;

	if (numeric) {
		strip_zeros(&as, &an);
		strip_zeros(&bs, &bn);
		if (an != bn)
			return an < bn ? -1 : 1;
		if ((c = memcmp(as, bs, an)) != 0)
			return c;
	}
	if ((c = bytecmp(id_of(a), a->idlen, id_of(b), b->idlen)) != 0)
		return c;
	return i < j ? -1 : i > j;
}

static int
compare_keys(const void *pa, const void *pb)
{
	const struct skey *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return compare_recs(a->rec, b->rec);
}

/* Sorts order[0..n) by key, then ties by compare_recs.  An LSD radix sort
 * on the keys, a byte a pass (passes where every key has the same byte
 * are skipped), is stable, so equal keys stay in index order; only runs of
 * equal keys, rare, are then sorted with qsort.  Three times faster than
 * qsort of the whole (measured on a million uuids). */
static void
sort_order(struct skey *order, size_t n)
{
	size_t (*count)[256] = xcalloc(8, sizeof(*count));
	struct skey *tmp, *from = order, *to, *t;
	size_t i, j, d, sum, c;

	tmp = xreallocarray(NULL, n ? n : 1, sizeof(*tmp));
	to = tmp;
	for (i = 0; i < n; i++)
		for (d = 0; d < 8; d++)
			count[d][(order[i].key >> (8 * d)) & 0xff]++;
	for (d = 0; d < 8; d++) {
		if (n == 0 || count[d][(order[0].key >> (8 * d)) & 0xff] == n)
			continue;
		for (sum = 0, j = 0; j < 256; j++) {
			c = count[d][j];
			count[d][j] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[d][(from[i].key >> (8 * d)) & 0xff]++] = from[i];
		t = from;
		from = to;
		to = t;
	}
	if (from != order)
		memcpy(order, from, n * sizeof(*order));
	free(tmp);
	free(count);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && order[j].key == order[i].key; j++)
			;
		if (j - i > 1)
			qsort(order + i, j - i, sizeof(*order), compare_keys);
	}
}

static int
same_id(const struct rec *a, const struct rec *b)
{
	return a->idlen == b->idlen &&
	    memcmp(id_of(a), id_of(b), a->idlen) == 0;
}

/*
 * The copy.  One pread(2) a line costs more than everything else together
 * (a system call and a page-cache lookup for each of a million random
 * lines), so the lines are moved with large sequential reads and writes
 * instead.  Once the index is sorted every line's place in the output is
 * known; the output is cut into partitions of at most partsize bytes.
 * When there is only one, the inputs are read in large blocks and each
 * line is put straight in its place in one output buffer.  Otherwise the
 * inputs are read in blocks once and each line is appended to its
 * partition's region of a temporary file (laid out like the output,
 * staged in memory and written in large pieces); then each partition is
 * read back, its lines are put in their places and it is written out.
 * Memory stays about memsize besides the index, whatever the input's size.
 */
#define DEFAULT_MEMSIZE	((size_t)32 << 20)
#define BLOCK		((size_t)1 << 20)
#define STAGE_MIN	((size_t)4 << 10)
#define STAGE_MAX	((size_t)1 << 20)

struct layout {
	uint64_t	*dest;		/* per rec: its offset in the output */
	uint32_t	*part;		/* per rec: its partition */
	uint64_t	*pstart;	/* partition k is [pstart[k], pstart[k+1]) */
	size_t		*byp;		/* recs by partition, in input order */
	size_t		*pfirst;	/* partition k's are byp[pfirst[k] ..] */
	size_t		 nparts;
	size_t		 maxpart;	/* bytes of the largest partition */
};

/* Ids that occur more than once are reported (every line is kept). */
static void
report_duplicates(const struct skey *order)
{
	struct buf show = BUF_INIT;
	const struct rec *r, *f;
	size_t i, first = 0;

	for (i = 1; i < nrecs; i++) {
		r = &recs[order[i].rec];
		f = &recs[order[first].rec];
		if (same_id(r, f))
			warnx("%s:%lu: duplicate custom_id %s (first at %s:%lu)",
			    inputs[r->file].name, (unsigned long)r->line,
			    customid_show(&show, id_of(r), r->idlen),
			    inputs[f->file].name, (unsigned long)f->line);
		else
			first = i;
	}
	buf_free(&show);
}

/* Each line's output offset and partition, in sorted order. */
static void
plan_layout(struct layout *lo, const struct skey *order, size_t partsize)
{
	size_t i, cap = 16, need, cur = 0;
	uint64_t total = 0;
	struct rec *r;

	lo->dest = xreallocarray(NULL, nrecs ? nrecs : 1, sizeof(*lo->dest));
	lo->part = xreallocarray(NULL, nrecs ? nrecs : 1, sizeof(*lo->part));
	lo->pstart = xreallocarray(NULL, cap, sizeof(*lo->pstart));
	lo->nparts = 0;
	lo->maxpart = 0;
	for (i = 0; i < nrecs; i++) {
		r = &recs[order[i].rec];
		need = (size_t)r->len + 1;
		if (lo->nparts == 0 || (cur > 0 && cur + need > partsize)) {
			if (lo->nparts + 2 > cap) {
				cap *= 2;
				lo->pstart = xreallocarray(lo->pstart, cap,
				    sizeof(*lo->pstart));
			}
			if (lo->nparts > UINT32_MAX - 1)
				errx(1, "too many partitions: use a larger -S");
			lo->pstart[lo->nparts++] = total;
			cur = 0;
		}
		lo->dest[order[i].rec] = total;
		lo->part[order[i].rec] = (uint32_t)(lo->nparts - 1);
		total += need;
		cur += need;
		if (cur > lo->maxpart)
			lo->maxpart = cur;
	}
	if (lo->nparts == 0)
		lo->pstart[lo->nparts++] = 0;
	lo->pstart[lo->nparts] = total;

	/* A counting sort: each partition's entries, still in input order,
	 * so that a partition read back is not a scan of the whole index. */
	lo->pfirst = xcalloc(lo->nparts + 1, sizeof(*lo->pfirst));
	lo->byp = xreallocarray(NULL, nrecs ? nrecs : 1, sizeof(*lo->byp));
	for (i = 0; i < nrecs; i++)
		lo->pfirst[lo->part[i] + 1]++;
	for (i = 0; i < lo->nparts; i++)
		lo->pfirst[i + 1] += lo->pfirst[i];
	for (i = 0; i < nrecs; i++)
		lo->byp[lo->pfirst[lo->part[i]]++] = i;
	for (i = lo->nparts; i > 0; i--)
		lo->pfirst[i] = lo->pfirst[i - 1];
	lo->pfirst[0] = 0;
}

static void
pread_all(int fd, const char *name, char *p, size_t n, uint64_t off)
{
	ssize_t got;

	while (n > 0) {
		got = pread(fd, p, n, (off_t)off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			err(1, "%s", name);
		if (got == 0)
			errx(1, "%s: file changed while being read", name);
		p += got;
		n -= (size_t)got;
		off += (uint64_t)got;
	}
}

static void
pwrite_all(int fd, const char *p, size_t n, uint64_t off)
{
	ssize_t w;

	while (n > 0) {
		w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			err(1, "temporary file");
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
}

static void
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno != EPIPE)
				warn("stdout");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Where the lines go while the inputs are read: into out (one partition)
 * or into the stages of the temporary file's partitions. */
struct scatter {
	const struct layout *lo;
	char		*out;		/* one partition: the whole output */
	int		 tmp;		/* else the temporary file */
	char		**stage;	/* per partition: lines not yet written */
	size_t		*staged;
	size_t		 stagecap;
	uint64_t	*cursor;	/* per partition: next offset in tmp */
};

static void
flush_stage(struct scatter *sc, size_t k)
{
	pwrite_all(sc->tmp, sc->stage[k], sc->staged[k], sc->cursor[k]);
	sc->cursor[k] += sc->staged[k];
	sc->staged[k] = 0;
}

static void
scatter_line(struct scatter *sc, size_t i, const char *line, size_t len)
{
	size_t k;

	if (sc->out != NULL) {
		memcpy(sc->out + sc->lo->dest[i], line, len);
		sc->out[sc->lo->dest[i] + len] = '\n';
		return;
	}
	k = sc->lo->part[i];
	if (sc->staged[k] + len + 1 > sc->stagecap) {
		flush_stage(sc, k);
		if (len + 1 > sc->stagecap) {
			pwrite_all(sc->tmp, line, len, sc->cursor[k]);
			pwrite_all(sc->tmp, "\n", 1, sc->cursor[k] + len);
			sc->cursor[k] += len + 1;
			return;
		}
	}
	memcpy(sc->stage[k] + sc->staged[k], line, len);
	sc->stage[k][sc->staged[k] + len] = '\n';
	sc->staged[k] += len + 1;
}

/* Reads every input once, in large blocks, handing each line to sc.  The
 * index entries are in input order, as the lines are in the files. */
static void
read_lines(struct scatter *sc)
{
	size_t i, cap = BLOCK, have = 0, want;
	uint64_t at = 0;
	uint32_t file = UINT32_MAX;
	const struct rec *r;
	char *blk = xmalloc(cap);
	ssize_t n;

	for (i = 0; i < nrecs; i++) {
		r = &recs[i];
		if (r->file != file || r->off < at || r->off + r->len > at + have) {
			if (r->len > cap) {
				free(blk);
				cap = r->len;
				blk = xmalloc(cap);
			}
			file = r->file;
			at = r->off;
			have = 0;
			want = cap;
			while (have < r->len) {
				n = pread(inputs[file].fd, blk + have,
				    want - have, (off_t)(at + have));
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					err(1, "%s", inputs[file].name);
				if (n == 0)
					errx(1, "%s: file changed while being "
					    "read", inputs[file].name);
				have += (size_t)n;
			}
		}
		scatter_line(sc, i, blk + (r->off - at), r->len);
	}
	free(blk);
}

/* The second half of the copy: a thread reads each partition back and puts
 * its lines in place, one buffer ahead, while the main thread writes the
 * other buffer: writing to a file costs as much as all the rest. */
struct gatherer {
	const struct layout *lo;
	int		 tmp;
	char		*in, *out[2];
	int		 full[2];	/* out[b] waits to be written */
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
};

/* Partition k holds its lines in input order: the index entries with its
 * number, in the same order, say where each one goes. */
static void
place_partition(struct gatherer *g, size_t k, char *out)
{
	const struct layout *lo = g->lo;
	size_t i, j, size, used = 0, len;

	size = (size_t)(lo->pstart[k + 1] - lo->pstart[k]);
	pread_all(g->tmp, "temporary file", g->in, size, lo->pstart[k]);
	for (j = lo->pfirst[k]; j < lo->pfirst[k + 1]; j++) {
		i = lo->byp[j];
		len = (size_t)recs[i].len + 1;
		memcpy(out + (lo->dest[i] - lo->pstart[k]), g->in + used, len);
		used += len;
	}
}

static void *
gather_main(void *arg)
{
	struct gatherer *g = arg;
	size_t k, b;

	for (k = 0; k < g->lo->nparts; k++) {
		b = k % 2;
		pthread_mutex_lock(&g->lock);
		while (g->full[b])
			pthread_cond_wait(&g->cond, &g->lock);
		pthread_mutex_unlock(&g->lock);
		place_partition(g, k, g->out[b]);
		pthread_mutex_lock(&g->lock);
		g->full[b] = 1;
		pthread_cond_broadcast(&g->cond);
		pthread_mutex_unlock(&g->lock);
	}
	return NULL;
}

static void
gather(const struct layout *lo, int tmp)
{
	struct gatherer g;
	pthread_t thread;
	size_t k, b;

	memset(&g, 0, sizeof(g));
	g.lo = lo;
	g.tmp = tmp;
	g.in = xmalloc(lo->maxpart);
	g.out[0] = xmalloc(lo->maxpart);
	g.out[1] = xmalloc(lo->maxpart);
	pthread_mutex_init(&g.lock, NULL);
	pthread_cond_init(&g.cond, NULL);
	if ((errno = pthread_create(&thread, NULL, gather_main, &g)) != 0)
		err(1, "pthread_create");
	for (k = 0; k < lo->nparts; k++) {
		b = k % 2;
		pthread_mutex_lock(&g.lock);
		while (!g.full[b])
			pthread_cond_wait(&g.cond, &g.lock);
		pthread_mutex_unlock(&g.lock);
		write_all(g.out[b], (size_t)(lo->pstart[k + 1] - lo->pstart[k]));
		pthread_mutex_lock(&g.lock);
		g.full[b] = 0;
		pthread_cond_broadcast(&g.cond);
		pthread_mutex_unlock(&g.lock);
	}
	pthread_join(thread, NULL);
	pthread_mutex_destroy(&g.lock);
	pthread_cond_destroy(&g.cond);
	free(g.in);
	free(g.out[0]);
	free(g.out[1]);
}

/* Copies the lines in sorted order, a line end after each. */
static void
write_sorted(const struct layout *lo)
{
	struct scatter sc;
	size_t k, size;

	memset(&sc, 0, sizeof(sc));
	sc.lo = lo;
	if (lo->nparts == 1) {
		size = (size_t)lo->pstart[1];
		sc.out = xmalloc(size ? size : 1);
		read_lines(&sc);
		write_all(sc.out, size);
		free(sc.out);
		return;
	}
	sc.tmp = spool_tmp();
	if (sc.tmp < 0)
		exit(1);
	sc.stagecap = lo->maxpart / lo->nparts;
	if (sc.stagecap < STAGE_MIN)
		sc.stagecap = STAGE_MIN;
	if (sc.stagecap > STAGE_MAX)
		sc.stagecap = STAGE_MAX;
	sc.stage = xcalloc(lo->nparts, sizeof(*sc.stage));
	sc.staged = xcalloc(lo->nparts, sizeof(*sc.staged));
	sc.cursor = xcalloc(lo->nparts, sizeof(*sc.cursor));
	for (k = 0; k < lo->nparts; k++) {
		sc.stage[k] = xmalloc(sc.stagecap);
		sc.cursor[k] = lo->pstart[k];
	}
	read_lines(&sc);
	for (k = 0; k < lo->nparts; k++) {
		flush_stage(&sc, k);
		free(sc.stage[k]);
	}
	free(sc.stage);
	free(sc.staged);
	free(sc.cursor);

	gather(lo, sc.tmp);
	close(sc.tmp);
}

/* -r: every request's id must have a result and every result an id of the
 * requests.  Returns the number of ids reported. */
static size_t
check_requests(const char *path)
{
	struct buf scratch = BUF_INIT, show = BUF_INIT;
	struct idmap want;
	struct jsonl r;
	struct jval top;
	const char *id, *why;
	char *line, *seen;
	size_t len, idlen, i, e, reported = 0;
	int got, added;

	if (jsonl_open(&r, path, 0) < 0)
		exit(1);
	idmap_init(&want);
	while ((got = jsonl_next(&r, &line, &len)) == 1) {
		if (customid_get(line, len, &top, &scratch, &id, &idlen,
		    &why) < 0) {
			warnx("%s:%lu: %s", r.name, r.lineno, why);
			exit(1);
		}
		idmap_add(&want, id, idlen, &added);
		if (!added)
			warnx("%s:%lu: duplicate custom_id %s in the requests",
			    r.name, r.lineno, customid_show(&show, id, idlen));
	}
	if (got < 0)
		exit(1);
	jsonl_close(&r);
	seen = xcalloc(want.count + 1, 1);
	for (i = 0; i < nrecs; i++) {
		e = idmap_find(&want, id_of(&recs[i]), recs[i].idlen);
		if (e != IDMAP_NONE) {
			seen[e] = 1;
			continue;
		}
		warnx("%s:%lu: custom_id %s is not in the requests",
		    inputs[recs[i].file].name, (unsigned long)recs[i].line,
		    customid_show(&show, id_of(&recs[i]), recs[i].idlen));
		reported++;
	}
	for (e = 0; e < want.count; e++) {
		if (seen[e])
			continue;
		id = idmap_id(&want, e, &idlen);
		warnx("no result for custom_id %s",
		    customid_show(&show, id, idlen));
		reported++;
	}
	free(seen);
	idmap_free(&want);
	buf_free(&scratch);
	buf_free(&show);
	return reported;
}

/* -n: the ids must be exactly 1 .. count, as jsonl-prompt numbers lines. */
static size_t
check_count(unsigned long long count)
{
	struct buf show = BUF_INIT;
	char *seen = xcalloc(count + 1, 1);
	unsigned long long v, k;
	size_t i, j, reported = 0;
	const char *s;

	for (i = 0; i < nrecs; i++) {
		s = id_of(&recs[i]);
		v = 0;
		for (j = 0; j < recs[i].idlen && j < 20 &&
		    s[j] >= '0' && s[j] <= '9'; j++)
			v = v * 10 + (unsigned long long)(s[j] - '0');
		if (j == recs[i].idlen && s[0] != '0' && j < 20 &&
		    v >= 1 && v <= count) {
			seen[v] = 1;
			continue;
		}
		warnx("%s:%lu: custom_id %s is not in 1..%llu",
		    inputs[recs[i].file].name, (unsigned long)recs[i].line,
		    customid_show(&show, s, recs[i].idlen), count);
		reported++;
	}
	for (k = 1; k <= count; k++)
		if (!seen[k]) {
			warnx("no result for custom_id %llu", k);
			reported++;
		}
	free(seen);
	buf_free(&show);
	return reported;
}

int
main(int argc, char *argv[])
{
	const char *requests = NULL, *errstr = NULL;
	unsigned long long count = 0;
	struct skey *order;
	struct layout lo;
	size_t i, reported = 0, memsize = DEFAULT_MEMSIZE;
	int ch, fd, use_stdin = 0, have_count = 0, stdin_fd = -1;
	struct rlimit rl;
	char *end;

	while ((ch = getopt(argc, argv, "hn:r:S:V")) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			break;
		case 'n':
			errno = 0;
			count = strtoull(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || count > 4000000000ULL)
				errstr = "-n: not a count from 0 to 4000000000";
			have_count = 1;
			break;
		case 'r':
			requests = optarg;
			break;
		case 'S':
			if ((memsize = parse_size(optarg)) < 2)
				errstr = "-S: not a size such as 64M";
			break;
		case 'V':
			puts("jsonl-sortid batchpipe " BATCHPIPE_VERSION);
			return stdout_close(1) ? 1 : 0;
		default:
			usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (errstr != NULL) {
		warnx("%s", errstr);
		usage(stderr);
	}
	if (requests != NULL && have_count)
		usage(stderr);
	for (i = 0; i < (size_t)argc; i++)
		if (strcmp(argv[i], "-") == 0)
			use_stdin = 1;
	if (argc == 0)
		use_stdin = 1;
	if (requests != NULL && strcmp(requests, "-") == 0 && use_stdin) {
		warnx("-r -: standard input already holds the results");
		usage(stderr);
	}

	ninputs = argc > 0 ? (size_t)argc : 1;
	inputs = xcalloc(ninputs, sizeof(*inputs));
	/* Every input stays open until its lines are copied: a job of many
	 * result files may need more descriptors than the soft limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < ninputs + 32) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ||
		    rl.rlim_max > ninputs + 32 ? ninputs + 32 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < ninputs; i++) {
		if (argc == 0 || strcmp(argv[i], "-") == 0) {
			inputs[i].name = "stdin";
			fd = STDIN_FILENO;
		} else {
			inputs[i].name = argv[i];
			fd = open(argv[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				err(1, "%s", argv[i]);
		}
		if (fd == STDIN_FILENO && stdin_fd >= 0) {
			/* Named twice: it is read to its end the first time. */
			inputs[i].fd = stdin_fd;
			inputs[i].again = 1;
			continue;
		}
		inputs[i].fd = spool_fd(fd, inputs[i].name);
		if (inputs[i].fd < 0)
			return 1;
		if (fd == STDIN_FILENO)
			stdin_fd = inputs[i].fd;
	}
	if (index_inputs() < 0)
		return 1;

	if (requests != NULL)
		reported = check_requests(requests);
	else if (have_count)
		reported = check_count(count);

	order = xreallocarray(NULL, nrecs ? nrecs : 1, sizeof(*order));
	for (i = 0; i < nrecs; i++) {
		order[i].key = sort_key(&recs[i]);
		order[i].rec = i;
	}
	sort_order(order, nrecs);
	report_duplicates(order);
	/* A third of memsize holds a partition as read back, two thirds the
	 * one being written and the next. */
	plan_layout(&lo, order, memsize / 3);
	free(order);
	buf_free(&ids);
	write_sorted(&lo);
	free(lo.dest);
	free(lo.part);
	free(lo.pstart);
	free(lo.byp);
	free(lo.pfirst);

	if (stdout_close(1) < 0)
		return 1;
	return reported > 0 ? 3 : 0;
}
