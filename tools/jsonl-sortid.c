/*
 * jsonl-sortid: Batch API result lines, ordered by custom_id.
 *
 * The lines themselves are never held in memory: the first pass validates
 * each line and keeps an index entry (its id, file, offset and length);
 * the index is sorted; the second pass copies each line with pread(2)
 * from its file.  Standard input (and any other input that cannot seek)
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
	    "[file ...]\n");
	exit(fp == stdout ? 0 : 2);
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
 * equal keys, rare, are then sorted with qsort.  On a million uuids the
 * whole run's user time fell from about 1.25 s to 1.07 s (measured). */
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
 * The copy: the sorted lines are cut into chunks of about CHUNK bytes;
 * READERS threads fill the chunks with pread(2)s, several ahead, while the
 * main thread writes them in order.  The reads are random accesses into
 * the page cache, about a microsecond each (measured), and writing to a
 * file or a pipe costs as much again, so on two cores they overlap.
 */
#define CHUNK		((size_t)4 << 20)
#define READERS		2
#define NBUFS		(2 * READERS)

struct chunk {
	size_t		 first, end;	/* order[first .. end) */
	size_t		 bytes;
};

struct copier {
	const struct skey *order;
	struct chunk	*chunks;
	size_t		 nchunks;
	char		*bufs[NBUFS];
	size_t		 cap;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	size_t		 written;	/* chunks written so far */
	int		 ready[NBUFS];	/* buffer holds its next chunk */
};

/* Reads the lines of chunk c into buf.  A run of lines that follow each
 * other in the same file, each ended by a plain "\n", is read with one
 * pread(2) together with its line ends: results that are already nearly
 * in order (as a batch's output file often is) cost a few large reads. */
static void
fill_chunk(const struct copier *cp, const struct chunk *c, char *buf)
{
	const struct rec *r, *next;
	size_t i, j, used = 0, got, span;
	ssize_t n;

	for (i = c->first; i < c->end; i = j) {
		/* The index entries are visited in random order: ask for
		 * the ones a few lines ahead before they are needed. */
		if (i + 8 < c->end)
			__builtin_prefetch(&recs[cp->order[i + 8].rec]);
		r = &recs[cp->order[i].rec];
		span = r->len;
		for (j = i + 1; j < c->end; j++) {
			next = &recs[cp->order[j].rec];
			if (next->file != r->file ||
			    next->off != r->off + span + 1)
				break;
			span += 1 + next->len;
		}
		for (got = 0; got < span; got += (size_t)n) {
			n = pread(inputs[r->file].fd, buf + used + got,
			    span - got, (off_t)(r->off + got));
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n < 0)
				err(1, "%s", inputs[r->file].name);
			if (n == 0)
				errx(1, "%s: file changed while being read",
				    inputs[r->file].name);
		}
		used += span;
		buf[used++] = '\n';
	}
}

struct reader_arg {
	struct copier	*cp;
	size_t		 id;
};

/* Reader id fills chunks id, id + READERS, ...; chunk k goes to buffer
 * k % NBUFS once chunk k - NBUFS is written. */
static void *
reader_main(void *arg)
{
	struct reader_arg *ra = arg;
	struct copier *cp = ra->cp;
	size_t k, b;

	for (k = ra->id; k < cp->nchunks; k += READERS) {
		b = k % NBUFS;
		pthread_mutex_lock(&cp->lock);
		while (cp->written + NBUFS <= k)
			pthread_cond_wait(&cp->cond, &cp->lock);
		pthread_mutex_unlock(&cp->lock);
		fill_chunk(cp, &cp->chunks[k], cp->bufs[b]);
		pthread_mutex_lock(&cp->lock);
		cp->ready[b] = 1;
		pthread_cond_broadcast(&cp->cond);
		pthread_mutex_unlock(&cp->lock);
	}
	return NULL;
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

/* Ids that occur more than once in chunk c are reported (every line is
 * kept); *first is the position of the current id's first line. */
static void
report_duplicates(const struct skey *order, const struct chunk *c,
    size_t *first, struct buf *show)
{
	const struct rec *r, *f;
	size_t i;

	for (i = c->first; i < c->end; i++) {
		r = &recs[order[i].rec];
		f = &recs[order[*first].rec];
		if (i > 0 && same_id(r, f))
			warnx("%s:%lu: duplicate custom_id %s (first at %s:%lu)",
			    inputs[r->file].name, (unsigned long)r->line,
			    customid_show(show, id_of(r), r->idlen),
			    inputs[f->file].name, (unsigned long)f->line);
		else
			*first = i;
	}
}

/* Copies the lines in sorted order, a line end after each. */
static void
write_sorted(const struct skey *order)
{
	struct copier cp;
	struct reader_arg ra[READERS];
	pthread_t threads[READERS];
	struct buf show = BUF_INIT;
	size_t i, k, b, nthreads = 0, first = 0, need, cap = 0;
	struct chunk *c;

	memset(&cp, 0, sizeof(cp));
	cp.order = order;
	for (i = 0; i < nrecs; i++) {
		need = (size_t)recs[order[i].rec].len + 1;
		if (cp.nchunks == cap) {
			cap = cap ? cap * 2 : 64;
			cp.chunks = xreallocarray(cp.chunks, cap,
			    sizeof(*cp.chunks));
		}
		c = &cp.chunks[cp.nchunks > 0 ? cp.nchunks - 1 : 0];
		if (cp.nchunks == 0 || c->bytes + need > CHUNK) {
			c = &cp.chunks[cp.nchunks++];
			c->first = i;
			c->bytes = 0;
		}
		c->end = i + 1;
		c->bytes += need;
		if (c->bytes > cp.cap)
			cp.cap = c->bytes;
	}
	for (b = 0; b < NBUFS; b++)
		cp.bufs[b] = xmalloc(cp.cap ? cp.cap : 1);
	pthread_mutex_init(&cp.lock, NULL);
	pthread_cond_init(&cp.cond, NULL);
	for (i = 0; i < READERS && i < cp.nchunks; i++) {
		ra[i].cp = &cp;
		ra[i].id = i;
		if ((errno = pthread_create(&threads[i], NULL, reader_main,
		    &ra[i])) != 0)
			err(1, "pthread_create");
		nthreads++;
	}
	for (k = 0; k < cp.nchunks; k++) {
		b = k % NBUFS;
		report_duplicates(order, &cp.chunks[k], &first, &show);
		pthread_mutex_lock(&cp.lock);
		while (!cp.ready[b])
			pthread_cond_wait(&cp.cond, &cp.lock);
		pthread_mutex_unlock(&cp.lock);
		write_all(cp.bufs[b], cp.chunks[k].bytes);
		pthread_mutex_lock(&cp.lock);
		cp.ready[b] = 0;
		cp.written = k + 1;
		pthread_cond_broadcast(&cp.cond);
		pthread_mutex_unlock(&cp.lock);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	for (b = 0; b < NBUFS; b++)
		free(cp.bufs[b]);
	free(cp.chunks);
	buf_free(&show);
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
	size_t i, reported = 0;
	int ch, fd, use_stdin = 0, have_count = 0, stdin_fd = -1;
	struct rlimit rl;
	char *end;

	while ((ch = getopt(argc, argv, "hn:r:V")) != -1) {
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
	write_sorted(order);
	free(order);

	if (stdout_close(1) < 0)
		return 1;
	return reported > 0 ? 3 : 0;
}
