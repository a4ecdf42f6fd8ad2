/*
 * jsonl-split's parts and the state they share.  main.c reads the options
 * and walks the input; request.c checks each request line and says
 * whether it fits the file being written; files.c writes the files under
 * temporary names and gives them their names once the whole input proved
 * good.  Private to jsonl-split.
 */
#ifndef SPLIT_H
#define SPLIT_H

#include <stddef.h>

#include "atomicfile.h"
#include "buf.h"
#include "idset.h"
#include "jscan.h"
#include "jsonl.h"
#include "reqcount.h"
#include "reqline.h"

#define COPY_MAX	(1 << 20)	/* see add_line */

struct split {
	/* The options. */
	const char	*dir;		/* without trailing slashes */
	const char	*prefix;
	size_t		 max_lines, max_bytes;
	size_t		 max_tokens;	/* 0: no -t, nothing tokenized */

	/* The input's name, for messages, and the ids of its lines.  The
	 * custom_id of the line last written is added to ids only once
	 * the next line has been read and checked (idset_hold), so that a
	 * duplicate is reported before anything found on a later line. */
	const char	*input_name;
	struct idset	*ids;
	struct idset_held last;
	struct reqcount	 rc;
	struct buf	 scratch;

	/* The files made so far, with each one's requests and input
	 * tokens (-1: not counted, no -t). */
	struct afile	*files;
	char		**paths;
	size_t		*nreqs;
	long long	*ntoks;
	size_t		 nfiles;
	int		 dir_made;	/* dir made and locked */

	/* The file being written (NULL before the first line): what it
	 * holds so far, and the url and model of its requests, decoded. */
	struct afile	*f;
	size_t		 lines, bytes;
	long long	 tokens;
	struct buf	 url, model;

	/* What the file gets next, written with write(2) rather than
	 * copied through stdio: a run of whole lines in place in the
	 * reader's buffer (they lie one after the other there), or lines
	 * copied to copy (those whose "\r\n" becomes "\n", and an
	 * unterminated last line), written once they reach COPY_MAX
	 * bytes. */
	struct {
		const char	*p;
		size_t		 n;
		struct afile	*f;
		struct buf	 copy;
	} run;
};

/* request.c */

/* same_text: 1 when the JSON string v decodes to the text in *cur, else
 * 0; scratch is for decoding. */
int	same_text(struct jval v, const struct buf *cur, struct buf *scratch);

/* split_requests: reads every line of in, checks it as a request line,
 * and adds it to the file being written, or to a new one (next_file)
 * when it does not fit: over a cap, or of another url or model.  Returns
 * at the end of the input, which may have ended in a read error
 * (jsonl_next's -1, reported): then the return is -1, else 0.  A bad
 * line, a duplicate custom_id or a request over -t is reported as "prog:
 * name:line: reason" and exits 1 (the temporary files go at exit). */
int	split_requests(struct split *sp, struct jsonl *in);

/* check_last_id: adds the last line's custom_id to sp->ids; a duplicate
 * is reported at its own line and exits 1.  The reader's before_error
 * hook (jsonl.h): arg is the struct split. */
void	check_last_id(void *arg);

/* files.c */

/* write_run: writes what the file gets next to it; a write error is
 * reported as "prog: path: reason" and exits 1.  The reader's before_read
 * hook (jsonl.h), since the run may lie in its buffer: arg is the struct
 * split. */
void	write_run(void *arg);

/* next_file: finishes the file being written, if any, and opens the next
 * one, for requests of req's url and model; the first time, makes and
 * locks the directory (and removes what a killed run left there).  An
 * error is reported and exits 1. */
void	next_file(struct split *sp, const struct reqline *req);

/* files_finish: finishes the file being written, if any.  An error is
 * reported and exits 1. */
void	files_finish(struct split *sp);

/* files_commit: once the whole input is good, gives every file its name
 * and prints a line for each ("path TAB requests TAB tokens").  Refuses,
 * removing them all, when the directory holds files of an earlier split
 * that this one does not replace.  An error is reported and exits 1. */
void	files_commit(struct split *sp);

/* add_line: adds line[0..n) with its '\n' (line[n]) to the file being
 * written, and counts it, with its t tokens (-1: not counted).  in_place:
 * the line took exactly n + 1 bytes of the reader's buffer, where it stays
 * until write_run; else it is copied.  Called a line at a time: inline
 * here. */
static inline void
add_line(struct split *sp, const char *line, size_t n, int in_place,
    long long t)
{
	int copied = sp->run.n > 0 && sp->run.p == sp->run.copy.p;

	if (sp->run.n > 0 && (sp->run.f != sp->f || copied == in_place ||
	    (in_place && sp->run.p + sp->run.n != line)))
		write_run(sp);
	sp->run.f = sp->f;
	sp->lines++;
	sp->bytes += n + 1;
	if (t >= 0)
		sp->tokens += t;
	if (in_place) {
		if (sp->run.n == 0)
			sp->run.p = line;
		sp->run.n += n + 1;
		return;
	}
	buf_add(&sp->run.copy, line, n + 1);
	sp->run.p = sp->run.copy.p;
	sp->run.n = sp->run.copy.len;
	if (sp->run.n >= COPY_MAX)
		write_run(sp);
}

#endif
