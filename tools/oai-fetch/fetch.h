/*
 * oai-fetch's parts: what the server says of a file (remote.c: its size,
 * and, when it is gone, whose results were lost and how to pay for them
 * again) and where the downloads go (dest.c: -d, -o or stdout, each file
 * whole or not at all).  main.c reads the ids and drives them.
 */
#ifndef FETCH_H
#define FETCH_H
#include <sys/types.h>

#include "atomicfile.h"
#include "http.h"

/* Where the files go: dir/ID.jsonl (-d), all into one file (-o), or to
 * stdout through a scratch file. */
struct dest {
	const char	*dir;		/* -d, or NULL */
	const char	*outfile;	/* -o (NULL once it is stdout) */
	struct afile	 out;		/* -o's file */
	off_t		 at;		/* where -o's next file begins */
	int		 scratch;	/* stdout's scratch file, or -1 */
	char		*copybuf;	/* for copying to stdout */
};

/* dest_open: opens what the files go to: -o's file, or the scratch file
 * for stdout.  Returns 0, or -1 after reporting. */
int	 dest_open(struct dest *to);
/* dest_fetch: downloads file id, of size bytes (-1: not stated, or
 * Anthropic's results of batch id, *gone 1 when it is gone), to where to
 * says.  Returns as http_download, reported; a file that cannot be made
 * under -d is HTTP_FAILED, reported. */
int	 dest_fetch(struct http *h, struct dest *to, const char *id,
	    long long size, int *gone);
/* dest_close: -o's file is kept when every file arrived (ok), else
 * removed: all of it, or none of it.  Returns 0, or -1 when it could not
 * be kept (reported). */
int	 dest_close(struct dest *to, int ok);

/* file_size: the bytes of file id, from GET /files/{id}, or -1 when the
 * server states none (a compatible server may not: the download is then
 * checked against its Content-Length only, said once).  base is the base
 * URL's path, for messages.  Returns as http_request; an odd "bytes" is
 * HTTP_FAILED, reported.  A file the server does not have (404) is
 * HTTP_FAILED with *gone 1, reported by the caller. */
int	 file_size(struct http *h, const char *base, const char *id,
	    long long *size, int *gone);
/* explain_gone: file id is gone from the server; rest is the rest of its
 * input line.  When that is oai-wait's "output|error TAB batch_ID TAB
 * status", says whose results are lost and how to pay for them again (the
 * wording "is gone from the server" is what oai-pipeline looks for). */
void	 explain_gone(struct http *h, const char *id, const char *rest);

#endif
