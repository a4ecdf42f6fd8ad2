/*
 * oai-ls's parts, and the one struct they share: the listing.
 *
 *	main.c	options, then the listing or the batches shown
 *	list.c	the walk over batches or files: the filters, the -s bound
 *	show.c	the batches named, each shown in full
 *	out.c	what is printed: TSV rows, aligned columns, JSON lines
 */
#ifndef LS_H
#define LS_H

#include <stddef.h>

struct http;
struct idsrc;
struct json_object;

#define MAX_META	16	/* the API's own limit on metadata pairs */

struct listing {
	/* What is listed (-e, -m, -S, -s). */
	const char	*status, *endpoint;
	const char	*meta_key[MAX_META], *meta_value[MAX_META];
	int		 nmeta;
	long long	 since;			/* 0: no bound */
	/* How it is printed. */
	int		 files, json, aligned;
	char		**rows;			/* aligned: the rows kept */
	size_t		 nrows;
	const char	*key;			/* masked in what is shown */
};

/* list: walks the batches (or, with ls->files, the files) newest first,
 * printing those that pass ls's filters, and stops at the first one
 * older than ls->since.  Returns 0, 1 or 75. */
int	list(struct http *h, struct listing *ls);

/* show: the batches named by in, each as its whole object on one line.
 * Returns 0, 1 or 75. */
int	show(struct http *h, struct idsrc *in);


/* json_line: o as the one line of JSON every object is printed as (no
 * newline), valid until o is freed. */
const char *json_line(struct json_object *o);

/* row_put: o printed as ls says: a JSON line, or a TSV row of a batch or
 * a file, kept for aligning when ls->aligned (and not ls->json). */
void	row_put(struct listing *ls, struct json_object *o);

/* rows_aligned: the rows kept, each column as wide as its widest field,
 * printed and freed. */
void	rows_aligned(struct listing *ls);

#endif
