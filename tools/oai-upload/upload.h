/* oai-upload's parts: the server's catalog of batch files (catalog.c)
 * and the local file made ready to send (input.c).  Only oai-upload
 * includes this. */
#ifndef OAI_UPLOAD_H
#define OAI_UPLOAD_H
#include <time.h>

struct buf;
struct http;

#define HASH_CHARS 32		/* 128 bits of SHA-256 in the name */

/* The server's batch files that carry a content hash in their name. */
struct known {
	char		*name;
	long long	 bytes;
	char		*id;
};

struct catalog {
	struct known	*v;
	size_t		 n, cap;
	int		 loaded;
	time_t		 loaded_at;	/* when the listing was asked for */
	int		 broken;	/* the listing failed for good */
};

#define CATALOG_INIT	{ NULL, 0, 0, 0, 0, 0 }

/* upload: puts the file at sendpath on the server as name (size bytes),
 * or finds it there in c, which is listed first when not loaded; base is
 * the server's path prefix and path names the file, both for messages.
 * expires_after > 0 is sent as the file's expiry (-x).
 * An answer lost on the way is reconciled: the listing is read again,
 * after a backoff, before the upload is tried again.  Returns HTTP_OK
 * with *id (to free), or HTTP_FAILED / HTTP_TEMPFAIL after reporting;
 * c->broken is set when the listing failed for good. */
int	upload(struct http *h, const char *base, struct catalog *c,
	    const char *sendpath, const char *path, const char *name,
	    long long size, long long expires_after, char **id);

/* catalog_free: empties c and frees what it holds. */
void	catalog_free(struct catalog *c);

/* One operand, opened, hashed and checked, ready to send. */
struct input {
	const char	*shown;		/* its name in messages */
	const char	*sendpath;	/* the name curl opens it by */
	char		 fdpath[64];	/* /proc/self/fd/N, for stdin's copy */
	int		 fd;		/* close it when sent */
	long long	 size;
	char		 hex[65];	/* its SHA-256 */
};

/* input_open: opens operand path ("-": standard input, when from_stdin,
 * copied to an unnamed temporary file first), hashes it and checks that
 * it starts with a batch request (line is scratch space), and sets name
 * to the name to upload it under: its base name with ".<hash>.jsonl", or
 * ".<hash>.x<expires_after>.jsonl" when expires_after > 0: the expiry
 * asked is part of the name, so a file is reused only when it was
 * uploaded with the same expiry (or with none, when none is asked).
 * Returns 0 with *in filled, or -1 after reporting (nothing left
 * open). */
int	input_open(struct input *in, const char *path, int from_stdin,
	    long long expires_after, struct buf *name, struct buf *line);

#endif
