/*
 * jsonl-sortid's parts and the state they share.  main.c opens the inputs
 * into a struct sortid; index.c reads them into its index (never the
 * lines themselves); check.c compares the index's ids with -r's requests
 * or -n's count and reports duplicates; order.c sorts the index; copy.c
 * writes the lines in that order.  Private to jsonl-sortid.
 */
#ifndef SORTID_H
#define SORTID_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "mapfile.h"

struct input {
	const char	*name;		/* as in messages: the path or "stdin" */
	int		 fd;		/* seekable */
	struct mapfile	 map;
	size_t		 start;		/* where reading starts: stdin may be
					 * a file already partly read */
	int		 again;		/* stdin named twice: nothing left */
};

/* One result line. */
struct rec {
	uint64_t	 off;		/* of the line in its file */
	uint64_t	 idpos;		/* of the decoded id in part.ids */
	uint32_t	 len;		/* of the line, without its line end */
	uint32_t	 idlen;
	uint32_t	 file;		/* index in inputs */
	uint32_t	 line;		/* line number, for messages */
};

/* What the sort moves: a 64-bit key that decides most comparisons alone. */
struct skey {
	uint64_t	 key;
	uint32_t	 rec;		/* the record's number (rec_at) */
	uint32_t	 len;		/* the line's, as rec_at(rec)->len: the
					 * copy's plan reads the order only */
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

/* The inputs and their index.  The records of inputs[0 .. part1_from)
 * are in parts[0], those of the rest in parts[1], each part with its own
 * ids: the two threads that built them each had their own.  Record i is
 * the i-th of all, in input order (rec_at). */
struct sortid {
	struct input	*inputs;
	size_t		 ninputs;
	struct part	 parts[2];
	size_t		 part1_from;
	size_t		 nrecs;
	int		 numeric;	/* every id is all digits */
};

/* The sort and the copy call these a line at a time: inline here. */
static inline const struct rec *
rec_at(const struct sortid *s, size_t i)
{
	return i < s->parts[0].n ? &s->parts[0].recs[i] :
	    &s->parts[1].recs[i - s->parts[0].n];
}

static inline const char *
id_of(const struct sortid *s, const struct rec *r)
{
	return s->parts[r->file >= s->part1_from].ids.p + r->idpos;
}

static inline int
same_id(const struct sortid *s, const struct rec *a, const struct rec *b)
{
	return a->idlen == b->idlen &&
	    memcmp(id_of(s, a), id_of(s, b), a->idlen) == 0;
}

/* index.c */

/* index_inputs: reads every input of s (opened, mapped, s->inputs[i].start
 * set) into s->parts, s->nrecs and s->numeric, the first inputs (about
 * half the bytes) in a second thread.  Returns 0, or -1 after reporting
 * the first bad line as "prog: name:line: reason" (the index is then
 * freed). */
int	index_inputs(struct sortid *s);

/* spooled_line: the spool_check (spool.h) of an input copied from a pipe:
 * the rules of index_inputs, with the messages it would give, so that a
 * pipe that is not result lines fails at its first bad line before it
 * fills TMPDIR.  arg is unused. */
const char *spooled_line(void *arg, const char *p, size_t n,
	    unsigned long lineno, int partial);

/* run_both: runs fn(first) in a second thread and fn(second) in this one,
 * then waits for both; with threaded 0 (too little work to share), runs
 * both here, first first.  A thread that cannot be made exits 1. */
void	run_both(void *(*fn)(void *), void *first, void *second,
	    int threaded);

/* order.c */

/* sort_index: every record's key in output order: custom_id order
 * (numeric when s->numeric), equal ids in input order.  The caller frees
 * the array of s->nrecs keys. */
struct skey *sort_index(const struct sortid *s);

/* check.c */

/* check_requests: -r: every request's id in the file at path ("-" is
 * stdin) must have a result and every result an id of the requests;
 * reports each one that does not (ten of a kind, then a count).  A bad
 * requests file is reported and exits 1.  Returns the number of ids
 * reported. */
size_t	check_requests(const struct sortid *s, const char *path);

/* check_count: -n: the ids must be exactly 1 .. count, as jsonl-prompt
 * numbers lines; reports as check_requests and returns the number of ids
 * reported. */
size_t	check_count(const struct sortid *s, unsigned long long count);

/* report_duplicates: reports the ids that occur more than once in order
 * (sort_index's), at each later line (every line is kept). */
void	report_duplicates(const struct sortid *s, const struct skey *order);

/* copy.c */

/* write_sorted: writes the lines to stdout in order (sort_index's), a
 * line end after each.  Frees order and the index's ids before the copy,
 * which needs neither.  A read or write error is reported and exits 1
 * (a closed pipe quietly). */
void	write_sorted(struct sortid *s, struct skey *order);

#endif
